//! IMAP on the hosts: the mail store's mailboxes as the IMAP server sees them, changes told to
//! every other session on the same mailbox, and the mail program's IMAP side.

use std::sync::Arc;

use rand::RngExt;

use super::host::{HostState, LocalMessage};
use super::world::Sim;
use crate::engine::ids::{ConnId, HostId};
use crate::engine::time::SimTime;
use crate::engine::trace::{EventKind, ListChange, MailboxChange};
use crate::mail::Mailbox;
use crate::nodes::{ClientApp, ServerApp};
use crate::protocols::Protocol;
use crate::protocols::imap::client::{
    ClientConfig, ClientEvent, Habits, ImapClient, Job, TagStyle,
};
use crate::protocols::imap::server::{MailStore, StoreChange};
use crate::scenario::ClientStyle;

/// A host's mailboxes during one IMAP server call; the changes are collected for the trace.
pub(crate) struct HostStore<'a> {
    host: &'a mut HostState,
    now: SimTime,
    start_unix: i64,
    changes: Vec<(String, String, StoreChange)>,
}

impl<'a> HostStore<'a> {
    pub(crate) fn new(host: &'a mut HostState, now: SimTime, start_unix: i64) -> Self {
        HostStore {
            host,
            now,
            start_unix,
            changes: Vec::new(),
        }
    }
}

impl MailStore for HostStore<'_> {
    fn now(&self) -> SimTime {
        self.now
    }

    fn unix_time(&self, t: SimTime) -> i64 {
        self.start_unix + t.whole_secs() as i64
    }

    fn folders(&self, user: &str) -> Vec<String> {
        let mut v = Vec::new();
        if self.host.store.mailboxes.contains_key(user) {
            v.push("INBOX".to_string());
        }
        v.extend(
            self.host
                .store
                .folders
                .keys()
                .filter(|(u, _)| u == user)
                .map(|(_, n)| n.clone()),
        );
        v
    }

    fn folder(&self, user: &str, name: &str) -> Option<&Mailbox> {
        if name == "INBOX" {
            self.host.store.mailboxes.get(user)
        } else {
            self.host
                .store
                .folders
                .get(&(user.to_string(), name.to_string()))
        }
    }

    fn folder_mut(&mut self, user: &str, name: &str) -> Option<&mut Mailbox> {
        if name == "INBOX" {
            self.host.store.mailboxes.get_mut(user)
        } else {
            self.host
                .store
                .folders
                .get_mut(&(user.to_string(), name.to_string()))
        }
    }

    fn create(&mut self, user: &str, name: &str) -> bool {
        let key = (user.to_string(), name.to_string());
        if name == "INBOX" || self.host.store.folders.contains_key(&key) || name.is_empty() {
            return false;
        }
        let validity = self.host.rng.random_range(1..u32::MAX);
        self.host.store.folders.insert(key, Mailbox::new(validity));
        true
    }

    fn delete(&mut self, user: &str, name: &str) -> bool {
        self.host
            .store
            .folders
            .remove(&(user.to_string(), name.to_string()))
            .is_some()
    }

    fn rename(&mut self, user: &str, from: &str, to: &str) -> bool {
        let (f, t) = (
            (user.to_string(), from.to_string()),
            (user.to_string(), to.to_string()),
        );
        if to.is_empty() || self.host.store.folders.contains_key(&t) {
            return false;
        }
        match self.host.store.folders.remove(&f) {
            Some(mb) => {
                self.host.store.folders.insert(t, mb);
                true
            }
            None => false,
        }
    }

    fn subscriptions(&self, user: &str) -> Vec<String> {
        self.host
            .store
            .subscriptions
            .iter()
            .filter(|(u, _)| u == user)
            .map(|(_, n)| n.clone())
            .collect()
    }

    fn subscribe(&mut self, user: &str, name: &str, on: bool) {
        let key = (user.to_string(), name.to_string());
        if on {
            self.host.store.subscriptions.insert(key);
        } else {
            self.host.store.subscriptions.remove(&key);
        }
    }

    fn changed(&mut self, user: &str, name: &str, change: StoreChange) {
        self.changes
            .push((user.to_string(), name.to_string(), change));
    }
}

/// How the trace names a mailbox: the user for INBOX, `user/Folder` for the others.
pub(crate) fn mailbox_key(user: &str, folder: &str) -> String {
    if folder == "INBOX" {
        user.to_string()
    } else {
        format!("{user}/{folder}")
    }
}

fn flag_text(flags: &[String]) -> String {
    flags.join(" ")
}

impl Sim {
    /// The IMAP server of connection `c` answers the bytes it was just given, with its host's
    /// mailboxes as the store; what it changed is recorded and told to the other sessions.
    pub(crate) fn imap_serve(&mut self, c: ConnId) {
        let h = self.net.conns[c].ends[1].host;
        let (now, start) = (self.now, self.scenario.start_unix);
        let mut store = HostStore::new(&mut self.hosts[h], now, start);
        if let ServerApp::Imap(m) = &mut self.apps[c].server {
            m.serve(&mut store);
        }
        let changes = store.changes;
        self.apply_store_changes(h, c, changes);
    }

    /// Records what an IMAP session changed and tells the other sessions on those mailboxes.
    fn apply_store_changes(
        &mut self,
        h: HostId,
        c: ConnId,
        changes: Vec<(String, String, StoreChange)>,
    ) {
        let mut touched: Vec<(String, String)> = Vec::new();
        for (user, folder, change) in changes {
            let mb = if folder == "INBOX" {
                self.hosts[h].store.mailboxes.get(&user)
            } else {
                self.hosts[h]
                    .store
                    .folders
                    .get(&(user.clone(), folder.clone()))
            };
            let change = match change {
                StoreChange::Appended { uid } => {
                    let Some(m) = mb.and_then(|mb| mb.messages.iter().find(|m| m.uid == uid))
                    else {
                        continue;
                    };
                    MailboxChange::Stored {
                        uid,
                        subject: m.subject.clone(),
                        size: m.data.len(),
                    }
                }
                StoreChange::Flags { uid } => {
                    let Some(m) = mb.and_then(|mb| mb.messages.iter().find(|m| m.uid == uid))
                    else {
                        continue;
                    };
                    MailboxChange::Flags {
                        uid,
                        subject: m.subject.clone(),
                        flags: flag_text(&m.flags),
                    }
                }
                StoreChange::Expunged { uid, subject } => MailboxChange::Deleted { uid, subject },
            };
            self.record(
                self.now,
                EventKind::Mailbox {
                    host: h,
                    user: mailbox_key(&user, &folder),
                    change,
                },
            );
            if !touched.contains(&(user.clone(), folder.clone())) {
                touched.push((user, folder));
            }
        }
        for (user, folder) in touched {
            self.notify_imap(h, &user, &folder, Some(c));
        }
    }

    /// Tells every IMAP session on `h` that has `user`'s `folder` selected (but `except`) that it
    /// changed: a session in IDLE reports it at once.
    pub(crate) fn notify_imap(
        &mut self,
        h: HostId,
        user: &str,
        folder: &str,
        except: Option<ConnId>,
    ) {
        // Most servers have no IMAP: nothing to tell, and no need to look at every connection.
        if self.hosts[h].store.imap_cfg.is_none() {
            return;
        }
        for k in (0..self.net.conns.len()).map(ConnId::new) {
            if Some(k) == except
                || self.net.conns[k].ends[1].host != h
                || self.net.conns[k].closed[1]
            {
                continue;
            }
            let selected = matches!(&self.apps[k].server,
                ServerApp::Imap(m) if m.selected() == Some((user, folder)));
            if !selected {
                continue;
            }
            let before = self.app_state(k, 1);
            let (now, start) = (self.now, self.scenario.start_unix);
            let mut store = HostStore::new(&mut self.hosts[h], now, start);
            if let ServerApp::Imap(m) = &mut self.apps[k].server {
                m.mailbox_changed(&mut store);
            }
            self.pump(k, 1, before);
        }
    }

    /// The mail program on `h` does `job` over IMAP: on its open session if it has one (ending
    /// IDLE first), else on a new one.
    pub(crate) fn client_imap(&mut self, h: HostId, job: Job) {
        let def = std::sync::Arc::clone(&self.hosts[h].def);
        let Some(cl) = &def.client else {
            return;
        };
        let Some(inc) = cl.incoming else { return };
        let open = (0..self.net.conns.len()).map(ConnId::new).find(|&k| {
            let conn = &self.net.conns[k];
            conn.ends[0].host == h
                && !conn.closed[0]
                && !conn.fin_sent[0]
                && matches!(&self.apps[k].client, ClientApp::Imap(m) if m.is_open())
        });
        if let Some(k) = open {
            let before = self.app_state(k, 0);
            if let ClientApp::Imap(m) = &mut self.apps[k].client {
                m.push_job(job);
            }
            self.pump(k, 0, before);
            return;
        }
        let ip = self.hosts[inc].def.ip;
        let name = self.hosts[inc].def.name.clone();
        self.note(
            h,
            format!(
                "{}'s mail program connects to {name} (IMAP) to see the mailbox",
                cl.address
            ),
        );
        let jobs = if job == Job::Sync {
            Vec::new()
        } else {
            vec![job]
        };
        let m = ImapClient::new(
            ClientConfig {
                user: cl.user.clone(),
                pass: self.typed_password(h, &cl.password),
                idle: cl.idle,
                ask_capability: cl.style == ClientStyle::Thunderbird,
                habits: match cl.style {
                    ClientStyle::Thunderbird => Habits {
                        tags: TagStyle::Number,
                        lowercase: true,
                    },
                    ClientStyle::Outlook => Habits {
                        tags: TagStyle::Padded,
                        lowercase: false,
                    },
                    _ => Habits::default(),
                },
                cached: self.hosts[h]
                    .program
                    .inbox
                    .iter()
                    .filter_map(|m| {
                        let uid = m.uid.parse().ok()?;
                        Some((uid, m.subject.clone(), m.flags.clone()))
                    })
                    .collect(),
            },
            jobs,
        );
        self.connect(
            h,
            ip,
            cl.incoming_port,
            Protocol::Imap,
            ClientApp::Imap(Box::new(m)),
        );
    }

    pub(crate) fn client_imap_event(&mut self, c: ConnId, ev: ClientEvent) {
        let h = self.net.conns[c].ends[0].host;
        let (uid, subject, change) = match ev {
            ClientEvent::Note(text) => return self.note(h, text),
            ClientEvent::Body { .. } | ClientEvent::LoginFailed(_) | ClientEvent::Finished => {
                return;
            }
            ClientEvent::Added {
                uid,
                subject,
                flags,
            } => {
                self.hosts[h].program.inbox.push(LocalMessage {
                    uid: uid.to_string(),
                    subject: subject.clone(),
                    data: Arc::new(Vec::new()),
                    flags: flags.clone(),
                });
                (
                    uid,
                    subject,
                    ListChange::Listed {
                        flags: flag_text(&flags),
                    },
                )
            }
            ClientEvent::Flags { uid, flags } => {
                let inbox = &mut self.hosts[h].program.inbox;
                let Some(m) = inbox.iter_mut().find(|m| m.uid == uid.to_string()) else {
                    return;
                };
                m.flags.clone_from(&flags);
                (
                    uid,
                    m.subject.clone(),
                    ListChange::Flags {
                        flags: flag_text(&flags),
                    },
                )
            }
            ClientEvent::Removed { uid } => {
                let inbox = &mut self.hosts[h].program.inbox;
                let Some(i) = inbox.iter().position(|m| m.uid == uid.to_string()) else {
                    return;
                };
                let m = inbox.remove(i);
                (uid, m.subject, ListChange::Removed)
            }
        };
        self.record(
            self.now,
            EventKind::Listed {
                host: h,
                uid: uid.to_string(),
                subject,
                change,
            },
        );
    }
}
