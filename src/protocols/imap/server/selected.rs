//! The selected state (RFC 3501 §6.4): this session's view of its mailbox, the untagged updates
//! that keep the client's copy in step (§7.4.1), message sets, and CLOSE, UNSELECT, EXPUNGE, COPY
//! and IDLE (RFC 2177).

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use imap_codec::imap_types::mailbox::Mailbox as ImapMailbox;
use imap_codec::imap_types::sequence::SequenceSet;

use super::fetch::flag_list;
use super::mailbox::folder_name;
use super::{ImapServer, MailStore, Mode, State, StoreChange};
use crate::mail::StoredMessage;

impl ImapServer {
    /// CLOSE (§6.4.2: expunges quietly) and UNSELECT (RFC 3691: does not), told apart by `name`.
    pub(super) fn cmd_close(&mut self, tag: &str, u: &str, name: &str, store: &mut dyn MailStore) {
        if name == "CLOSE" {
            self.expunge(store, false);
        }
        self.state = State::Authenticated {
            user: u.to_string(),
        };
        self.reply(tag, "OK", &format!("{name} completed"));
    }

    /// EXPUNGE (§6.4.3).
    pub(super) fn cmd_expunge(&mut self, tag: &str, store: &mut dyn MailStore) {
        if self.read_only() {
            return self.reply(tag, "NO", "[READ-ONLY] the mailbox was opened with EXAMINE");
        }
        self.expunge(store, true);
        self.report_updates(store, true);
        self.reply(tag, "OK", "EXPUNGE completed");
    }

    /// COPY and UID COPY (§6.4.7, §6.4.8).
    pub(super) fn cmd_copy(
        &mut self,
        tag: &str,
        u: &str,
        sequence_set: &SequenceSet,
        mailbox: &ImapMailbox,
        uid: bool,
        store: &mut dyn MailStore,
    ) {
        let n = folder_name(mailbox);
        if store.folder(u, &n).is_none() {
            return self.reply(
                tag,
                "NO",
                &format!("[TRYCREATE] no mailbox {n}: CREATE it first"),
            );
        }
        match self.targets(sequence_set, uid) {
            Ok(targets) => {
                let msgs: Vec<StoredMessage> = targets
                    .iter()
                    .filter_map(|&i| self.message(i, store).cloned())
                    .collect();
                let now = store.now();
                let mut added = Vec::new();
                if let Some(mb) = store.folder_mut(u, &n) {
                    for m in msgs {
                        let uid = mb.append(m.data.to_vec(), now);
                        if let Some(new) = mb.messages.last_mut() {
                            new.flags = m.flags.clone();
                        }
                        added.push(uid);
                    }
                }
                for uid in added {
                    store.changed(u, &n, StoreChange::Appended { uid });
                }
                self.reply(
                    tag,
                    "OK",
                    &format!("{}COPY completed", if uid { "UID " } else { "" }),
                );
            }
            Err(e) => self.bad(tag, &e),
        }
    }

    /// IDLE (RFC 2177 §3): updates flow at once until the client says DONE.
    pub(super) fn cmd_idle(&mut self, tag: &str, store: &mut dyn MailStore) {
        self.mode = Mode::Idle {
            tag: tag.to_string(),
        };
        self.push("+ idling\r\n");
        self.report_updates(store, true);
    }

    /// Whether the selected mailbox was opened with EXAMINE.
    pub(super) fn read_only(&self) -> bool {
        matches!(&self.state, State::Selected { sel, .. } if sel.read_only)
    }

    /// Tells the client what changed in its mailbox since it last heard: EXPUNGE (only where
    /// allowed: never during FETCH, STORE or SEARCH, RFC 3501 §7.4.1), FETCH FLAGS, EXISTS.
    pub(super) fn report_updates(&mut self, store: &mut dyn MailStore, allow_expunge: bool) {
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
    pub(super) fn targets(&self, set: &SequenceSet, uid: bool) -> Result<Vec<usize>, String> {
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

    /// The stored message at a position (0-based) of this session's view, if it is still there.
    pub(super) fn message<'s>(
        &self,
        i: usize,
        store: &'s dyn MailStore,
    ) -> Option<&'s StoredMessage> {
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

    /// Removes the messages marked \Deleted; with `report`, says `* n EXPUNGE` for each.
    pub(super) fn expunge(&mut self, store: &mut dyn MailStore, report: bool) {
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
}
