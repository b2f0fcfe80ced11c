//! Be the client: a student types a mail program's commands (`EHLO me`, `MAIL FROM:<…>`,
//! `USER bob`, `a1 SELECT INBOX`), the bytes go over the simulated network to one of the
//! scenario's servers, and its replies come back with their notes. Mistakes get the server's real
//! answer and a hint. `mailsim talk` is this in the terminal.

use std::net::Ipv4Addr;

use crate::Sim;
use crate::engine::ids::{ConnId, EventId, HostId};
use crate::engine::time::SimDuration;
use crate::engine::trace::{Direction, EventKind};
use crate::scenario::{HostDef, Scenario};

/// The student's computer: outside the scenario's own hosts, at an address no scenario uses
/// (198.18.0.0/15 is kept for tests, RFC 2544).
pub fn students_host() -> HostDef {
    HostDef::outside(
        "you.example",
        "your computer (you type)",
        Ipv4Addr::new(198, 18, 0, 1),
    )
}

/// One reply line with what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The server's bytes, as text (one or more lines, CRLF removed).
    pub text: String,
    /// What it means, with its RFC.
    pub note: String,
    /// A hint when the server refused (a 4xx/5xx code, `-ERR`, `NO`, `BAD`).
    pub hint: Option<String>,
}

/// A student's sessions with the servers of a scenario, one at a time.
pub struct Console {
    scenario: Scenario,
    sim: Sim,
    me: HostId,
    conn: Option<ConnId>,
    seen: EventId,
    /// The server's name and port, for messages.
    pub server: String,
    /// The connection is over (the server closed it, or the student did).
    pub closed: bool,
    /// Where the student is in the conversation, for [`Console::next_step`].
    stage: Stage,
    /// The server's index and port.
    at: (HostId, u16),
}

/// Where a student is in a conversation: what the last accepted command achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Not connected.
    Closed,
    /// Connected; the server greeted.
    Greeted,
    /// SMTP: EHLO (or HELO) accepted.
    Helo,
    /// SMTP: MAIL FROM accepted.
    Mail,
    /// SMTP: at least one RCPT TO accepted.
    Rcpt,
    /// SMTP: after 354, the message's lines.
    Data,
    /// SMTP: the message accepted (250 after the dot).
    Sent,
    /// POP3: USER accepted.
    User,
    /// POP3 or IMAP: logged in.
    LoggedIn,
    /// POP3: a message read (RETR); IMAP: a mailbox selected.
    Read,
    /// IMAP: a message fetched.
    Fetched,
}

/// How long the simulation runs after each line: far more than any reply takes.
const SETTLE: SimDuration = SimDuration(3_000_000);

/// Why a reply refused, in words, by its code (the note says what the code means).
fn hint(first: &str, last_command: &str) -> Option<String> {
    let cmd = last_command
        .split_whitespace()
        .nth(
            if last_command.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && last_command.contains(' ')
            {
                1
            } else {
                0
            },
        )
        .unwrap_or("")
        .to_ascii_uppercase();
    let code = first.get(..3).unwrap_or("");
    let h = match (code, cmd.as_str()) {
        ("503", "RCPT") => {
            "RCPT TO names a recipient of a mail transaction: start one first with MAIL FROM:<your address> (RFC 5321 §4.1.4)"
        }
        ("503", "DATA") => {
            "DATA needs a sender and at least one accepted recipient first: MAIL FROM:<…>, then RCPT TO:<…> (RFC 5321 §4.1.4)"
        }
        ("503", "MAIL") => {
            "a transaction is already open: finish it with DATA, or start over with RSET (RFC 5321 §4.1.1.5)"
        }
        ("503", _) => {
            "the commands came in an order the protocol does not allow: EHLO, MAIL FROM, RCPT TO, DATA (RFC 5321 §4.1.4)"
        }
        ("500", _) | ("502", _) => {
            "the server does not know that command: SMTP's are EHLO, MAIL FROM:<…>, RCPT TO:<…>, DATA, RSET, NOOP, QUIT (RFC 5321 §4.1)"
        }
        ("501", _) => {
            "the command is right but its argument is not: addresses go in angle brackets, MAIL FROM:<alice@a.example> (RFC 5321 §4.1.2)"
        }
        ("550", _) | ("551", _) | ("553", _) => {
            "this server will not take mail for that address: check the spelling, and that it is one of its own users or that you may relay"
        }
        ("530", _) => {
            "this server wants you to log in first (AUTH), as a submission server does for mail programs (RFC 4954)"
        }
        ("554", _) => "the server refused the whole transaction; its text says why",
        _ if first.starts_with("-ERR [AUTH]") => {
            "wrong user name or password; after a failed PASS the server wants USER again (RFC 1939 §7)"
        }
        _ if first.starts_with("-ERR") && cmd == "PASS" => {
            "PASS comes right after USER name, once the server said +OK to it (RFC 1939 §7)"
        }
        _ if first.starts_with("-ERR") => {
            "POP3 said no: after USER comes PASS; STAT, LIST, RETR n and DELE n work only once logged in; QUIT ends (RFC 1939)"
        }
        _ => {
            let mut w = first.split(' ');
            let tag = w.next().unwrap_or("");
            match w.next() {
                Some("BAD") if tag != "*" => {
                    "IMAP did not understand: every command starts with a tag of your own (a1, a2, …), then the command, e.g. a1 LOGIN bob secret (RFC 9051 §2.2.1)"
                }
                Some("NO") if tag != "*" => {
                    "IMAP understood but could not do it: a wrong password, or a mailbox that does not exist (LOGIN first, then SELECT INBOX)"
                }
                _ => return None,
            }
        }
    };
    Some(h.to_string())
}

impl Console {
    /// Runs the scenario's own story to its end, then connects the student's computer to `port`
    /// of host `server`. Returns the console and the server's greeting (if it speaks first).
    pub fn open(
        scenario: &Scenario,
        seed: Option<u64>,
        server: &str,
        port: u16,
    ) -> Result<(Console, Vec<Reply>), String> {
        // Checked before the story runs.
        Self::target(scenario, server, port)?;
        let mut sim = Sim::new(scenario, seed);
        sim.run_to_end();
        let me = sim.add_outside_host(students_host());
        let seen = sim.trace().next_id();
        let mut c = Console {
            scenario: scenario.clone(),
            sim,
            me,
            conn: None,
            seen,
            server: String::new(),
            closed: true,
            stage: Stage::Closed,
            at: (HostId(0), 0),
        };
        let greeting = c.connect(server, port)?;
        Ok((c, greeting))
    }

    /// Ends the session open now (as a mail program that quits would) and connects to `port` of
    /// `server`; returns its greeting.
    pub fn connect(&mut self, server: &str, port: u16) -> Result<Vec<Reply>, String> {
        let h = Self::target(&self.scenario, server, port)?;
        if let Some(c) = self.conn
            && !self.closed
        {
            self.sim.external_close(c);
        }
        self.settle("");
        self.conn = self.sim.connect_external(self.me, h, port);
        self.closed = self.conn.is_none();
        self.server = format!("{server}:{port}");
        self.at = (h, port);
        let greeting = self.settle("");
        self.stage = if self.closed {
            Stage::Closed
        } else {
            Stage::Greeted
        };
        Ok(greeting)
    }

    /// The host `server` if it offers `port`.
    fn target(scenario: &Scenario, server: &str, port: u16) -> Result<HostId, String> {
        let Some(h) = scenario.host_id(server) else {
            let names: Vec<&str> = scenario.hosts.iter().map(|h| h.name.as_str()).collect();
            return Err(format!(
                "`{server}` is not a host of this scenario; the hosts are {}",
                names.join(", ")
            ));
        };
        let def = &scenario.hosts[h];
        if !def.services.iter().any(|s| s.port() == port) {
            let ports: Vec<String> = def
                .services
                .iter()
                .map(|s| format!("{} ({})", s.port(), s.name()))
                .collect();
            return Err(format!(
                "{server} has no service on port {port}; it offers {}",
                if ports.is_empty() {
                    "none".to_string()
                } else {
                    ports.join(", ")
                }
            ));
        }
        Ok(h)
    }

    /// Sends one line (CRLF added) and returns the replies it brought.
    pub fn send(&mut self, line: &str) -> Vec<Reply> {
        let Some(c) = self.conn else {
            return Vec::new();
        };
        if self.closed {
            return Vec::new();
        }
        self.sim.external_send(c, format!("{line}\r\n").as_bytes());
        let replies = self.settle(line);
        self.advance(line, &replies);
        replies
    }

    /// Moves the conversation on by what `line` achieved (its reply accepted it, or not).
    fn advance(&mut self, line: &str, replies: &[Reply]) {
        if self.closed {
            self.stage = Stage::Closed;
            return;
        }
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| w.to_ascii_uppercase())
            .collect();
        let status = |r: &Reply| match self.at.1 {
            143 => r.text.lines().last().unwrap_or("").to_string(),
            _ => r.text.lines().next().unwrap_or("").to_string(),
        };
        let last = replies.last().map(status).unwrap_or_default();
        let ok = replies.last().is_some_and(|r| r.hint.is_none())
            && (last.starts_with(['2', '3', '+']) || last.split(' ').nth(1) == Some("OK"));
        let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        self.stage = match (self.at.1, self.stage) {
            // The message's lines get no reply until the line with only a dot.
            (25 | 587, Stage::Data) if replies.is_empty() => Stage::Data,
            (25 | 587, Stage::Data) if ok => Stage::Sent,
            (25 | 587, Stage::Data) => Stage::Helo,
            (25 | 587, st) if ok => match word(0) {
                "EHLO" | "HELO" | "RSET" => Stage::Helo,
                "MAIL" => Stage::Mail,
                "RCPT" => Stage::Rcpt,
                "DATA" => Stage::Data,
                _ => st,
            },
            // A failed login forgets the USER: start again.
            (110, _) if word(0) == "PASS" && !ok => Stage::Greeted,
            (110, st) if ok => match word(0) {
                "USER" => Stage::User,
                "PASS" => Stage::LoggedIn,
                "RETR" => Stage::Read,
                _ => st,
            },
            (143, st) if ok => match word(1) {
                "LOGIN" | "AUTHENTICATE" => Stage::LoggedIn,
                "SELECT" | "EXAMINE" => Stage::Read,
                "FETCH" | "UID" => Stage::Fetched,
                _ => st,
            },
            (_, st) => st,
        };
    }

    /// What a student could type next, by where the conversation is: a guide for a first
    /// session (`None` once there is nothing obvious to suggest).
    pub fn next_step(&self) -> Option<String> {
        let def = &self.scenario.hosts[self.at.0];
        let user = def
            .accounts
            .first()
            .map(|a| a.user.as_str())
            .unwrap_or("bob");
        let to = match &def.domain {
            Some(d) => format!("{user}@{d}"),
            None => "someone@b.example".into(),
        };
        let s = match (self.at.1, self.stage) {
            (_, Stage::Closed) => "Connect again, to this server or another (POP3 is port 110)".into(),
            (25 | 587, Stage::Greeted) => "say who you are: EHLO me.example".into(),
            (25 | 587, Stage::Helo) => "name the sender: MAIL FROM:<you@you.example>".into(),
            (25 | 587, Stage::Mail) => format!("name a recipient: RCPT TO:<{to}>"),
            (25 | 587, Stage::Rcpt) => {
                "another RCPT TO:<…>, or DATA to send the message itself".into()
            }
            (25 | 587, Stage::Data) => "type the message: Subject: Hello, an empty line, some text, then a line with only a dot (.)".into(),
            (25 | 587, Stage::Sent) => {
                "the server has the mail: QUIT to end, or MAIL FROM:<…> for another".into()
            }
            (110, Stage::Greeted) => format!("log in: USER {user}"),
            (110, Stage::User) => "now the password: PASS and the password".into(),
            (110, Stage::LoggedIn) => {
                "STAT (how many, how big), LIST (each one's size), RETR 1 (read the first)".into()
            }
            (110, Stage::Read) => {
                "DELE 1 would mark it for deletion; QUIT ends the session (and only then deletes)".into()
            }
            (143, Stage::Greeted) => format!("log in, with a tag of your own: a1 LOGIN {user} PASSWORD"),
            (143, Stage::LoggedIn) => "open the inbox: a2 SELECT INBOX".into(),
            (143, Stage::Read) => "read the first message: a3 FETCH 1 BODY[]".into(),
            (143, Stage::Fetched) => {
                "it stays on the server, now \\Seen: a4 LOGOUT ends the session".into()
            }
            _ => return None,
        };
        Some(s)
    }

    /// Lets the network carry everything, then collects what the server sent the student.
    fn settle(&mut self, line: &str) -> Vec<Reply> {
        let until = self.sim.now() + SETTLE;
        self.sim.run_until(until);
        let mut out = Vec::new();
        let t = self.sim.trace();
        for e in t.since(self.seen) {
            if let EventKind::Segment(s) = &e.kind
                && s.to.host == self.me
                && s.direction == Direction::ServerToClient
                && !s.payload.is_empty()
            {
                let text = String::from_utf8_lossy(&s.payload)
                    .trim_end_matches("\r\n")
                    .replace("\r\n", "\n");
                // The reply's code (quiz::reply_code reads SMTP's and POP3's first line, IMAP's
                // tagged last one); a refusal gets a hint.
                let refused = crate::quiz::reply_code(e).is_some_and(|c| {
                    c.starts_with(['4', '5']) || matches!(c.as_str(), "-ERR" | "NO" | "BAD")
                });
                let status = match s.protocol {
                    crate::protocols::Protocol::Imap => text.lines().last(),
                    _ => text.lines().next(),
                };
                out.push(Reply {
                    note: format!("{} [{}]", s.explain.note, s.explain.rfc),
                    hint: status.filter(|_| refused).and_then(|st| hint(st, line)),
                    text,
                });
            }
        }
        self.seen = t.next_id();
        if let Some(c) = self.conn {
            let (_, over) = self.sim.external_take(c);
            self.closed |= over;
        }
        out
    }

    /// Ends the session (as closing the mail program would) and lets the network finish.
    pub fn close(&mut self) {
        if let Some(c) = self.conn
            && !self.closed
        {
            self.sim.external_close(c);
            self.closed = true;
        }
        self.sim.run_to_end();
    }

    /// The simulation, for its trace and expectations.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walkthrough() -> Scenario {
        crate::scenario::parse("w", crate::WALKTHROUGH).unwrap()
    }

    #[test]
    fn a_student_sends_a_mail_by_hand_and_it_is_stored() {
        let s = walkthrough();
        let (mut c, greeting) = Console::open(&s, None, "mx.b.example", 25).unwrap();
        assert!(
            greeting[0].text.starts_with("220 mx.b.example"),
            "{greeting:?}"
        );
        // RCPT before MAIL: the server's real answer, and why.
        let r = c.send("RCPT TO:<bob@b.example>");
        assert!(r[0].text.starts_with("503"), "{r:?}");
        assert!(r[0].hint.as_deref().unwrap().contains("MAIL FROM"), "{r:?}");
        for (line, code) in [
            ("EHLO me.example", "250"),
            ("MAIL FROM:<me@you.example>", "250"),
            ("RCPT TO:<bob@b.example>", "250"),
            ("DATA", "354"),
        ] {
            let r = c.send(line);
            assert!(r[0].text.starts_with(code), "{line}: {r:?}");
            assert!(r[0].hint.is_none());
        }
        assert_eq!(c.stage, Stage::Data);
        c.send("Subject: By hand\r\n\r\nI typed this.\r\n.");
        assert!(
            c.next_step()
                .unwrap()
                .starts_with("the server has the mail: QUIT")
        );
        let r = c.send("QUIT");
        assert!(r.iter().any(|x| x.text.starts_with("221")), "{r:?}");
        c.close();
        let mx = s.host_id("mx.b.example").unwrap();
        let bob = &c.sim().hosts()[mx].store.mailboxes["bob"];
        assert!(bob.messages.iter().any(|m| m.subject == "By hand"));
    }

    /// The guide follows what the server accepted, not what was typed: a refused command
    /// leaves the suggestion where it was.
    #[test]
    fn the_next_step_follows_the_conversation() {
        let s = crate::scenario::parse(
            "talk-smtp-yourself.toml",
            include_str!("../exercises/talk-smtp-yourself.toml"),
        )
        .unwrap();
        let (mut c, _) = Console::open(&s, None, "mx.b.example", 25).unwrap();
        let next = |c: &Console| c.next_step().unwrap();
        assert_eq!(next(&c), "say who you are: EHLO me.example");
        c.send("RCPT TO:<bob@b.example>");
        assert_eq!(next(&c), "say who you are: EHLO me.example");
        c.send("EHLO me.example");
        assert!(next(&c).starts_with("name the sender: MAIL FROM"));
        c.send("MAIL FROM:<me@you.example>");
        assert_eq!(next(&c), "name a recipient: RCPT TO:<bob@b.example>");
        c.send("RCPT TO:<nobody@b.example>");
        assert_eq!(next(&c), "name a recipient: RCPT TO:<bob@b.example>");
        c.send("RCPT TO:<bob@b.example>");
        assert!(next(&c).contains("DATA"));
        c.send("DATA");
        c.send("Subject: guided");
        c.send("");
        assert!(next(&c).starts_with("type the message"));
        c.send(".");
        assert!(next(&c).starts_with("the server has the mail"));
        c.send("QUIT");
        assert!(next(&c).starts_with("Connect again"));
        // POP3: log in, read, and what DELE and QUIT would do.
        c.connect("mx.b.example", 110).unwrap();
        assert_eq!(next(&c), "log in: USER bob");
        c.send("USER bob");
        assert!(next(&c).starts_with("now the password"));
        let r = c.send("PASS wrong");
        assert!(
            r[0].hint.as_ref().unwrap().contains("wants USER again"),
            "{r:?}"
        );
        assert_eq!(next(&c), "log in: USER bob");
        c.send("USER bob");
        c.send("PASS bob-secret");
        assert!(next(&c).contains("RETR 1"));
        c.send("RETR 1");
        assert!(next(&c).starts_with("DELE 1 would mark it"));
        // IMAP: tagged commands.
        c.connect("mx.b.example", 143).unwrap();
        assert!(next(&c).contains("a1 LOGIN bob"));
        c.send("a1 LOGIN bob bob-secret");
        assert_eq!(next(&c), "open the inbox: a2 SELECT INBOX");
        c.send("a2 SELECT INBOX");
        c.send("a3 FETCH 1 BODY[]");
        assert!(next(&c).contains("a4 LOGOUT"));
    }

    #[test]
    fn a_port_without_a_service_or_an_unknown_host_is_said_plainly() {
        let s = walkthrough();
        let e = Console::open(&s, None, "mx.b.example", 143).err().unwrap();
        assert!(
            e.starts_with("mx.b.example has no service on port 143; it offers 25"),
            "{e}"
        );
        let e = Console::open(&s, None, "mx.example", 25).err().unwrap();
        assert!(e.contains("is not a host of this scenario"), "{e}");
    }
}
