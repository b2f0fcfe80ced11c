//! The server side of IMAP4rev1 (RFC 3501) with IDLE (RFC 2177), sans-IO.
//!
//! Commands are split into lines and literals by imap-codec's `Fragmentizer` (so literal bytes are
//! never read as commands; each line is bounded by [`MAX_LINE`]) and parsed by its `CommandCodec`;
//! replies are written here byte for byte.
//! The mailboxes live in the host, reached through [`MailStore`] during [`ImapServer::serve`]
//! (which the host calls right after each [`Session::handle_input`]); when a session changes a
//! mailbox the host tells the other sessions on it ([`ImapServer::mailbox_changed`]), which report
//! it as untagged EXISTS / EXPUNGE / FETCH FLAGS at once while IDLE, or with their next reply.

mod auth;
mod fetch;
mod mailbox;
mod search;
mod selected;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use imap_codec::decode::Decoder;
use imap_codec::fragmentizer::{FragmentInfo, LineEnding};
use imap_codec::imap_types::auth::AuthenticateData;
use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::{AuthenticateDataCodec, CommandCodec, IdleDoneCodec};

use super::reader::{Read, Reader, too_long};
use crate::engine::time::SimTime;
use crate::mail::Mailbox;
use crate::protocols::Session;

pub use fetch::normalize_flags;
pub use mailbox::wildcard_match;

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
///
/// Why a trait the machine calls, and not an event and an answer as the POP3 server has
/// (`ServerEvent::LockMaildrop`, answered by `Pop3Server::handle_maildrop`)?
///
/// - POP3 asks its host once. At PASS the host locks the maildrop for the session and hands over
///   the messages as they are then (RFC 1939 §4: the exclusive-access lock is taken once the user
///   is authenticated and held until the UPDATE state); from then on the session works on its
///   copy, and only QUIT sends one more event (`ServerEvent::Commit`) back. One question, one
///   answer, and the machine waits for it.
/// - IMAP shares its mailboxes live. Other sessions and deliveries change them while this one has
///   one selected, and the server must tell its client (untagged EXISTS, EXPUNGE and FETCH FLAGS:
///   RFC 3501 §5.2, §7.3.1, §7.4.1, §7.4.2), so each command compares the mailbox as it is now
///   with what the client was told ([`ImapServer::mailbox_changed`] does it at once in IDLE).
/// - And an IMAP command reads or changes many things at once: a FETCH of a whole range reads
///   every message in it, STORE changes the flags of many, COPY reads many and appends them to
///   another mailbox, and one chunk of input may hold several such commands, pipelined. With
///   events and answers the machine would stop in the middle of a command for each message and
///   wait; with the store it answers each command whole, in one call ([`ImapServer::serve`]).
///
/// What a session changed it reports through [`MailStore::changed`], for the host to record and
/// to tell the other sessions.
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
    /// Bytes taken by [`Session::handle_input`] that [`ImapServer::serve`] has not read yet.
    unserved: Vec<u8>,
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
            unserved: Vec::new(),
            out: greeting.into_bytes(),
            errors: 0,
        }
    }

    /// The user and mailbox selected, if any.
    pub fn selected(&self) -> Option<(&str, &str)> {
        match &self.state {
            State::Selected { user, sel } => Some((user, &sel.folder)),
            _ => None,
        }
    }

    /// Bytes held: taken but not yet served, or of a command not yet complete (bounded by
    /// [`MAX_MESSAGE`] once served).
    pub fn buffered(&self) -> usize {
        self.unserved.len() + self.input.frag().message_bytes().len()
    }

    /// Answers the commands in the bytes [`Session::handle_input`] took, reading and changing the
    /// host's mailboxes through `store`. The host calls it right after each `handle_input`.
    pub fn serve(&mut self, store: &mut dyn MailStore) {
        let bytes = std::mem::take(&mut self.unserved);
        // In pieces no longer than a line may be, so that a line too long is caught early.
        for piece in bytes.chunks(MAX_LINE) {
            self.input.enqueue(piece);
            self.take_fragments(store);
        }
    }

    /// Another session (or a delivery) changed the mailbox this one has selected: while IDLE the
    /// client is told at once; otherwise with the reply to its next command.
    pub fn mailbox_changed(&mut self, store: &mut dyn MailStore) {
        if matches!(self.mode, Mode::Idle { .. }) {
            self.report_updates(store, true);
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

    /// One parsed command, sent to its handler by the state it is allowed in (RFC 3501 §6.1 any
    /// state, §6.2 not authenticated, §6.3 authenticated, §6.4 selected). The arms are tried in
    /// order, so a command given in the wrong state meets the first check it fails.
    fn command(&mut self, cmd: Command, store: &mut dyn MailStore) {
        let tag = cmd.tag.inner().to_string();
        let user = self.user();
        let selected = matches!(self.state, State::Selected { .. });
        let name = cmd.body.name();
        // Past the not-authenticated checks below there is always a user.
        let u = user.as_deref().unwrap_or_default();
        match cmd.body {
            // Any state (§6.1), CHECK too: here.
            CommandBody::Capability => self.cmd_capability(&tag, store),
            CommandBody::Noop | CommandBody::Check => self.cmd_noop(&tag, name, store),
            CommandBody::Logout => self.cmd_logout(&tag),
            // Not authenticated (§6.2): auth.rs.
            CommandBody::Login { username, password } if user.is_none() => {
                self.cmd_login(&tag, &username, &password)
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } if user.is_none() => self.cmd_authenticate(&tag, &mechanism, initial_response),
            CommandBody::Login { .. } | CommandBody::Authenticate { .. } => {
                self.bad(&tag, "already logged in")
            }
            _ if user.is_none() => self.bad(
                &tag,
                &format!("{name} needs LOGIN first (RFC 3501 §6.2: not authenticated state)"),
            ),
            // Authenticated (§6.3): mailbox.rs.
            CommandBody::Select { mailbox, .. } => self.cmd_select(&tag, u, &mailbox, false, store),
            CommandBody::Examine { mailbox, .. } => self.cmd_select(&tag, u, &mailbox, true, store),
            CommandBody::Create { mailbox } => self.cmd_create(&tag, u, &mailbox, store),
            CommandBody::Delete { mailbox } => self.cmd_delete(&tag, u, &mailbox, store),
            CommandBody::Rename { from, to } => self.cmd_rename(&tag, u, &from, &to, store),
            CommandBody::Subscribe { mailbox } | CommandBody::Unsubscribe { mailbox } => {
                self.cmd_subscribe(&tag, u, name, &mailbox, store)
            }
            CommandBody::List {
                reference,
                mailbox_wildcard,
            }
            | CommandBody::Lsub {
                reference,
                mailbox_wildcard,
            } => self.cmd_list(&tag, u, name, &reference, &mailbox_wildcard, store),
            CommandBody::Status {
                mailbox,
                item_names,
            } => self.cmd_status(&tag, u, &mailbox, &item_names, store),
            CommandBody::Append {
                mailbox,
                flags,
                message,
                ..
            } => self.cmd_append(&tag, u, &mailbox, &flags, &message, store),
            _ if !selected => self.bad(
                &tag,
                &format!("{name} needs a selected mailbox: SELECT one first (RFC 3501 §6.4)"),
            ),
            // Selected (§6.4): selected.rs, search.rs, fetch.rs.
            CommandBody::Close | CommandBody::Unselect => self.cmd_close(&tag, u, name, store),
            CommandBody::Expunge => self.cmd_expunge(&tag, store),
            CommandBody::Search { criteria, uid, .. } => {
                self.cmd_search(&tag, criteria.as_ref(), uid, store)
            }
            CommandBody::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                ..
            } => self.cmd_fetch(&tag, &sequence_set, macro_or_item_names, uid, store),
            CommandBody::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                ..
            } => self.cmd_store(&tag, &sequence_set, &kind, response, &flags, uid, store),
            CommandBody::Copy {
                sequence_set,
                mailbox,
                uid,
            } => self.cmd_copy(&tag, u, &sequence_set, &mailbox, uid, store),
            CommandBody::Idle => self.cmd_idle(&tag, store),
            _ => self.bad(
                &tag,
                &format!("{name} is not supported by this server (see CAPABILITY)"),
            ),
        }
    }

    /// CAPABILITY (RFC 3501 §6.1.1).
    fn cmd_capability(&mut self, tag: &str, store: &mut dyn MailStore) {
        self.push(&format!("* CAPABILITY {CAPABILITIES}\r\n"));
        self.report_updates(store, true);
        self.reply(tag, "OK", "CAPABILITY completed");
    }

    /// NOOP (§6.1.2) and CHECK (§6.4.1): nothing but the updates.
    fn cmd_noop(&mut self, tag: &str, name: &str, store: &mut dyn MailStore) {
        self.report_updates(store, true);
        self.reply(tag, "OK", &format!("{name} completed"));
    }

    /// LOGOUT (§6.1.3).
    fn cmd_logout(&mut self, tag: &str) {
        self.push(&format!(
            "* BYE {} IMAP4rev1 server logging out\r\n",
            self.config.hostname
        ));
        self.reply(tag, "OK", "LOGOUT completed");
        self.state = State::Logout;
    }
}

impl Session for ImapServer {
    type Event = std::convert::Infallible;

    /// The state's name as RFC 3501 §3 calls it.
    fn state_name(&self) -> &'static str {
        match (&self.state, &self.mode) {
            (State::Logout, _) => "logout",
            (_, Mode::Idle { .. }) => "selected, idling",
            (_, Mode::AuthData { .. }) => "not authenticated, authenticating",
            (State::NotAuthenticated, _) => "not authenticated",
            (State::Authenticated { .. }, _) => "authenticated",
            (State::Selected { .. }, _) => "selected",
        }
    }

    /// Whether the session is over (after LOGOUT or BYE).
    fn wants_close(&self) -> bool {
        matches!(self.state, State::Logout)
    }

    /// Bytes to send, if any.
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        crate::protocols::session::take_output(&mut self.out)
    }

    /// The connection ended.
    fn handle_closed(&mut self, _why: &str) {
        self.state = State::Logout;
    }

    /// Bytes from the client, kept until [`ImapServer::serve`] reads them with the host's store.
    fn handle_input(&mut self, bytes: &[u8]) {
        if matches!(self.state, State::Logout) {
            return;
        }
        self.unserved.extend_from_slice(bytes);
    }

    /// Nothing: the IMAP server tells its host nothing by events. What it changes it tells the
    /// store ([`MailStore::changed`]), and it needs no answer it could wait for (see [`MailStore`]).
    fn poll_event(&mut self) -> Option<std::convert::Infallible> {
        None
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
