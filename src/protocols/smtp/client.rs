//! The SMTP client state machine (RFC 5321), sans-IO: one mail transaction per session.
//!
//! Calling order: create it with the job, feed the server's bytes to [`SmtpClient::handle_input`],
//! drain [`SmtpClient::poll_transmit`] and [`SmtpClient::poll_event`] after each call, and call
//! [`SmtpClient::handle_closed`] if the connection ends. The client waits for each reply before the
//! next command (it does not pipeline, so a student sees one question and one answer at a time).
//! It says EHLO and falls back to HELO on a 5xx (RFC 5321 §3.2), or says HELO at once when set up
//! as an old-style client.

use std::collections::VecDeque;

use super::wire::{
    Address, Command, Reply, ReplyParser, ReplyView, emit_hello, emit_mail, emit_rcpt,
};
use crate::protocols::Session;
use crate::protocols::line::{LineEnd, LineReader, dot_stuff_into};

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The envelope sender; `None` for a bounce's null path.
    pub from: Option<Address>,
    /// The envelope recipients.
    pub rcpts: Vec<Address>,
    /// The message, CRLF line ends, not yet dot-stuffed.
    pub data: Vec<u8>,
}

/// How the client behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The name it gives in EHLO/HELO.
    pub helo_name: String,
    /// EHLO (modern) or HELO (old-style clients).
    pub use_ehlo: bool,
    /// User name and password for AUTH PLAIN, used if the server answers MAIL with 530
    /// (authentication required, RFC 4954 §6).
    pub auth: Option<(String, String)>,
}

/// How the session went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Recipients the server took (250 to RCPT).
    pub accepted: Vec<Address>,
    /// Recipients the server refused, with its reply.
    pub rejected: Vec<(Address, Reply)>,
    /// Whether the server took responsibility for the message (250 after the final dot).
    pub delivered: bool,
    /// The reply that ended the transaction: the 250 after DATA, or the one that failed it.
    pub last_reply: Option<Reply>,
    /// A problem that was not an SMTP reply: the connection closed, or the server broke the protocol.
    pub error: Option<String>,
}

/// What the client reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The transaction is over (delivered or not); reported once.
    Finished(Outcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    ExpectGreeting,
    ExpectEhlo,
    ExpectHelo,
    ExpectMail,
    ExpectAuth,
    ExpectRcpt(usize),
    ExpectData,
    ExpectDataDone,
    ExpectQuit,
    Done,
}

/// One client-side SMTP session.
#[derive(Debug, Clone)]
pub struct SmtpClient {
    config: ClientConfig,
    job: Job,
    state: State,
    reader: LineReader,
    replies: ReplyParser,
    out: Vec<u8>,
    events: VecDeque<ClientEvent>,
    outcome: Outcome,
    /// The server's answer to each RCPT so far, in order: `None` took the recipient, a reply
    /// refused it. The outcome names the recipients when it is reported.
    verdicts: Vec<Option<Reply>>,
    reported: bool,
    server_size: bool,
    auth_tried: bool,
}

impl SmtpClient {
    /// A client that will send `job` once the server greets it.
    pub fn new(config: ClientConfig, job: Job) -> Self {
        SmtpClient {
            config,
            job,
            state: State::ExpectGreeting,
            reader: LineReader::new(64 * 1024),
            replies: ReplyParser::default(),
            out: Vec::with_capacity(crate::protocols::session::OUT_ROOM),
            events: VecDeque::new(),
            outcome: Outcome {
                accepted: Vec::new(),
                rejected: Vec::new(),
                delivered: false,
                last_reply: None,
                error: None,
            },
            verdicts: Vec::new(),
            reported: false,
            server_size: false,
            auth_tried: false,
        }
    }

    /// Whether the client is sending the message body (used to explain that segment).
    pub fn is_sending_data(&self) -> bool {
        self.state == State::ExpectDataDone
    }

    fn violation(&mut self, what: &str) {
        self.outcome.error = Some(format!("protocol error: {what}"));
        self.send(Command::Quit);
        self.state = State::Done;
        self.report();
    }

    fn send(&mut self, cmd: Command) {
        cmd.emit(&mut self.out);
    }

    fn report(&mut self) {
        if !self.reported {
            self.reported = true;
            // Reported once: nothing reads the outcome, or the job's recipients, after this.
            let rcpts = std::mem::take(&mut self.job.rcpts);
            for (rcpt, verdict) in rcpts.into_iter().zip(self.verdicts.drain(..)) {
                match verdict {
                    None => self.outcome.accepted.push(rcpt),
                    Some(reply) => self.outcome.rejected.push((rcpt, reply)),
                }
            }
            let outcome = std::mem::take(&mut self.outcome);
            self.events.push_back(ClientEvent::Finished(outcome));
        }
    }

    fn fail(&mut self, reply: Reply) {
        self.outcome.last_reply = Some(reply);
        self.report();
        self.send(Command::Quit);
        self.state = State::ExpectQuit;
    }

    fn send_mail(&mut self, esmtp: bool) {
        let size = (esmtp && self.server_size).then_some(self.job.data.len());
        emit_mail(self.job.from.as_ref(), size, &mut self.out);
        self.state = State::ExpectMail;
    }

    fn send_rcpt(&mut self, i: usize) {
        emit_rcpt(&self.job.rcpts[i], &mut self.out);
        self.state = State::ExpectRcpt(i);
    }

    fn reply(&mut self, reply: ReplyView<'_>) {
        match self.state {
            State::ExpectGreeting if reply.code == 220 => {
                let ehlo = self.config.use_ehlo;
                emit_hello(ehlo, &self.config.helo_name, &mut self.out);
                self.state = if ehlo {
                    State::ExpectEhlo
                } else {
                    State::ExpectHelo
                };
            }
            State::ExpectEhlo if reply.code == 250 => {
                self.server_size = reply.lines().skip(1).any(|l| {
                    l.split(' ')
                        .next()
                        .is_some_and(|k| k.eq_ignore_ascii_case("SIZE"))
                });
                self.send_mail(true);
            }
            State::ExpectEhlo if reply.code >= 500 => {
                // An old server that does not know EHLO: fall back to HELO (RFC 5321 §3.2).
                emit_hello(false, &self.config.helo_name, &mut self.out);
                self.state = State::ExpectHelo;
            }
            State::ExpectHelo if reply.code == 250 => self.send_mail(false),
            State::ExpectMail if reply.code == 530 && !self.auth_tried && self.config.use_ehlo => {
                match self.config.auth.clone() {
                    Some((user, pass)) => {
                        use base64::Engine;
                        self.auth_tried = true;
                        let creds = format!("\0{user}\0{pass}");
                        let b64 = base64::engine::general_purpose::STANDARD.encode(creds);
                        self.send(Command::Auth {
                            mechanism: "PLAIN".into(),
                            initial: Some(b64),
                        });
                        self.state = State::ExpectAuth;
                    }
                    None => self.fail(reply.to_reply()),
                }
            }
            State::ExpectAuth if reply.code == 235 => self.send_mail(true),
            State::ExpectMail if reply.code == 250 => {
                if self.job.rcpts.is_empty() {
                    self.fail(reply.to_reply());
                } else {
                    self.send_rcpt(0);
                }
            }
            State::ExpectRcpt(i) => {
                self.verdicts
                    .push((!reply.is_positive()).then(|| reply.to_reply()));
                if i + 1 < self.job.rcpts.len() {
                    self.send_rcpt(i + 1);
                } else if self.verdicts.iter().all(Option::is_some) {
                    self.fail(reply.to_reply());
                } else {
                    self.send(Command::Data);
                    self.state = State::ExpectData;
                }
            }
            State::ExpectData if reply.code == 354 => {
                dot_stuff_into(&self.job.data, &mut self.out);
                self.out.extend_from_slice(b".\r\n");
                self.state = State::ExpectDataDone;
            }
            State::ExpectDataDone if reply.code == 250 => {
                self.outcome.delivered = true;
                self.outcome.last_reply = Some(reply.to_reply());
                self.report();
                self.send(Command::Quit);
                self.state = State::ExpectQuit;
            }
            State::ExpectQuit => {
                self.state = State::Done;
                self.report();
            }
            State::Done => {}
            _ => self.fail(reply.to_reply()),
        }
    }
}

impl Session for SmtpClient {
    type Event = ClientEvent;

    /// The state's name, as the inspector shows it.
    fn state_name(&self) -> &'static str {
        match self.state {
            State::ExpectGreeting => "expect greeting",
            State::ExpectEhlo => "expect EHLO reply",
            State::ExpectHelo => "expect HELO reply",
            State::ExpectMail => "expect MAIL reply",
            State::ExpectAuth => "expect AUTH reply",
            State::ExpectRcpt(_) => "expect RCPT reply",
            State::ExpectData => "expect 354",
            State::ExpectDataDone => "sent message, expect 250",
            State::ExpectQuit => "expect 221",
            State::Done => "done",
        }
    }

    /// Whether the session is over and the connection may close.
    fn wants_close(&self) -> bool {
        self.state == State::Done
    }

    /// Bytes waiting to go to the server.
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        crate::protocols::session::take_output(&mut self.out)
    }

    /// The next event, if any.
    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The connection ended (or could not be opened); reports the outcome if not yet reported.
    fn handle_closed(&mut self, why: &str) {
        if self.state != State::Done && !self.reported {
            self.outcome.error = Some(why.to_string());
        }
        self.state = State::Done;
        self.report();
    }

    /// Feeds bytes from the server.
    fn handle_input(&mut self, bytes: &[u8]) {
        self.reader.push(bytes);
        // Out of `self` while its replies are read in place (lent to `reply`); put back after.
        let mut replies = std::mem::take(&mut self.replies);
        while self.state != State::Done {
            let Some(fed) = self.reader.with_next_line(|end, line| match end {
                LineEnd::Crlf => replies.feed_line(line),
                _ => Err(
                    "the server sent a line that is not CRLF-terminated or too long".to_string(),
                ),
            }) else {
                break;
            };
            match fed {
                Ok(true) => self.reply(replies.last()),
                Ok(false) => {}
                Err(e) => {
                    self.violation(&e);
                    break;
                }
            }
        }
        self.replies = replies;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(rcpts: &[&str]) -> SmtpClient {
        SmtpClient::new(
            ClientConfig {
                helo_name: "pc.a.example".into(),
                use_ehlo: true,
                auth: None,
            },
            Job {
                from: Some(Address::parse("alice@a.example").unwrap()),
                rcpts: rcpts.iter().map(|r| Address::parse(r).unwrap()).collect(),
                data: b"Subject: hi\r\n\r\nhello\r\n".to_vec(),
            },
        )
    }

    /// Feeds the server's lines one reply at a time and returns the outcome reported.
    fn outcome(c: &mut SmtpClient, replies: &[&str]) -> Option<Outcome> {
        for r in replies {
            c.handle_input(r.as_bytes());
            while c.poll_transmit().is_some() {}
        }
        c.poll_event().map(|ClientEvent::Finished(o)| o)
    }

    fn addr(a: &str) -> Address {
        Address::parse(a).unwrap()
    }

    #[test]
    fn the_outcome_names_each_recipient_taken_or_refused_in_order() {
        let mut c = client(&["bob@b.example", "nobody@b.example", "carol@b.example"]);
        let refused = "550 5.1.1 <nobody@b.example>: no such user";
        let o = outcome(
            &mut c,
            &[
                "220 mx.b.example ESMTP\r\n",
                "250-mx.b.example\r\n250 SIZE 1000\r\n",
                "250 2.1.0 Ok\r\n",
                "250 2.1.5 Ok\r\n",
                &format!("{refused}\r\n"),
                "250 2.1.5 Ok\r\n",
                "354 go on\r\n",
                "250 2.0.0 Ok: queued as 1\r\n",
            ],
        )
        .expect("reported");
        assert_eq!(o.accepted, [addr("bob@b.example"), addr("carol@b.example")]);
        assert_eq!(o.rejected.len(), 1);
        assert_eq!(o.rejected[0].0, addr("nobody@b.example"));
        assert_eq!(
            o.rejected[0].1.to_string(),
            "550 5.1.1 <nobody@b.example>: no such user"
        );
        assert!(o.delivered);
        assert_eq!(
            o.last_reply.map(|r| r.to_string()).as_deref(),
            Some("250 2.0.0 Ok: queued as 1")
        );
    }

    #[test]
    fn a_connection_lost_among_the_rcpts_reports_those_answered() {
        let mut c = client(&["bob@b.example", "nobody@b.example", "carol@b.example"]);
        assert_eq!(
            outcome(
                &mut c,
                &[
                    "220 mx.b.example ESMTP\r\n",
                    "250 mx.b.example\r\n",
                    "250 2.1.0 Ok\r\n",
                    "550 5.1.1 no such user\r\n",
                ],
            ),
            None
        );
        c.handle_closed("the other side closed the connection");
        let Some(ClientEvent::Finished(o)) = c.poll_event() else {
            panic!("no outcome reported")
        };
        assert!(o.accepted.is_empty());
        assert_eq!(o.rejected.len(), 1);
        assert_eq!(o.rejected[0].0, addr("bob@b.example"));
        assert!(!o.delivered);
        assert!(o.error.is_some());
    }
}
