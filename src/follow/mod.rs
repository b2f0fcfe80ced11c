//! One mail's journey through a run, from the trace alone: the sessions that carried it
//! (submission, webmail form, relay, download), the DNS lookups made for it, its time in a queue,
//! its storing, and a bounce that reports on it. At each hop: the envelope (MAIL FROM / RCPT TO,
//! what servers route by) beside the header (From: / To:, what people read), and the `Received:`
//! lines as they stand, newest on top, with the ones added since the hop before. Events are
//! named by id, so a journey found in a live run's trace still names them once older ones are
//! forgotten.

mod streams;

use std::collections::BTreeMap;

use crate::engine::ids::{EventId, HostId};
use crate::engine::trace::{EventKind, MailboxChange, Trace};
use crate::protocols::Protocol;
use streams::{Conn, Transaction, blocks_with, connections, header_of, quoted, transactions};

/// What a hop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopKind {
    /// A mail program hands it to its server (SMTP, usually port 587).
    Submit,
    /// A browser sends the webmail's form (HTTP POST).
    WebForm,
    /// A server passes it to the next server (SMTP, port 25).
    Relay,
    /// A server asks DNS where the recipient's domain takes mail.
    Lookup,
    /// It waits in a server's queue.
    Queued,
    /// It is stored in a mailbox.
    Stored,
    /// A mail program (or the webmail) fetches it (POP3 or IMAP).
    Fetch,
    /// A bounce (delivery status notification) that reports on it travels back.
    Bounce,
    /// The sender's mail program fetches the bounce that reports on it.
    FetchBounce,
    /// A host says something about it (a server gives up, writes a bounce...).
    Note,
}

/// The envelope: what servers route by.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// MAIL FROM (empty for a bounce: the null sender).
    pub from: String,
    /// RCPT TO, each with the server's reply (`250 2.1.5 Ok`; 4xx or 5xx: refused).
    pub to: Vec<(String, String)>,
}

/// The header fields people read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// From:
    pub from: String,
    /// To:
    pub to: String,
    /// Cc:, if any.
    pub cc: String,
    /// The Received: lines, newest (topmost) first, each unfolded to one line.
    pub received: Vec<String>,
    /// Message-ID:, which tells apart mails with the same subject.
    pub message_id: String,
}

/// One hop of the journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// What it is.
    pub kind: HopKind,
    /// Its first event.
    pub first: EventId,
    /// Every event that belongs to it (a session's segments, a lookup's datagrams, ...).
    pub events: Vec<EventId>,
    /// Where from and to (the same host for queueing and storing).
    pub from: HostId,
    /// See `from`.
    pub to: HostId,
    /// The protocol that carried it, if any.
    pub protocol: Option<Protocol>,
    /// The envelope (SMTP hops).
    pub envelope: Option<Envelope>,
    /// The header as carried at this hop (hops that carry the message).
    pub header: Option<Header>,
    /// The Received: lines the server this hop reached wrote on taking the mail, one for each
    /// copy it went on as (newest first), as later hops carried them; submissions and relays
    /// only. [`Journey::received_at`] picks those of one copy.
    pub added: Vec<String>,
    /// What happens, in words.
    pub text: String,
}

impl Hop {
    /// A hop that happens on one host (queued, stored, a note): no protocol, no message.
    fn on_host(kind: HopKind, events: Vec<EventId>, host: HostId, text: String) -> Hop {
        Hop {
            kind,
            first: events[0],
            events,
            from: host,
            to: host,
            protocol: None,
            envelope: None,
            header: None,
            added: Vec::new(),
            text,
        }
    }
}

/// A mail's whole journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journey {
    /// The subject it was found by.
    pub subject: String,
    /// In the order they began.
    pub hops: Vec<Hop>,
}

impl Journey {
    /// The hop that carried the copy of the mail hop `i` concerns to where it is: `i` itself
    /// when it carried the message (a submission, a relay the server took, a fetch), else the
    /// last such hop to the host that has the copy. A mail for several domains goes on as one
    /// copy per domain; this is the one hop `i` is about.
    pub fn copy_at(&self, i: usize) -> Option<usize> {
        let hop = self.hops.get(i)?;
        let carried = |h: &Hop| {
            h.header.is_some()
                && matches!(h.kind, HopKind::Submit | HopKind::Relay | HopKind::Fetch)
        };
        if carried(hop) {
            return Some(i);
        }
        // Where the copy is: a relay the server refused, a lookup or a bounce leave it where
        // they start.
        let host = match hop.kind {
            HopKind::Relay | HopKind::Lookup | HopKind::Bounce | HopKind::FetchBounce => hop.from,
            _ => hop.to,
        };
        (0..i).rev().find(|&j| {
            let h = &self.hops[j];
            carried(h) && h.kind != HopKind::Fetch && h.to == host
        })
    }

    /// The Received: lines of the copy of the mail that hop `i` concerns (see
    /// [`Journey::copy_at`]), newest first, each with the hop that added it: those it carried
    /// there, and the lines the server it reached added for its recipients.
    pub fn received_at(&self, i: usize) -> Vec<(usize, &str)> {
        let Some(c) = self.copy_at(i) else {
            return Vec::new();
        };
        let carrier = &self.hops[c];
        // The recipients: those hop `i` names (a refused relay names its own), else those the
        // carrying hop's server took.
        let named = self.hops[i].envelope.as_ref().filter(|_| i != c);
        let rcpts: Vec<&str> = match (named, &carrier.envelope) {
            (Some(e), _) => e.to.iter().map(|(a, _)| a.as_str()).collect(),
            (None, Some(e)) => {
                e.to.iter()
                    .filter(|(_, r)| r.starts_with('2'))
                    .map(|(a, _)| a.as_str())
                    .collect()
            }
            (None, None) => Vec::new(),
        };
        let rcpts: Vec<&str> = rcpts
            .into_iter()
            .map(|a| a.trim_start_matches('<').trim_end_matches('>'))
            .collect();
        let for_these = |line: &str| match line.split_once("for <") {
            Some((_, rest)) => {
                let who = rest.split('>').next().unwrap_or("");
                rcpts.is_empty() || rcpts.iter().any(|r| r.eq_ignore_ascii_case(who))
            }
            None => true,
        };
        // Who added a line: the hop whose server wrote it.
        let adder = |line: &str| {
            (0..=c)
                .find(|&j| self.hops[j].added.iter().any(|r| r == line))
                .unwrap_or(c)
        };
        let mut lines: Vec<(usize, &str)> = Vec::new();
        // What the server it reached added (not yet in what it carried): a fetch carries the
        // stored copy whole.
        if carrier.kind != HopKind::Fetch {
            for r in carrier.added.iter().filter(|r| for_these(r)) {
                lines.push((c, r));
            }
        }
        let carried = carrier.header.iter().flat_map(|h| h.received.iter());
        for r in carried {
            if !lines.iter().any(|(_, l)| *l == r.as_str()) {
                lines.push((adder(r), r));
            }
        }
        lines
    }

    /// Every event of the journey, in order.
    pub fn events(&self) -> Vec<EventId> {
        let mut v: Vec<EventId> = self.hops.iter().flat_map(|h| h.events.clone()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The hop an event belongs to (the latest that began at or before it, among those that
    /// hold it).
    pub fn hop_of(&self, event: EventId) -> Option<usize> {
        self.hops
            .iter()
            .enumerate()
            .rev()
            .find(|(_, h)| h.events.contains(&event))
            .map(|(i, _)| i)
    }
}

/// The subject of the mail a server queued as `id` (`23F81`, or one of its parts `23F81.2`),
/// from the session in which it took the mail: what a queue entry's "follow" needs.
pub fn subject_queued_as(trace: &Trace, id: &str) -> Option<String> {
    let base = id.split('.').next().unwrap_or(id);
    connections(trace)
        .values()
        .filter(|c| c.protocol == Protocol::Smtp)
        .flat_map(|c| transactions(&c.up, &c.down))
        .find(|t| t.reply.split_whitespace().last() == Some(base))
        .map(|t| crate::mail::subject_of(&t.data))
        .filter(|s| !s.is_empty())
}

/// The journey of the mail whose Subject is `subject` (case-insensitive), or `None` if no
/// session carried one.
pub fn follow(trace: &Trace, subject: &str) -> Option<Journey> {
    let conns = connections(trace);
    let mut hops: Vec<Hop> = Vec::new();
    let mut refused: Vec<(&Conn, Transaction)> = Vec::new();
    for c in conns.values() {
        let first = c.events[0];
        match c.protocol {
            Protocol::Smtp => {
                for t in transactions(&c.up, &c.down) {
                    if t.data.is_empty() {
                        refused.push((c, t));
                        continue;
                    }
                    let Transaction {
                        from: mail_from,
                        to: rcpt,
                        data,
                        ..
                    } = t;
                    let Some((start, block)) = blocks_with(&data, subject).into_iter().next()
                    else {
                        continue;
                    };
                    let bounce = mail_from == "<>" || quoted(&data, start);
                    let kind = if bounce {
                        HopKind::Bounce
                    } else if is_submission(c, trace) {
                        HopKind::Submit
                    } else {
                        HopKind::Relay
                    };
                    hops.push(Hop {
                        kind,
                        first,
                        events: c.events.clone(),
                        from: c.client,
                        to: c.server,
                        protocol: Some(Protocol::Smtp),
                        envelope: Some(Envelope {
                            from: mail_from,
                            to: rcpt,
                        }),
                        header: Some(header_of(block)),
                        added: Vec::new(),
                        text: String::new(),
                    });
                }
            }
            Protocol::Pop3 | Protocol::Imap => {
                // Only whole messages (with their trace), not a list of subjects.
                let Some((start, block)) = blocks_with(&c.down, subject)
                    .into_iter()
                    .find(|(_, b)| !header_of(b).received.is_empty())
                else {
                    continue;
                };
                // With what the mail program shows for it while the session lasts.
                let last = c.events.last().copied().unwrap_or(first);
                let mut events = c.events.clone();
                events.extend(trace.range(first, last.plus(1)).iter().filter_map(
                    |e| match &e.kind {
                        EventKind::Downloaded {
                            host, subject: s, ..
                        }
                        | EventKind::Listed {
                            host, subject: s, ..
                        } if *host == c.client && s.eq_ignore_ascii_case(subject) => Some(e.id),
                        _ => None,
                    },
                ));
                events.sort_unstable();
                hops.push(Hop {
                    kind: if quoted(&c.down, start) {
                        HopKind::FetchBounce
                    } else {
                        HopKind::Fetch
                    },
                    first,
                    events,
                    from: c.server,
                    to: c.client,
                    protocol: Some(c.protocol),
                    envelope: None,
                    header: Some(header_of(block)),
                    added: Vec::new(),
                    text: String::new(),
                });
            }
            Protocol::Http => {
                let text = String::from_utf8_lossy(&c.up);
                for (i, _) in text.match_indices("POST /send ") {
                    let Some(body_at) = text[i..].find("\r\n\r\n").map(|p| i + p + 4) else {
                        continue;
                    };
                    let length = text[i..body_at]
                        .split("\r\n")
                        .find_map(|l| {
                            let (n, v) = l.split_once(':')?;
                            n.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    let body_end = (body_at + length).min(text.len());
                    let mut req = crate::protocols::http::Request::new("POST", "/send");
                    req.body = text.as_bytes()[body_at..body_end].to_vec();
                    if req.form_field("subject").eq_ignore_ascii_case(subject) {
                        hops.push(Hop {
                            kind: HopKind::WebForm,
                            first,
                            events: c.events.clone(),
                            from: c.client,
                            to: c.server,
                            protocol: Some(Protocol::Http),
                            envelope: None,
                            header: Some(Header {
                                from: String::new(),
                                to: req.form_field("to"),
                                cc: String::new(),
                                received: Vec::new(),
                                message_id: String::new(),
                            }),
                            added: Vec::new(),
                            text: String::new(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    if hops.is_empty() {
        return None;
    }
    // Several mails may share a subject: follow the first one, by its Message-ID (a bounce
    // quotes it too).
    hops.sort_by_key(|h| h.first);
    let id = hops.iter().find_map(|h| {
        h.header
            .as_ref()
            .map(|hd| hd.message_id.clone())
            .filter(|m| !m.is_empty())
    });
    if let Some(id) = id {
        hops.retain(|h| {
            h.header
                .as_ref()
                .is_none_or(|hd| hd.message_id.is_empty() || hd.message_id == id)
        });
        // The webmail form that made it: the last one before the first submission.
        let first_submit = hops
            .iter()
            .find(|h| h.kind == HopKind::Submit)
            .map_or(EventId(usize::MAX), |h| h.first);
        let form = hops
            .iter()
            .rev()
            .find(|h| h.kind == HopKind::WebForm && h.first < first_submit)
            .map(|h| h.first);
        hops.retain(|h| h.kind != HopKind::WebForm || Some(h.first) == form);
    }
    // Tries that ended before the data (every recipient refused): the same envelope, from a
    // server the mail reached.
    for (c, Transaction { from, to: rcpt, .. }) in refused {
        let ours = hops.iter().any(|h| {
            h.to == c.client
                && h.envelope.as_ref().is_some_and(|e| {
                    e.from == from && e.to.iter().any(|(a, _)| rcpt.iter().any(|(b, _)| a == b))
                })
        });
        if ours {
            hops.push(Hop {
                kind: HopKind::Relay,
                first: c.events[0],
                events: c.events.clone(),
                from: c.client,
                to: c.server,
                protocol: Some(Protocol::Smtp),
                envelope: Some(Envelope { from, to: rcpt }),
                header: None,
                added: Vec::new(),
                text: String::new(),
            });
        }
    }
    hops.sort_by_key(|h| h.first);
    lookups_queues_and_stores(trace, subject, &mut hops);
    hops.sort_by_key(|h| (h.first, h.kind == HopKind::Queued));
    // Each Received line belongs to the hop that brought the mail to the server that wrote it
    // (`... by HOST ...`): what that server added on taking it.
    let mut all: Vec<String> = Vec::new();
    for h in hops.iter().filter(|h| h.kind != HopKind::Bounce) {
        for r in h.header.iter().flat_map(|hd| hd.received.iter()) {
            if !all.contains(r) {
                all.push(r.clone());
            }
        }
    }
    for h in &mut hops {
        if matches!(h.kind, HopKind::Submit | HopKind::Relay) && h.header.is_some() {
            let by = format!(" by {} ", trace.host_name(h.to));
            h.added = all.iter().filter(|r| r.contains(&by)).cloned().collect();
        }
        h.text = describe(trace, h);
    }
    Some(Journey {
        subject: subject.to_string(),
        hops,
    })
}

/// Whether an SMTP session is a mail program's submission (to port 587, RFC 6409).
fn is_submission(c: &Conn, trace: &Trace) -> bool {
    matches!(trace.get(c.events[0]).map(|e| &e.kind), Some(EventKind::Segment(s)) if s.to.port == 587)
}

/// Adds the DNS lookups a relaying server made before each relay, the queue entries the mail
/// had (by the id its Received line names), and its storing in a mailbox.
fn lookups_queues_and_stores(trace: &Trace, subject: &str, hops: &mut Vec<Hop>) {
    let carried: Vec<Hop> = hops.clone();
    // Where it went and to whom: only there can it be stored, or be spoken of.
    let reached: Vec<HostId> = carried.iter().flat_map(|h| [h.from, h.to]).collect();
    let addresses: Vec<String> = carried
        .iter()
        .filter_map(|h| h.envelope.as_ref())
        .flat_map(|e| std::iter::once(&e.from).chain(e.to.iter().map(|(a, _)| a)))
        .map(|a| a.trim_matches(['<', '>']).to_ascii_lowercase())
        .filter(|a| !a.is_empty())
        .collect();
    let users: Vec<&str> = addresses
        .iter()
        .filter_map(|a| a.split_once('@').map(|(u, _)| u))
        .collect();
    for (k, h) in carried.iter().enumerate() {
        if h.kind != HopKind::Relay && h.kind != HopKind::Bounce {
            continue;
        }
        // Lookups by the relaying server since the hop before that reached it or left it.
        let since = carried[..k]
            .iter()
            .rev()
            .find(|p| p.to == h.from || p.from == h.from)
            .map_or(EventId(0), |p| p.first);
        let domains: Vec<String> = h
            .envelope
            .iter()
            .flat_map(|e| e.to.iter())
            .filter_map(|(a, _)| {
                a.trim_matches(['<', '>'])
                    .rsplit_once('@')
                    .map(|(_, d)| d.to_ascii_lowercase())
            })
            .collect();
        let mut events = Vec::new();
        for e in trace.range(since, h.first) {
            if let EventKind::Datagram(d) = &e.kind
                && (d.from.host == h.from || d.to.host == h.from)
            {
                let s = crate::protocols::dns::summary(&d.payload).to_ascii_lowercase();
                if domains.iter().any(|dom| s.contains(dom.as_str())) {
                    events.push(e.id);
                }
            }
        }
        if let Some(&first) = events.first() {
            let dns = match trace.get(first).map(|e| &e.kind) {
                Some(EventKind::Datagram(d)) => d.to.host,
                _ => h.from,
            };
            hops.push(Hop {
                kind: HopKind::Lookup,
                first,
                events,
                from: h.from,
                to: dns,
                protocol: Some(Protocol::Dns),
                envelope: None,
                header: None,
                added: Vec::new(),
                text: String::new(),
            });
        }
    }
    // Queue ids from the Received lines servers added: `... by HOST (mailsim) with ESMTP id ID`.
    let ids: Vec<String> = carried
        .iter()
        .filter_map(|h| h.header.as_ref())
        .flat_map(|hd| hd.received.iter())
        .filter_map(|r| {
            let after = r.split(" id ").nth(1)?;
            Some(after.split([' ', ';']).next()?.to_string())
        })
        .collect();
    let mut queued: BTreeMap<(HostId, String), (EventId, Vec<EventId>)> = BTreeMap::new();
    let mut stored: std::collections::BTreeSet<(HostId, String)> = Default::default();
    for e in &trace.events {
        match &e.kind {
            // One entry per destination domain: `23F81.1`, `23F81.2`.
            EventKind::Queue { host, id, .. }
                if ids.contains(id)
                    || id
                        .split_once('.')
                        .is_some_and(|(base, _)| ids.iter().any(|i| i == base)) =>
            {
                queued
                    .entry((*host, id.clone()))
                    .or_insert((e.id, Vec::new()))
                    .1
                    .push(e.id);
            }
            EventKind::Mailbox {
                host,
                user,
                change:
                    MailboxChange::Stored {
                        uid, subject: s, ..
                    },
            } if s.eq_ignore_ascii_case(subject)
                && users.contains(&user.as_str())
                // The first such storing after the mail reached that server: another mail with
                // the same subject for the same user may be stored later.
                && carried.iter().any(|h| {
                    h.to == *host
                        && h.first < e.id
                        && h.envelope.as_ref().is_some_and(|en| {
                            en.to.iter().any(|(a, r)| {
                                r.starts_with('2')
                                    && a.trim_matches(['<', '>'])
                                        .split('@')
                                        .next()
                                        .is_some_and(|u| u.eq_ignore_ascii_case(user))
                            })
                        })
                })
                && stored.insert((*host, user.clone())) =>
            {
                hops.push(Hop::on_host(
                    HopKind::Stored,
                    vec![e.id],
                    *host,
                    format!("stored in {user}'s mailbox as uid {uid}"),
                ))
            }
            _ => {}
        }
    }
    // What hosts say about it: `writes a bounce (DSN) to ... about "SUBJECT"`, gives up, ...
    let quoted_subject = format!("\"{}\"", subject.to_ascii_lowercase());
    for e in &trace.events {
        let lower = |t: &str| t.to_ascii_lowercase();
        if let EventKind::Note { host, text } = &e.kind
            && reached.contains(host)
            && lower(text).contains(&quoted_subject)
            && addresses.iter().any(|a| lower(text).contains(a.as_str()))
        {
            hops.push(Hop::on_host(HopKind::Note, vec![e.id], *host, text.clone()));
        }
    }
    for ((host, id), (_, events)) in queued {
        hops.push(Hop::on_host(
            HopKind::Queued,
            events,
            host,
            format!("queued as {id}"),
        ));
    }
}

fn describe(trace: &Trace, h: &Hop) -> String {
    let name = |h: HostId| trace.hosts.get(h.index()).map_or("?", |x| x.name.as_str());
    match h.kind {
        HopKind::Submit => format!(
            "{} hands it to {} (SMTP submission)",
            name(h.from),
            name(h.to)
        ),
        HopKind::WebForm => format!(
            "{}'s browser sends the webmail form to {} (HTTP POST /send)",
            name(h.from),
            name(h.to)
        ),
        HopKind::Relay if h.header.is_none() => format!(
            "{} tries to relay it to {}, which refuses every recipient {} (SMTP)",
            name(h.from),
            name(h.to),
            if h.envelope
                .iter()
                .flat_map(|e| &e.to)
                .all(|(_, r)| r.starts_with('4'))
            {
                "for now: it will try again"
            } else {
                "for good"
            }
        ),
        HopKind::Relay => format!("{} relays it to {} (SMTP)", name(h.from), name(h.to)),
        HopKind::Lookup => format!(
            "{} asks {} where the recipient's domain takes mail (DNS MX)",
            name(h.from),
            name(h.to)
        ),
        HopKind::Queued | HopKind::Stored => format!("{} {}", name(h.from), h.text),
        HopKind::Fetch => format!(
            "{} fetches it from {} ({})",
            name(h.to),
            name(h.from),
            h.protocol.map_or("", |p| p.name())
        ),
        HopKind::Bounce => format!(
            "{} sends a bounce about it to {} (SMTP, MAIL FROM:<>)",
            name(h.from),
            name(h.to)
        ),
        HopKind::FetchBounce => format!(
            "{} fetches the bounce about it from {} ({})",
            name(h.to),
            name(h.from),
            h.protocol.map_or("", |p| p.name())
        ),
        HopKind::Note => h.text.clone(),
    }
}

/// The journey in the terminal: one line per hop, with the envelope, the header's From and To
/// and the Received: lines added at that hop.
pub fn write_text(
    trace: &Trace,
    j: &Journey,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "the journey of \"{}\": {} hops",
        j.subject,
        j.hops.len()
    )?;
    for (n, h) in j.hops.iter().enumerate() {
        let t = trace
            .get(h.first)
            .map_or_else(|| "forgotten".into(), |e| e.time.to_string());
        writeln!(out, "{:>2}. {t}  #{:<4} {}", n + 1, h.first, h.text)?;
        if let Some(e) = &h.envelope {
            let to: Vec<String> =
                e.to.iter()
                    .map(|(a, r)| {
                        if r.starts_with('2') {
                            a.clone()
                        } else {
                            format!("{a} (refused: {r})")
                        }
                    })
                    .collect();
            writeln!(
                out,
                "      envelope: MAIL FROM:{}  RCPT TO:{}",
                e.from,
                to.join(", ")
            )?;
        }
        if let Some(hd) = &h.header
            && (!hd.from.is_empty() || !hd.to.is_empty())
        {
            let cc = if hd.cc.is_empty() {
                String::new()
            } else {
                format!("  Cc: {}", hd.cc)
            };
            writeln!(out, "      header:   From: {}  To: {}{cc}", hd.from, hd.to)?;
        }
        for r in &h.added {
            writeln!(
                out,
                "      Received: {r}  (added by {})",
                trace.host_name(h.to)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
