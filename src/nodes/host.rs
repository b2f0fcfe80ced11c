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

/// A host while the simulation runs.
pub struct HostState {
    /// What the scenario says of it.
    pub def: HostDef,
    pub(crate) rng: SimRng,
    /// Mailboxes by user name (each user's INBOX).
    pub mailboxes: BTreeMap<String, Mailbox>,
    /// Users' other IMAP mailboxes, by (user, name).
    pub folders: BTreeMap<(String, String), Mailbox>,
    pub(crate) subscriptions: BTreeSet<(String, String)>,
    /// Outgoing queue.
    pub queue: Vec<QueuedMail>,
    /// What its mail program has downloaded.
    pub inbox: Vec<LocalMessage>,
    pub(crate) known_uids: BTreeSet<String>,
    /// The connection of its mail program's last POP3 check, if it made one.
    pub(crate) pop3_check: Option<ConnId>,
    pub(crate) pop_locks: BTreeSet<String>,
    pub(crate) smtp_cfg: Option<Arc<smtp::server::ServerConfig>>,
    pub(crate) submission_cfg: Option<Arc<smtp::server::ServerConfig>>,
    pub(crate) pop3_cfg: Option<Arc<pop3::server::ServerConfig>>,
    pub(crate) imap_cfg: Option<Arc<imap::server::ServerConfig>>,
    pub(crate) counter: u32,
    /// The (client, sender, recipient) triples a greylisting MX has seen: they outlive its
    /// sessions, so a retry is known.
    pub(crate) greylist: BTreeSet<(String, String, String)>,
    /// A browser's cookies, by web server host.
    pub(crate) cookies: BTreeMap<HostId, Vec<(String, String)>>,
    /// A browser's memory of the forms on the pages it got: their hidden fields (the webmail's
    /// form token), by (web server host, form action). A POST sends them with the step's fields.
    pub(crate) hidden_fields: BTreeMap<(HostId, String), Vec<(String, String)>>,
    /// A webmail server's logged-in sessions, by session id.
    pub(crate) web_sessions: BTreeMap<String, super::WebSession>,
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
        HostState {
            smtp_cfg: def
                .has(Service::Smtp)
                .then(|| smtp_cfg(smtp::server::Role::Mx)),
            submission_cfg: def
                .has(Service::Submission)
                .then(|| smtp_cfg(smtp::server::Role::Submission)),
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
            def: def.clone(),
            rng,
            subscriptions: mailboxes
                .keys()
                .map(|u: &String| (u.clone(), "INBOX".to_string()))
                .collect(),
            mailboxes,
            folders: BTreeMap::new(),
            queue: Vec::new(),
            inbox: Vec::new(),
            known_uids: BTreeSet::new(),
            pop3_check: None,
            cookies: BTreeMap::new(),
            hidden_fields: BTreeMap::new(),
            web_sessions: BTreeMap::new(),
            greylist: Default::default(),
            pop_locks: BTreeSet::new(),
            counter: 0,
        }
    }
}
