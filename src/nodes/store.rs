//! The mail store: mailboxes served over POP3, locked per session (RFC 1939 §8).

use super::world::Sim;
use crate::engine::ids::ConnId;
use crate::engine::trace::{EventKind, MailboxChange};
use crate::nodes::ServerApp;
use crate::protocols::pop3::server::{PopMessage, ServerEvent};

impl Sim {
    pub(crate) fn store_event(&mut self, c: ConnId, ev: ServerEvent) {
        let h = self.net.conns[c].ends[1].host;
        match ev {
            ServerEvent::LockMaildrop { user } => {
                let host = &mut self.hosts[h];
                let msgs = if host.store.pop_locks.insert(user.clone()) {
                    let list = host
                        .store
                        .mailboxes
                        .get(&user)
                        .map(|mb| {
                            mb.messages
                                .iter()
                                .map(|m| PopMessage {
                                    uid: m.uid.to_string(),
                                    data: m.data.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Some(list)
                } else {
                    None
                };
                if let ServerApp::Pop3(m) = &mut self.apps[c].server {
                    m.handle_maildrop(msgs);
                }
            }
            ServerEvent::Commit { user, deleted } => {
                self.hosts[h].store.pop_locks.remove(&user);
                let any = !deleted.is_empty();
                for uid in deleted {
                    let Ok(uid) = uid.parse::<u32>() else {
                        continue;
                    };
                    let removed = self.hosts[h]
                        .store
                        .mailboxes
                        .get_mut(&user)
                        .and_then(|mb| mb.remove(uid));
                    if let Some(m) = removed {
                        let change = MailboxChange::Deleted {
                            uid,
                            subject: m.subject,
                        };
                        self.record(
                            self.now,
                            EventKind::Mailbox {
                                host: h,
                                user: user.clone(),
                                change,
                            },
                        );
                    }
                }
                if any {
                    self.notify_imap(h, &user, "INBOX", None);
                }
            }
            ServerEvent::Release { user } => {
                self.hosts[h].store.pop_locks.remove(&user);
            }
        }
    }
}
