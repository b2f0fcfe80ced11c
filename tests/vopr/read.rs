//! Reading a run's trace as an outside observer would, without the simulator's own parsers:
//! TCP streams put back together from the segments that arrived, SMTP dialogues paired command by
//! reply, and bounces (RFC 3464 delivery status notifications) read from their bytes.

use std::collections::BTreeMap;

use mailsim::{EventKind, SimTime, Trace};

/// One direction of a TCP connection as the receiving program got it: the bytes in order, and
/// for each byte the moment it could be read (every byte before it had arrived too).
#[derive(Default)]
pub struct Stream {
    pub bytes: Vec<u8>,
    pub ready: Vec<SimTime>,
}

impl Stream {
    /// The lines (CRLF removed) with the moment each was whole.
    pub fn lines(&self) -> Vec<(String, SimTime)> {
        let mut out = Vec::new();
        let mut start = 0;
        for i in 0..self.bytes.len() {
            if self.bytes[i] == b'\n' {
                let mut end = i;
                if end > start && self.bytes[end - 1] == b'\r' {
                    end -= 1;
                }
                out.push((
                    String::from_utf8_lossy(&self.bytes[start..end]).into_owned(),
                    self.ready[i],
                ));
                start = i + 1;
            }
        }
        out
    }
}

/// A TCP connection: the client's and server's hosts and server port, and both streams.
pub struct Conn {
    pub client: mailsim::HostId,
    pub server: mailsim::HostId,
    pub port: u16,
    pub up: Stream,
    pub down: Stream,
}

/// A direction's payloads that arrived, by sequence number relative to the first: (bytes, when).
type Pieces = BTreeMap<u32, (Vec<u8>, SimTime)>;

/// Every connection of the run, by its id, reassembled from the segments that were not lost,
/// by sequence number (a retransmission that arrived twice counts once).
pub fn connections(t: &Trace) -> BTreeMap<mailsim::ConnId, Conn> {
    // (conn, client-to-server) → (first seq sent, seq relative to it → (payload, arrival))
    let mut parts: BTreeMap<(mailsim::ConnId, bool), (u32, Pieces)> = BTreeMap::new();
    let mut ends: BTreeMap<mailsim::ConnId, (mailsim::HostId, mailsim::HostId, u16)> =
        BTreeMap::new();
    for e in &t.events {
        let EventKind::Segment(s) = &e.kind else {
            continue;
        };
        let up = s.direction == mailsim::Direction::ClientToServer;
        let (client, server) = if up { (s.from, s.to) } else { (s.to, s.from) };
        ends.entry(s.conn)
            .or_insert((client.host, server.host, server.port));
        if s.payload.is_empty() {
            continue;
        }
        let (base, map) = parts
            .entry((s.conn, up))
            .or_insert_with(|| (s.seq, BTreeMap::new()));
        if s.lost {
            continue;
        }
        let rel = s.seq.wrapping_sub(*base);
        let slot = map.entry(rel).or_insert((s.payload.clone(), s.arrive));
        if s.arrive < slot.1 {
            slot.1 = s.arrive;
        }
    }
    let mut out: BTreeMap<mailsim::ConnId, Conn> = ends
        .into_iter()
        .map(|(c, (client, server, port))| {
            (
                c,
                Conn {
                    client,
                    server,
                    port,
                    up: Stream::default(),
                    down: Stream::default(),
                },
            )
        })
        .collect();
    for ((c, up), (_, map)) in parts {
        let mut st = Stream::default();
        let mut latest = SimTime::ZERO;
        for (rel, (payload, arrive)) in map {
            let have = st.bytes.len() as u32;
            if rel > have {
                break; // a gap: what follows never reached the program
            }
            let skip = (have - rel) as usize;
            if skip >= payload.len() {
                continue;
            }
            latest = latest.max(arrive);
            for &b in &payload[skip..] {
                st.bytes.push(b);
                st.ready.push(latest);
            }
        }
        let conn = out.get_mut(&c).expect("a segment's connection");
        if up {
            conn.up = st;
        } else {
            conn.down = st;
        }
    }
    out
}

/// A mail an SMTP server said it took: the 2xx after the final dot.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The envelope sender (`MAIL FROM`, empty for a bounce).
    pub from: String,
    /// The recipients whose `RCPT TO` got 2xx in that transaction, lower case.
    pub rcpts: Vec<String>,
    /// The message's Subject header.
    pub subject: String,
}

/// An SMTP server's replies, each its code and its lines (RFC 5321 §4.2: a line whose fourth
/// character is a hyphen continues the reply).
fn replies(down: &Stream) -> Vec<String> {
    let mut out = Vec::new();
    for (line, _) in down.lines() {
        let last = line.as_bytes().get(3) != Some(&b'-');
        if last {
            out.push(line.get(..3).unwrap_or("").to_string());
        }
    }
    out
}

/// The mails an SMTP dialogue's server took, pairing each client line with its reply in order
/// (pipelined or not, an SMTP server answers in order): a transaction's recipients are those
/// whose RCPT got 2xx, and it counts once the reply after its final dot is 2xx.
pub fn smtp_accepted(c: &Conn) -> Vec<Accepted> {
    let codes = replies(&c.down);
    let mut next = codes.iter().skip(1); // the greeting
    let mut out = Vec::new();
    let (mut from, mut rcpts, mut body): (String, Vec<String>, Option<Vec<String>>) =
        (String::new(), Vec::new(), None);
    for (line, _) in c.up.lines() {
        if let Some(b) = &mut body {
            if line != "." {
                b.push(line);
                continue;
            }
            let Some(code) = next.next() else { break };
            if code.starts_with('2') && !rcpts.is_empty() {
                let subject = b
                    .iter()
                    .take_while(|l| !l.is_empty())
                    .find_map(|l| {
                        l.get(..8)
                            .filter(|h| h.eq_ignore_ascii_case("subject:"))
                            .map(|_| l[8..].trim().to_string())
                    })
                    .unwrap_or_default();
                out.push(Accepted {
                    from: from.clone(),
                    rcpts: rcpts.clone(),
                    subject,
                });
            }
            body = None;
            rcpts.clear();
            continue;
        }
        let Some(code) = next.next() else { break };
        let upper = line.to_ascii_uppercase();
        let addr = || {
            line.split_once('<')
                .and_then(|(_, r)| r.split_once('>'))
                .map(|(a, _)| a.to_ascii_lowercase())
                .unwrap_or_default()
        };
        if upper.starts_with("MAIL FROM:") && code.starts_with('2') {
            from = addr();
            rcpts.clear();
        } else if upper.starts_with("RCPT TO:") && code.starts_with('2') {
            rcpts.push(addr());
        } else if upper.starts_with("RSET") {
            rcpts.clear();
        } else if upper == "DATA" && code == "354" {
            body = Some(Vec::new());
        }
    }
    out
}

/// A bounce as its bytes say: to whom, about which mail, and each recipient with its status.
#[derive(Debug, Clone)]
pub struct Dsn {
    /// The `To:` address, lower case.
    pub to: String,
    /// The Subject of the mail it reports on (from its attached header).
    pub about: String,
    /// `Final-Recipient` (lower case) and `Status` of each failed recipient.
    pub failed: Vec<(String, String)>,
}

/// Reads a delivery status notification (RFC 3464 §2) from a stored message's bytes: the
/// message/delivery-status part's per-recipient fields, and the Subject of the
/// text/rfc822-headers part. `Err` says what is missing.
pub fn read_dsn(data: &[u8]) -> Result<Dsn, String> {
    let text = String::from_utf8_lossy(data);
    let (head, _) = text
        .split_once("\r\n\r\n")
        .ok_or("a bounce without a header")?;
    let to = head
        .lines()
        .find_map(|l| l.strip_prefix("To:"))
        .map(|a| a.trim().trim_matches(['<', '>']).to_ascii_lowercase())
        .ok_or("a bounce without To:")?;
    let boundary = head
        .split("boundary=\"")
        .nth(1)
        .and_then(|b| b.split('"').next())
        .ok_or("a bounce that is not multipart")?;
    let mut failed = Vec::new();
    let mut about = None;
    for part in text.split(&format!("--{boundary}")).skip(1) {
        let (ph, body) = part.split_once("\r\n\r\n").unwrap_or((part, ""));
        if ph.contains("Content-Type: message/delivery-status") {
            // The first block is per message; each block after is one recipient (§2.3).
            for block in body.split("\r\n\r\n").skip(1) {
                let field = |name: &str| {
                    block.lines().find_map(|l| {
                        l.split_once(':')
                            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_string())
                    })
                };
                let (Some(fr), Some(status), Some(action)) =
                    (field("Final-Recipient"), field("Status"), field("Action"))
                else {
                    continue;
                };
                let addr = fr
                    .split_once(';')
                    .map(|(_, a)| a.trim().to_ascii_lowercase())
                    .ok_or("Final-Recipient without its address type")?;
                let ok_status = status.split('.').count() == 3
                    && status.starts_with(['4', '5'])
                    && status.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                if action != "failed" || !ok_status {
                    return Err(format!("a bounce says {action} with status {status}"));
                }
                failed.push((addr, status));
            }
        } else if ph.contains("Content-Type: text/rfc822-headers") {
            about = body
                .lines()
                .find_map(|l| l.strip_prefix("Subject:"))
                .map(|s| s.trim().to_string());
        }
    }
    if failed.is_empty() {
        return Err("a bounce that names no failed recipient".into());
    }
    Ok(Dsn {
        to,
        about: about.ok_or("a bounce without the original header")?,
        failed,
    })
}
