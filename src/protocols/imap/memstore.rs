//! A [`MailStore`] held in memory, for tests and tools that run an IMAP server without a
//! simulated host.

use std::collections::{BTreeMap, BTreeSet};

use super::server::{MailStore, StoreChange};
use crate::engine::time::SimTime;
use crate::mail::Mailbox;

/// Mailboxes by (user, name), with every change recorded.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    /// The mailboxes; every user has `INBOX`.
    pub folders: BTreeMap<(String, String), Mailbox>,
    /// Subscribed (user, name).
    pub subscribed: BTreeSet<(String, String)>,
    /// Changes as the sessions reported them, oldest first.
    pub changes: Vec<(String, String, StoreChange)>,
    /// What [`MailStore::now`] answers.
    pub now: SimTime,
    /// Seconds since 1970 at simulated time zero.
    pub start_unix: i64,
    next_validity: u32,
}

impl MemoryStore {
    /// A store with an empty INBOX for each user.
    pub fn new(users: &[&str]) -> Self {
        let mut s = MemoryStore {
            start_unix: 1_795_770_000,
            next_validity: 1000,
            ..Default::default()
        };
        for u in users {
            s.create_inbox(u);
        }
        s
    }

    fn create_inbox(&mut self, user: &str) {
        let v = self.validity();
        self.folders
            .insert((user.to_string(), "INBOX".to_string()), Mailbox::new(v));
    }

    fn validity(&mut self) -> u32 {
        self.next_validity += 1;
        self.next_validity
    }

    /// Delivers a message to a user's INBOX, as an SMTP server would; returns its uid.
    pub fn deliver(&mut self, user: &str, data: &[u8]) -> Option<u32> {
        let now = self.now;
        let mb = self
            .folders
            .get_mut(&(user.to_string(), "INBOX".to_string()))?;
        Some(mb.append(data.to_vec(), now))
    }
}

impl MailStore for MemoryStore {
    fn now(&self) -> SimTime {
        self.now
    }

    fn unix_time(&self, t: SimTime) -> i64 {
        self.start_unix + t.whole_secs() as i64
    }

    fn folders(&self, user: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .folders
            .keys()
            .filter(|(u, n)| u == user && n != "INBOX")
            .map(|(_, n)| n.clone())
            .collect();
        if self
            .folders
            .contains_key(&(user.to_string(), "INBOX".to_string()))
        {
            v.insert(0, "INBOX".into());
        }
        v
    }

    fn folder(&self, user: &str, name: &str) -> Option<&Mailbox> {
        self.folders.get(&(user.to_string(), name.to_string()))
    }

    fn folder_mut(&mut self, user: &str, name: &str) -> Option<&mut Mailbox> {
        self.folders.get_mut(&(user.to_string(), name.to_string()))
    }

    fn create(&mut self, user: &str, name: &str) -> bool {
        let key = (user.to_string(), name.to_string());
        if name.is_empty() || self.folders.contains_key(&key) {
            return false;
        }
        let v = self.validity();
        self.folders.insert(key, Mailbox::new(v));
        true
    }

    fn delete(&mut self, user: &str, name: &str) -> bool {
        name != "INBOX"
            && self
                .folders
                .remove(&(user.to_string(), name.to_string()))
                .is_some()
    }

    fn rename(&mut self, user: &str, from: &str, to: &str) -> bool {
        let t = (user.to_string(), to.to_string());
        if from == "INBOX" || to.is_empty() || self.folders.contains_key(&t) {
            return false;
        }
        match self.folders.remove(&(user.to_string(), from.to_string())) {
            Some(mb) => {
                self.folders.insert(t, mb);
                true
            }
            None => false,
        }
    }

    fn subscriptions(&self, user: &str) -> Vec<String> {
        self.subscribed
            .iter()
            .filter(|(u, _)| u == user)
            .map(|(_, n)| n.clone())
            .collect()
    }

    fn subscribe(&mut self, user: &str, name: &str, on: bool) {
        let key = (user.to_string(), name.to_string());
        if on {
            self.subscribed.insert(key);
        } else {
            self.subscribed.remove(&key);
        }
    }

    fn changed(&mut self, user: &str, name: &str, change: StoreChange) {
        self.changes
            .push((user.to_string(), name.to_string(), change));
    }
}
