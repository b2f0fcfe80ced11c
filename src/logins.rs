//! Who logged in from where: for each host, the user its programs last logged in as, read from
//! a trace the way a server would see it — the client names a user, the server says yes. The
//! live window labels a classroom's computers with their students this way (`open --serve
//! --class`). What counts:
//! - SMTP `AUTH PLAIN` / `AUTH LOGIN` (RFC 4954), accepted by `235`;
//! - POP3 `USER` then `PASS` (RFC 1939 §7), or `AUTH PLAIN` (RFC 5034), accepted by `+OK`;
//! - IMAP `tag LOGIN user …` or `tag AUTHENTICATE PLAIN` (RFC 9051 §6.2), accepted by `tag OK`;
//! - the webmail's form (`POST /login` with `user=`), accepted by `303 See Other`.
//!
//! A refused login names nobody.

use std::collections::BTreeMap;

use base64::Engine;

use crate::engine::ids::{ConnId, HostId};
use crate::engine::trace::{Direction, EventKind, Trace, TraceEvent};
use crate::protocols::Protocol;

/// Longest client line (or HTTP request) looked at; the rest is not needed to find a name.
const KEEP: usize = 4096;

/// One connection as far as logging in goes.
#[derive(Default)]
struct Conn {
    /// The client's current line (an HTTP request: everything since the last response).
    line: Vec<u8>,
    /// The server's current line.
    server_line: Vec<u8>,
    /// The user named, waiting for the server's yes.
    named: Option<String>,
    /// The next client line is a SASL PLAIN response (after `334` or `+`).
    plain_next: bool,
    /// The next client line is an `AUTH LOGIN` user name.
    login_user_next: bool,
    /// The client's last command was POP3 `PASS` or a SASL exchange: `+OK` accepts.
    asked: bool,
    /// The IMAP tag of the LOGIN or AUTHENTICATE waiting for its answer.
    tag: Option<Vec<u8>>,
}

fn b64(s: &[u8]) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim_ascii())
        .ok()
}

/// The user of a SASL PLAIN response (`authzid NUL authcid NUL password`, RFC 4616).
fn plain_user(s: &[u8]) -> Option<String> {
    let d = b64(s)?;
    let mut parts = d.split(|&b| b == 0);
    let (authz, authc) = (parts.next()?, parts.next()?);
    parts.next()?;
    let who = if authc.is_empty() { authz } else { authc };
    (!who.is_empty()).then(|| String::from_utf8_lossy(who).into_owned())
}

/// An IMAP astring: `"quoted"` or an atom.
fn astring(s: &[u8]) -> String {
    let s = s
        .strip_prefix(b"\"")
        .map_or(s, |q| q.strip_suffix(b"\"").unwrap_or(q));
    String::from_utf8_lossy(s).into_owned()
}

impl Conn {
    fn client_line(&mut self, protocol: Protocol) {
        let line = std::mem::take(&mut self.line);
        let line = line.trim_ascii_end();
        if self.plain_next {
            self.plain_next = false;
            self.named = plain_user(line);
            self.asked = true;
            return;
        }
        if self.login_user_next {
            self.login_user_next = false;
            self.named = b64(line).map(|u| String::from_utf8_lossy(&u).into_owned());
            return;
        }
        let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let word = |i: usize| words.get(i).copied().unwrap_or(b"");
        let is = |i: usize, w: &str| word(i).eq_ignore_ascii_case(w.as_bytes());
        match protocol {
            Protocol::Smtp | Protocol::Pop3 if is(0, "AUTH") && is(1, "PLAIN") => {
                match words.get(2) {
                    Some(r) => self.named = plain_user(r),
                    None => self.plain_next = true,
                }
                self.asked = true;
            }
            Protocol::Smtp if is(0, "AUTH") && is(1, "LOGIN") => match words.get(2) {
                Some(u) => self.named = b64(u).map(|u| String::from_utf8_lossy(&u).into_owned()),
                None => self.login_user_next = true,
            },
            Protocol::Pop3 if is(0, "USER") => {
                self.named = Some(String::from_utf8_lossy(word(1)).into_owned());
                self.asked = false;
            }
            Protocol::Pop3 => self.asked = is(0, "PASS"),
            Protocol::Imap if is(1, "LOGIN") && words.len() >= 4 => {
                self.named = Some(astring(word(2)));
                self.tag = Some(word(0).to_vec());
            }
            Protocol::Imap if is(1, "AUTHENTICATE") && is(2, "PLAIN") => {
                match words.get(3) {
                    Some(r) => self.named = plain_user(r),
                    None => self.plain_next = true,
                }
                self.tag = Some(word(0).to_vec());
            }
            _ => {}
        }
    }

    /// A server line; returns the user it accepts, if it does.
    fn server_line(&mut self, protocol: Protocol) -> Option<String> {
        let line = std::mem::take(&mut self.server_line);
        match protocol {
            Protocol::Smtp if line.starts_with(b"235") => self.named.take(),
            Protocol::Pop3 if line.starts_with(b"+OK") && self.asked => {
                self.asked = false;
                self.named.take()
            }
            Protocol::Imap => {
                let tag = self.tag.as_deref()?;
                let rest = line.strip_prefix(tag)?.strip_prefix(b" ")?;
                self.tag = None;
                let named = self.named.take();
                (rest.len() >= 2 && rest[..2].eq_ignore_ascii_case(b"OK"))
                    .then_some(named)
                    .flatten()
            }
            Protocol::Http => {
                let request = std::mem::take(&mut self.line);
                if !(line.starts_with(b"HTTP/1.1 303") && request.starts_with(b"POST /login ")) {
                    return None;
                }
                let at = request.windows(4).position(|w| w == b"\r\n\r\n")?;
                crate::protocols::http::form_decode(&request[at + 4..])
                    .into_iter()
                    .find(|(k, _)| k == "user")
                    .map(|(_, v)| v)
                    .filter(|v| !v.is_empty())
            }
            _ => None,
        }
    }
}

/// Each host whose programs logged in, with the user they last logged in as (by host index).
pub fn logins(trace: &Trace) -> BTreeMap<HostId, String> {
    let mut l = Logins::default();
    l.read(&trace.events);
    l.found
}

/// Who logged in, read as a trace grows (a live run's newest events, a poll at a time).
#[derive(Default)]
pub struct Logins {
    conns: BTreeMap<ConnId, Conn>,
    /// Each host whose programs logged in, with the user they last logged in as.
    pub found: BTreeMap<HostId, String>,
}

impl Logins {
    /// Reads `events`, which follow those read before.
    pub fn read(&mut self, events: &[TraceEvent]) {
        for e in events {
            let EventKind::Segment(s) = &e.kind else {
                continue;
            };
            // Retransmissions repeat bytes already read; a segment the trace cut short is not
            // a login (those are a few dozen bytes).
            if s.payload.is_empty() || s.attempt > 0 || s.elided > 0 {
                continue;
            }
            let c = self.conns.entry(s.conn).or_default();
            match s.direction {
                Direction::ClientToServer if s.protocol == Protocol::Http => {
                    let room = KEEP.saturating_sub(c.line.len());
                    c.line
                        .extend_from_slice(&s.payload[..s.payload.len().min(room)]);
                }
                Direction::ClientToServer => {
                    for &b in &s.payload {
                        if b == b'\n' {
                            c.client_line(s.protocol);
                        } else if c.line.len() < KEEP {
                            c.line.push(b);
                        }
                    }
                }
                Direction::ServerToClient => {
                    for &b in &s.payload {
                        let status_line = s.protocol == Protocol::Http && c.server_line.len() >= 12;
                        if b == b'\n' || status_line {
                            if let Some(user) = c.server_line(s.protocol) {
                                self.found.insert(s.to.host, user);
                            }
                            if s.protocol == Protocol::Http {
                                // Only the status line of a response tells.
                                break;
                            }
                        } else if c.server_line.len() < KEEP {
                            c.server_line.push(b);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The logins of a whole run of a scenario.
    fn run(text: &str) -> BTreeMap<String, String> {
        let s = crate::scenario::parse("t", text).unwrap();
        let mut sim = crate::Sim::new(&s, None);
        sim.run_to_end();
        let t = sim.trace();
        logins(t)
            .into_iter()
            .map(|(h, u)| (t.hosts[h].name.clone(), u))
            .collect()
    }

    #[test]
    fn pop3_imap_smtp_and_webmail_logins_name_their_users() {
        // The walkthrough: Alice sends with AUTH, Bob reads by POP3.
        let w = run(crate::WALKTHROUGH);
        assert_eq!(w.get("bob-pc.b.example").map(String::as_str), Some("bob"));
        // Alice's program sends without logging in (the scenario's servers let it).
        assert!(!w.contains_key("alice-pc.a.example"), "{w:?}");
        let mut want = Vec::new();
        for f in ["imap-two-computers.toml", "webmail.toml"] {
            let text = std::fs::read_to_string(format!("scenarios/{f}")).unwrap();
            let got: Vec<String> = run(&text)
                .into_iter()
                .map(|(h, u)| format!("{h}={u}"))
                .collect();
            want.push(got.join(" "));
        }
        // IMAP from two computers; the webmail's form from the browsers, and the webmail's own
        // IMAP login for the user of the page it serves.
        assert_eq!(
            want,
            [
                "bob-home.b.example=bob bob-work.b.example=bob",
                "alice-pc.a.example=alice@a.example bob-pc.b.example=bob@b.example \
                 webmail.example=bob"
            ]
        );
    }

    #[test]
    fn a_refused_login_names_nobody() {
        // Bob's program has the wrong password: POP3 answers -ERR.
        let text =
            crate::WALKTHROUGH.replace("\npassword = \"bob-secret\"", "\npassword = \"nope\"");
        assert_ne!(text, crate::WALKTHROUGH);
        let l = run(&text);
        assert!(!l.contains_key("bob-pc.b.example"), "{l:?}");
    }

    #[test]
    fn sasl_plain_names_the_authentication_identity() {
        let r = base64::engine::general_purpose::STANDARD.encode(b"\0student07@a.example\0pw");
        assert_eq!(
            plain_user(r.as_bytes()).as_deref(),
            Some("student07@a.example")
        );
        assert_eq!(plain_user(b"!!"), None);
        assert_eq!(astring(b"\"bob\""), "bob");
    }
}
