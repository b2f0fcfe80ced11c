//! The POP3 server state machine (RFC 1939, with CAPA, UIDL, TOP and RESP-CODES from RFC 2449 / 3206).
//!
//! Calling order: create it (the greeting is queued); feed client bytes to
//! [`Pop3Server::handle_input`]; after each call drain [`Pop3Server::poll_event`] and
//! [`Pop3Server::poll_transmit`]. On [`ServerEvent::LockMaildrop`] the host must answer with
//! [`Pop3Server::handle_maildrop`] (the messages, or `None` when another session holds the lock);
//! commands that arrive meanwhile wait. On [`ServerEvent::Commit`] the host deletes the listed
//! messages: that happens only in the UPDATE state after QUIT (§6), never on DELE itself. If the
//! connection ends without QUIT, call [`Pop3Server::handle_closed`]: nothing is deleted (§6).

use std::collections::{BTreeMap, VecDeque};
use std::io::Write as _;
use std::sync::Arc;

use super::wire::{Command, emit_multiline, emit_status};
use crate::engine::digits::decimal;
use crate::protocols::Session;
use crate::protocols::line::{LineEnd, LineReader};

/// Commands are at most 255 octets with CRLF (RFC 2449 §4).
pub const MAX_COMMAND_LINE: usize = 255;
const MAX_ERRORS: u32 = 10;

/// Settings fixed for the life of a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The name it greets with.
    pub hostname: String,
    /// User name → password.
    pub accounts: BTreeMap<String, String>,
}

/// One message of a maildrop, as the host hands it over at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopMessage {
    /// The unique-id listing value (RFC 1939 §7), stable across sessions.
    pub uid: String,
    /// The message, CRLF line ends.
    pub data: Arc<Vec<u8>>,
}

/// What the server asks of or tells its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A user gave the right password: lock their maildrop and pass its messages in.
    LockMaildrop { user: String },
    /// QUIT in the TRANSACTION state: delete these messages (by uid) and release the lock.
    Commit { user: String, deleted: Vec<String> },
    /// The session ended without QUIT: release the lock, delete nothing.
    Release { user: String },
}

#[derive(Debug, Clone)]
enum State {
    Authorization {
        user: Option<String>,
    },
    AwaitMaildrop {
        user: String,
    },
    Transaction {
        user: String,
        msgs: Vec<PopMessage>,
        deleted: Vec<bool>,
    },
    Closed,
}

/// One server-side POP3 session.
#[derive(Debug, Clone)]
pub struct Pop3Server {
    config: Arc<ServerConfig>,
    state: State,
    reader: LineReader,
    out: Vec<u8>,
    events: VecDeque<ServerEvent>,
    errors: u32,
}

impl Pop3Server {
    /// A new session in the AUTHORIZATION state with its greeting queued (RFC 1939 §4).
    pub fn new(config: Arc<ServerConfig>) -> Self {
        let mut s = Pop3Server {
            state: State::Authorization { user: None },
            reader: LineReader::new(MAX_COMMAND_LINE),
            out: Vec::with_capacity(crate::protocols::session::OUT_ROOM),
            events: VecDeque::new(),
            errors: 0,
            config,
        };
        let greeting = format!("POP3 server ready <{}>", s.config.hostname);
        emit_status(true, &greeting, &mut s.out);
        s
    }

    /// Bytes buffered that are not yet a line.
    pub fn buffered(&self) -> usize {
        self.reader.buffered()
    }

    /// The host's answer to [`ServerEvent::LockMaildrop`]: the messages, or `None` if locked.
    pub fn handle_maildrop(&mut self, msgs: Option<Vec<PopMessage>>) {
        let State::AwaitMaildrop { user } = std::mem::replace(&mut self.state, State::Closed)
        else {
            debug_assert!(false, "maildrop handed over when none was asked for");
            return;
        };
        match msgs {
            Some(msgs) => {
                let size: usize = msgs.iter().map(|m| m.data.len()).sum();
                let text = format!(
                    "{user}'s maildrop has {} messages ({size} octets)",
                    msgs.len()
                );
                emit_status(true, &text, &mut self.out);
                let deleted = vec![false; msgs.len()];
                self.state = State::Transaction {
                    user,
                    msgs,
                    deleted,
                };
            }
            None => {
                emit_status(
                    false,
                    "[IN-USE] maildrop already locked by another session",
                    &mut self.out,
                );
                self.state = State::Authorization { user: None };
            }
        }
        self.process();
    }

    fn process(&mut self) {
        while matches!(
            self.state,
            State::Authorization { .. } | State::Transaction { .. }
        ) {
            let Some(parsed) = self.reader.with_next_line(|end, line| match end {
                LineEnd::Crlf => Ok(Command::parse(line)),
                other => Err(other),
            }) else {
                break;
            };
            match parsed {
                Ok(Ok(cmd)) => self.command(cmd),
                Ok(Err(e)) => self.err(&e.0),
                Err(LineEnd::BareLf) => self.err("lines must end with CRLF (RFC 1939 3)"),
                Err(_) => self.err("line too long: commands are at most 255 octets (RFC 2449 4)"),
            }
        }
        if matches!(self.state, State::Closed) {
            self.reader.clear();
        }
    }

    fn ok(&mut self, text: &str) {
        emit_status(true, text, &mut self.out);
    }

    fn err(&mut self, text: &str) {
        emit_status(false, text, &mut self.out);
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            emit_status(false, "too many errors, signing off", &mut self.out);
            self.handle_closed("too many errors");
        }
    }

    fn command(&mut self, cmd: Command) {
        if cmd == Command::Capa {
            self.ok("Capability list follows");
            let caps =
                "USER\r\nUIDL\r\nTOP\r\nRESP-CODES\r\nPIPELINING\r\nIMPLEMENTATION mailsim\r\n";
            emit_multiline(caps.as_bytes(), &mut self.out);
            return;
        }
        match &mut self.state {
            State::Authorization { user } => match cmd {
                Command::User(name) => {
                    *user = Some(name);
                    self.ok("send PASS");
                }
                Command::Pass(pass) => {
                    let Some(name) = user.take() else {
                        return self.err("send USER first");
                    };
                    if self.config.accounts.get(&name) == Some(&pass) {
                        self.events
                            .push_back(ServerEvent::LockMaildrop { user: name.clone() });
                        self.state = State::AwaitMaildrop { user: name };
                    } else {
                        self.err("[AUTH] invalid user name or password");
                    }
                }
                Command::Quit => {
                    self.ok(&format!("{} POP3 server signing off", self.config.hostname));
                    self.state = State::Closed;
                }
                _ => self
                    .err("not allowed in the AUTHORIZATION state: log in with USER and PASS first"),
            },
            State::Transaction { .. } => self.transaction(cmd),
            State::AwaitMaildrop { .. } | State::Closed => {}
        }
    }

    fn transaction(&mut self, cmd: Command) {
        let State::Transaction {
            user,
            msgs,
            deleted,
        } = &mut self.state
        else {
            return;
        };
        let live = |deleted: &[bool]| -> (usize, usize) {
            msgs.iter()
                .zip(deleted)
                .filter(|(_, d)| !**d)
                .fold((0, 0), |(n, s), (m, _)| (n + 1, s + m.data.len()))
        };
        // Resolves a message number to an index, or the -ERR text.
        let pick = |n: u32, deleted: &[bool]| -> Result<usize, String> {
            let i = n as usize - 1;
            match deleted.get(i) {
                None => Err(format!("no such message, only {} in maildrop", msgs.len())),
                Some(true) => Err(format!("message {n} already deleted")),
                Some(false) => Ok(i),
            }
        };
        let mut out = Vec::new();
        let result: Result<(), String> = match cmd {
            Command::Stat => {
                let (n, s) = live(deleted);
                let _ = write!(out, "+OK {n} {s}\r\n");
                Ok(())
            }
            Command::List(None) | Command::Uidl(None) => {
                let (n, s) = live(deleted);
                let uidl = matches!(cmd, Command::Uidl(None));
                let head = if uidl {
                    "unique-id listing follows".to_string()
                } else {
                    format!("{n} messages ({s} octets)")
                };
                emit_status(true, &head, &mut out);
                // Written piece by piece, not formatted: a download starts with this listing.
                let mut body = String::new();
                for (i, m) in msgs.iter().enumerate().filter(|(i, _)| !deleted[*i]) {
                    body.push_str(decimal(i as u64 + 1).as_str());
                    body.push(' ');
                    if uidl {
                        body.push_str(&m.uid);
                    } else {
                        body.push_str(decimal(m.data.len() as u64).as_str());
                    }
                    body.push_str("\r\n");
                }
                emit_multiline(body.as_bytes(), &mut out);
                Ok(())
            }
            Command::List(Some(n)) => pick(n, deleted).map(|i| {
                let _ = write!(out, "+OK {n} {}\r\n", msgs[i].data.len());
            }),
            Command::Uidl(Some(n)) => pick(n, deleted).map(|i| {
                let _ = write!(out, "+OK {n} {}\r\n", msgs[i].uid);
            }),
            Command::Retr(n) => pick(n, deleted).map(|i| {
                for part in [
                    b"+OK ",
                    decimal(msgs[i].data.len() as u64).as_bytes(),
                    b" octets\r\n",
                ] {
                    out.extend_from_slice(part);
                }
                emit_multiline(&msgs[i].data, &mut out);
            }),
            Command::Top(n, lines) => pick(n, deleted).map(|i| {
                emit_status(true, "top of message follows", &mut out);
                emit_multiline(&top_of(&msgs[i].data, lines as usize), &mut out);
            }),
            Command::Dele(n) => pick(n, deleted).map(|i| {
                deleted[i] = true;
                for part in [
                    b"+OK message ",
                    decimal(u64::from(n)).as_bytes(),
                    b" deleted\r\n",
                ] {
                    out.extend_from_slice(part);
                }
            }),
            Command::Noop => {
                emit_status(true, "", &mut out);
                Ok(())
            }
            Command::Rset => {
                deleted.iter_mut().for_each(|d| *d = false);
                let (n, s) = live(deleted);
                emit_status(
                    true,
                    &format!("maildrop has {n} messages ({s} octets)"),
                    &mut out,
                );
                Ok(())
            }
            Command::Quit => {
                // The UPDATE state (RFC 1939 §6): only now are DELE'd messages removed.
                let gone: Vec<String> = msgs
                    .iter()
                    .zip(deleted.iter())
                    .filter(|(_, d)| **d)
                    .map(|(m, _)| m.uid.clone())
                    .collect();
                let left = msgs.len() - gone.len();
                let text = format!(
                    "{} POP3 server signing off ({left} messages left)",
                    self.config.hostname
                );
                emit_status(true, &text, &mut out);
                self.events.push_back(ServerEvent::Commit {
                    user: user.clone(),
                    deleted: gone,
                });
                self.state = State::Closed;
                Ok(())
            }
            Command::User(_) | Command::Pass(_) => {
                Err("already logged in (TRANSACTION state)".into())
            }
            Command::Capa => Ok(()),
        };
        self.out.extend_from_slice(&out);
        if let Err(text) = result {
            self.err(&text);
        }
    }
}

impl Session for Pop3Server {
    type Event = ServerEvent;

    /// The RFC's name for the state.
    fn state_name(&self) -> &'static str {
        match self.state {
            State::Authorization { .. } | State::AwaitMaildrop { .. } => "AUTHORIZATION",
            State::Transaction { .. } => "TRANSACTION",
            State::Closed => "UPDATE/closed",
        }
    }

    /// Whether the session is over and the connection should close.
    fn wants_close(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Bytes waiting for the client.
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        crate::protocols::session::take_output(&mut self.out)
    }

    /// The next event for the host.
    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// The connection ended. Without QUIT nothing is deleted (RFC 1939 §6).
    fn handle_closed(&mut self, _why: &str) {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Transaction { user, .. } | State::AwaitMaildrop { user } => {
                self.events.push_back(ServerEvent::Release { user });
            }
            _ => {}
        }
    }

    /// Feeds bytes from the client.
    fn handle_input(&mut self, bytes: &[u8]) {
        if matches!(self.state, State::Closed) {
            return;
        }
        self.reader.push(bytes);
        self.process();
    }
}

/// The header, the blank line and the first `lines` lines of the body (RFC 1939 §7, TOP).
fn top_of(data: &[u8], lines: usize) -> Vec<u8> {
    let split = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(data.len());
    let mut out = data[..split].to_vec();
    let mut rest = &data[split..];
    for _ in 0..lines {
        if rest.is_empty() {
            break;
        }
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| p + 1)
            .unwrap_or(rest.len());
        out.extend_from_slice(&rest[..end]);
        rest = &rest[end..];
    }
    out
}
