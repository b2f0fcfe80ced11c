//! Transcripts of a run: human-readable text and JSON lines.
//!
//! Text: one line per event, starting with the time; a segment line reads
//! `0.021s  alice-pc.a.example:49152 → smtp.a.example:587  SMTP  C: MAIL FROM:<alice@a.example>`
//! followed by `— note [RFC]`. Further lines of a multi-line payload follow, indented with `│`,
//! unless `brief`. JSON: one object per event and per expectation; fields in `docs/cli.md`.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::check::Checked;
use crate::engine::trace::{
    Direction, Endpoint, EventKind, ListChange, MailboxChange, Trace, TraceEvent,
};
use crate::protocols::dns;

/// `host:port`, as transcripts and the window write an endpoint.
pub fn endpoint(t: &Trace, e: Endpoint) -> String {
    format!("{}:{}", t.host_name(e.host), e.port)
}

/// A payload's lines, split at CRLF (a stray CR or LF shown as ␊).
pub fn lines_of(payload: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(payload);
    let mut v: Vec<String> = text
        .split("\r\n")
        .map(|l| l.replace(['\r', '\n'], "␊"))
        .collect();
    if v.last().is_some_and(String::is_empty) {
        v.pop();
    }
    v
}

/// IMAP flags as a list shows them: `no flags` for none (a new, unread message).
fn or_none(flags: &str) -> &str {
    if flags.is_empty() { "no flags" } else { flags }
}

/// `LOST `, `RETRANSMITTED ` or `RETRANSMITTED, LOST `: what a lossy link did to a segment or
/// datagram.
fn loss_tag(attempt: u8, lost: bool) -> &'static str {
    match (attempt > 0, lost) {
        (false, false) => "",
        (false, true) => "LOST ",
        (true, false) => "RETRANSMITTED ",
        (true, true) => "RETRANSMITTED, LOST ",
    }
}

/// The one-line summary of an event, without its time: what a list or a packet label shows.
pub fn summary(_trace: &Trace, ev: &TraceEvent) -> String {
    match &ev.kind {
        EventKind::Step {
            number,
            total,
            text,
            ..
        } => format!("Step {number} of {total}: {text}"),
        EventKind::Segment(s) if s.payload.is_empty() => {
            format!(
                "{}[{}] seq={} ack={}",
                loss_tag(s.attempt, s.lost),
                s.flags.names(),
                s.seq,
                s.ack
            )
        }
        EventKind::Segment(s) if s.explain == crate::protocols::CONTINUED => {
            // Its first line is the middle of one: say what it is instead.
            let lines = lines_of(&s.payload).len();
            format!(
                "{}{}: …the rest, TCP cut it at {} bytes  ({lines} line{}, {} bytes)",
                loss_tag(s.attempt, s.lost),
                s.direction.letter(),
                crate::net::MSS,
                if lines == 1 { "" } else { "s" },
                s.wire_len()
            )
        }
        EventKind::Segment(s) => {
            let lines = lines_of(&s.payload);
            let first = lines.first().cloned().unwrap_or_default();
            let more = if s.elided > 0 {
                format!("  ({} bytes, {} not kept)", s.wire_len(), s.elided)
            } else if lines.len() > 1 {
                format!("  (+{} lines, {} bytes)", lines.len() - 1, s.payload.len())
            } else {
                String::new()
            };
            format!(
                "{}{}: {first}{more}",
                loss_tag(s.attempt, s.lost),
                s.direction.letter()
            )
        }
        EventKind::Datagram(d) => format!(
            "{}{}",
            loss_tag(d.attempt, d.lost),
            dns::summary(&d.payload)
        ),
        EventKind::Mailbox {
            user,
            change: MailboxChange::Stored { uid, subject, size },
            ..
        } => {
            format!("stored in {user}'s mailbox: uid {uid} \"{subject}\" ({size} bytes)")
        }
        EventKind::Mailbox {
            user,
            change: MailboxChange::Deleted { uid, subject },
            ..
        } => {
            format!("deleted from {user}'s mailbox: uid {uid} \"{subject}\"")
        }
        EventKind::Queue { text, .. } => text.clone(),
        EventKind::Mailbox {
            user,
            change:
                MailboxChange::Flags {
                    uid,
                    subject,
                    flags,
                },
            ..
        } => {
            format!("flags in {user}'s mailbox: uid {uid} \"{subject}\" now ({flags})")
        }
        EventKind::Downloaded { subject, .. } => {
            format!("mail program: downloaded \"{subject}\" into the inbox")
        }
        EventKind::Listed {
            uid,
            subject,
            change,
            ..
        } => match change {
            ListChange::Listed { flags } => {
                format!(
                    "mail program lists uid {uid} \"{subject}\" ({})",
                    or_none(flags)
                )
            }
            ListChange::Flags { flags } => {
                format!(
                    "mail program shows uid {uid} \"{subject}\" as ({})",
                    or_none(flags)
                )
            }
            ListChange::Removed => {
                format!("mail program no longer lists uid {uid} \"{subject}\"")
            }
        },
        EventKind::Page {
            url, status, html, ..
        } => {
            let title = crate::protocols::http::html::render(html).title;
            format!("browser shows {url} ({status}): \"{title}\"")
        }
        EventKind::Note { text, .. } => text.clone(),
    }
}

/// Writes one event as a line of the text transcript (with its payload's further lines unless
/// `brief`): its time, its id (`#41`, what `screenshot --event` and the window's event list
/// call it), then what happened.
pub fn write_event(
    out: &mut impl Write,
    trace: &Trace,
    ev: &TraceEvent,
    brief: bool,
) -> io::Result<()> {
    let time = format!("{:>8} {:<5}", ev.time.to_string(), format!("#{}", ev.id));
    match &ev.kind {
        EventKind::Step { .. } => {
            // A narration's further paragraphs indented under its first.
            let text = summary(trace, ev)
                .lines()
                .map(|l| {
                    if l.is_empty() {
                        String::new()
                    } else {
                        format!("{:>16}{l}", "")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            let text = text.trim_start();
            writeln!(out, "\n{time}  ── {text} ──")?
        }
        EventKind::Segment(s) => {
            let proto = s.protocol.name();
            writeln!(
                out,
                "{time}  {} → {}  {proto:<4}  {}  — {} [{}]",
                endpoint(trace, s.from),
                endpoint(trace, s.to),
                summary(trace, ev),
                s.explain.note,
                s.explain.rfc
            )?;
            if !brief {
                for line in lines_of(&s.payload).iter().skip(1) {
                    writeln!(out, "{:>14}  │ {line}", "")?;
                }
            }
        }
        EventKind::Datagram(d) => writeln!(
            out,
            "{time}  {} → {}  DNS   {}  — {} [{}]",
            endpoint(trace, d.from),
            endpoint(trace, d.to),
            summary(trace, ev),
            d.explain.note,
            d.explain.rfc
        )?,
        EventKind::Mailbox { host, .. }
        | EventKind::Queue { host, .. }
        | EventKind::Downloaded { host, .. }
        | EventKind::Listed { host, .. }
        | EventKind::Page { host, .. }
        | EventKind::Note { host, .. } => {
            let tag = match ev.kind {
                EventKind::Mailbox { .. } => "MAILBOX",
                EventKind::Queue { .. } => "QUEUE",
                EventKind::Downloaded { .. } | EventKind::Listed { .. } => "INBOX",
                EventKind::Page { .. } => "PAGE",
                _ => "*",
            };
            writeln!(
                out,
                "{time}  {}  {tag}  {}",
                trace.host_name(*host),
                summary(trace, ev)
            )?
        }
    }
    Ok(())
}

/// Whether an event is a TCP control segment: a handshake, an acknowledgment, a FIN or a
/// reset, carrying no bytes of a protocol above TCP (`run --no-tcp` leaves them out).
pub fn is_tcp_control(ev: &TraceEvent) -> bool {
    matches!(&ev.kind, EventKind::Segment(s) if s.wire_len() == 0)
}

/// What a transcript leaves out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Omit {
    /// The further lines of multi-line payloads (`--brief`; text only).
    pub further_lines: bool,
    /// TCP control segments (`--no-tcp`).
    pub tcp: bool,
}

/// Writes the text transcript of `trace` and then the expectations.
pub fn write_text(
    out: &mut impl Write,
    trace: &Trace,
    checked: &[Checked],
    omit: Omit,
) -> io::Result<()> {
    for ev in &trace.events {
        if omit.tcp && is_tcp_control(ev) {
            continue;
        }
        write_event(out, trace, ev, omit.further_lines)?;
    }
    write_expectations(out, checked)
}

/// Writes `Expectations:` and each one with ✓ or ✗ (and what was found), if there are any.
pub fn write_expectations(out: &mut impl Write, checked: &[Checked]) -> io::Result<()> {
    if !checked.is_empty() {
        writeln!(out, "\nExpectations:")?;
        for c in checked {
            let mark = if c.ok { "✓" } else { "✗" };
            write!(out, "  {mark} {}", c.text)?;
            if c.ok {
                writeln!(out)?;
            } else {
                writeln!(out, "  (found {})", c.found)?;
            }
        }
    }
    Ok(())
}

/// An event in one line with what it means: `#37: S: 550 5.1.1 … — no such user here [RFC …]`
/// (the note and RFC for packets), for a question's answer and a comparison.
pub fn with_note(t: &Trace, ev: &TraceEvent) -> String {
    let note = match &ev.kind {
        EventKind::Segment(s) => format!(" — {} [{}]", s.explain.note, s.explain.rfc),
        EventKind::Datagram(d) => format!(" — {} [{}]", d.explain.note, d.explain.rfc),
        _ => String::new(),
    };
    format!("#{}: {}{note}", ev.id, summary(t, ev))
}

fn endpoint_json(t: &Trace, e: Endpoint) -> Value {
    json!({ "host": t.host_name(e.host), "ip": t.hosts[e.host].ip.to_string(), "port": e.port })
}

fn direction_json(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "client→server",
        Direction::ServerToClient => "server→client",
    }
}

/// One event as a JSON object.
pub fn event_json(t: &Trace, ev: &TraceEvent) -> Value {
    let base = json!({ "id": ev.id, "time_us": ev.time.as_micros(), "time": ev.time.to_string(), "summary": summary(t, ev) });
    let extra = match &ev.kind {
        EventKind::Step {
            index,
            number,
            total,
            text,
        } => {
            json!({ "type": "step", "step": number, "steps": total, "index": index, "narration": text })
        }
        EventKind::Segment(s) => json!({
            "type": "segment", "conn": s.conn, "from": endpoint_json(t, s.from), "to": endpoint_json(t, s.to),
            "protocol": s.protocol.name(), "direction": direction_json(s.direction), "flags": s.flags.names(),
            "seq": s.seq, "ack": s.ack, "len": s.wire_len(), "elided": s.elided, "text": String::from_utf8_lossy(&s.payload),
            "arrive_us": s.arrive.as_micros(), "note": s.explain.note, "rfc": s.explain.rfc,
            "state_before": s.state_before, "state_after": s.state_after,
            "lost": s.lost, "attempt": s.attempt,
        }),
        EventKind::Datagram(d) => json!({
            "type": "datagram", "from": endpoint_json(t, d.from), "to": endpoint_json(t, d.to),
            "protocol": d.protocol.name(), "direction": direction_json(d.direction), "len": d.payload.len(),
            "hex": d.payload.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "arrive_us": d.arrive.as_micros(), "note": d.explain.note, "rfc": d.explain.rfc,
            "lost": d.lost, "attempt": d.attempt,
        }),
        EventKind::Mailbox { host, user, change } => {
            let (kind, uid, subject, flags) = match change {
                MailboxChange::Stored { uid, subject, .. } => ("stored", uid, subject, None),
                MailboxChange::Deleted { uid, subject } => ("deleted", uid, subject, None),
                MailboxChange::Flags {
                    uid,
                    subject,
                    flags,
                } => ("flags", uid, subject, Some(flags)),
            };
            json!({ "type": "mailbox", "host": t.host_name(*host), "user": user, "change": kind, "uid": uid, "subject": subject, "flags": flags })
        }
        EventKind::Queue {
            host,
            id,
            added,
            text,
        } => {
            json!({ "type": "queue", "host": t.host_name(*host), "queue_id": id, "change": if *added { "added" } else { "removed" }, "text": text })
        }
        EventKind::Downloaded { host, uid, subject } => {
            json!({ "type": "downloaded", "host": t.host_name(*host), "uid": uid, "subject": subject })
        }
        EventKind::Listed {
            host,
            uid,
            subject,
            change,
        } => {
            let (kind, flags) = match change {
                ListChange::Listed { flags } => ("listed", Some(flags)),
                ListChange::Flags { flags } => ("flags", Some(flags)),
                ListChange::Removed => ("removed", None),
            };
            json!({ "type": "listed", "host": t.host_name(*host), "uid": uid, "subject": subject, "change": kind, "flags": flags })
        }
        EventKind::Page {
            host,
            url,
            status,
            html,
        } => {
            json!({ "type": "page", "host": t.host_name(*host), "url": url, "status": status, "html": html })
        }
        EventKind::Note { host, text } => {
            json!({ "type": "note", "host": t.host_name(*host), "text": text })
        }
    };
    let mut obj = base;
    if let (Some(o), Value::Object(e)) = (obj.as_object_mut(), extra) {
        o.extend(e);
    }
    obj
}

/// Writes one JSON object per line: every event (but TCP control segments with `omit.tcp`), then
/// every expectation.
pub fn write_json(
    out: &mut impl Write,
    trace: &Trace,
    checked: &[Checked],
    omit: Omit,
) -> io::Result<()> {
    for ev in &trace.events {
        if omit.tcp && is_tcp_control(ev) {
            continue;
        }
        writeln!(out, "{}", event_json(trace, ev))?;
    }
    for c in checked {
        writeln!(
            out,
            "{}",
            json!({ "type": "expectation", "text": c.text, "ok": c.ok, "found": c.found, "line": c.line })
        )?;
    }
    Ok(())
}

/// A stable hash of everything in the trace (bytes, times, notes): equal for equal runs.
pub fn trace_hash(trace: &Trace) -> u64 {
    let mut buf = Vec::new();
    for ev in &trace.events {
        buf.extend_from_slice(event_json(trace, ev).to_string().as_bytes());
        buf.push(b'\n');
    }
    crate::engine::rng::stable_hash(&buf)
}
