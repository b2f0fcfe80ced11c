//! The POP3 client state machine, as a mail program uses it to download new mail.
//!
//! Calling order: create it with the account and what it already has; feed server bytes to
//! [`Pop3Client::handle_input`]; drain [`Pop3Client::poll_transmit`] and [`Pop3Client::poll_event`].
//! It logs in (USER, PASS), asks STAT, LIST and UIDL, then RETRs each message whose unique id it has
//! not seen, DELEs it unless told to keep mail on the server, and QUITs so deletions take effect.

use std::collections::{BTreeSet, VecDeque};

use super::wire::{Command, parse_status};
use crate::protocols::Session;
use crate::protocols::line::{Framed, LineEnd, LineReader};

/// The account and habits of the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// User name for USER.
    pub user: String,
    /// Password for PASS.
    pub pass: String,
    /// Leave messages on the server (no DELE) and use UIDL to fetch only new ones.
    pub keep_on_server: bool,
    /// Unique ids already downloaded in earlier sessions.
    pub known_uids: BTreeSet<String>,
}

/// What the client reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// A message was downloaded.
    Retrieved { uid: String, data: Vec<u8> },
    /// The session is over; `error` says why it failed, if it did.
    Finished {
        retrieved: usize,
        deleted: usize,
        error: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    User,
    Pass,
    Stat,
    List,
    Uidl,
    Retr(usize),
    Dele(usize),
    Quit,
    Done,
}

/// One client-side POP3 session.
#[derive(Debug, Clone)]
pub struct Pop3Client {
    config: ClientConfig,
    expect: Expect,
    reader: LineReader,
    /// Lines of a multi-line response being collected (after its +OK line).
    collecting: Option<Vec<u8>>,
    out: Vec<u8>,
    events: VecDeque<ClientEvent>,
    to_fetch: Vec<(u32, String)>,
    retrieved: usize,
    deleted: usize,
    error: Option<String>,
    reported: bool,
}

impl Pop3Client {
    /// A client that waits for the server's greeting.
    pub fn new(config: ClientConfig) -> Self {
        Pop3Client {
            config,
            expect: Expect::Greeting,
            reader: LineReader::new(64 * 1024),
            collecting: None,
            out: Vec::with_capacity(crate::protocols::session::OUT_ROOM),
            events: VecDeque::new(),
            to_fetch: Vec::new(),
            retrieved: 0,
            deleted: 0,
            error: None,
            reported: false,
        }
    }

    fn finish(&mut self) {
        if !self.reported {
            self.reported = true;
            self.events.push_back(ClientEvent::Finished {
                retrieved: self.retrieved,
                deleted: self.deleted,
                error: self.error.clone(),
            });
        }
    }

    fn send(&mut self, cmd: Command) {
        cmd.emit(&mut self.out);
    }

    fn multiline(&self) -> bool {
        matches!(self.expect, Expect::List | Expect::Uidl | Expect::Retr(_))
    }

    fn give_up(&mut self, why: &str) {
        self.error = Some(format!("protocol error: {why}"));
        self.send(Command::Quit);
        self.expect = Expect::Done;
        self.finish();
    }

    fn failed(&mut self, text: &str) {
        if self.expect == Expect::Quit {
            self.expect = Expect::Done;
            return self.finish();
        }
        self.error = Some(format!("-ERR {text}"));
        self.send(Command::Quit);
        self.expect = Expect::Quit;
    }

    fn ok(&mut self, _text: &str) {
        match self.expect {
            Expect::Greeting => {
                let user = self.config.user.clone();
                self.send(Command::User(user));
                self.expect = Expect::User;
            }
            Expect::User => {
                let pass = self.config.pass.clone();
                self.send(Command::Pass(pass));
                self.expect = Expect::Pass;
            }
            Expect::Pass => {
                self.send(Command::Stat);
                self.expect = Expect::Stat;
            }
            Expect::Stat => {
                self.send(Command::List(None));
                self.expect = Expect::List;
            }
            Expect::Dele(i) => {
                self.deleted += 1;
                self.next_message(i + 1);
            }
            Expect::Quit => {
                self.expect = Expect::Done;
                self.finish();
            }
            Expect::List | Expect::Uidl | Expect::Retr(_) | Expect::Done => {}
        }
    }

    fn multiline_done(&mut self, body: Vec<u8>) {
        match self.expect {
            Expect::List => {
                self.send(Command::Uidl(None));
                self.expect = Expect::Uidl;
            }
            Expect::Uidl => {
                let text = String::from_utf8_lossy(&body);
                self.to_fetch = text
                    .lines()
                    .filter_map(|l| {
                        let (n, uid) = l.split_once(' ')?;
                        Some((n.parse().ok()?, uid.to_string()))
                    })
                    .filter(|(_, uid)| !self.config.known_uids.contains(uid))
                    .collect();
                self.next_message(0);
            }
            Expect::Retr(i) => {
                let uid = self.to_fetch[i].1.clone();
                self.retrieved += 1;
                self.events
                    .push_back(ClientEvent::Retrieved { uid, data: body });
                if self.config.keep_on_server {
                    self.next_message(i + 1);
                } else {
                    self.send(Command::Dele(self.to_fetch[i].0));
                    self.expect = Expect::Dele(i);
                }
            }
            _ => {}
        }
    }

    fn next_message(&mut self, i: usize) {
        if let Some((n, _)) = self.to_fetch.get(i) {
            self.send(Command::Retr(*n));
            self.expect = Expect::Retr(i);
        } else {
            self.send(Command::Quit);
            self.expect = Expect::Quit;
        }
    }

    /// Whether the last thing sent was a multi-line request being answered (for tests).
    pub fn is_collecting(&self) -> bool {
        self.collecting.is_some()
    }
}

impl Session for Pop3Client {
    type Event = ClientEvent;

    /// The client's state, named by the RFC state it believes the server is in.
    fn state_name(&self) -> &'static str {
        match self.expect {
            Expect::Greeting => "expect greeting",
            Expect::User | Expect::Pass => "AUTHORIZATION",
            Expect::Stat | Expect::List | Expect::Uidl | Expect::Retr(_) | Expect::Dele(_) => {
                "TRANSACTION"
            }
            Expect::Quit => "expect QUIT reply",
            Expect::Done => "done",
        }
    }

    /// Whether the session is over.
    fn wants_close(&self) -> bool {
        self.expect == Expect::Done
    }

    /// Bytes waiting for the server.
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        crate::protocols::session::take_output(&mut self.out)
    }

    /// The next event.
    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The connection ended.
    fn handle_closed(&mut self, why: &str) {
        if self.expect != Expect::Done && self.error.is_none() {
            self.error = Some(why.to_string());
        }
        self.expect = Expect::Done;
        self.finish();
    }

    /// Feeds bytes from the server.
    fn handle_input(&mut self, bytes: &[u8]) {
        self.reader.push(bytes);
        while self.expect != Expect::Done {
            if let Some(body) = &mut self.collecting {
                // Lines of a multi-line response, lent (no copy per line); byte-stuffing undone
                // (RFC 1939 §3).
                let step = self.reader.with_next_line(|end, line| match end {
                    LineEnd::Crlf if line == b"." => Some(true),
                    LineEnd::Crlf => {
                        body.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
                        body.extend_from_slice(b"\r\n");
                        Some(false)
                    }
                    _ => None,
                });
                match step {
                    None => break,
                    Some(Some(true)) => {
                        let body = self.collecting.take().unwrap_or_default();
                        self.multiline_done(body);
                    }
                    Some(Some(false)) => {}
                    Some(None) => {
                        return self.give_up(
                            "the server sent a line that is not CRLF-terminated or too long",
                        );
                    }
                }
                continue;
            }
            let Some(framed) = self.reader.next_line() else {
                break;
            };
            let Framed::Line(line) = framed else {
                return self
                    .give_up("the server sent a line that is not CRLF-terminated or too long");
            };
            match parse_status(&line) {
                Some((true, text)) if self.multiline() => {
                    // `+OK 1234 octets` before a message: room for it (at most 64 KiB, whatever
                    // the server claims), so the body is not copied as it grows.
                    let octets = text.split(' ').next().and_then(|n| n.parse().ok());
                    let room = octets.unwrap_or(0usize).min(64 * 1024);
                    self.collecting = Some(Vec::with_capacity(room));
                }
                Some((true, text)) => self.ok(&text),
                Some((false, text)) => self.failed(&text),
                None => return self.give_up("the server's reply is neither +OK nor -ERR"),
            }
        }
    }
}
