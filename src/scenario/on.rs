//! `on`: a step that begins when something happens in the run, not at a time it was guessed to
//! happen. With another `--seed` (other jitter, other retries) the moment moves, and the narration
//! moves with it.
//!
//! ```toml
//! [[step]]
//! on = "smtp.a.example queries DNS"
//! narration = "A's server does not know where b.example's mail goes: it asks the DNS."
//! ```
//!
//! The text is `[HOST] WHAT`: a host of the scenario (any host when left out), then one of
//! `queries DNS`, `queues a mail`, `stores a mail`, `downloads a mail`, `sends TEXT` (a segment
//! whose bytes begin with TEXT, any case: a command like `RCPT TO` or a reply code like `550`),
//! `sends` (any segment with content).
//! The step begins right after the first such event (at or after its `at`, when it has one), and
//! only once.

use crate::engine::ids::HostId;
use crate::engine::trace::{Direction, EventKind, MailboxChange, TraceEvent};

/// What a step waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// Only events of this host; any host when `None`.
    pub host: Option<HostId>,
    /// Which kind of event.
    pub what: Happening,
    /// The text as written, for messages.
    pub text: String,
}

/// The kinds of event a step can wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happening {
    /// The host sends a DNS query (its first sending, not a retry).
    QueriesDns,
    /// A mail enters the host's outgoing queue.
    QueuesMail,
    /// A mail is stored in a mailbox on the host.
    StoresMail,
    /// The host's mail program downloads a mail (POP3) or lists a new one (IMAP).
    DownloadsMail,
    /// The host sends a segment whose bytes begin with this text (compared in ASCII lower case).
    Sends(String),
}

/// The phrases, for hints.
pub const PHRASES: &[&str] = &[
    "queries DNS",
    "queues a mail",
    "stores a mail",
    "downloads a mail",
    "sends TEXT",
];

/// What is wrong with an `on` text: a message, a hint, and the bytes of the text it is about
/// (`None`: all of it).
pub type OnError = (String, String, Option<std::ops::Range<usize>>);

/// Reads `[HOST] WHAT`; `hosts` are the scenario's host names.
pub fn parse(text: &str, hosts: &[String]) -> Result<Trigger, OnError> {
    let t = text.trim();
    let (host, rest) = match t.split_once(char::is_whitespace) {
        Some((first, rest)) => match hosts.iter().position(|h| h.eq_ignore_ascii_case(first)) {
            Some(h) => (Some(HostId::new(h)), rest.trim()),
            None if first.contains('.')
                && !first.chars().all(|c| c.is_ascii_digit() || c == '.') =>
            {
                let known: Vec<&str> = hosts.iter().map(String::as_str).collect();
                let start = text.len() - text.trim_start().len();
                return Err((
                    format!("`{first}` is not a host of this scenario"),
                    super::words::suggest(first, &known, "the hosts are"),
                    Some(start..start + first.len()),
                ));
            }
            None => (None, t),
        },
        None => (None, t),
    };
    let lower = rest.to_ascii_lowercase();
    let what = match lower.as_str() {
        "queries dns" | "asks dns" | "asks the dns" | "sends a dns query" => Happening::QueriesDns,
        "queues a mail" | "queues mail" | "queues" => Happening::QueuesMail,
        "stores a mail" | "stores mail" | "stores" => Happening::StoresMail,
        "downloads a mail" | "downloads mail" | "downloads" => Happening::DownloadsMail,
        // Any message with content: a count of segments, say.
        "sends" | "sends anything" | "sends a segment" => Happening::Sends(String::new()),
        _ => match lower.strip_prefix("sends ") {
            Some(what) if !what.trim().is_empty() => Happening::Sends(
                what.trim()
                    .trim_matches(|c| c == '"' || c == '`')
                    .to_string(),
            ),
            _ => {
                return Err((
                    format!("`{t}` is not an event mailsim knows"),
                    format!(
                        "write a host, then what it does: {}; for example \
                         on = \"mx.b.example sends 250\" or on = \"smtp.a.example queries DNS\"",
                        PHRASES.join(", ")
                    ),
                    None,
                ));
            }
        },
    };
    Ok(Trigger {
        host,
        what,
        text: t.to_string(),
    })
}

impl Trigger {
    /// What it waits for, as done: `mx.b.example sent 250`, `someone sent RETR`,
    /// `smtp.a.example queried DNS`; `name` names a host.
    pub fn done(&self, name: impl Fn(HostId) -> String) -> String {
        let who = self.host.map_or_else(|| "someone".to_string(), name);
        match &self.what {
            Happening::QueriesDns => format!("{who} queried DNS"),
            Happening::QueuesMail => format!("{who} queued a mail"),
            Happening::StoresMail => format!("{who} stored a mail"),
            Happening::DownloadsMail => format!("{who} downloaded a mail"),
            Happening::Sends(t) if t.is_empty() => format!("{who} sent something"),
            // The text as written (its case), not the lower case it is compared in.
            Happening::Sends(t) => {
                let written = self
                    .text
                    .len()
                    .checked_sub(t.len())
                    .and_then(|i| self.text.get(i..))
                    .filter(|w| w.eq_ignore_ascii_case(t))
                    .unwrap_or(t);
                format!("{who} sent `{written}`")
            }
        }
    }

    /// Whether `ev` is what the step waits for.
    pub fn matches(&self, ev: &TraceEvent) -> bool {
        let host_is = |h: HostId| self.host.is_none_or(|x| x == h);
        match (&self.what, &ev.kind) {
            (Happening::QueriesDns, EventKind::Datagram(d)) => {
                d.direction == Direction::ClientToServer && d.attempt == 0 && host_is(d.from.host)
            }
            (Happening::QueuesMail, EventKind::Queue { host, added, .. }) => {
                *added && host_is(*host)
            }
            (
                Happening::StoresMail,
                EventKind::Mailbox {
                    host,
                    change: MailboxChange::Stored { .. },
                    ..
                },
            ) => host_is(*host),
            (Happening::DownloadsMail, EventKind::Downloaded { host, .. }) => host_is(*host),
            (
                Happening::DownloadsMail,
                EventKind::Listed {
                    host,
                    change: crate::engine::trace::ListChange::Listed { .. },
                    ..
                },
            ) => host_is(*host),
            (Happening::Sends(text), EventKind::Segment(s)) => {
                s.attempt == 0
                    && host_is(s.from.host)
                    && !s.payload.is_empty()
                    && s.payload.len() >= text.len()
                    && s.payload[..text.len()].eq_ignore_ascii_case(text.as_bytes())
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Vec<String> {
        vec!["smtp.a.example".into(), "mx.b.example".into()]
    }

    #[test]
    fn a_host_then_what_it_does() {
        let t = parse("mx.b.example sends 550", &hosts()).unwrap();
        assert_eq!(t.host, Some(HostId(1)));
        assert_eq!(t.what, Happening::Sends("550".into()));
        let t = parse("Queries DNS", &hosts()).unwrap();
        assert_eq!((t.host, t.what), (None, Happening::QueriesDns));
        let t = parse("SMTP.A.EXAMPLE sends \"RCPT TO\"", &hosts()).unwrap();
        assert_eq!(
            (t.host, t.what),
            (Some(HostId(0)), Happening::Sends("rcpt to".into()))
        );
    }

    #[test]
    fn a_misspelled_host_or_an_unknown_event_is_said_plainly() {
        let (m, hint, at) = parse("mx.b.exmple sends 250", &hosts()).unwrap_err();
        assert_eq!(m, "`mx.b.exmple` is not a host of this scenario");
        assert_eq!(at, Some(0..11));
        assert!(hint.contains("did you mean `mx.b.example`?"), "{hint}");
        let (m, hint, _) = parse("mx.b.example explodes", &hosts()).unwrap_err();
        assert_eq!(m, "`mx.b.example explodes` is not an event mailsim knows");
        assert!(hint.contains("queries DNS"), "{hint}");
        assert!(parse("mx.b.example", &hosts()).is_err());
        // `sends` alone is any segment with content.
        assert_eq!(
            parse("sends", &hosts()).unwrap().what,
            Happening::Sends(String::new())
        );
    }
}
