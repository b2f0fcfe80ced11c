//! The SMTP server state machine (RFC 5321), sans-IO.
//!
//! Calling order, as with every machine in `protocols`: create it (the 220 greeting is queued),
//! then for each chunk of received bytes call [`SmtpServer::handle_input`], and after each call drain
//! [`SmtpServer::poll_transmit`] (bytes for the client) and [`SmtpServer::poll_event`] (messages
//! accepted, and greylisting's question, which the host answers with
//! [`SmtpServer::answer_greylist`] before it gives the server more input: until then the server
//! reads no command, and what arrives meanwhile waits in its buffer). When
//! [`SmtpServer::wants_close`] is true, close the connection after sending.
//!
//! The server is strict and teaches: commands out of order get 503 5.5.1, unknown verbs 500 5.5.2,
//! bad arguments 501, unknown local users 550 5.1.1, relaying for strangers 554 5.7.1, a logged-in
//! user sending as someone else 553 5.7.1, messages over SIZE 552 5.3.4. Lines end with CRLF only:
//! a bare LF is refused (RFC 5321 §2.3.8), which also stops "SMTP smuggling" through `<LF>.<LF>`.
//! Replies to pipelined commands come in order (RFC 2920).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use super::wire::{Address, Command, CommandError, Reply};
use crate::engine::digits::decimal;
use crate::protocols::Session;
use crate::protocols::line::{LineEnd, LineReader};

mod auth;
mod rcpt;

use auth::AuthWait;

/// Takes one line of DATA; returns true at the terminating dot.
fn data_line(ds: &mut DataState, max_size: usize, end: LineEnd, line: &[u8]) -> bool {
    match end {
        LineEnd::Crlf if line == b"." => return true,
        LineEnd::Crlf => {}
        LineEnd::BareLf => ds.bare_lf = true,
        LineEnd::TooLong => {
            ds.too_long = true;
            return false;
        }
    }
    // Dot-unstuffing (RFC 5321 §4.5.2): a leading dot was doubled by the client.
    let body = line.strip_prefix(b".").unwrap_or(line);
    if ds.data.len() + body.len() + 2 > max_size {
        ds.too_big = true;
    }
    if !ds.too_big {
        ds.data.extend_from_slice(body);
        ds.data.extend_from_slice(b"\r\n");
    }
    false
}

/// Command lines may be 512 octets with CRLF (RFC 5321 §4.5.3.1.4).
pub const MAX_COMMAND_LINE: usize = 512;
/// Text lines in DATA may be 1000 octets with CRLF (RFC 5321 §4.5.3.1.6).
pub const MAX_TEXT_LINE: usize = 1000;
/// After this many errors in one session the server gives up with 421.
const MAX_ERRORS: u32 = 10;

/// What a server is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The server a domain's users submit to: it relays their mail to other domains.
    Submission,
    /// The server other servers deliver to (the MX): only mail for its own domains.
    Mx,
}

/// Settings fixed for the life of a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The name it greets with and writes into `Received:`.
    pub hostname: String,
    /// Submission (relays for its users) or MX (accepts only for its domains).
    pub role: Role,
    /// Domains whose mail this server accepts for local delivery, lower-case.
    pub local_domains: Vec<String>,
    /// Addresses with a mailbox here, lower-case (`bob@b.example`).
    pub users: BTreeSet<String>,
    /// The largest message accepted, in octets (advertised as SIZE, RFC 1870).
    pub max_size: usize,
    /// Recipients per transaction (RFC 5321 §4.5.3.1.8 asks servers to take at least 100).
    pub max_recipients: usize,
    /// User name → password, for AUTH (RFC 4954) on submission.
    pub accounts: BTreeMap<String, String>,
    /// Mail is taken only after AUTH (RFC 6409 §4.3): set when real programs connect through
    /// the bridge; AUTH is advertised then.
    pub require_auth: bool,
    /// Greylisting: for each recipient it would accept the server asks its host whether this
    /// (client, sender, recipient) was tried before ([`ServerEvent::Greylist`]); a first try is
    /// answered 451 4.7.1, a retry goes on.
    pub greylist: bool,
    /// Full mailboxes (address → refused for good): RCPT gets 452 4.2.2, or 552 5.2.2 when
    /// permanent (RFC 3463 §3.3: mailbox full).
    pub full: BTreeMap<String, bool>,
}

impl ServerConfig {
    fn is_local(&self, domain: &str) -> bool {
        self.local_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    }
}

/// A message the server took responsibility for (it answered 250 to the end of DATA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The name the client gave in HELO/EHLO.
    pub helo: String,
    /// Whether the client said EHLO (ESMTP) rather than HELO.
    pub esmtp: bool,
    /// The reverse-path; `None` for the null path `<>` of bounces.
    pub from: Option<Address>,
    /// The accepted recipients.
    pub rcpts: Vec<Address>,
    /// The message as received, dot-unstuffed, CRLF line ends.
    pub data: Vec<u8>,
    /// The id the server named in its 250 reply.
    pub queue_id: String,
}

/// What the server reports to its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A message was accepted: the host must now deliver or relay it.
    Accepted(Envelope),
    /// Greylisting asks: was this triple tried before? The host remembers the triples (they
    /// outlive sessions) and answers with [`SmtpServer::answer_greylist`]; until then the server
    /// reads no further command.
    Greylist {
        /// The name the client gave in HELO/EHLO.
        client: String,
        /// The reverse-path as written (`a@b`), empty for `<>`.
        sender: String,
        /// The recipient, lower-case.
        rcpt: String,
    },
}

#[derive(Debug, Clone)]
struct Txn {
    from: Option<Address>,
    rcpts: Vec<Address>,
    /// The size the client declared (MAIL's SIZE parameter, RFC 1870), at most `max_size`.
    size: Option<usize>,
}

#[derive(Debug, Clone)]
struct DataState {
    txn: Txn,
    data: Vec<u8>,
    too_big: bool,
    bare_lf: bool,
    too_long: bool,
}

#[derive(Debug, Clone)]
enum State {
    ExpectHelo,
    ExpectMail,
    ExpectRcpt(Txn),
    ReceivingData(DataState),
    Closed,
}

/// One server-side SMTP session.
#[derive(Debug, Clone)]
pub struct SmtpServer {
    config: Arc<ServerConfig>,
    state: State,
    reader: LineReader,
    out: Vec<u8>,
    events: VecDeque<ServerEvent>,
    helo: Option<(String, bool)>,
    queue_id_base: String,
    accepted: u32,
    errors: u32,
    /// Who logged in with AUTH.
    authed: Option<String>,
    /// An AUTH exchange waiting for the client's next line.
    auth_wait: AuthWait,
    /// A recipient waiting for the host's answer to [`ServerEvent::Greylist`].
    greylist_wait: Option<Address>,
}

impl SmtpServer {
    /// A new session; the 220 greeting is queued at once (RFC 5321 §3.1).
    /// `queue_id_base` makes the ids in "queued as" replies unique per session.
    pub fn new(config: Arc<ServerConfig>, queue_id_base: String) -> Self {
        let mut s = SmtpServer {
            state: State::ExpectHelo,
            reader: LineReader::new(MAX_COMMAND_LINE),
            out: Vec::with_capacity(crate::protocols::session::OUT_ROOM),
            events: VecDeque::new(),
            helo: None,
            queue_id_base,
            accepted: 0,
            errors: 0,
            authed: None,
            auth_wait: AuthWait::None,
            greylist_wait: None,
            config,
        };
        let greeting = Reply::new(220, [&s.config.hostname, " ESMTP mailsim ready"].concat());
        s.reply(greeting);
        s
    }

    /// Bytes buffered but not yet a whole line (for limits and tests).
    pub fn buffered(&self) -> usize {
        self.reader.buffered()
    }

    /// A one-line reply known in advance, without building a [`Reply`].
    fn line(&mut self, line: &'static str) {
        self.out.extend_from_slice(line.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    fn reply(&mut self, r: Reply) {
        r.emit(&mut self.out);
    }

    fn error(&mut self, r: Reply) {
        self.reply(r);
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            let bye = Reply::new(
                421,
                format!(
                    "4.7.0 {} Too many errors, closing connection",
                    self.config.hostname
                ),
            );
            self.reply(bye);
        }
    }

    /// Whether the session is over: the client said QUIT, or made too many errors (421).
    fn closed(&self) -> bool {
        matches!(self.state, State::Closed) || self.errors >= MAX_ERRORS
    }

    fn command_line(&mut self, parsed: Result<Result<Command, CommandError>, LineEnd>) {
        match parsed {
            Err(LineEnd::BareLf) => self.error(Reply::new(
                500,
                "5.5.2 Lines must end with CRLF, not a bare LF (RFC 5321 2.3.8)",
            )),
            Err(_) => self.error(Reply::new(
                500,
                "5.5.2 Line too long: commands are at most 512 octets (RFC 5321 4.5.3.1.4)",
            )),
            Ok(Ok(cmd)) => self.command(cmd),
            Ok(Err(CommandError::Unknown(verb))) => {
                // Echoed back as printable text only: a reply line is 7-bit text (RFC 5321 §4.2).
                let shown: String = verb
                    .chars()
                    .take(32)
                    .map(|c| if c.is_ascii_graphic() { c } else { '?' })
                    .collect();
                self.error(Reply::new(
                    500,
                    format!("5.5.2 Command not recognized: {shown}"),
                ))
            }
            Ok(Err(CommandError::Syntax(text))) => self.error(Reply::new(501, text)),
        }
    }

    fn command(&mut self, cmd: Command) {
        let state = std::mem::replace(&mut self.state, State::Closed);
        self.state = match (cmd, state) {
            (Command::Ehlo(domain), _) => {
                // The extensions (RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 2034, RFC 2920), written
                // straight out: every session starts with this reply.
                let c = &self.config;
                for part in ["250-", &c.hostname, " greets ", &domain, "\r\n250-SIZE "] {
                    self.out.extend_from_slice(part.as_bytes());
                }
                self.out
                    .extend_from_slice(decimal(c.max_size as u64).as_bytes());
                self.out.extend_from_slice(
                    b"\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n",
                );
                if c.require_auth {
                    self.out.extend_from_slice(b"250-AUTH PLAIN LOGIN\r\n");
                }
                self.out.extend_from_slice(b"250 HELP\r\n");
                self.helo = Some((domain, true));
                State::ExpectMail
            }
            (Command::Helo(domain), _) => {
                let r = Reply::new(250, self.config.hostname.clone());
                self.reply(r);
                self.helo = Some((domain, false));
                State::ExpectMail
            }
            (Command::Quit, _) => {
                // Joined, not formatted: every session ends with this reply.
                let text = ["2.0.0 ", &self.config.hostname, " closing connection"].concat();
                self.reply(Reply::new(221, text));
                State::Closed
            }
            (Command::Noop(_), s) => {
                self.line("250 2.0.0 Ok");
                s
            }
            (Command::Rset, s) => {
                self.line("250 2.0.0 Ok");
                match s {
                    State::ExpectHelo => State::ExpectHelo,
                    _ => State::ExpectMail,
                }
            }
            (Command::Vrfy(_), s) => {
                self.reply(Reply::new(
                    252,
                    "2.5.0 Cannot VRFY user, but will accept message and attempt delivery",
                ));
                s
            }
            (Command::Help(_), s) => {
                self.reply(Reply::new(
                    214,
                    "2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT (RFC 5321)",
                ));
                s
            }
            (Command::Mail { .. }, State::ExpectHelo) => {
                self.error(Reply::new(
                    503,
                    "5.5.1 Bad sequence of commands: send EHLO or HELO first",
                ));
                State::ExpectHelo
            }
            (Command::Auth { .. }, s) if self.config.role != Role::Submission => {
                self.error(Reply::new(
                    502,
                    "5.5.1 AUTH is for submission (port 587); servers exchange mail without it",
                ));
                s
            }
            (Command::Auth { .. }, s) if self.authed.is_some() => {
                self.error(Reply::new(503, "5.5.1 Already authenticated"));
                s
            }
            (Command::Auth { .. }, s @ (State::ExpectRcpt(_) | State::ReceivingData(_))) => {
                self.error(Reply::new(
                    503,
                    "5.5.1 AUTH is not allowed during a mail transaction",
                ));
                s
            }
            (Command::Auth { .. }, s) if !self.helo.as_ref().is_some_and(|h| h.1) => {
                self.error(Reply::new(
                    503,
                    "5.5.1 Say EHLO first: AUTH is an ESMTP extension",
                ));
                s
            }
            (Command::Auth { mechanism, initial }, s) => {
                match (mechanism.as_str(), initial) {
                    ("PLAIN", Some(i)) => self.auth_line(i),
                    ("PLAIN", None) => {
                        self.line("334 ");
                        self.auth_wait = AuthWait::Plain;
                    }
                    ("LOGIN", None) => {
                        // "Username:" in base64.
                        self.line("334 VXNlcm5hbWU6");
                        self.auth_wait = AuthWait::LoginUser;
                    }
                    ("LOGIN", Some(u)) => {
                        self.auth_wait = AuthWait::LoginUser;
                        self.auth_line(u);
                    }
                    _ => self.error(Reply::new(
                        504,
                        "5.5.4 Unrecognized authentication type: this server offers PLAIN and LOGIN",
                    )),
                }
                s
            }
            (Command::Mail { .. }, State::ExpectMail)
                if self.config.require_auth && self.authed.is_none() =>
            {
                self.error(Reply::new(
                    530,
                    "5.7.0 Authentication required: submission takes mail from its users only (RFC 6409)",
                ));
                State::ExpectMail
            }
            (Command::Mail { from, params }, State::ExpectMail) => {
                match self
                    .check_mail_params(&params)
                    .and_then(|()| self.check_sender(from.as_ref()))
                {
                    Ok(()) => {
                        self.line("250 2.1.0 Ok");
                        let size = params.get("SIZE").flatten().and_then(|v| v.parse().ok());
                        State::ExpectRcpt(Txn {
                            from,
                            rcpts: Vec::new(),
                            size,
                        })
                    }
                    Err(r) => {
                        self.error(r);
                        State::ExpectMail
                    }
                }
            }
            (
                Command::Mail { .. },
                s @ (State::ExpectRcpt(_) | State::ReceivingData(_) | State::Closed),
            ) => {
                self.error(Reply::new(
                    503,
                    "5.5.1 Bad sequence of commands: nested MAIL command",
                ));
                s
            }
            (Command::Rcpt { to, params }, State::ExpectRcpt(mut txn)) => {
                if !params.is_empty() {
                    self.error(Reply::new(555, "5.5.4 RCPT parameters not supported"));
                } else if txn.rcpts.len() >= self.config.max_recipients {
                    self.error(Reply::new(452, "4.5.3 Too many recipients"));
                } else {
                    self.rcpt(&mut txn, to);
                }
                State::ExpectRcpt(txn)
            }
            (Command::Rcpt { .. }, s) => {
                self.error(Reply::new(
                    503,
                    "5.5.1 Bad sequence of commands: need MAIL before RCPT",
                ));
                s
            }
            (Command::Data, State::ExpectRcpt(txn)) if txn.rcpts.is_empty() => {
                self.error(Reply::new(554, "5.5.1 No valid recipients"));
                State::ExpectRcpt(txn)
            }
            (Command::Data, State::ExpectRcpt(txn)) => {
                self.line("354 End data with <CR><LF>.<CR><LF>");
                self.reader.set_max_line(MAX_TEXT_LINE);
                // Room for the size the client declared, so the message is not copied as it
                // grows; at most 64 KiB, whatever a client claims and then does not send.
                let room = txn.size.unwrap_or(0).min(64 * 1024);
                State::ReceivingData(DataState {
                    txn,
                    data: Vec::with_capacity(room),
                    too_big: false,
                    bare_lf: false,
                    too_long: false,
                })
            }
            (Command::Data, s) => {
                let text = match s {
                    State::ExpectHelo => "5.5.1 Bad sequence of commands: send EHLO or HELO first",
                    _ => "5.5.1 Bad sequence of commands: need MAIL and RCPT before DATA",
                };
                self.error(Reply::new(503, text));
                s
            }
        };
    }

    fn end_of_data(&mut self) {
        self.reader.set_max_line(MAX_COMMAND_LINE);
        let State::ReceivingData(ds) = std::mem::replace(&mut self.state, State::ExpectMail) else {
            return;
        };
        let r = if ds.bare_lf {
            Reply::new(
                554,
                "5.6.0 Message refused: it has a bare LF; lines must end with CRLF (RFC 5321 2.3.8)",
            )
        } else if ds.too_long {
            Reply::new(
                554,
                "5.6.0 Message refused: a line is longer than 1000 octets (RFC 5321 4.5.3.1.6)",
            )
        } else if ds.too_big {
            Reply::new(552, "5.3.4 Message size exceeds fixed maximum message size")
        } else {
            self.accepted += 1;
            let queue_id = [&self.queue_id_base, decimal(self.accepted.into()).as_str()].concat();
            let (helo, esmtp) = self.helo.clone().unwrap_or_default();
            self.events.push_back(ServerEvent::Accepted(Envelope {
                helo,
                esmtp,
                from: ds.txn.from,
                rcpts: ds.txn.rcpts,
                data: ds.data,
                queue_id: queue_id.clone(),
            }));
            return self.reply(Reply::new(
                250,
                ["2.0.0 Ok: queued as ", &queue_id].concat(),
            ));
        };
        self.error(r);
    }

    /// Reads the whole lines buffered, until none is left, the session ends or the host is asked
    /// something (greylisting) that the next line must wait for.
    fn process(&mut self) {
        while !self.closed() && self.greylist_wait.is_none() {
            if let State::ReceivingData(ds) = &mut self.state {
                let max = self.config.max_size;
                match self
                    .reader
                    .with_next_line(|end, line| data_line(ds, max, end, line))
                {
                    None => break,
                    Some(true) => self.end_of_data(),
                    Some(false) => {}
                }
                continue;
            }
            if self.auth_wait != AuthWait::None {
                let Some(line) = self.reader.with_next_line(|end, line| match end {
                    LineEnd::Crlf => Ok(String::from_utf8_lossy(line).into_owned()),
                    other => Err(other),
                }) else {
                    break;
                };
                match line {
                    Ok(l) => self.auth_line(l),
                    Err(LineEnd::TooLong) => {
                        self.auth_wait = AuthWait::None;
                        // RFC 4954 §6.
                        self.error(Reply::new(
                            500,
                            "5.5.6 Authentication Exchange line is too long",
                        ));
                    }
                    Err(_) => {
                        self.auth_wait = AuthWait::None;
                        self.error(Reply::new(
                            501,
                            "5.5.2 The credentials must be one line of base64 ending in CRLF",
                        ));
                    }
                }
                continue;
            }
            // The line is parsed where it lies in the buffer, without copying it.
            let Some(parsed) = self.reader.with_next_line(|end, line| match end {
                LineEnd::Crlf => Ok(Command::parse(line)),
                other => Err(other),
            }) else {
                break;
            };
            self.command_line(parsed);
        }
        if self.closed() {
            self.reader.clear();
        }
    }
}

impl Session for SmtpServer {
    type Event = ServerEvent;

    /// The state's name, as the inspector shows it.
    fn state_name(&self) -> &'static str {
        if self.closed() {
            return "closed";
        }
        if self.auth_wait != AuthWait::None {
            return "AUTH: expect credentials";
        }
        if self.greylist_wait.is_some() {
            return "RCPT: greylisting asks the host";
        }
        match self.state {
            State::ExpectHelo => "expect HELO/EHLO",
            State::ExpectMail => "expect MAIL",
            State::ExpectRcpt(ref t) if t.rcpts.is_empty() => "expect RCPT",
            State::ExpectRcpt(_) => "expect RCPT or DATA",
            State::ReceivingData(_) => "receiving DATA",
            State::Closed => "closed",
        }
    }

    /// Whether the server has said goodbye (221 or 421) and wants the connection closed.
    fn wants_close(&self) -> bool {
        self.closed()
    }

    /// Bytes waiting to go to the client, if any.
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        crate::protocols::session::take_output(&mut self.out)
    }

    /// The next event for the host, if any.
    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Nothing to do: a transaction not ended by the final dot is simply forgotten, and the
    /// messages already accepted were reported when their DATA ended (RFC 5321 §3.3, §4.1.1.4).
    fn handle_closed(&mut self, _why: &str) {}

    /// Feeds bytes received from the client; partial lines wait for the rest.
    fn handle_input(&mut self, bytes: &[u8]) {
        if self.closed() {
            return;
        }
        self.reader.push(bytes);
        self.process();
    }
}
