//! A host while the simulation runs: what the scenario says of it, and the state of each role
//! it plays (mailboxes of a mail store, the queue of a mail server, what a mail program has
//! downloaded, a browser's cookies, a webmail's sessions).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rand::RngExt;

use crate::engine::ids::{ConnId, HostId};
use crate::engine::rng::{SimRng, fork};
use crate::engine::time::SimTime;
use crate::mail::Mailbox;
use crate::protocols::{imap, pop3, smtp};
use crate::scenario::{HostDef, Service};

/// A message a mail program has downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMessage {
    /// The server's unique id for it.
    pub uid: String,
    /// Its Subject.
    pub subject: String,
    /// Its bytes (empty for IMAP, which lists messages without downloading them).
    pub data: Arc<Vec<u8>>,
    /// Its IMAP flags as the server last said (empty for POP3).
    pub flags: Vec<String>,
}

/// A message in a server's outgoing queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    /// Queue id.
    pub id: String,
    /// Envelope sender.
    pub from: Option<smtp::wire::Address>,
    /// Recipients still to deliver, all in `domain`.
    pub rcpts: Vec<smtp::wire::Address>,
    /// The destination domain.
    pub domain: String,
    /// The message, with this server's Received line.
    pub data: Arc<Vec<u8>>,
    /// What is happening to it, in words.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When it was queued (it bounces if still here [`crate::nodes::GIVE_UP`] later).
    pub queued_at: SimTime,
}

/// A host while the simulation runs: what the scenario says of it, its random numbers, and the
/// state of each role it can play. A role it does not play stays empty.
pub struct HostState {
    /// What the scenario says of it.
    pub def: std::sync::Arc<HostDef>,
    pub(crate) rng: SimRng,
    /// Messages composed on it so far (mail program or webmail): numbers its Message-IDs.
    pub(crate) counter: u32,
    /// As a mail store: the mailboxes its POP3 and IMAP servers serve.
    pub store: Store,
    /// As a mail server: its outgoing queue and its SMTP servers' settings.
    pub mta: Mta,
    /// As a user's computer: what its mail program has downloaded.
    pub program: MailProgram,
    /// As a user's computer: what its web browser remembers.
    pub(crate) browser: Browser,
    /// As a webmail server: who is logged in.
    pub(crate) webmail: Webmail,
}

/// A mail store's state (POP3, RFC 1939; IMAP, RFC 9051).
#[derive(Default)]
pub struct Store {
    /// Mailboxes by user name (each user's INBOX).
    pub mailboxes: BTreeMap<String, Mailbox>,
    /// Users' other IMAP mailboxes, by (user, name).
    pub folders: BTreeMap<(String, String), Mailbox>,
    /// The IMAP mailboxes each user subscribed to, by (user, name) (RFC 9051 §6.3.7).
    pub(crate) subscriptions: BTreeSet<(String, String)>,
    /// Users whose maildrop a POP3 session holds locked (RFC 1939 §8).
    pub(crate) pop_locks: BTreeSet<String>,
    pub(crate) pop3_cfg: Option<Arc<pop3::server::ServerConfig>>,
    pub(crate) imap_cfg: Option<Arc<imap::server::ServerConfig>>,
}

/// A mail server's state (SMTP, RFC 5321): what it relays and how its servers answer.
#[derive(Default)]
pub struct Mta {
    /// Outgoing queue.
    pub queue: Vec<QueuedMail>,
    /// The (client, sender, recipient) triples a greylisting MX has seen: they outlive its
    /// sessions, so a retry is known.
    pub(crate) greylist: BTreeSet<(String, String, String)>,
    /// The MX's settings (port 25), if it has one.
    pub(crate) smtp_cfg: Option<Arc<smtp::server::ServerConfig>>,
    /// The submission server's settings (port 587), if it has one.
    pub(crate) submission_cfg: Option<Arc<smtp::server::ServerConfig>>,
}

/// A mail program's state.
#[derive(Default)]
pub struct MailProgram {
    /// What it has downloaded (POP3) or last listed (IMAP).
    pub inbox: Vec<LocalMessage>,
    /// The unique ids of messages it already has, to leave them when mail stays on the server.
    pub(crate) known_uids: BTreeSet<String>,
    /// The connection of its last POP3 check, if it made one.
    pub(crate) pop3_check: Option<ConnId>,
}

/// A web browser's state.
#[derive(Default)]
pub(crate) struct Browser {
    /// Cookies, by web server host.
    pub(crate) cookies: BTreeMap<HostId, Vec<(String, String)>>,
    /// The forms on the pages it got: their hidden fields (the webmail's form token), by (web
    /// server host, form action). A POST sends them with the step's fields.
    pub(crate) hidden_fields: BTreeMap<(HostId, String), Vec<(String, String)>>,
}

/// A webmail server's state.
#[derive(Default)]
pub(crate) struct Webmail {
    /// Logged-in sessions, by session id.
    pub(crate) sessions: BTreeMap<String, super::WebSession>,
}

impl HostState {
    pub(crate) fn new(def: &HostDef, seed: u64) -> Self {
        let mut rng = fork(seed, &def.name);
        let domains: Vec<String> = def.domain.iter().cloned().collect();
        let users: BTreeSet<String> = def
            .accounts
            .iter()
            .filter_map(|a| def.domain.as_ref().map(|d| format!("{}@{d}", a.user)))
            .collect();
        // User name → password, for every server of the host that logs users in.
        let accounts: BTreeMap<String, String> = def
            .accounts
            .iter()
            .map(|a| (a.user.clone(), a.password.clone()))
            .collect();
        let smtp_cfg = |role| {
            Arc::new(smtp::server::ServerConfig {
                hostname: def.name.clone(),
                role,
                local_domains: domains.clone(),
                users: users.clone(),
                max_size: 10 * 1024 * 1024,
                max_recipients: 100,
                accounts: accounts.clone(),
                require_auth: false,
                greylist: false,
                full: BTreeMap::new(),
            })
        };
        let mailboxes: BTreeMap<String, Mailbox> = def
            .accounts
            .iter()
            .map(|a| (a.user.clone(), Mailbox::new(rng.random_range(1..u32::MAX))))
            .collect();
        let store = Store {
            pop3_cfg: def.has(Service::Pop3).then(|| {
                Arc::new(pop3::server::ServerConfig {
                    hostname: def.name.clone(),
                    accounts: accounts.clone(),
                })
            }),
            imap_cfg: def.has(Service::Imap).then(|| {
                Arc::new(imap::server::ServerConfig {
                    hostname: def.name.clone(),
                    accounts: accounts.clone(),
                })
            }),
            subscriptions: mailboxes
                .keys()
                .map(|u: &String| (u.clone(), "INBOX".to_string()))
                .collect(),
            mailboxes,
            ..Store::default()
        };
        let mta = Mta {
            smtp_cfg: def
                .has(Service::Smtp)
                .then(|| smtp_cfg(smtp::server::Role::Mx)),
            submission_cfg: def
                .has(Service::Submission)
                .then(|| smtp_cfg(smtp::server::Role::Submission)),
            ..Mta::default()
        };
        HostState {
            def: std::sync::Arc::new(def.clone()),
            rng,
            counter: 0,
            store,
            mta,
            program: MailProgram::default(),
            browser: Browser::default(),
            webmail: Webmail::default(),
        }
    }
}
