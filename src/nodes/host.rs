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

/// A mail server's outgoing queue: in the order mail was queued, found by queue id.
///
/// A server of a large class holds hundreds at once, and each DNS answer, status change and
/// delivery finds one by its id: kept in a list, finding and taking one out cost a pass over
/// the queue (a classroom of 1,000 users spent 5% of its instructions there).
#[derive(Debug, Clone, Default)]
pub struct MailQueue {
    /// The mail in the order it was queued; `None` where one was taken out (until those
    /// outnumber the mail left, when the list is closed up).
    slots: Vec<Option<QueuedMail>>,
    /// Where each queue id is in `slots`.
    index: BTreeMap<String, usize>,
}

impl MailQueue {
    /// Queues a mail after the others. Queue ids are unique (see [`Mta::session_prefix`]);
    /// were one queued again, the mail it named before is taken out and returned.
    #[must_use = "a mail queued under the same id is taken out: say so"]
    pub fn push(&mut self, q: QueuedMail) -> Option<QueuedMail> {
        let old = self.index.insert(q.id.clone(), self.slots.len());
        self.slots.push(Some(q));
        old.and_then(|i| self.slots[i].take())
    }

    /// The mail with queue id `id`.
    pub fn get(&self, id: &str) -> Option<&QueuedMail> {
        self.slots[*self.index.get(id)?].as_ref()
    }

    /// The mail with queue id `id`, to change.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut QueuedMail> {
        self.slots[*self.index.get(id)?].as_mut()
    }

    /// Takes the mail with queue id `id` out of the queue.
    pub fn remove(&mut self, id: &str) -> Option<QueuedMail> {
        let q = self.slots[self.index.remove(id)?].take();
        while let Some(None) = self.slots.last() {
            self.slots.pop();
        }
        // Closed up when more than half the slots are empty: each slot is moved once for each
        // one emptied, at most.
        if self.index.len() * 2 < self.slots.len() {
            self.slots.retain(Option::is_some);
            for (i, q) in self.slots.iter().flatten().enumerate() {
                if let Some(at) = self.index.get_mut(&q.id) {
                    *at = i;
                }
            }
        }
        q
    }

    /// The mail queued, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &QueuedMail> {
        self.slots.iter().flatten()
    }

    /// The oldest mail queued.
    pub fn first(&self) -> Option<&QueuedMail> {
        self.iter().next()
    }

    /// How many are queued.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

impl<'a> IntoIterator for &'a MailQueue {
    type Item = &'a QueuedMail;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Option<QueuedMail>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.slots.iter().flatten()
    }
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
    pub queue: MailQueue,
    /// The (client, sender, recipient) triples a greylisting MX has seen: they outlive its
    /// sessions, so a retry is known.
    pub(crate) greylist: BTreeSet<(String, String, String)>,
    /// The MX's settings (port 25), if it has one.
    pub(crate) smtp_cfg: Option<Arc<smtp::server::ServerConfig>>,
    /// The submission server's settings (port 587), if it has one.
    pub(crate) submission_cfg: Option<Arc<smtp::server::ServerConfig>>,
    /// The queue-id prefixes its SMTP sessions have had, one bit each.
    prefixes: Vec<u64>,
    /// How many it has had.
    sessions: u64,
}

impl Mta {
    /// A new SMTP session's queue-id prefix: the session queues its mail as the prefix and a
    /// count, `7F3A1`, `7F3A2`... The prefix is four hex digits drawn at random, as Postfix's
    /// ids look, but never one an earlier session on this server had: drawn freely, two of a
    /// class's few hundred sessions would likely share one, and queue two mails under one id.
    /// After 65,536 sessions it is `Z` and twelve digits, counted (no hex prefix begins so).
    pub(crate) fn session_prefix(&mut self, rng: &mut SimRng) -> String {
        use crate::engine::digits::hex;
        self.sessions = self.sessions.saturating_add(1);
        if self.sessions > 1 << 16 {
            return ["Z", &hex(self.sessions, 12, true)].concat();
        }
        if self.prefixes.is_empty() {
            self.prefixes = vec![0; (1 << 16) / 64];
        }
        loop {
            let p = rng.random::<u16>();
            let (word, bit) = (usize::from(p / 64), 1u64 << (p % 64));
            if self.prefixes[word] & bit == 0 {
                self.prefixes[word] |= bit;
                return hex(u64::from(p), 4, true);
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(id: &str) -> QueuedMail {
        QueuedMail {
            id: id.to_string(),
            from: None,
            rcpts: Vec::new(),
            domain: "b.example".to_string(),
            data: Arc::new(Vec::new()),
            status: String::new(),
            attempts: 1,
            queued_at: SimTime(0),
        }
    }

    /// The queue lists mail in the order it came, whatever the ids, and finds, changes and
    /// takes out each by its id, leaving the others in order.
    #[test]
    fn the_queue_keeps_its_order_and_finds_mail_by_id() {
        let mut q = MailQueue::default();
        for id in ["Q9", "Q10", "Q1.2", "Q1.1", "A"] {
            assert!(q.push(mail(id)).is_none());
        }
        let ids = |q: &MailQueue| q.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&q), ["Q9", "Q10", "Q1.2", "Q1.1", "A"]);
        assert_eq!(q.len(), 5);
        q.get_mut("Q1.2").unwrap().status = "sending".into();
        assert_eq!(q.get("Q1.2").unwrap().status, "sending");
        assert_eq!(q.remove("Q10").unwrap().id, "Q10");
        assert!(q.remove("Q10").is_none() && q.get("Q10").is_none());
        assert_eq!(ids(&q), ["Q9", "Q1.2", "Q1.1", "A"]);
        assert!(q.push(mail("Q10")).is_none());
        assert_eq!(ids(&q), ["Q9", "Q1.2", "Q1.1", "A", "Q10"]);
        assert_eq!(q.first().unwrap().id, "Q9");
        for id in ["Q9", "Q1.2", "Q1.1", "A", "Q10"] {
            q.remove(id);
        }
        assert!(q.is_empty() && q.first().is_none());
    }

    /// Were an id queued twice, the mail it named before comes back out (to be bounced), and
    /// the queue holds the newer one, last.
    #[test]
    fn a_mail_queued_under_an_id_already_queued_takes_the_older_out() {
        let mut q = MailQueue::default();
        for id in ["A", "B"] {
            assert!(q.push(mail(id)).is_none());
        }
        let mut again = mail("A");
        again.status = "newer".into();
        assert_eq!(q.push(again).unwrap().status, "");
        assert_eq!(
            q.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            ["B", "A"]
        );
        assert_eq!(q.get("A").unwrap().status, "newer");
        assert_eq!(q.len(), 2);
    }

    /// Every session of a server gets its own queue-id prefix: four hex digits while there are
    /// any left (drawn, so not in order), then `Z` and eight.
    #[test]
    fn session_prefixes_are_never_reused() {
        let (mut mta, mut rng) = (Mta::default(), fork(1, "prefixes"));
        let mut seen = BTreeSet::new();
        let first: Vec<String> = (0..3).map(|_| mta.session_prefix(&mut rng)).collect();
        assert_ne!(first, ["0000", "0001", "0002"]);
        seen.extend(first);
        for n in 3..70_000 {
            let p = mta.session_prefix(&mut rng);
            let hex4 = p.len() == 4 && p.bytes().all(|b| b.is_ascii_hexdigit());
            assert!(
                if n < 1 << 16 {
                    hex4
                } else {
                    p.len() == 13 && p.starts_with('Z')
                },
                "{p}"
            );
            assert!(seen.insert(p.clone()), "session {n} reused {p}");
        }
    }

    proptest::proptest! {
        /// Mail queued and taken out in any order: the queue holds what a plain list would, in
        /// the same order, and finds each by its id (through the closing-up of empty slots).
        #[test]
        fn the_queue_is_a_list_found_by_id(ops in proptest::collection::vec(0u8..=255, 0..200)) {
            let (mut q, mut list, mut n) = (MailQueue::default(), Vec::<QueuedMail>::new(), 0);
            for op in ops {
                // Pushed more often than taken out: the queue grows, and closes up long.
                if op < 150 || list.is_empty() {
                    n += 1;
                    let pushed = q.push(mail(&format!("Q{n}")));
                    proptest::prop_assert!(pushed.is_none());
                    list.push(mail(&format!("Q{n}")));
                } else {
                    let m = list.remove(usize::from(op) % list.len());
                    proptest::prop_assert_eq!(q.remove(&m.id), Some(m));
                }
                proptest::prop_assert!(q.iter().eq(list.iter()));
                proptest::prop_assert_eq!(q.len(), list.len());
                for m in &list {
                    proptest::prop_assert_eq!(q.get(&m.id), Some(m));
                }
            }
        }
    }
}
