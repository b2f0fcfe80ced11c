//! The byte streams under a journey: each TCP connection's bytes each way in sequence order,
//! the SMTP transactions in them (with the server's replies), and the header blocks of the mails
//! they carry.

use std::collections::BTreeMap;

use super::Header;
use crate::engine::ids::{ConnId, EventId, HostId};
use crate::engine::trace::{Direction, EventKind, Trace};
use crate::protocols::Protocol;

/// The bytes each way of every TCP connection, with the events that carried them, in order.
/// Lost segments carry nothing (their retransmission does), and a retransmission's bytes count once.
pub(super) struct Conn {
    pub(super) client: HostId,
    pub(super) server: HostId,
    pub(super) protocol: Protocol,
    pub(super) events: Vec<EventId>,
    pub(super) up: Vec<u8>,
    pub(super) down: Vec<u8>,
}

pub(super) fn connections(trace: &Trace) -> BTreeMap<ConnId, Conn> {
    let mut conns: BTreeMap<ConnId, Conn> = BTreeMap::new();
    // Each direction's pieces by sequence number (counted from that side's SYN, so that a
    // retransmission sent after later data still goes in its place), each once.
    type Pieces = BTreeMap<u32, Vec<u8>>;
    let mut pieces: BTreeMap<(ConnId, bool), (Option<u32>, Pieces)> = BTreeMap::new();
    for e in &trace.events {
        let EventKind::Segment(s) = &e.kind else {
            continue;
        };
        let (client, server) = match s.direction {
            Direction::ClientToServer => (s.from.host, s.to.host),
            Direction::ServerToClient => (s.to.host, s.from.host),
        };
        let c = conns.entry(s.conn).or_insert_with(|| Conn {
            client,
            server,
            protocol: Protocol::Tcp,
            events: Vec::new(),
            up: Vec::new(),
            down: Vec::new(),
        });
        c.events.push(e.id);
        let up = s.direction == Direction::ClientToServer;
        let side = pieces.entry((s.conn, up)).or_default();
        if s.flags.has(crate::engine::trace::TcpFlags::SYN) && side.0.is_none() {
            side.0 = Some(s.seq);
        }
        if s.payload.is_empty() || s.lost {
            continue;
        }
        c.protocol = s.protocol;
        let base = *side.0.get_or_insert(s.seq.wrapping_sub(1));
        side.1
            .entry(s.seq.wrapping_sub(base))
            .or_insert_with(|| s.payload.clone());
    }
    for ((conn, up), (_, p)) in pieces {
        if let Some(c) = conns.get_mut(&conn) {
            let bytes: Vec<u8> = p.into_values().flatten().collect();
            if up {
                c.up = bytes;
            } else {
                c.down = bytes;
            }
        }
    }
    conns
}

/// Header fields of a header block, unfolded: (lower-case name, value).
pub(super) fn fields(block: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(block);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    out
}

pub(super) fn header_of(block: &[u8]) -> Header {
    let f = fields(block);
    let get = |n: &str| {
        f.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Header {
        from: get("from"),
        to: get("to"),
        cc: get("cc"),
        message_id: get("message-id"),
        received: f
            .iter()
            .filter(|(k, _)| k == "received")
            .map(|(_, v)| v.clone())
            .collect(),
    }
}

/// Every header block in `bytes` whose Subject is `subject` (case-insensitive): (its offset,
/// the block). A block is found by its Subject line, back to the first line that is not a
/// header field and on to the empty line that ends it; so the original's header quoted in a
/// bounce is found too.
pub(super) fn blocks_with<'a>(bytes: &'a [u8], subject: &str) -> Vec<(usize, &'a [u8])> {
    let mut out = Vec::new();
    let mut line_start = 0;
    let is_field = |line: &[u8]| {
        line.starts_with(b" ")
            || line.starts_with(b"\t")
            || line
                .iter()
                .position(|&b| b == b':')
                .is_some_and(|c| c > 0 && line[..c].iter().all(|b| b.is_ascii_graphic()))
    };
    while line_start < bytes.len() {
        let end = bytes[line_start..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(bytes.len(), |p| line_start + p);
        let line = &bytes[line_start..end];
        if line.len() >= 8 && line[..8].eq_ignore_ascii_case(b"subject:") {
            // Back to the block's first line.
            let mut start = line_start;
            while start >= 2 {
                let prev_end = start - 2;
                let prev_start = bytes[..prev_end]
                    .windows(2)
                    .rposition(|w| w == b"\r\n")
                    .map_or(0, |p| p + 2);
                if !is_field(&bytes[prev_start..prev_end]) {
                    break;
                }
                start = prev_start;
            }
            let stop = bytes[line_start..]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(bytes.len(), |p| line_start + p + 2);
            let block = &bytes[start..stop];
            if crate::mail::subject_of(block).eq_ignore_ascii_case(subject) {
                out.push((start, block));
            }
        }
        line_start = end + 2;
    }
    out
}

/// An SMTP transaction as the client sent it: MAIL FROM, each RCPT TO with the server's reply,
/// and the data (empty when it ended before DATA).
pub(super) struct Transaction {
    pub(super) from: String,
    pub(super) to: Vec<(String, String)>,
    pub(super) data: Vec<u8>,
    /// The server's reply to the end of the data (`250 2.0.0 Ok: queued as 23F81`).
    pub(super) reply: String,
}

/// Whether the block at `start` is quoted inside another message (the original's header in a
/// bounce follows its MIME part's header and an empty line).
pub(super) fn quoted(bytes: &[u8], start: usize) -> bool {
    start >= 4 && &bytes[start - 4..start] == b"\r\n\r\n"
}

/// The SMTP transactions of a client stream, with the server's replies.
pub(super) fn transactions(up: &[u8], down: &[u8]) -> Vec<Transaction> {
    // Replies, one per complete (last) line; the first is the greeting.
    let text = String::from_utf8_lossy(down);
    let replies: Vec<&str> = text
        .split("\r\n")
        .filter(|l| l.len() >= 3 && l.as_bytes().get(3) != Some(&b'-'))
        .collect();
    let mut out = Vec::new();
    let mut reply = 1;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut at = 0;
    while at < up.len() {
        let end = up[at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(up.len(), |p| at + p);
        let line = String::from_utf8_lossy(&up[at..end]).to_string();
        let upper = line.to_ascii_uppercase();
        let said = replies.get(reply).map_or(String::new(), |r| r.to_string());
        let ok3 = replies.get(reply).is_some_and(|r| r.starts_with('3'));
        reply += 1;
        at = end + 2;
        // The path without parameters: `<alice@a.example> SIZE=487` → `<alice@a.example>`.
        let path = |rest: &str| {
            let p = line[line.len() - rest.len()..].trim();
            p.split_once('>')
                .map_or(p.to_string(), |(a, _)| format!("{a}>"))
        };
        if let Some(rest) = upper.strip_prefix("MAIL FROM:") {
            from = path(rest);
            to.clear();
        } else if let Some(rest) = upper.strip_prefix("RCPT TO:") {
            to.push((path(rest), said));
        } else if upper == "QUIT" || upper == "RSET" {
            // A transaction that ended before its data: every recipient refused, say.
            if !from.is_empty() && !to.is_empty() {
                out.push(Transaction {
                    from: from.clone(),
                    to: to.clone(),
                    data: Vec::new(),
                    reply: String::new(),
                });
            }
            from.clear();
            to.clear();
        } else if upper == "DATA" && ok3 {
            let stop = up[at..]
                .windows(5)
                .position(|w| w == b"\r\n.\r\n")
                .map_or(up.len(), |p| at + p + 2);
            let data = unstuff(&up[at..stop]);
            out.push(Transaction {
                from: from.clone(),
                to: to.clone(),
                data,
                reply: replies.get(reply).map_or(String::new(), |r| r.to_string()),
            });
            from.clear();
            to.clear();
            at = (stop + 3).min(up.len());
            // The end of data gets a reply of its own.
            reply += 1;
        }
    }
    out
}

/// DATA as sent, without the dot-stuffing (RFC 5321 §4.5.2: a line's leading dot is doubled).
pub(super) fn unstuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut line_start = true;
    for (i, &b) in data.iter().enumerate() {
        if !(line_start && b == b'.' && data.get(i + 1) == Some(&b'.')) {
            out.push(b);
        }
        line_start = b == b'\n';
    }
    out
}
