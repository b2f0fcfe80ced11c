//! The client side of IMAP, as a mail program uses it: log in, open INBOX, list the messages
//! (flags and subject, without marking them read), then do what the user asked (read a message,
//! delete one), and either log out or stay connected in IDLE to hear about changes at once.
//!
//! Responses are parsed with imap-codec's `ResponseCodec`, literals included.

use std::collections::VecDeque;

use imap_codec::ResponseCodec;
use imap_codec::decode::{Decoder, ResponseDecodeError};
use imap_codec::imap_types::fetch::MessageDataItem;
use imap_codec::imap_types::flag::FlagFetch;
use imap_codec::imap_types::response::{Data, Response, Status, StatusKind};

use crate::mail::subject_of;
use crate::protocols::Session;

/// Replies held while incomplete are at most this long; more is a broken server.
const MAX_BUFFER: usize = 16 * 1024 * 1024;

/// How the mail program is set up.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Login name.
    pub user: String,
    /// Password.
    pub pass: String,
    /// Stay connected in IDLE after the work is done.
    pub idle: bool,
    /// Ask for CAPABILITY before logging in (some clients do, some trust the greeting).
    pub ask_capability: bool,
    /// What the program listed last time, by UID: (uid, subject, flags). The first listing of
    /// a session is compared with it, so that only real changes become events.
    pub cached: Vec<(u32, String, Vec<String>)>,
    /// How it writes tags and command names: clients differ, servers must not care (RFC 3501
    /// §2.2.1: any tag; §9: names are case-insensitive).
    pub habits: Habits,
}

/// How a client writes its commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Habits {
    /// `a1`, `A001` or `1`.
    pub tags: TagStyle,
    /// Command names in lower case (`select`), as some clients send them.
    pub lowercase: bool,
}

/// The form of command tags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TagStyle {
    /// `a1`, `a2`, ...
    #[default]
    Short,
    /// `A001`, `A002`, ... as in RFC 3501's examples.
    Padded,
    /// `1`, `2`, ...
    Number,
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Bring the list up to date.
    Sync,
    /// Open (read) the first message with this subject: the server sets \Seen.
    Read { subject: String },
    /// Delete the first message with this subject: \Deleted, then EXPUNGE.
    Delete { subject: String },
    /// Fetch the whole message with this UID (a webmail showing it); sets \Seen.
    ReadUid(u32),
}

/// What the client tells its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// A message the program had not listed yet.
    Added {
        uid: u32,
        subject: String,
        flags: Vec<String>,
    },
    /// A listed message's flags changed.
    Flags { uid: u32, flags: Vec<String> },
    /// A listed message is gone from the server.
    Removed { uid: u32 },
    /// Something to tell the user (one line).
    Note(String),
    /// The whole message with this UID, as fetched by [`Job::ReadUid`].
    Body { uid: u32, data: Vec<u8> },
    /// LOGIN was refused; the server's text.
    LoginFailed(String),
    /// The session is over (logged out or cut).
    Finished,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Capability,
    Login,
    Select,
    List,
    Read { subject: String },
    ReadUid,
    MarkDeleted { subject: String },
    Expunge { subject: String },
    Noop,
    Idle,
    Logout,
}

/// One client-side IMAP session.
pub struct ImapClient {
    config: ClientConfig,
    jobs: VecDeque<Job>,
    buf: Vec<u8>,
    out: Vec<u8>,
    events: VecDeque<ClientEvent>,
    next_tag: u32,
    pending: Option<(String, Pending)>,
    greeted: bool,
    selected: bool,
    /// (uid, subject, flags) by message sequence number − 1; uid 0 while unknown.
    msgs: Vec<(u32, String, Vec<String>)>,
    /// The server said EXISTS with more than we listed.
    new_mail: bool,
    /// In IDLE (the server said `+`).
    idling: bool,
    /// DONE was sent; the IDLE command's tagged reply is awaited.
    done_sent: bool,
    closed: bool,
    /// The first listing of the session is done (the cache has been reconciled).
    listed_once: bool,
}

impl ImapClient {
    /// A session that will do `jobs` once logged in.
    pub fn new(config: ClientConfig, jobs: Vec<Job>) -> Self {
        ImapClient {
            config,
            jobs: jobs.into(),
            buf: Vec::new(),
            out: Vec::with_capacity(crate::protocols::session::OUT_ROOM),
            events: VecDeque::new(),
            next_tag: 1,
            pending: None,
            greeted: false,
            selected: false,
            msgs: Vec::new(),
            new_mail: false,
            idling: false,
            done_sent: false,
            closed: false,
            listed_once: false,
        }
    }

    /// Whether the session is still usable for more work.
    pub fn is_open(&self) -> bool {
        !self.closed && !matches!(self.pending, Some((_, Pending::Logout)))
    }

    /// The user asked for more while the session is open: in IDLE, end it first.
    pub fn push_job(&mut self, job: Job) {
        self.jobs.push_back(job);
        if self.idling && !self.done_sent {
            self.send_done();
        }
    }

    fn send(&mut self, command: &str, p: Pending) {
        let n = self.next_tag;
        let tag = match self.config.habits.tags {
            TagStyle::Short => format!("a{n}"),
            TagStyle::Padded => format!("A{n:03}"),
            TagStyle::Number => n.to_string(),
        };
        self.next_tag += 1;
        let lowered;
        let command = if self.config.habits.lowercase {
            // The command name (two words for UID ...) in lower case; arguments as they are.
            let words = if command.starts_with("UID ") { 2 } else { 1 };
            let mut parts = command.splitn(words + 1, ' ');
            let mut out: Vec<String> = Vec::new();
            for _ in 0..words {
                if let Some(w) = parts.next() {
                    out.push(w.to_ascii_lowercase());
                }
            }
            out.extend(parts.map(str::to_string));
            lowered = out.join(" ");
            lowered.as_str()
        } else {
            command
        };
        self.out
            .extend_from_slice(format!("{tag} {command}\r\n").as_bytes());
        self.pending = Some((tag, p));
    }

    fn send_done(&mut self) {
        self.out.extend_from_slice(b"DONE\r\n");
        self.done_sent = true;
    }

    fn note(&mut self, s: String) {
        self.events.push_back(ClientEvent::Note(s));
    }

    fn fail(&mut self, why: &str) {
        self.note(format!("mail program (IMAP): {why}"));
        self.buf.clear();
        self.closed = true;
        self.events.push_back(ClientEvent::Finished);
    }

    fn on_reply(&mut self, r: Reply) {
        match r {
            Reply::Greeting { ok } if !self.greeted => {
                self.greeted = true;
                if !ok {
                    return self.fail("the server refused the session");
                }
                if self.config.ask_capability {
                    self.send("CAPABILITY", Pending::Capability);
                } else {
                    self.login();
                }
            }
            Reply::Greeting { .. } | Reply::Other => {}
            Reply::Bye => {
                if !matches!(self.pending, Some((_, Pending::Logout))) {
                    self.note("mail program (IMAP): the server closed the session (BYE)".into());
                }
            }
            Reply::Continue => {
                if matches!(self.pending, Some((_, Pending::Idle))) {
                    self.idling = true;
                    if !self.jobs.is_empty() || self.new_mail {
                        self.send_done();
                    }
                }
            }
            Reply::Exists(n) => {
                if n as usize > self.msgs.len() {
                    self.new_mail = true;
                    if self.idling && !self.done_sent {
                        self.send_done();
                    }
                }
            }
            Reply::Expunge(k) => {
                let i = k as usize - 1;
                if i < self.msgs.len() {
                    let (uid, ..) = self.msgs.remove(i);
                    if uid != 0 {
                        self.events.push_back(ClientEvent::Removed { uid });
                    }
                }
            }
            Reply::Fetch {
                seq,
                uid,
                flags,
                subject,
                body,
            } => {
                if let (Some(u), Some(data)) = (uid, body) {
                    self.events.push_back(ClientEvent::Body { uid: u, data });
                }
                self.on_fetch(seq, uid, flags, subject)
            }
            Reply::Tagged { tag, ok, text } => {
                let Some((want, p)) = self.pending.take() else {
                    return;
                };
                if tag != want {
                    self.pending = Some((want, p));
                    return;
                }
                self.on_done(p, ok, &text);
            }
        }
    }

    fn on_fetch(
        &mut self,
        seq: u32,
        uid: Option<u32>,
        flags: Option<Vec<String>>,
        subject: Option<String>,
    ) {
        let i = seq as usize - 1;
        if i >= self.msgs.len() {
            if i > self.msgs.len() + 100_000 {
                return;
            }
            self.msgs.resize(i + 1, (0, String::new(), Vec::new()));
        }
        let entry = &mut self.msgs[i];
        let was_known = entry.0 != 0;
        if let Some(u) = uid {
            entry.0 = u;
        }
        if let Some(s) = subject {
            entry.1 = s;
        }
        let changed = flags.as_ref().is_some_and(|f| *f != entry.2);
        if let Some(f) = flags {
            entry.2 = f;
        }
        let (uid, subject, flags) = entry.clone();
        if uid == 0 {
            return;
        }
        let cached = if was_known {
            None
        } else {
            self.config.cached.iter().find(|c| c.0 == uid)
        };
        if let Some(c) = cached {
            if c.2 != flags {
                self.events.push_back(ClientEvent::Flags { uid, flags });
            }
        } else if !was_known {
            self.events.push_back(ClientEvent::Added {
                uid,
                subject,
                flags,
            });
        } else if changed {
            self.events.push_back(ClientEvent::Flags { uid, flags });
        }
    }

    fn login(&mut self) {
        let cmd = format!(
            "LOGIN {} {}",
            astring(&self.config.user),
            astring(&self.config.pass)
        );
        self.send(&cmd, Pending::Login);
    }

    fn on_done(&mut self, p: Pending, ok: bool, text: &str) {
        match p {
            Pending::Capability => self.login(),
            Pending::Login if !ok => {
                self.note(format!("mail program (IMAP): login failed: {text}"));
                self.events
                    .push_back(ClientEvent::LoginFailed(text.to_string()));
                self.send("LOGOUT", Pending::Logout);
            }
            Pending::Login => self.send("SELECT INBOX", Pending::Select),
            Pending::Select if !ok => {
                self.note(format!("mail program (IMAP): cannot open INBOX: {text}"));
                self.send("LOGOUT", Pending::Logout);
            }
            Pending::Select => {
                self.selected = true;
                self.list_new();
            }
            Pending::List => {
                if !self.listed_once {
                    self.listed_once = true;
                    // Messages the program showed last time that the server no longer has.
                    let gone: Vec<u32> = self
                        .config
                        .cached
                        .iter()
                        .map(|c| c.0)
                        .filter(|u| !self.msgs.iter().any(|m| m.0 == *u))
                        .collect();
                    for uid in gone {
                        self.events.push_back(ClientEvent::Removed { uid });
                    }
                }
                let unseen = self
                    .msgs
                    .iter()
                    .filter(|m| !m.2.iter().any(|f| f == "\\Seen"))
                    .count();
                self.note(format!(
                    "mail program (IMAP): {} on the server, {unseen} unread; nothing is downloaded or deleted",
                    crate::engine::digits::count(self.msgs.len(), "message")
                ));
                self.next();
            }
            Pending::Read { subject } => {
                self.note(if ok {
                    format!(
                        "mail program (IMAP): opened \"{subject}\"; the server marked it \\Seen"
                    )
                } else {
                    format!("mail program (IMAP): could not open \"{subject}\": {text}")
                });
                self.next();
            }
            Pending::MarkDeleted { subject } => {
                if ok {
                    self.send("EXPUNGE", Pending::Expunge { subject });
                } else {
                    self.note(format!(
                        "mail program (IMAP): could not delete \"{subject}\": {text}"
                    ));
                    self.next();
                }
            }
            Pending::Expunge { subject } => {
                self.note(format!(
                    "mail program (IMAP): deleted \"{subject}\" (marked \\Deleted, then EXPUNGE)"
                ));
                self.next();
            }
            Pending::Noop | Pending::ReadUid => self.next(),
            Pending::Idle => {
                self.idling = false;
                self.done_sent = false;
                self.next();
            }
            Pending::Logout => {
                self.closed = true;
                self.events.push_back(ClientEvent::Finished);
            }
        }
    }

    /// Lists the messages not listed yet (all at first, then the new ones).
    fn list_new(&mut self) {
        self.new_mail = false;
        let from = self.msgs.iter().map(|m| m.0).max().unwrap_or(0) + 1;
        self.send(
            &format!("UID FETCH {from}:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"),
            Pending::List,
        );
    }

    fn uid_of(&self, subject: &str) -> Option<u32> {
        self.msgs
            .iter()
            .find(|m| m.1 == subject && m.0 != 0)
            .map(|m| m.0)
    }

    /// The next thing to do: new mail first, then the user's jobs, then IDLE or LOGOUT.
    fn next(&mut self) {
        if self.new_mail {
            return self.list_new();
        }
        match self.jobs.pop_front() {
            Some(Job::Sync) => self.send("NOOP", Pending::Noop),
            Some(Job::Read { subject }) => match self.uid_of(&subject) {
                Some(uid) => self.send(
                    &format!("UID FETCH {uid} (BODY[])"),
                    Pending::Read { subject },
                ),
                None => {
                    self.note(format!(
                        "mail program (IMAP): no message \"{subject}\" to open"
                    ));
                    self.next()
                }
            },
            Some(Job::ReadUid(uid)) => self.send(
                &format!("UID FETCH {uid} (UID FLAGS BODY[])"),
                Pending::ReadUid,
            ),
            Some(Job::Delete { subject }) => match self.uid_of(&subject) {
                Some(uid) => self.send(
                    &format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"),
                    Pending::MarkDeleted { subject },
                ),
                None => {
                    self.note(format!(
                        "mail program (IMAP): no message \"{subject}\" to delete"
                    ));
                    self.next()
                }
            },
            None if self.config.idle => self.send("IDLE", Pending::Idle),
            None => self.send("LOGOUT", Pending::Logout),
        }
    }
}

impl Session for ImapClient {
    type Event = ClientEvent;

    /// The state's name (RFC 3501 §3).
    fn state_name(&self) -> &'static str {
        if self.closed {
            "logout"
        } else if self.idling {
            "selected, idling"
        } else if self.selected {
            "selected"
        } else if matches!(
            self.pending,
            Some((_, Pending::Select)) | Some((_, Pending::Logout))
        ) {
            "authenticated"
        } else {
            "not authenticated"
        }
    }

    /// Whether the session is over.
    fn wants_close(&self) -> bool {
        self.closed
    }

    /// Bytes to send, if any.
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        crate::protocols::session::take_output(&mut self.out)
    }

    /// The next event for the host.
    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The connection ended.
    fn handle_closed(&mut self, why: &str) {
        if !self.closed {
            if !matches!(self.pending, Some((_, Pending::Logout))) {
                self.events.push_back(ClientEvent::Note(format!(
                    "mail program (IMAP): the connection ended early: {why}"
                )));
            }
            self.events.push_back(ClientEvent::Finished);
        }
        self.closed = true;
    }

    /// Bytes from the server.
    fn handle_input(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        self.buf.extend_from_slice(bytes);
        loop {
            let codec = ResponseCodec::default();
            let (used, reply) = match codec.decode(&self.buf) {
                Ok((rest, resp)) => (self.buf.len() - rest.len(), Reply::of(resp)),
                Err(ResponseDecodeError::Incomplete)
                | Err(ResponseDecodeError::LiteralFound { .. }) => {
                    if self.buf.len() > MAX_BUFFER {
                        self.fail("the server sent an endless reply");
                    }
                    return;
                }
                Err(ResponseDecodeError::Failed) => {
                    let line = self.buf.split(|&b| b == b'\n').next().unwrap_or_default();
                    let line = String::from_utf8_lossy(line).trim_end().to_string();
                    self.fail(&format!(
                        "the server sent something that is not IMAP: {line}"
                    ));
                    return;
                }
            };
            self.buf.drain(..used);
            self.on_reply(reply);
            if self.closed {
                return;
            }
        }
    }
}

/// An astring: an atom if it can be one, else a quoted string (RFC 3501 §9).
fn astring(s: &str) -> String {
    let atom = !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_graphic() && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\')
        });
    if atom {
        s.to_string()
    } else {
        super::mime::quote(s)
    }
}

/// The parts of a response the client acts on, owned.
enum Reply {
    Greeting {
        ok: bool,
    },
    Continue,
    Bye,
    Tagged {
        tag: String,
        ok: bool,
        text: String,
    },
    Exists(u32),
    Expunge(u32),
    Fetch {
        seq: u32,
        uid: Option<u32>,
        flags: Option<Vec<String>>,
        subject: Option<String>,
        body: Option<Vec<u8>>,
    },
    Other,
}

impl Reply {
    fn of(r: Response) -> Reply {
        match r {
            Response::CommandContinuationRequest(_) => Reply::Continue,
            Response::Status(Status::Bye(_)) => Reply::Bye,
            Response::Status(Status::Untagged(b)) => Reply::Greeting {
                ok: b.kind == StatusKind::Ok,
            },
            Response::Status(Status::Tagged(t)) => Reply::Tagged {
                tag: t.tag.inner().to_string(),
                ok: t.body.kind == StatusKind::Ok,
                text: t.body.text.inner().to_string(),
            },
            Response::Data(Data::Exists(n)) => Reply::Exists(n),
            Response::Data(Data::Expunge(n)) => Reply::Expunge(n.get()),
            Response::Data(Data::Fetch { seq, items }) => {
                let (mut uid, mut flags, mut subject, mut body) = (None, None, None, None);
                for item in items.as_ref() {
                    match item {
                        MessageDataItem::Uid(u) => uid = Some(u.get()),
                        MessageDataItem::Flags(f) => {
                            flags = Some(
                                f.iter()
                                    .filter_map(|x| match x {
                                        FlagFetch::Flag(f) => Some(f.to_string()),
                                        FlagFetch::Recent => None,
                                    })
                                    .collect(),
                            )
                        }
                        MessageDataItem::BodyExt { section, data, .. } => {
                            if let Some(d) = &data.0 {
                                if section.is_some() {
                                    subject = Some(subject_of(d.as_ref()));
                                } else {
                                    body = Some(d.as_ref().to_vec());
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Reply::Fetch {
                    seq: seq.get(),
                    uid,
                    flags,
                    subject,
                    body,
                }
            }
            _ => Reply::Other,
        }
    }
}
