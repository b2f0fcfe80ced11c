//! What the inspector shows of a message: decoded fields, a hex dump, the RFC 5322 header and body.

use crate::engine::trace::{Direction, EventKind, Trace, TraceEvent};
use crate::protocols::{Protocol, dns};

/// One row of a hex dump: offset, hex bytes, printable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexRow {
    /// Offset of the first byte.
    pub offset: usize,
    /// `48 45 4c 4f ...`, the row's bytes, with a gap after each 8.
    pub hex: String,
    /// The same bytes as text, `.` for unprintable ones.
    pub text: String,
}

/// The bytes as Wireshark's bytes pane shows them, 16 to a row (or `per_row`: 8 or 4 for a
/// narrow inspector), with a gap after each 8.
pub fn hex_rows(bytes: &[u8], per_row: usize) -> Vec<HexRow> {
    bytes
        .chunks(per_row.max(1))
        .enumerate()
        .map(|(i, chunk)| {
            let mut hex = String::with_capacity(3 * per_row + per_row / 8);
            for (j, b) in chunk.iter().enumerate() {
                if j > 0 && j % 8 == 0 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x} "));
            }
            let text = chunk
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            HexRow {
                offset: i * per_row.max(1),
                hex: hex.trim_end().to_string(),
                text,
            }
        })
        .collect()
}

/// Whether `bytes` read as text: UTF-8 with no control bytes but CR, LF and TAB. Binary
/// payloads (a DNS message) are shown only as a hex dump.
pub fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| {
        s.bytes()
            .all(|b| b >= 0x20 && b != 0x7f || matches!(b, b'\r' | b'\n' | b'\t'))
    })
}

/// The bytes as text with CR and LF made visible (`␍␊`), one line per line.
pub fn visible_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.split_inclusive('\n')
        .map(|l| l.replace('\r', "␍").replace('\n', "␊"))
        .collect()
}

/// A message's header block and body, if `bytes` carry an RFC 5322 message (a DATA payload or a
/// RETR response), after any status line and before the terminating dot.
pub fn split_message(bytes: &[u8]) -> Option<(String, String)> {
    let text = String::from_utf8_lossy(bytes);
    let mut t: &str = &text;
    if t.starts_with("+OK") {
        t = t.split_once("\r\n")?.1;
    }
    let (head, body) = t.split_once("\r\n\r\n")?;
    // A header block is lines of `Name: value` and their folded continuations.
    let looks_like_header = head.lines().next().is_some_and(|l| {
        l.split_once(':').is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    });
    if !looks_like_header {
        return None;
    }
    let body = body.strip_suffix(".\r\n").unwrap_or(body);
    Some((head.to_string(), body.to_string()))
}

/// The SMTP envelope a message travels in: the MAIL FROM and RCPT TO the client sent earlier on
/// the same connection (what servers route by, unlike the From:/To: headers people read —
/// RFC 5321 §2.3.1, §3.3). `None` for anything but an SMTP DATA payload.
pub fn envelope_of(trace: &Trace, ev: &TraceEvent) -> Option<(String, Vec<String>)> {
    let EventKind::Segment(seg) = &ev.kind else {
        return None;
    };
    if seg.protocol != Protocol::Smtp
        || seg.direction != Direction::ClientToServer
        || split_message(&seg.payload).is_none()
    {
        return None;
    }
    let mut from = None;
    let mut rcpts = Vec::new();
    for e in trace.before(ev.id).iter().rev() {
        let EventKind::Segment(s) = &e.kind else {
            continue;
        };
        if s.conn != seg.conn || s.direction != Direction::ClientToServer {
            continue;
        }
        let text = String::from_utf8_lossy(&s.payload);
        for line in text.lines() {
            let up = line.to_ascii_uppercase();
            if up.starts_with("RCPT TO:") {
                rcpts.insert(0, line[8..].trim().to_string());
            } else if up.starts_with("MAIL FROM:") {
                from = Some(
                    line[10..]
                        .split(' ')
                        .find(|p| !p.is_empty())
                        .unwrap_or("")
                        .to_string(),
                );
            }
        }
        if from.is_some() {
            break;
        }
    }
    Some((from?, rcpts))
}

fn reply_class(code: &str) -> &'static str {
    match code.as_bytes().first() {
        Some(b'2') => "2xx: success",
        Some(b'3') => "3xx: go on, send more",
        Some(b'4') => "4xx: temporary failure, try again later",
        Some(b'5') => "5xx: permanent failure, do not retry",
        _ => "not a reply code",
    }
}

/// The message's fields, decoded: (name, value) pairs.
pub fn fields(ev: &TraceEvent) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| out.push((k.to_string(), v));
    match &ev.kind {
        EventKind::Segment(s) => {
            push("TCP flags", s.flags.names());
            if s.attempt > 0 {
                push("sending", format!("retransmission {}", s.attempt));
            }
            if s.lost {
                push("delivery", "lost on the way".to_string());
            }
            push("sequence number", s.seq.to_string());
            push("acknowledgment", s.ack.to_string());
            push(
                "payload",
                if s.elided > 0 {
                    format!(
                        "{} bytes, of which the first {} are kept (a long live run keeps a bounded trace)",
                        s.wire_len(),
                        s.payload.len()
                    )
                } else {
                    format!("{} bytes", s.payload.len())
                },
            );
            let first = String::from_utf8_lossy(
                s.payload.split(|&b| b == b'\n').next().unwrap_or_default(),
            )
            .trim_end()
            .to_string();
            match (s.protocol, s.direction) {
                (Protocol::Smtp, Direction::ServerToClient) if first.len() >= 3 => {
                    let code = &first[..3];
                    push("reply code", code.to_string());
                    push("meaning of the first digit", reply_class(code).to_string());
                    let rest = first.get(4..).unwrap_or("");
                    if let Some(enh) = rest.split(' ').next().filter(|e| {
                        e.split('.').count() == 3
                            && e.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    }) {
                        push("enhanced status code (RFC 3463)", enh.to_string());
                    }
                    push(
                        "lines",
                        s.payload
                            .split(|&b| b == b'\n')
                            .filter(|l| !l.is_empty())
                            .count()
                            .to_string(),
                    );
                }
                (Protocol::Smtp | Protocol::Pop3, Direction::ClientToServer)
                    if split_message(&s.payload).is_none() =>
                {
                    // A line of a message sent bit by bit (a student typing after DATA) is not
                    // a command: only a verb of the protocols is called one.
                    if crate::protocols::known_verb(&s.payload).is_empty() {
                        push("line", first.clone());
                    } else {
                        let (verb, arg) = first.split_once(' ').unwrap_or((&first, ""));
                        push("command", verb.to_ascii_uppercase());
                        if !arg.is_empty() {
                            push("argument", arg.to_string());
                        }
                    }
                }
                (Protocol::Pop3, Direction::ServerToClient) => {
                    let (status, text) = first.split_once(' ').unwrap_or((&first, ""));
                    push(
                        "status",
                        format!(
                            "{status} ({})",
                            if status == "+OK" {
                                "success"
                            } else {
                                "failure"
                            }
                        ),
                    );
                    push("text", text.to_string());
                }
                _ => {}
            }
        }
        EventKind::Datagram(d) => {
            if d.attempt > 0 {
                push("sending", format!("the resolver's retry {}", d.attempt));
            }
            if d.lost {
                push("delivery", "lost on the way".to_string());
            }
            push("payload", format!("{} bytes", d.payload.len()));
            if d.payload.len() >= 4 {
                push(
                    "query id",
                    format!("0x{:02x}{:02x}", d.payload[0], d.payload[1]),
                );
                push(
                    "kind",
                    if d.payload[2] & 0x80 == 0 {
                        "query".into()
                    } else {
                        "response".into()
                    },
                );
            }
            push("reading", dns::summary(&d.payload));
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_or_binary() {
        assert!(is_text(b"MAIL FROM:<a@b>\r\n"));
        assert!(is_text("Subject: caf\u{e9}\r\n\tfolded\r\n".as_bytes()));
        // A DNS query: id, flags, counts, labels with length bytes.
        assert!(!is_text(
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x01b\x07example\x00"
        ));
        assert!(!is_text(b"\xff\xfe"));
    }

    #[test]
    fn hex_dump_rows() {
        let rows = hex_rows(b"EHLO a.example\r\nQUIT", 16);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].hex,
            "45 48 4c 4f 20 61 2e 65  78 61 6d 70 6c 65 0d 0a"
        );
        assert_eq!(rows[0].text, "EHLO a.example..");
        assert_eq!(rows[1].offset, 16);
        // Eight to a row, for a narrow inspector: no gap inside a row.
        let rows = hex_rows(b"EHLO a.example\r\nQUIT", 8);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].hex, "78 61 6d 70 6c 65 0d 0a");
        assert_eq!(rows[1].text, "xample..");
        assert_eq!((rows[1].offset, rows[2].offset), (8, 16));
        assert_eq!(rows[2].hex, "51 55 49 54");
        let rows = hex_rows(b"EHLO a.example\r\nQUIT", 4);
        assert_eq!(rows.len(), 5);
        assert_eq!((rows[3].offset, rows[3].hex.as_str()), (12, "6c 65 0d 0a"));
    }

    #[test]
    fn the_envelope_of_a_data_payload() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let mut sim = crate::Sim::new(&s, None);
        sim.run_to_end();
        let t = sim.trace();
        let data: Vec<&TraceEvent> = t
            .events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::Segment(s) if s.payload.starts_with(b"From:") || s.payload.starts_with(b"Received:")))
            .collect();
        assert_eq!(data.len(), 2, "submission and relay");
        for e in data {
            let (from, rcpts) = envelope_of(t, e).unwrap();
            assert_eq!(from, "<alice@a.example>");
            assert_eq!(rcpts, vec!["<bob@b.example>".to_string()]);
        }
        let quit = t
            .events
            .iter()
            .find(|e| matches!(&e.kind, EventKind::Segment(s) if s.payload.starts_with(b"QUIT")))
            .unwrap();
        assert_eq!(envelope_of(t, quit), None);
    }

    #[test]
    fn message_split_and_visible_lines() {
        let (h, b) = split_message(b"+OK 20 octets\r\nSubject: hi\r\n\r\nbody\r\n.\r\n").unwrap();
        assert_eq!((h.as_str(), b.as_str()), ("Subject: hi", "body\r\n"));
        assert!(split_message(b"250-a\r\n250 b\r\n").is_none());
        assert_eq!(visible_lines(b"a\r\nb"), vec!["a␍␊", "b"]);
    }
}

#[cfg(test)]
mod typed {
    use super::*;
    use crate::engine::trace::EventKind;

    /// A student typing a message line by line after DATA: the lines are not commands, the
    /// verbs before them are.
    #[test]
    fn a_message_line_sent_alone_is_not_called_a_command() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let (mut c, _) = crate::console::Console::open(&s, None, "mx.b.example", 25).unwrap();
        for line in [
            "EHLO me",
            "MAIL FROM:<me@you.example>",
            "RCPT TO:<bob@b.example>",
        ] {
            c.send(line);
        }
        c.send("DATA");
        c.send("Subject: typed");
        let t = c.sim().trace();
        let sent = |text: &[u8]| {
            t.events
                .iter()
                .rev()
                .find(|e| matches!(&e.kind, EventKind::Segment(s) if s.payload.starts_with(text)))
                .unwrap()
        };
        let f = fields(sent(b"Subject: typed"));
        assert!(f.iter().all(|(k, _)| k != "command"), "{f:?}");
        assert!(
            f.contains(&("line".into(), "Subject: typed".into())),
            "{f:?}"
        );
        let f = fields(sent(b"RCPT TO"));
        assert!(f.contains(&("command".into(), "RCPT".into())), "{f:?}");
    }
}
