//! The server side of IMAP4rev1 (RFC 3501) with IDLE (RFC 2177), sans-IO.
//!
//! Commands are split into lines and literals by imap-codec's `Fragmentizer` (so literal bytes are
//! never read as commands; each line is bounded by [`MAX_LINE`]) and parsed by its `CommandCodec`;
//! replies are written here byte for byte.
//! The mailboxes live in the host, reached through [`MailStore`] during each call; when a session
//! changes a mailbox the host tells the other sessions on it ([`ImapServer::mailbox_changed`]), which
//! report it as untagged EXISTS / EXPUNGE / FETCH FLAGS at once while IDLE, or with their next reply.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::Datelike;
use imap_codec::decode::Decoder;
use imap_codec::fragmentizer::{FragmentInfo, LineEnding};
use imap_codec::imap_types::auth::{AuthMechanism, AuthenticateData};
use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::extensions::binary::LiteralOrLiteral8;
use imap_codec::imap_types::fetch::{
    Macro, MacroOrMessageDataItemNames, MessageDataItemName, Section,
};
use imap_codec::imap_types::flag::{StoreResponse, StoreType};
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox as ImapMailbox};
use imap_codec::imap_types::search::SearchKey;
use imap_codec::imap_types::sequence::SequenceSet;
use imap_codec::imap_types::status::StatusDataItemName;
use imap_codec::{AuthenticateDataCodec, CommandCodec, IdleDoneCodec};

use super::mime::{self, Part};
use super::reader::{Read, Reader, too_long};
use crate::engine::time::{SimTime, days_from_civil};
use crate::mail::{Mailbox, StoredMessage};

/// The capabilities we announce (RFC 3501 §7.2.1).
pub const CAPABILITIES: &str = "IMAP4rev1 AUTH=PLAIN IDLE";
/// The largest command with its literals we take (an APPENDed message included).
pub const MAX_MESSAGE: u32 = 10 * 1024 * 1024 + 4096;
/// The longest command line with its CRLF, literals aside (RFC 7162 §4: at least 8192 octets).
pub const MAX_LINE: usize = 64 * 1024;
/// After this many bad commands the server says BYE.
const MAX_ERRORS: u32 = 10;
/// The hierarchy delimiter of mailbox names.
pub const DELIMITER: char = '/';

/// Settings fixed for the life of a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The name it greets with.
    pub hostname: String,
    /// User name → password.
    pub accounts: BTreeMap<String, String>,
}

/// A change one session made to a mailbox, which the host records and tells the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// A message was added (APPEND, COPY).
    Appended { uid: u32 },
    /// A message's flags changed.
    Flags { uid: u32 },
    /// A message was removed for good (EXPUNGE, CLOSE).
    Expunged { uid: u32, subject: String },
}

/// The mailboxes of the host, as one session call sees them. Folder names are canonical: `INBOX`
/// for the inbox (any case on the wire), the name as given for the others.
pub trait MailStore {
    /// Now, in simulated time.
    fn now(&self) -> SimTime;
    /// Seconds since 1970 for a simulated time (for INTERNALDATE).
    fn unix_time(&self, t: SimTime) -> i64;
    /// The user's mailbox names, `INBOX` first.
    fn folders(&self, user: &str) -> Vec<String>;
    /// A mailbox.
    fn folder(&self, user: &str, name: &str) -> Option<&Mailbox>;
    /// A mailbox to change; tell [`MailStore::changed`] what changed.
    fn folder_mut(&mut self, user: &str, name: &str) -> Option<&mut Mailbox>;
    /// Creates an empty mailbox; false if it exists.
    fn create(&mut self, user: &str, name: &str) -> bool;
    /// Deletes a mailbox (not INBOX); false if there is none.
    fn delete(&mut self, user: &str, name: &str) -> bool;
    /// Renames a mailbox (not INBOX); false if `from` is missing or `to` exists.
    fn rename(&mut self, user: &str, from: &str, to: &str) -> bool;
    /// The user's subscribed names.
    fn subscriptions(&self, user: &str) -> Vec<String>;
    /// Subscribes or unsubscribes.
    fn subscribe(&mut self, user: &str, name: &str, on: bool);
    /// Records a change to a mailbox (for the trace and the other sessions).
    fn changed(&mut self, user: &str, name: &str, change: StoreChange);
}

/// The selected mailbox as this session knows it: message sequence numbers are positions here.
#[derive(Debug, Clone)]
struct Selected {
    folder: String,
    read_only: bool,
    uid_validity: u32,
    /// (uid, flags as last told to the client), in sequence-number order.
    view: Vec<(u32, Vec<String>)>,
    /// The messages that are \Recent for this session.
    recent: BTreeSet<u32>,
}

#[derive(Debug, Clone)]
enum State {
    NotAuthenticated,
    Authenticated { user: String },
    Selected { user: String, sel: Selected },
    Logout,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Command,
    /// AUTHENTICATE PLAIN sent `+`: the next line is the base64 credentials.
    AuthData {
        tag: String,
    },
    /// IDLE: untagged updates flow until the client says DONE.
    Idle {
        tag: String,
    },
}

/// One server-side IMAP session.
pub struct ImapServer {
    config: Arc<ServerConfig>,
    state: State,
    mode: Mode,
    input: Reader,
    out: Vec<u8>,
    errors: u32,
}

impl ImapServer {
    /// A session whose greeting is ready to send.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        let greeting = format!(
            "* OK [CAPABILITY {CAPABILITIES}] {} IMAP4rev1 ready\r\n",
            config.hostname
        );
        ImapServer {
            config,
            state: State::NotAuthenticated,
            mode: Mode::Command,
            input: Reader::new(MAX_MESSAGE, MAX_LINE),
            out: greeting.into_bytes(),
            errors: 0,
        }
    }

    /// The state's name as RFC 3501 §3 calls it.
    pub fn state_name(&self) -> &'static str {
        match (&self.state, &self.mode) {
            (State::Logout, _) => "logout",
            (_, Mode::Idle { .. }) => "selected, idling",
            (_, Mode::AuthData { .. }) => "not authenticated, authenticating",
            (State::NotAuthenticated, _) => "not authenticated",
            (State::Authenticated { .. }, _) => "authenticated",
            (State::Selected { .. }, _) => "selected",
        }
    }

    /// The user and mailbox selected, if any.
    pub fn selected(&self) -> Option<(&str, &str)> {
        match &self.state {
            State::Selected { user, sel } => Some((user, &sel.folder)),
            _ => None,
        }
    }

    /// Whether the session is over (after LOGOUT or BYE).
    pub fn wants_close(&self) -> bool {
        matches!(self.state, State::Logout)
    }

    /// Bytes to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.out.is_empty()).then(|| std::mem::take(&mut self.out))
    }

    /// Bytes held for a command not yet complete (bounded by [`MAX_MESSAGE`]).
    pub fn buffered(&self) -> usize {
        self.input.frag().message_bytes().len()
    }

    /// The connection ended.
    pub fn handle_closed(&mut self) {
        self.state = State::Logout;
    }

    /// Another session (or a delivery) changed the mailbox this one has selected: while IDLE the
    /// client is told at once; otherwise with the reply to its next command.
    pub fn mailbox_changed(&mut self, store: &mut dyn MailStore) {
        if matches!(self.mode, Mode::Idle { .. }) {
            self.report_updates(store, true);
        }
    }

    /// Bytes from the client.
    pub fn handle_input(&mut self, bytes: &[u8], store: &mut dyn MailStore) {
        if matches!(self.state, State::Logout) {
            return;
        }
        // In pieces no longer than a line may be, so that a line too long is caught early.
        for piece in bytes.chunks(MAX_LINE) {
            self.input.enqueue(piece);
            self.take_fragments(store);
        }
    }

    fn take_fragments(&mut self, store: &mut dyn MailStore) {
        while let Some(read) = self.input.progress() {
            if matches!(self.state, State::Logout) {
                return;
            }
            let info = match read {
                Read::Fragment(info) => info,
                Read::TooLong { tag } => {
                    let tag = match std::mem::replace(&mut self.mode, Mode::Command) {
                        Mode::AuthData { tag } | Mode::Idle { tag } => tag,
                        Mode::Command => tag.unwrap_or_else(|| "*".into()),
                    };
                    self.bad(&tag, &too_long(MAX_LINE));
                    continue;
                }
            };
            if let FragmentInfo::Line {
                ending: LineEnding::Lf,
                ..
            } = info
            {
                self.input.poison_message();
            }
            if let FragmentInfo::Line {
                announcement: Some(a),
                ..
            } = info
            {
                let frag = self.input.frag();
                let tag = frag.decode_tag().map(|t| t.inner().to_string());
                if frag.is_message_poisoned() {
                    // The line already failed: the client waits for a continuation that will
                    // not come, so the command ends here (RFC 3501 §7.5).
                    let tag = tag.unwrap_or_else(|| "*".into());
                    self.input.skip_message();
                    self.bad(&tag, "lines end with CRLF, not a bare LF (RFC 3501 §2.2)");
                } else if a.length > MAX_MESSAGE - 4096 {
                    let tag = tag.unwrap_or_else(|| "*".into());
                    self.input.skip_message();
                    self.reply(
                        &tag,
                        "NO",
                        &format!(
                            "[TOOBIG] a literal of {} octets is more than this server takes",
                            a.length
                        ),
                    );
                } else {
                    self.push("+ Ready for literal data\r\n");
                }
                continue;
            }
            if self.input.frag().is_message_complete() {
                self.handle_message(store);
            }
        }
    }

    fn handle_message(&mut self, store: &mut dyn MailStore) {
        let frag = self.input.frag();
        let tag = frag
            .decode_tag()
            .map(|t| t.inner().to_string())
            .unwrap_or_else(|| "*".into());
        if frag.is_max_message_size_exceeded() {
            return self.bad(&tag, "command too long");
        }
        let bytes = frag.message_bytes().to_vec();
        if frag.is_message_poisoned() {
            return self.bad(&tag, "lines end with CRLF, not a bare LF (RFC 3501 §2.2)");
        }
        match self.mode.clone() {
            Mode::Idle { tag } => match IdleDoneCodec::default().decode(&bytes) {
                Ok(([], _)) => {
                    self.mode = Mode::Command;
                    self.report_updates(store, true);
                    self.reply(&tag, "OK", "IDLE terminated");
                }
                _ => {
                    self.mode = Mode::Command;
                    self.bad(&tag, "while idling only DONE is allowed (RFC 2177 §3)");
                }
            },
            Mode::AuthData { tag } => {
                self.mode = Mode::Command;
                match AuthenticateDataCodec::default().decode(&bytes) {
                    Ok((_, AuthenticateData::Continue(data))) => {
                        let raw = data.declassify().to_vec();
                        self.auth_plain(&tag, &raw);
                    }
                    Ok((_, AuthenticateData::Cancel)) => {
                        self.bad(&tag, "AUTHENTICATE cancelled by the client")
                    }
                    Err(_) => self.bad(&tag, "the credentials must be one line of base64"),
                }
            }
            Mode::Command => match CommandCodec::default().decode(&bytes) {
                Ok(([], cmd)) => self.command(cmd, store),
                _ => {
                    let verb = bytes
                        .splitn(3, |&b| b == b' ')
                        .nth(1)
                        .map(|v| {
                            String::from_utf8_lossy(v)
                                .trim_end_matches(['\r', '\n'])
                                .to_ascii_uppercase()
                        })
                        .unwrap_or_default();
                    let why = match usage(&verb) {
                        Some(u) => format!("{verb} takes: {u}"),
                        None if tag == "*" || verb.is_empty() => {
                            "a command is: tag SP command CRLF (RFC 3501 §2.2.1)".to_string()
                        }
                        None => format!("unknown command {verb}"),
                    };
                    self.bad(&tag, &why)
                }
            },
        }
    }

    fn push(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    /// A status response. Its text must be 7-bit without CR or LF (RFC 3501 §9, TEXT-CHAR):
    /// `§` is written out, anything else not ASCII becomes `?`.
    fn reply(&mut self, tag: &str, status: &str, text: &str) {
        let text: String = text
            .replace('§', "section ")
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        self.push(&format!("{tag} {status} {text}\r\n"));
    }

    fn bad(&mut self, tag: &str, text: &str) {
        self.errors += 1;
        self.reply(tag, "BAD", text);
        if self.errors >= MAX_ERRORS {
            self.push("* BYE Too many bad commands, closing\r\n");
            self.state = State::Logout;
        }
    }

    fn user(&self) -> Option<String> {
        match &self.state {
            State::Authenticated { user } | State::Selected { user, .. } => Some(user.clone()),
            _ => None,
        }
    }

    fn login(&mut self, tag: &str, user: &str, pass: &[u8], how: &str) {
        let ok = self
            .config
            .accounts
            .get(user)
            .is_some_and(|p| p.as_bytes() == pass);
        if ok {
            self.state = State::Authenticated {
                user: user.to_string(),
            };
            self.reply(
                tag,
                "OK",
                &format!("[CAPABILITY {CAPABILITIES}] {how} completed, welcome {user}"),
            );
        } else {
            self.reply(
                tag,
                "NO",
                "[AUTHENTICATIONFAILED] Invalid user name or password",
            );
        }
    }

    /// SASL PLAIN (RFC 4616): authzid NUL authcid NUL password, base64.
    fn auth_plain(&mut self, tag: &str, b64: &[u8]) {
        // imap-codec has already decoded the base64 of continuation lines; an initial response
        // arrives decoded too.
        let raw = b64.to_vec();
        let parts: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
        match parts.as_slice() {
            [authz, user, pass] if authz.is_empty() || authz == user => {
                let user = String::from_utf8_lossy(user).to_string();
                self.login(tag, &user, pass, "AUTHENTICATE");
            }
            _ => self.bad(
                tag,
                "PLAIN credentials are authzid NUL user NUL password (RFC 4616 §2)",
            ),
        }
    }

    fn command(&mut self, cmd: Command, store: &mut dyn MailStore) {
        let tag = cmd.tag.inner().to_string();
        let user = self.user();
        let selected = matches!(self.state, State::Selected { .. });
        let name = cmd.body.name();
        match cmd.body {
            CommandBody::Capability => {
                self.push(&format!("* CAPABILITY {CAPABILITIES}\r\n"));
                self.report_updates(store, true);
                self.reply(&tag, "OK", "CAPABILITY completed");
            }
            CommandBody::Noop | CommandBody::Check => {
                self.report_updates(store, true);
                self.reply(&tag, "OK", &format!("{name} completed"));
            }
            CommandBody::Logout => {
                self.push(&format!(
                    "* BYE {} IMAP4rev1 server logging out\r\n",
                    self.config.hostname
                ));
                self.reply(&tag, "OK", "LOGOUT completed");
                self.state = State::Logout;
            }
            CommandBody::Login { username, password } if user.is_none() => {
                let u = String::from_utf8_lossy(username.as_ref()).to_string();
                let p = password.declassify().as_ref().to_vec();
                self.login(&tag, &u, &p, "LOGIN");
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } if user.is_none() => match mechanism {
                AuthMechanism::Plain => match initial_response {
                    Some(r) => {
                        let raw = r.declassify().to_vec();
                        self.auth_plain(&tag, &raw)
                    }
                    None => {
                        self.mode = Mode::AuthData { tag };
                        self.push("+ \r\n");
                    }
                },
                _ => self.reply(
                    &tag,
                    "NO",
                    "this server offers AUTHENTICATE PLAIN only (see CAPABILITY)",
                ),
            },
            CommandBody::Login { .. } | CommandBody::Authenticate { .. } => {
                self.bad(&tag, "already logged in")
            }
            _ if user.is_none() => self.bad(
                &tag,
                &format!("{name} needs LOGIN first (RFC 3501 §6.2: not authenticated state)"),
            ),
            CommandBody::Select { mailbox, .. } => {
                self.select(&tag, &user.unwrap_or_default(), &mailbox, false, store)
            }
            CommandBody::Examine { mailbox, .. } => {
                self.select(&tag, &user.unwrap_or_default(), &mailbox, true, store)
            }
            CommandBody::Create { mailbox } => {
                let u = user.unwrap_or_default();
                let n = folder_name(&mailbox);
                if n == "INBOX" || !store.create(&u, &n) {
                    self.reply(&tag, "NO", &format!("[ALREADYEXISTS] {n} already exists"));
                } else {
                    self.reply(&tag, "OK", "CREATE completed");
                }
            }
            CommandBody::Delete { mailbox } => {
                let u = user.unwrap_or_default();
                let n = folder_name(&mailbox);
                if n == "INBOX" {
                    self.reply(&tag, "NO", "INBOX cannot be deleted (RFC 3501 §6.3.4)");
                } else if self.selected() == Some((&u, &n)) {
                    self.reply(&tag, "NO", "[INUSE] close the mailbox before deleting it");
                } else if store.delete(&u, &n) {
                    self.reply(&tag, "OK", "DELETE completed");
                } else {
                    self.reply(&tag, "NO", &format!("[NONEXISTENT] no mailbox {n}"));
                }
            }
            CommandBody::Rename { from, to } => {
                let u = user.unwrap_or_default();
                let (f, t) = (folder_name(&from), folder_name(&to));
                if f == "INBOX" || t == "INBOX" {
                    self.reply(&tag, "NO", "renaming INBOX is not supported by this server");
                } else if store.rename(&u, &f, &t) {
                    self.reply(&tag, "OK", "RENAME completed");
                } else {
                    self.reply(
                        &tag,
                        "NO",
                        &format!(
                            "cannot rename {f} to {t}: the first must exist and the second must not"
                        ),
                    );
                }
            }
            CommandBody::Subscribe { mailbox } | CommandBody::Unsubscribe { mailbox } => {
                let u = user.unwrap_or_default();
                let n = folder_name(&mailbox);
                let on = name == "SUBSCRIBE";
                if on && store.folder(&u, &n).is_none() {
                    self.reply(&tag, "NO", &format!("[NONEXISTENT] no mailbox {n}"));
                } else {
                    store.subscribe(&u, &n, on);
                    self.reply(&tag, "OK", &format!("{name} completed"));
                }
            }
            CommandBody::List {
                reference,
                mailbox_wildcard,
            }
            | CommandBody::Lsub {
                reference,
                mailbox_wildcard,
            } => {
                let u = user.unwrap_or_default();
                let lsub = name == "LSUB";
                let reference = folder_name(&reference);
                let pattern = match &mailbox_wildcard {
                    ListMailbox::Token(t) => String::from_utf8_lossy(t.as_ref()).to_string(),
                    ListMailbox::String(s) => String::from_utf8_lossy(s.as_ref()).to_string(),
                };
                if pattern.is_empty() && !lsub {
                    self.push(&format!("* LIST (\\Noselect) \"{DELIMITER}\" \"\"\r\n"));
                } else {
                    let full = format!("{reference}{pattern}");
                    let names = if lsub {
                        store.subscriptions(&u)
                    } else {
                        store.folders(&u)
                    };
                    for n in names {
                        if wildcard_match(&full, &n) {
                            let children = store
                                .folders(&u)
                                .iter()
                                .any(|c| c.starts_with(&format!("{n}{DELIMITER}")));
                            let attr = if children {
                                "\\HasChildren"
                            } else {
                                "\\HasNoChildren"
                            };
                            self.push(&format!(
                                "* {name} ({attr}) \"{DELIMITER}\" {}\r\n",
                                mime::quote(&n)
                            ));
                        }
                    }
                }
                self.report_updates(store, true);
                self.reply(&tag, "OK", &format!("{name} completed"));
            }
            CommandBody::Status {
                mailbox,
                item_names,
            } => {
                let u = user.unwrap_or_default();
                let n = folder_name(&mailbox);
                match store.folder(&u, &n) {
                    Some(mb) => {
                        let mut items = Vec::new();
                        for i in item_names.iter() {
                            let v = match i {
                                StatusDataItemName::Messages => {
                                    format!("MESSAGES {}", mb.messages.len())
                                }
                                StatusDataItemName::Recent => format!(
                                    "RECENT {}",
                                    mb.messages
                                        .iter()
                                        .filter(|m| m.uid >= mb.recent_from)
                                        .count()
                                ),
                                StatusDataItemName::UidNext => format!("UIDNEXT {}", mb.uid_next),
                                StatusDataItemName::UidValidity => {
                                    format!("UIDVALIDITY {}", mb.uid_validity)
                                }
                                StatusDataItemName::Unseen => format!(
                                    "UNSEEN {}",
                                    mb.messages.iter().filter(|m| !m.has_flag("\\Seen")).count()
                                ),
                                _ => continue,
                            };
                            items.push(v);
                        }
                        self.push(&format!(
                            "* STATUS {} ({})\r\n",
                            mime::quote(&n),
                            items.join(" ")
                        ));
                        self.report_updates(store, true);
                        self.reply(&tag, "OK", "STATUS completed");
                    }
                    None => self.reply(&tag, "NO", &format!("[NONEXISTENT] no mailbox {n}")),
                }
            }
            CommandBody::Append {
                mailbox,
                flags,
                message,
                ..
            } => {
                let u = user.unwrap_or_default();
                let n = folder_name(&mailbox);
                let data = match &message {
                    LiteralOrLiteral8::Literal(l) => l.as_ref().to_vec(),
                    LiteralOrLiteral8::Literal8(l) => l.data.to_vec(),
                };
                let flags: Vec<String> = flags.iter().map(ToString::to_string).collect();
                let now = store.now();
                match store.folder_mut(&u, &n) {
                    Some(mb) => {
                        let uid = mb.append(data, now);
                        if let Some(m) = mb.messages.last_mut() {
                            m.flags = normalize_flags(flags);
                        }
                        store.changed(&u, &n, StoreChange::Appended { uid });
                        self.report_updates(store, true);
                        self.reply(&tag, "OK", "APPEND completed");
                    }
                    None => self.reply(
                        &tag,
                        "NO",
                        &format!("[TRYCREATE] no mailbox {n}: CREATE it first"),
                    ),
                }
            }
            _ if !selected => self.bad(
                &tag,
                &format!("{name} needs a selected mailbox: SELECT one first (RFC 3501 §6.4)"),
            ),
            CommandBody::Close | CommandBody::Unselect => {
                if name == "CLOSE" {
                    self.expunge(store, false);
                }
                let u = user.unwrap_or_default();
                self.state = State::Authenticated { user: u };
                self.reply(&tag, "OK", &format!("{name} completed"));
            }
            CommandBody::Expunge => {
                if self.read_only() {
                    return self.reply(
                        &tag,
                        "NO",
                        "[READ-ONLY] the mailbox was opened with EXAMINE",
                    );
                }
                self.expunge(store, true);
                self.report_updates(store, true);
                self.reply(&tag, "OK", "EXPUNGE completed");
            }
            CommandBody::Search { criteria, uid, .. } => {
                let hits = self.search(criteria.as_ref(), uid, store);
                let list: Vec<String> = hits.iter().map(ToString::to_string).collect();
                let sep = if list.is_empty() { "" } else { " " };
                self.push(&format!("* SEARCH{sep}{}\r\n", list.join(" ")));
                self.reply(
                    &tag,
                    "OK",
                    &format!("{}SEARCH completed", if uid { "UID " } else { "" }),
                );
            }
            CommandBody::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                ..
            } => {
                let items = match macro_or_item_names {
                    MacroOrMessageDataItemNames::Macro(m) => match m {
                        Macro::Fast => vec![
                            MessageDataItemName::Flags,
                            MessageDataItemName::InternalDate,
                            MessageDataItemName::Rfc822Size,
                        ],
                        Macro::All => vec![
                            MessageDataItemName::Flags,
                            MessageDataItemName::InternalDate,
                            MessageDataItemName::Rfc822Size,
                            MessageDataItemName::Envelope,
                        ],
                        _ => vec![
                            MessageDataItemName::Flags,
                            MessageDataItemName::InternalDate,
                            MessageDataItemName::Rfc822Size,
                            MessageDataItemName::Envelope,
                            MessageDataItemName::Body,
                        ],
                    },
                    MacroOrMessageDataItemNames::MessageDataItemNames(v) => v,
                };
                match self.targets(&sequence_set, uid) {
                    Ok(targets) => {
                        for i in targets {
                            self.fetch_one(i, &items, uid, store);
                        }
                        self.reply(
                            &tag,
                            "OK",
                            &format!("{}FETCH completed", if uid { "UID " } else { "" }),
                        );
                    }
                    Err(e) => self.bad(&tag, &e),
                }
            }
            CommandBody::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                ..
            } => {
                if self.read_only() {
                    return self.reply(
                        &tag,
                        "NO",
                        "[READ-ONLY] the mailbox was opened with EXAMINE",
                    );
                }
                let given: Vec<String> = flags.iter().map(ToString::to_string).collect();
                match self.targets(&sequence_set, uid) {
                    Ok(targets) => {
                        for i in targets {
                            self.store_one(
                                i,
                                &kind,
                                &given,
                                response == StoreResponse::Silent,
                                uid,
                                store,
                            );
                        }
                        self.reply(
                            &tag,
                            "OK",
                            &format!("{}STORE completed", if uid { "UID " } else { "" }),
                        );
                    }
                    Err(e) => self.bad(&tag, &e),
                }
            }
            CommandBody::Copy {
                sequence_set,
                mailbox,
                uid,
            } => {
                let u = user.unwrap_or_default();
                let n = folder_name(&mailbox);
                if store.folder(&u, &n).is_none() {
                    return self.reply(
                        &tag,
                        "NO",
                        &format!("[TRYCREATE] no mailbox {n}: CREATE it first"),
                    );
                }
                match self.targets(&sequence_set, uid) {
                    Ok(targets) => {
                        let msgs: Vec<StoredMessage> = targets
                            .iter()
                            .filter_map(|&i| self.message(i, store).cloned())
                            .collect();
                        let now = store.now();
                        let mut added = Vec::new();
                        if let Some(mb) = store.folder_mut(&u, &n) {
                            for m in msgs {
                                let uid = mb.append(m.data.to_vec(), now);
                                if let Some(new) = mb.messages.last_mut() {
                                    new.flags = m.flags.clone();
                                }
                                added.push(uid);
                            }
                        }
                        for uid in added {
                            store.changed(&u, &n, StoreChange::Appended { uid });
                        }
                        self.reply(
                            &tag,
                            "OK",
                            &format!("{}COPY completed", if uid { "UID " } else { "" }),
                        );
                    }
                    Err(e) => self.bad(&tag, &e),
                }
            }
            CommandBody::Idle => {
                self.mode = Mode::Idle { tag };
                self.push("+ idling\r\n");
                self.report_updates(store, true);
            }
            _ => self.bad(
                &tag,
                &format!("{name} is not supported by this server (see CAPABILITY)"),
            ),
        }
    }

    fn read_only(&self) -> bool {
        matches!(&self.state, State::Selected { sel, .. } if sel.read_only)
    }

    fn select(
        &mut self,
        tag: &str,
        user: &str,
        mailbox: &ImapMailbox,
        read_only: bool,
        store: &mut dyn MailStore,
    ) {
        let n = folder_name(mailbox);
        // Selecting ends any previous selection, even if this one fails (RFC 3501 §6.3.1).
        self.state = State::Authenticated {
            user: user.to_string(),
        };
        let Some(mb) = store.folder_mut(user, &n) else {
            return self.reply(tag, "NO", &format!("[NONEXISTENT] no mailbox {n}"));
        };
        let recent: BTreeSet<u32> = mb
            .messages
            .iter()
            .filter(|m| m.uid >= mb.recent_from)
            .map(|m| m.uid)
            .collect();
        if !read_only {
            // This session now holds them as \Recent; no other will (RFC 3501 §2.3.2).
            mb.recent_from = mb.uid_next;
        }
        let view: Vec<(u32, Vec<String>)> = mb
            .messages
            .iter()
            .map(|m| (m.uid, m.flags.clone()))
            .collect();
        let unseen = mb.messages.iter().position(|m| !m.has_flag("\\Seen"));
        let (validity, next) = (mb.uid_validity, mb.uid_next);
        self.push("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n");
        self.push(&format!("* {} EXISTS\r\n", view.len()));
        self.push(&format!("* {} RECENT\r\n", recent.len()));
        if let Some(i) = unseen {
            self.push(&format!("* OK [UNSEEN {}] first unseen message\r\n", i + 1));
        }
        self.push(&format!("* OK [UIDVALIDITY {validity}] UIDs valid\r\n"));
        self.push(&format!("* OK [UIDNEXT {next}] predicted next UID\r\n"));
        let perm = if read_only {
            "* OK [PERMANENTFLAGS ()] read-only\r\n"
        } else {
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] flags can be changed\r\n"
        };
        self.push(perm);
        self.state = State::Selected {
            user: user.to_string(),
            sel: Selected {
                folder: n,
                read_only,
                uid_validity: validity,
                view,
                recent,
            },
        };
        let (code, verb) = if read_only {
            ("READ-ONLY", "EXAMINE")
        } else {
            ("READ-WRITE", "SELECT")
        };
        self.reply(tag, "OK", &format!("[{code}] {verb} completed"));
    }

    /// Tells the client what changed in its mailbox since it last heard: EXPUNGE (only where
    /// allowed: never during FETCH, STORE or SEARCH, RFC 3501 §7.4.1), FETCH FLAGS, EXISTS.
    fn report_updates(&mut self, store: &mut dyn MailStore, allow_expunge: bool) {
        let State::Selected { user, sel } = &mut self.state else {
            return;
        };
        let Some(mb) = store.folder(user, &sel.folder) else {
            // The mailbox was deleted under us.
            self.out
                .extend_from_slice(b"* BYE the selected mailbox was deleted\r\n");
            self.state = State::Logout;
            return;
        };
        if mb.uid_validity != sel.uid_validity {
            // A mailbox of that name was deleted and created again: the UIDs the client holds
            // mean nothing now (RFC 3501 §2.3.1.1).
            self.out.extend_from_slice(
                b"* BYE the selected mailbox was replaced; UIDVALIDITY changed\r\n",
            );
            self.state = State::Logout;
            return;
        }
        let mut lines = String::new();
        if allow_expunge {
            for i in (0..sel.view.len()).rev() {
                if !mb.messages.iter().any(|m| m.uid == sel.view[i].0) {
                    sel.view.remove(i);
                    lines.push_str(&format!("* {} EXPUNGE\r\n", i + 1));
                }
            }
        }
        for (i, (uid, flags)) in sel.view.iter_mut().enumerate() {
            if let Some(m) = mb.messages.iter().find(|m| m.uid == *uid)
                && m.flags != *flags
            {
                flags.clone_from(&m.flags);
                let recent = sel.recent.contains(uid);
                lines.push_str(&format!(
                    "* {} FETCH (FLAGS ({}))\r\n",
                    i + 1,
                    flag_list(&m.flags, recent)
                ));
            }
        }
        let last = sel.view.iter().map(|v| v.0).max().unwrap_or(0);
        let new: Vec<(u32, Vec<String>)> = mb
            .messages
            .iter()
            .filter(|m| m.uid > last)
            .map(|m| (m.uid, m.flags.clone()))
            .collect();
        if !new.is_empty() {
            sel.view.extend(new);
            lines.push_str(&format!("* {} EXISTS\r\n", sel.view.len()));
        }
        self.out.extend_from_slice(lines.as_bytes());
    }

    /// The positions (0-based) a sequence set names: message numbers, or UIDs with `uid`.
    fn targets(&self, set: &SequenceSet, uid: bool) -> Result<Vec<usize>, String> {
        let State::Selected { sel, .. } = &self.state else {
            return Ok(Vec::new());
        };
        let n = sel.view.len() as u32;
        if uid {
            let largest = sel.view.iter().map(|v| v.0).max().unwrap_or(0);
            let Some(largest) = NonZeroU32::new(largest) else {
                return Ok(Vec::new());
            };
            let wanted: BTreeSet<u32> = set.iter(largest).map(NonZeroU32::get).collect();
            return Ok(sel
                .view
                .iter()
                .enumerate()
                .filter(|(_, v)| wanted.contains(&v.0))
                .map(|(i, _)| i)
                .collect());
        }
        let Some(largest) = NonZeroU32::new(n) else {
            return Err("the mailbox is empty: there is no message number to name".into());
        };
        let wanted: BTreeSet<u32> = set.iter(largest).map(NonZeroU32::get).collect();
        if let Some(&bad) = wanted.iter().find(|&&k| k > n) {
            return Err(format!(
                "no message {bad}: the mailbox has {n} (RFC 3501 §9, seq-number)"
            ));
        }
        Ok(wanted.into_iter().map(|k| k as usize - 1).collect())
    }

    fn message<'s>(&self, i: usize, store: &'s dyn MailStore) -> Option<&'s StoredMessage> {
        let State::Selected { user, sel } = &self.state else {
            return None;
        };
        let uid = sel.view.get(i)?.0;
        store
            .folder(user, &sel.folder)?
            .messages
            .iter()
            .find(|m| m.uid == uid)
    }

    fn fetch_one(
        &mut self,
        i: usize,
        items: &[MessageDataItemName],
        by_uid: bool,
        store: &mut dyn MailStore,
    ) {
        let Some(m) = self.message(i, store).cloned() else {
            return;
        };
        let State::Selected { user, sel } = &mut self.state else {
            return;
        };
        let (user, folder) = (user.clone(), sel.folder.clone());
        let recent = sel.recent.contains(&m.uid);
        let read_only = sel.read_only;
        let msg = Part::parse(&m.data);
        // Items are bytes: a literal carries the stored octets, 8-bit ones included (RFC 3501
        // §4.3), and `{n}` counts exactly those.
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut wants_flags = false;
        let mut sets_seen = false;
        let has_uid = items.iter().any(|x| matches!(x, MessageDataItemName::Uid));
        let text = |s: String| s.into_bytes();
        if by_uid && !has_uid {
            parts.push(text(format!("UID {}", m.uid)));
        }
        for item in items {
            match item {
                MessageDataItemName::Uid => parts.push(text(format!("UID {}", m.uid))),
                MessageDataItemName::Flags => wants_flags = true,
                MessageDataItemName::InternalDate => parts.push(text(format!(
                    "INTERNALDATE \"{}\"",
                    mime::internal_date(store.unix_time(m.arrived))
                ))),
                MessageDataItemName::Rfc822Size => {
                    parts.push(text(format!("RFC822.SIZE {}", m.data.len())))
                }
                MessageDataItemName::Envelope => {
                    parts.push([&b"ENVELOPE "[..], &mime::envelope(&msg)].concat())
                }
                MessageDataItemName::BodyStructure => parts.push(text(format!(
                    "BODYSTRUCTURE {}",
                    mime::body_structure(&msg, true)
                ))),
                MessageDataItemName::Body => {
                    parts.push(text(format!("BODY {}", mime::body_structure(&msg, false))))
                }
                MessageDataItemName::Rfc822 => {
                    sets_seen = true;
                    parts.push(literal("RFC822", &m.data));
                }
                MessageDataItemName::Rfc822Header => {
                    parts.push(literal("RFC822.HEADER", &msg.header_section()))
                }
                MessageDataItemName::Rfc822Text => {
                    sets_seen = true;
                    parts.push(literal("RFC822.TEXT", msg.body));
                }
                MessageDataItemName::BodyExt {
                    section,
                    partial,
                    peek,
                } => {
                    if !peek {
                        sets_seen = true;
                    }
                    let (name, bytes) = section_bytes(&msg, &m.data, section.as_ref());
                    let (origin, bytes) = match partial {
                        Some((start, len)) => {
                            let s = (*start as usize).min(bytes.len());
                            let e = (s + len.get() as usize).min(bytes.len());
                            (format!("<{start}>"), &bytes[s..e])
                        }
                        None => (String::new(), &bytes[..]),
                    };
                    parts.push(literal(&format!("BODY[{name}]{origin}"), bytes));
                }
                _ => {}
            }
        }
        let mut flags = m.flags.clone();
        if sets_seen && !read_only && !m.has_flag("\\Seen") {
            // Reading a message's text sets \Seen (RFC 3501 §6.4.5).
            if let Some(stored) = store
                .folder_mut(&user, &folder)
                .and_then(|mb| mb.messages.iter_mut().find(|x| x.uid == m.uid))
            {
                stored.flags.push("\\Seen".into());
                stored.flags = normalize_flags(std::mem::take(&mut stored.flags));
                flags.clone_from(&stored.flags);
            }
            store.changed(&user, &folder, StoreChange::Flags { uid: m.uid });
            wants_flags = true;
        }
        if wants_flags {
            parts.push(text(format!("FLAGS ({})", flag_list(&flags, recent))));
            if let State::Selected { sel, .. } = &mut self.state
                && let Some(v) = sel.view.get_mut(i)
            {
                v.1 = flags;
            }
        }
        self.push(&format!("* {} FETCH (", i + 1));
        self.out.extend_from_slice(&parts.join(&b' '));
        self.push(")\r\n");
    }

    fn store_one(
        &mut self,
        i: usize,
        kind: &StoreType,
        given: &[String],
        silent: bool,
        by_uid: bool,
        store: &mut dyn MailStore,
    ) {
        let State::Selected { user, sel } = &mut self.state else {
            return;
        };
        let Some(&(uid, _)) = sel.view.get(i) else {
            return;
        };
        let recent = sel.recent.contains(&uid);
        let (user, folder) = (user.clone(), sel.folder.clone());
        let Some(m) = store
            .folder_mut(&user, &folder)
            .and_then(|mb| mb.messages.iter_mut().find(|x| x.uid == uid))
        else {
            return;
        };
        let given: Vec<String> = normalize_flags(
            given
                .iter()
                .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
                .cloned()
                .collect(),
        );
        let before = m.flags.clone();
        let next = match kind {
            StoreType::Replace => given,
            StoreType::Add => {
                let mut f = before.clone();
                f.extend(given);
                normalize_flags(f)
            }
            StoreType::Remove => before
                .iter()
                .filter(|f| !given.iter().any(|g| g.eq_ignore_ascii_case(f)))
                .cloned()
                .collect(),
        };
        m.flags.clone_from(&next);
        if next != before {
            store.changed(&user, &folder, StoreChange::Flags { uid });
        }
        if let State::Selected { sel, .. } = &mut self.state
            && let Some(v) = sel.view.get_mut(i)
        {
            v.1.clone_from(&next);
        }
        if !silent {
            let uid_part = if by_uid {
                format!("UID {uid} ")
            } else {
                String::new()
            };
            self.push(&format!(
                "* {} FETCH ({uid_part}FLAGS ({}))\r\n",
                i + 1,
                flag_list(&next, recent)
            ));
        }
    }

    /// Removes the messages marked \Deleted; with `report`, says `* n EXPUNGE` for each.
    fn expunge(&mut self, store: &mut dyn MailStore, report: bool) {
        let State::Selected { user, sel } = &mut self.state else {
            return;
        };
        if sel.read_only {
            return;
        }
        let (user, folder) = (user.clone(), sel.folder.clone());
        let Some(mb) = store.folder_mut(&user, &folder) else {
            return;
        };
        let gone: Vec<(u32, String)> = mb
            .messages
            .iter()
            .filter(|m| m.has_flag("\\Deleted"))
            .map(|m| (m.uid, m.subject.clone()))
            .collect();
        mb.messages.retain(|m| !m.has_flag("\\Deleted"));
        for (uid, subject) in &gone {
            store.changed(
                &user,
                &folder,
                StoreChange::Expunged {
                    uid: *uid,
                    subject: subject.clone(),
                },
            );
        }
        let mut lines = String::new();
        if let State::Selected { sel, .. } = &mut self.state {
            for i in (0..sel.view.len()).rev() {
                if gone.iter().any(|(u, _)| *u == sel.view[i].0) {
                    sel.view.remove(i);
                    lines.push_str(&format!("* {} EXPUNGE\r\n", i + 1));
                }
            }
        }
        if report {
            self.push(&lines);
        }
    }

    fn search(&self, keys: &[SearchKey], by_uid: bool, store: &dyn MailStore) -> Vec<u32> {
        let State::Selected { sel, .. } = &self.state else {
            return Vec::new();
        };
        let n = sel.view.len() as u32;
        let max_uid = sel.view.iter().map(|v| v.0).max().unwrap_or(0);
        let mut hits = Vec::new();
        for (i, (uid, _)) in sel.view.iter().enumerate() {
            let Some(m) = self.message(i, store) else {
                continue;
            };
            let ctx = SearchCtx {
                seq: i as u32 + 1,
                n,
                max_uid,
                recent: sel.recent.contains(uid),
                m,
                msg: Part::parse(&m.data),
                unix: store.unix_time(m.arrived),
            };
            if keys.iter().all(|k| ctx.matches(k)) {
                hits.push(if by_uid { *uid } else { i as u32 + 1 });
            }
        }
        hits
    }
}

struct SearchCtx<'a> {
    seq: u32,
    n: u32,
    max_uid: u32,
    recent: bool,
    m: &'a StoredMessage,
    msg: Part<'a>,
    unix: i64,
}

impl SearchCtx<'_> {
    fn matches(&self, k: &SearchKey) -> bool {
        let field_has = |name: &str, s: &AString| {
            let needle = String::from_utf8_lossy(s.as_ref()).to_lowercase();
            self.msg
                .field(name)
                .is_some_and(|v| v.to_lowercase().contains(&needle))
        };
        let in_set = |set: &SequenceSet, value: u32, largest: u32| {
            NonZeroU32::new(largest).is_some_and(|l| set.iter(l).any(|x| x.get() == value))
        };
        let day = |unix: i64| unix.div_euclid(86_400);
        let date_days = |d: &imap_codec::imap_types::datetime::NaiveDate| {
            let d: &chrono::NaiveDate = d.as_ref();
            days_from_civil(i64::from(d.year()), d.month(), d.day())
        };
        match k {
            SearchKey::All => true,
            SearchKey::And(keys) => keys.as_ref().iter().all(|k| self.matches(k)),
            SearchKey::Or(a, b) => self.matches(a) || self.matches(b),
            SearchKey::Not(k) => !self.matches(k),
            SearchKey::SequenceSet(set) => in_set(set, self.seq, self.n),
            SearchKey::Uid(set) => in_set(set, self.m.uid, self.max_uid),
            SearchKey::Answered => self.m.has_flag("\\Answered"),
            SearchKey::Unanswered => !self.m.has_flag("\\Answered"),
            SearchKey::Deleted => self.m.has_flag("\\Deleted"),
            SearchKey::Undeleted => !self.m.has_flag("\\Deleted"),
            SearchKey::Draft => self.m.has_flag("\\Draft"),
            SearchKey::Undraft => !self.m.has_flag("\\Draft"),
            SearchKey::Flagged => self.m.has_flag("\\Flagged"),
            SearchKey::Unflagged => !self.m.has_flag("\\Flagged"),
            SearchKey::Seen => self.m.has_flag("\\Seen"),
            SearchKey::Unseen => !self.m.has_flag("\\Seen"),
            SearchKey::Keyword(a) => self.m.has_flag(a.inner()),
            SearchKey::Unkeyword(a) => !self.m.has_flag(a.inner()),
            SearchKey::Recent => self.recent,
            SearchKey::New => self.recent && !self.m.has_flag("\\Seen"),
            SearchKey::Old => !self.recent,
            SearchKey::From(s) => field_has("From", s),
            SearchKey::To(s) => field_has("To", s),
            SearchKey::Cc(s) => field_has("Cc", s),
            SearchKey::Bcc(s) => field_has("Bcc", s),
            SearchKey::Subject(s) => field_has("Subject", s),
            SearchKey::Header(name, value) => {
                field_has(&String::from_utf8_lossy(name.as_ref()), value)
            }
            SearchKey::Body(s) | SearchKey::Text(s) => {
                let needle = String::from_utf8_lossy(s.as_ref()).to_lowercase();
                let hay = if matches!(k, SearchKey::Body(_)) {
                    self.msg.body
                } else {
                    &self.m.data[..]
                };
                String::from_utf8_lossy(hay)
                    .to_lowercase()
                    .contains(&needle)
            }
            SearchKey::Larger(n) => self.m.data.len() > *n as usize,
            SearchKey::Smaller(n) => self.m.data.len() < *n as usize,
            SearchKey::Since(d) => day(self.unix) >= date_days(d),
            SearchKey::Before(d) => day(self.unix) < date_days(d),
            SearchKey::On(d) => day(self.unix) == date_days(d),
            // Sent dates would need the Date: header parsed; the arrival date stands in.
            SearchKey::SentSince(d) => day(self.unix) >= date_days(d),
            SearchKey::SentBefore(d) => day(self.unix) < date_days(d),
            SearchKey::SentOn(d) => day(self.unix) == date_days(d),
        }
    }
}

/// A mailbox name from the wire, canonical: `INBOX` in any case is `INBOX`.
fn folder_name(m: &ImapMailbox) -> String {
    match m {
        ImapMailbox::Inbox => "INBOX".into(),
        ImapMailbox::Other(o) => {
            let s = String::from_utf8_lossy(o.as_ref()).to_string();
            if s.eq_ignore_ascii_case("inbox") {
                "INBOX".into()
            } else {
                s
            }
        }
    }
}

/// LIST's wildcards: `*` matches anything, `%` anything but the delimiter (RFC 3501 §6.3.8).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|k| go(rest, &n[k..])),
            Some(('%', rest)) => (0..=n.len())
                .take_while(|&k| k == 0 || n[k - 1] != DELIMITER)
                .any(|k| go(rest, &n[k..])),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Bounded: a pattern with many `*` over a long name could take long; names are short here.
    p.len() <= 64 && n.len() <= 256 && go(&p, &n)
}

/// Flags sorted, system flags in their canonical case, no duplicates.
pub fn normalize_flags(flags: Vec<String>) -> Vec<String> {
    const SYSTEM: [&str; 5] = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];
    let mut out: Vec<String> = flags
        .into_iter()
        .map(|f| {
            SYSTEM
                .iter()
                .find(|s| s.eq_ignore_ascii_case(&f))
                .map_or(f, |s| s.to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn flag_list(flags: &[String], recent: bool) -> String {
    let mut v: Vec<&str> = flags.iter().map(String::as_str).collect();
    if recent {
        v.push("\\Recent");
    }
    v.join(" ")
}

/// `name {n}` CRLF and the n octets as stored, whatever they are (RFC 3501 §4.3).
fn literal(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut v = format!("{name} {{{}}}\r\n", bytes.len()).into_bytes();
    v.extend_from_slice(bytes);
    v
}

/// The section's name as echoed in the reply, and its bytes (RFC 3501 §6.4.5).
fn section_bytes(msg: &Part, whole: &[u8], section: Option<&Section>) -> (String, Vec<u8>) {
    let path = |p: &Option<imap_codec::imap_types::fetch::Part>| -> Vec<u32> {
        p.as_ref()
            .map(|p| p.0.as_ref().iter().map(|n| n.get()).collect())
            .unwrap_or_default()
    };
    let prefix = |v: &[u32]| -> String {
        v.iter()
            .map(|n| format!("{n}."))
            .collect::<Vec<_>>()
            .concat()
    };
    let names = |list: &[AString]| -> Vec<String> {
        list.iter()
            .map(|a| String::from_utf8_lossy(a.as_ref()).to_ascii_uppercase())
            .collect()
    };
    match section {
        None => (String::new(), whole.to_vec()),
        Some(Section::Part(p)) => {
            let v: Vec<u32> = p.0.as_ref().iter().map(|n| n.get()).collect();
            let name = v
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(".");
            let bytes = msg.part(&v).map(|p| p.body.to_vec()).unwrap_or_default();
            (name, bytes)
        }
        Some(Section::Header(p)) => {
            let v = path(p);
            let bytes = msg.part(&v).map(|p| p.header_section()).unwrap_or_default();
            (format!("{}HEADER", prefix(&v)), bytes)
        }
        Some(Section::Text(p)) => {
            let v = path(p);
            let bytes = msg.part(&v).map(|p| p.body.to_vec()).unwrap_or_default();
            (format!("{}TEXT", prefix(&v)), bytes)
        }
        Some(Section::Mime(p)) => {
            let v: Vec<u32> = p.0.as_ref().iter().map(|n| n.get()).collect();
            let bytes = msg.part(&v).map(|p| p.header_section()).unwrap_or_default();
            (format!("{}MIME", prefix(&v)), bytes)
        }
        Some(Section::HeaderFields(p, list)) | Some(Section::HeaderFieldsNot(p, list)) => {
            let v = path(p);
            let not = matches!(section, Some(Section::HeaderFieldsNot(..)));
            let list = names(list.as_ref());
            let bytes = msg
                .part(&v)
                .map(|p| p.header_fields(&list, not))
                .unwrap_or_default();
            let kind = if not {
                "HEADER.FIELDS.NOT"
            } else {
                "HEADER.FIELDS"
            };
            (format!("{}{kind} ({})", prefix(&v), list.join(" ")), bytes)
        }
    }
}

/// What a command takes, for BAD replies that teach.
pub fn usage(verb: &str) -> Option<&'static str> {
    Some(match verb {
        "CAPABILITY" | "NOOP" | "LOGOUT" | "CHECK" | "CLOSE" | "EXPUNGE" | "IDLE" | "UNSELECT" => {
            "no arguments"
        }
        "LOGIN" => "user-name password (quote them if they hold spaces)",
        "AUTHENTICATE" => "PLAIN [initial-response]",
        "SELECT" | "EXAMINE" | "CREATE" | "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE" => "mailbox-name",
        "RENAME" => "existing-name new-name",
        "LIST" | "LSUB" => "reference pattern, e.g. \"\" \"*\"",
        "STATUS" => "mailbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)",
        "APPEND" => "mailbox [(flags)] [\"date-time\"] {size}",
        "SEARCH" => "criteria, e.g. UNSEEN or FROM \"alice\"",
        "FETCH" => "sequence-set items, e.g. 1:* (FLAGS BODY.PEEK[HEADER])",
        "STORE" => "sequence-set +FLAGS|-FLAGS|FLAGS[.SILENT] (flags)",
        "COPY" => "sequence-set mailbox",
        "UID" => "FETCH|STORE|SEARCH|COPY with UIDs instead of message numbers",
        _ => return None,
    })
}
