//! The ladder view (a sequence diagram) of a run: one row per message, time going down, between
//! lifelines of hosts. Application messages by default; TCP's control segments fold into one
//! "connection opened" or "closed" mark each unless asked for; steps begin bands; what hosts do
//! (store, queue, download) are notes on their lifeline. The window draws these rows.

use std::collections::BTreeSet;

use crate::engine::ids::{EventId, HostId};
use crate::engine::trace::{Direction, EventKind, TcpFlags, Trace};
use crate::protocols::Protocol;

/// How a reply went, shown as a badge beside its arrow (not by colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx, +OK, OK.
    Done,
    /// 3xx, +, go on.
    GoOn,
    /// 4xx: not now, try again.
    NotNow,
    /// 5xx, -ERR, NO, BAD: refused.
    Refused,
}

/// What a row shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKind {
    /// A narrated step begins (a band until the next).
    Step(String),
    /// A message from one lifeline to another.
    Message {
        from: HostId,
        to: HostId,
        protocol: Protocol,
        /// Its first line (`MAIL FROM:<alice@a.example>`, `250 2.1.0 Ok`).
        label: String,
        /// A reply (drawn dashed): how it went, and its badge (`2xx`…`5xx`, `+OK`, `-ERR`,
        /// `OK`, `NO`, `BAD`).
        reply: Option<(Outcome, String)>,
        /// Lost on the way: the arrow ends half-way, crossed out.
        lost: bool,
        /// Sent again.
        retransmitted: bool,
    },
    /// TCP's handshake or closing, folded into one mark.
    Connection {
        from: HostId,
        to: HostId,
        /// `connection opened`, `connection closed`, `connection refused (RST)`.
        label: String,
    },
    /// Something a host did (stored, queued, downloaded).
    Note { host: HostId, text: String },
}

/// One row: the event it stands for (clicking it selects that event) and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The event.
    pub event: EventId,
    /// What it shows.
    pub kind: RowKind,
}

/// How a reply went and its badge, from its first line (`None`: not a reply).
fn outcome(p: Protocol, dir: Direction, first: &str) -> Option<(Outcome, String)> {
    if dir != Direction::ServerToClient {
        return None;
    }
    let class = |c: u8| match c {
        b'1' | b'3' => Some(Outcome::GoOn),
        b'2' => Some(Outcome::Done),
        b'4' => Some(Outcome::NotNow),
        b'5' => Some(Outcome::Refused),
        _ => None,
    };
    let digit = |s: &str| {
        let c = *s.as_bytes().first()?;
        class(c).map(|o| (o, format!("{}xx", c as char)))
    };
    match p {
        Protocol::Smtp => digit(first),
        // A client error is as final as a server's: neither gets better by waiting.
        Protocol::Http => first
            .strip_prefix("HTTP/1.1 ")
            .and_then(digit)
            .map(|(o, b)| {
                (
                    if o == Outcome::NotNow {
                        Outcome::Refused
                    } else {
                        o
                    },
                    b,
                )
            }),
        Protocol::Pop3 if first.starts_with("+OK") => Some((Outcome::Done, "+OK".into())),
        Protocol::Pop3 if first.starts_with("-ERR") => Some((Outcome::Refused, "-ERR".into())),
        Protocol::Imap => {
            let mut w = first.split(' ');
            let (tag, status) = (w.next()?, w.next()?.to_ascii_uppercase());
            // Tags are short words of letters and digits (`a1`, `A001`): a line of a message's
            // text that happens to have OK as its second word is not a reply.
            let is_tag = |t: &str| t.len() <= 12 && t.bytes().all(|b| b.is_ascii_alphanumeric());
            if tag != "+" && tag != "*" && !is_tag(tag) {
                return None;
            }
            match (tag, status.as_str()) {
                ("+", _) => Some((Outcome::GoOn, "+".into())),
                ("*", _) => None,
                (_, "OK") => Some((Outcome::Done, status)),
                (_, "NO" | "BAD") => Some((Outcome::Refused, status)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The rows of a run. `tcp`: every TCP control segment as an arrow of its own; `hosts`: notes
/// for what hosts do.
pub fn rows(trace: &Trace, tcp: bool, hosts: bool) -> Vec<Row> {
    let mut out = Vec::new();
    // Per connection: the SYN-ACK seen (so the client's next ACK completes the handshake), the
    // handshake shown, the closing shown.
    let (mut answered, mut opened, mut closed) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for e in &trace.events {
        let kind = match &e.kind {
            EventKind::Step {
                number,
                total,
                text,
                ..
            } => RowKind::Step(format!("Step {number} of {total}: {text}")),
            EventKind::Segment(s) if s.payload.is_empty() && !tcp && !s.lost => {
                let (syn, fin, rst) = (
                    s.flags.has(TcpFlags::SYN),
                    s.flags.has(TcpFlags::FIN),
                    s.flags.has(TcpFlags::RST),
                );
                let client = s.direction == Direction::ClientToServer;
                // The handshake is one mark when it completes: the client's ACK of the SYN-ACK.
                // A refused or unanswered SYN never makes one.
                let label = if rst {
                    "connection refused or reset (RST)".to_string()
                } else if syn {
                    if s.flags.has(TcpFlags::ACK) {
                        answered.insert(s.conn);
                    }
                    continue;
                } else if client && !fin && answered.contains(&s.conn) && opened.insert(s.conn) {
                    format!(
                        "TCP connection opened (SYN, SYN-ACK, ACK) to port {}",
                        s.to.port
                    )
                } else if fin && closed.insert(s.conn) {
                    "TCP connection closed (FIN, ACK)".into()
                } else {
                    continue;
                };
                RowKind::Connection {
                    from: s.from.host,
                    to: s.to.host,
                    label,
                }
            }
            EventKind::Segment(s) => {
                let label = if s.payload.is_empty() {
                    format!("[{}]", s.flags.names())
                } else {
                    crate::report::lines_of(&s.payload)
                        .into_iter()
                        .next()
                        .unwrap_or_default()
                };
                RowKind::Message {
                    from: s.from.host,
                    to: s.to.host,
                    protocol: s.protocol,
                    reply: outcome(s.protocol, s.direction, &label),
                    label,
                    lost: s.lost,
                    retransmitted: s.attempt > 0,
                }
            }
            EventKind::Datagram(d) => RowKind::Message {
                from: d.from.host,
                to: d.to.host,
                protocol: d.protocol,
                label: crate::protocols::dns::summary(&d.payload),
                reply: None,
                lost: d.lost,
                retransmitted: d.attempt > 0,
            },
            EventKind::Mailbox { host, .. }
            | EventKind::Queue { host, .. }
            | EventKind::Downloaded { host, .. }
            | EventKind::Listed { host, .. }
            | EventKind::Page { host, .. }
            | EventKind::Note { host, .. }
                if hosts =>
            {
                RowKind::Note {
                    host: *host,
                    text: crate::report::summary(trace, e),
                }
            }
            _ => continue,
        };
        out.push(Row { event: e.id, kind });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::ConnId;

    #[test]
    fn the_walkthrough_as_a_ladder() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let mut sim = crate::Sim::new(&s, None);
        sim.run_to_end();
        let t = sim.trace();
        let folded = rows(t, false, true);
        let all = rows(t, true, true);
        assert!(all.len() > folded.len());
        let labels: Vec<String> = folded
            .iter()
            .filter_map(|r| match &r.kind {
                RowKind::Message { label, reply, .. } => Some(format!(
                    "{label}|{}",
                    reply.as_ref().map_or("", |(_, b)| b.as_str())
                )),
                RowKind::Connection { label, .. } => Some(label.clone()),
                _ => None,
            })
            .collect();
        let at = |l: &str| labels.iter().position(|x| x.starts_with(l)).unwrap();
        // Opened, greeting, MAIL FROM and its reply (a 2xx), ..., closed.
        assert!(at("TCP connection opened") < at("220 "));
        assert!(at("MAIL FROM:<alice@a.example>") < at("250 2.1.0"));
        assert!(labels[at("250 2.1.0")].ends_with("|2xx"));
        assert!(labels[at("354 ")].ends_with("|3xx"));
        assert!(
            labels
                .iter()
                .any(|l| l.starts_with("TCP connection closed"))
        );
        // No bare ACKs when folded; every event id once, in order.
        assert!(!labels.iter().any(|l| l.starts_with("[ACK]")));
        assert!(folded.windows(2).all(|w| w[0].event < w[1].event));
        let steps = folded
            .iter()
            .filter(|r| matches!(r.kind, RowKind::Step(_)))
            .count();
        assert_eq!(steps, s.steps.len());
    }

    #[test]
    fn a_refused_connection_is_never_shown_as_opened() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/server-down-retry.toml"
        ))
        .unwrap();
        let s = crate::scenario::parse("s", &text).unwrap();
        let mut sim = crate::Sim::new(&s, None);
        sim.run_to_end();
        let rows = rows(sim.trace(), false, false);
        let label = |r: &Row| match &r.kind {
            RowKind::Connection { label, .. } => label.clone(),
            _ => String::new(),
        };
        // Every RST row follows no "opened" of its own connection.
        for (i, r) in rows.iter().enumerate() {
            if label(r).contains("RST") {
                let conn = |e: EventId| match sim.trace().get(e).map(|e| &e.kind) {
                    Some(EventKind::Segment(s)) => s.conn,
                    _ => ConnId(u32::MAX),
                };
                assert!(
                    !rows[..i]
                        .iter()
                        .any(|p| label(p).contains("opened") && conn(p.event) == conn(r.event)),
                    "refused, yet shown opened"
                );
            }
        }
        assert!(rows.iter().any(|r| label(r).contains("RST")));
    }

    #[test]
    fn refusals_are_badged_by_their_class() {
        use Direction::ServerToClient as S;
        let o = |p, l| outcome(p, S, l).map(|(o, b)| (o, b.to_string()));
        let r = |o, b: &str| Some((o, b.to_string()));
        assert_eq!(
            o(Protocol::Smtp, "550 5.1.1 no"),
            r(Outcome::Refused, "5xx")
        );
        assert_eq!(
            o(Protocol::Smtp, "451 4.7.1 later"),
            r(Outcome::NotNow, "4xx")
        );
        assert_eq!(
            o(Protocol::Pop3, "-ERR [AUTH] no"),
            r(Outcome::Refused, "-ERR")
        );
        assert_eq!(
            o(Protocol::Imap, "a1 NO [AUTHENTICATIONFAILED]"),
            r(Outcome::Refused, "NO")
        );
        assert_eq!(o(Protocol::Imap, "* 1 EXISTS"), None);
        assert_eq!(o(Protocol::Imap, "It's OK now, see you"), None);
        assert_eq!(
            o(Protocol::Http, "HTTP/1.1 404 Not Found"),
            r(Outcome::Refused, "4xx")
        );
        assert_eq!(
            outcome(Protocol::Smtp, Direction::ClientToServer, "250 x"),
            None
        );
    }
}
