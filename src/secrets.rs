//! Passwords out of sight: a copy of a trace with every credential a client sent replaced by
//! `••••`, for a projector in front of a class (`open --serve`). What counts as a credential:
//! - SMTP `AUTH PLAIN x` / `AUTH LOGIN x` (RFC 4954) and every line answering a `334` challenge;
//! - POP3 `PASS x` (RFC 1939 §7) and every line answering a `+ ` SASL challenge (RFC 5034);
//! - IMAP `tag LOGIN user x` (RFC 9051 §6.2.3), `tag AUTHENTICATE PLAIN x`, and every line
//!   answering the `+ ` continuation of an AUTHENTICATE;
//! - HTTP form fields named `password` (the webmail's login).
//!
//! The client's bytes are read as a stream per connection, so a password typed one character per
//! segment (telnet) is hidden as well as one sent in one piece.

use std::collections::BTreeMap;

use crate::engine::ids::ConnId;
use crate::engine::trace::{Direction, EventKind, Trace, TraceEvent};
use crate::protocols::Protocol;

/// What a masked run of bytes shows.
pub const MASK: &str = "••••";

/// What is known of one connection's client stream.
#[derive(Default)]
struct Stream {
    /// The current client line so far (its first bytes: enough to recognise the command).
    line: Vec<u8>,
    /// The rest of the current line is secret.
    secret: bool,
    /// The server's last line asked for a credential: the client's next line is one.
    challenged: bool,
    /// The client's last command was an IMAP AUTHENTICATE (its `+ ` asks for credentials).
    authenticating: bool,
    /// Inside an HTTP form field named `password`.
    in_password: bool,
    /// The server's current line so far (its first bytes).
    server_line: Vec<u8>,
}

const PREFIX: usize = 64;

impl Stream {
    /// Whether the line so far (ending in a space) is a command whose next bytes are secret.
    fn secret_follows(&self, protocol: Protocol) -> bool {
        let l = &self.line;
        match protocol {
            Protocol::Smtp => {
                l.eq_ignore_ascii_case(b"AUTH PLAIN ") || l.eq_ignore_ascii_case(b"AUTH LOGIN ")
            }
            Protocol::Pop3 => {
                l.eq_ignore_ascii_case(b"PASS ") || l.eq_ignore_ascii_case(b"AUTH PLAIN ")
            }
            Protocol::Imap => {
                let words: Vec<&[u8]> = l.split(|&b| b == b' ').collect();
                // `tag LOGIN user ` then the password; `tag AUTHENTICATE PLAIN ` then the response.
                (words.len() == 4 && words[1].eq_ignore_ascii_case(b"LOGIN"))
                    || (words.len() == 4
                        && words[1].eq_ignore_ascii_case(b"AUTHENTICATE")
                        && !words[2].is_empty())
            }
            _ => false,
        }
    }

    /// Takes one client byte; returns whether it is secret.
    fn client_byte(&mut self, protocol: Protocol, b: u8) -> bool {
        if protocol == Protocol::Http {
            return self.http_byte(b);
        }
        if self.line.is_empty() && !self.secret && self.challenged {
            self.secret = true;
        }
        if b == b'\n' || b == b'\r' {
            if b == b'\n' {
                if protocol == Protocol::Imap {
                    let words: Vec<&[u8]> = self.line.split(|&c| c == b' ').collect();
                    self.authenticating = words.len() >= 2
                        && words[1].eq_ignore_ascii_case(b"AUTHENTICATE")
                        || (self.authenticating && self.challenged);
                }
                self.line.clear();
                self.secret = false;
                self.challenged = false;
            }
            return false;
        }
        if self.line.len() < PREFIX {
            self.line.push(b);
        }
        if self.secret {
            return true;
        }
        if b == b' ' && self.secret_follows(protocol) {
            self.secret = true;
        }
        false
    }

    fn http_byte(&mut self, b: u8) -> bool {
        if self.in_password {
            if matches!(b, b'&' | b' ' | b'\r' | b'\n') {
                self.in_password = false;
                self.line.clear();
                return false;
            }
            return true;
        }
        if matches!(b, b'&' | b'?' | b'\n' | b' ') {
            self.line.clear();
            // A body starts after the blank line: `...\r\n\r\nuser=...`.
            return false;
        }
        if self.line.len() < PREFIX {
            self.line.push(b);
        }
        if b == b'=' && self.line.eq_ignore_ascii_case(b"password=") {
            self.in_password = true;
        }
        false
    }

    /// Takes the server's bytes: a challenge line arms the next client line.
    fn server_bytes(&mut self, protocol: Protocol, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                let l = &self.server_line;
                self.challenged = match protocol {
                    Protocol::Smtp => l.starts_with(b"334"),
                    Protocol::Pop3 => l.starts_with(b"+ ") || l.as_slice() == b"+\r",
                    Protocol::Imap => {
                        self.authenticating && (l.starts_with(b"+ ") || l.as_slice() == b"+\r")
                    }
                    _ => false,
                };
                if protocol == Protocol::Imap && !self.challenged {
                    self.authenticating = self.authenticating && l.starts_with(b"*");
                }
                self.server_line.clear();
            } else if self.server_line.len() < PREFIX {
                self.server_line.push(b);
            }
        }
    }
}

/// Replaces each run of secret bytes of `payload` by [`MASK`].
fn mask_runs(payload: &[u8], secret: &[bool]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len());
    let mut i = 0;
    while i < payload.len() {
        if secret[i] {
            while i < payload.len() && secret[i] {
                i += 1;
            }
            out.extend_from_slice(MASK.as_bytes());
        } else {
            out.push(payload[i]);
            i += 1;
        }
    }
    out
}

/// Hides every credential the clients of `trace` sent (see the module's list). Returns how many
/// segments it changed.
pub fn mask(trace: &mut Trace) -> usize {
    Masker::default().mask(&mut trace.events)
}

/// Masks a trace as it grows: what it has seen of each connection carries over to the events
/// given next (a live run's newest events, a poll at a time).
#[derive(Default)]
pub struct Masker {
    streams: BTreeMap<ConnId, Stream>,
}

impl Masker {
    /// Hides the credentials in `events`, which follow those given before. Returns how many
    /// segments it changed.
    pub fn mask(&mut self, events: &mut [TraceEvent]) -> usize {
        let streams = &mut self.streams;
        let mut changed = 0;
        for e in events {
            let EventKind::Segment(s) = &mut e.kind else {
                continue;
            };
            if s.payload.is_empty() || s.attempt > 0 {
                // A retransmission repeats bytes the stream has seen: masked alike below.
                if s.attempt > 0
                    && let Some(st) = streams.get(&s.conn)
                    && st.secret
                {
                    s.payload = MASK.as_bytes().to_vec();
                }
                continue;
            }
            let st = streams.entry(s.conn).or_default();
            match s.direction {
                Direction::ServerToClient => st.server_bytes(s.protocol, &s.payload),
                Direction::ClientToServer => {
                    let secret: Vec<bool> = s
                        .payload
                        .iter()
                        .map(|&b| st.client_byte(s.protocol, b))
                        .collect();
                    if secret.contains(&true) {
                        s.payload = mask_runs(&s.payload, &secret);
                        changed += 1;
                    }
                }
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::HostId;
    use crate::engine::time::SimTime;
    use crate::engine::trace::{Endpoint, Segment, TcpFlags};
    use crate::protocols::Explanation;

    fn seg(protocol: Protocol, from_client: bool, payload: &[u8]) -> EventKind {
        let (c, s) = (
            Endpoint {
                host: HostId(0),
                port: 49152,
            },
            Endpoint {
                host: HostId(1),
                port: 25,
            },
        );
        EventKind::Segment(Segment {
            conn: ConnId(0),
            from: if from_client { c } else { s },
            to: if from_client { s } else { c },
            flags: TcpFlags(TcpFlags::PSH | TcpFlags::ACK),
            seq: 0,
            ack: 0,
            payload: payload.to_vec(),
            arrive: SimTime::ZERO,
            protocol,
            direction: if from_client {
                Direction::ClientToServer
            } else {
                Direction::ServerToClient
            },
            explain: &Explanation { note: "", rfc: "" },
            state_before: "",
            state_after: "",
            lost: false,
            attempt: 0,
            elided: 0,
        })
    }

    /// The client's bytes after masking a conversation (`C:`/`S:` parts), joined.
    fn masked(protocol: Protocol, parts: &[(&str, &[u8])]) -> String {
        let mut t = Trace::default();
        for (who, bytes) in parts {
            t.push(SimTime::ZERO, seg(protocol, *who == "C", bytes));
        }
        mask(&mut t);
        t.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Segment(s) if s.direction == Direction::ClientToServer => {
                    Some(String::from_utf8_lossy(&s.payload).into_owned())
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn masking_a_poll_at_a_time_is_masking_it_whole() {
        // A password typed a character per segment, the trace handed over in pieces cut
        // between its characters: the masker remembers where each connection is.
        let mut t = Trace::default();
        t.push(SimTime::ZERO, seg(Protocol::Pop3, false, b"+OK hi\r\n"));
        for part in [
            &b"USER bob\r\nPA"[..],
            b"SS s",
            b"e",
            b"cret\r\n",
            b"STAT\r\n",
        ] {
            t.push(SimTime::ZERO, seg(Protocol::Pop3, true, part));
        }
        let mut whole = t.clone();
        mask(&mut whole);
        let mut m = Masker::default();
        for cut in [0..2, 2..4, 4..5, 5..6] {
            m.mask(&mut t.events[cut]);
        }
        let payloads = |t: &Trace| -> Vec<Vec<u8>> {
            t.events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Segment(s) => Some(s.payload.clone()),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(payloads(&t), payloads(&whole));
        assert_eq!(payloads(&t)[3], MASK.as_bytes());
    }

    #[test]
    fn smtp_auth_plain_and_login_are_hidden() {
        let out = masked(
            Protocol::Smtp,
            &[
                ("S", b"220 hi\r\n"),
                ("C", b"EHLO pc\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
                ("S", b"235 ok\r\n"),
                ("C", b"AUTH LOGIN\r\n"),
                ("S", b"334 VXNlcm5hbWU6\r\n"),
                ("C", b"YWxpY2U=\r\n"),
                ("S", b"334 UGFzc3dvcmQ6\r\n"),
                ("C", b"c2VjcmV0\r\n"),
                ("S", b"235 ok\r\n"),
                ("C", b"MAIL FROM:<a@x>\r\n"),
            ],
        );
        assert_eq!(
            out,
            "EHLO pc\r\nAUTH PLAIN ••••\r\nAUTH LOGIN\r\n••••\r\n••••\r\nMAIL FROM:<a@x>\r\n"
        );
    }

    #[test]
    fn a_password_typed_a_character_at_a_time_is_hidden() {
        let mut parts: Vec<(&str, &[u8])> = vec![("S", b"+OK ready\r\n")];
        let typed = b"USER bob\r\nPASS s3cret\r\nSTAT\r\n";
        for i in 0..typed.len() {
            parts.push(("C", &typed[i..i + 1]));
        }
        let out = masked(Protocol::Pop3, &parts);
        assert_eq!(out.matches(MASK).count(), 6, "{out}");
        assert!(out.starts_with("USER bob\r\nPASS "), "{out}");
        assert!(out.ends_with("\r\nSTAT\r\n"), "{out}");
        assert!(!out.contains("s3") && !out.contains("cret"));
    }

    #[test]
    fn imap_login_and_authenticate_are_hidden_but_literals_are_not() {
        let out = masked(
            Protocol::Imap,
            &[
                ("S", b"* OK ready\r\n"),
                ("C", b"a1 LOGIN carol carol-secret\r\n"),
                ("S", b"a1 OK done\r\n"),
                ("C", b"a2 AUTHENTICATE PLAIN\r\n"),
                ("S", b"+ \r\n"),
                ("C", b"AGNhcm9sAHNlY3JldA==\r\n"),
                ("S", b"a2 OK done\r\n"),
                ("C", b"a3 APPEND INBOX {5}\r\n"),
                ("S", b"+ Ready for literal data\r\n"),
                ("C", b"hello\r\n"),
            ],
        );
        assert_eq!(
            out,
            "a1 LOGIN carol ••••\r\na2 AUTHENTICATE PLAIN\r\n••••\r\na3 APPEND INBOX {5}\r\nhello\r\n"
        );
    }

    #[test]
    fn the_webmail_login_form_hides_its_password() {
        let out = masked(
            Protocol::Http,
            &[(
                "C",
                b"POST /login HTTP/1.1\r\nHost: w\r\nContent-Length: 40\r\n\r\nuser=alice%40a.example&password=pa%26ss",
            )],
        );
        assert!(
            out.ends_with("user=alice%40a.example&password=••••"),
            "{out}"
        );
    }
}
