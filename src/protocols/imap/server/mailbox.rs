//! The authenticated state's commands on whole mailboxes (RFC 3501 §6.3): SELECT and EXAMINE,
//! CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE, LIST and LSUB with their wildcards, STATUS,
//! APPEND; and mailbox names as they come off the wire.

use std::collections::BTreeSet;

use imap_codec::imap_types::extensions::binary::LiteralOrLiteral8;
use imap_codec::imap_types::flag::Flag;
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox as ImapMailbox};
use imap_codec::imap_types::status::StatusDataItemName;

use super::{DELIMITER, ImapServer, MailStore, Selected, State, StoreChange, normalize_flags};
use crate::protocols::imap::mime;

impl ImapServer {
    /// SELECT (§6.3.1) and, with `read_only`, EXAMINE (§6.3.2).
    pub(super) fn cmd_select(
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

    /// CREATE (§6.3.3).
    pub(super) fn cmd_create(
        &mut self,
        tag: &str,
        u: &str,
        mailbox: &ImapMailbox,
        store: &mut dyn MailStore,
    ) {
        let n = folder_name(mailbox);
        if n == "INBOX" || !store.create(u, &n) {
            self.reply(tag, "NO", &format!("[ALREADYEXISTS] {n} already exists"));
        } else {
            self.reply(tag, "OK", "CREATE completed");
        }
    }

    /// DELETE (§6.3.4).
    pub(super) fn cmd_delete(
        &mut self,
        tag: &str,
        u: &str,
        mailbox: &ImapMailbox,
        store: &mut dyn MailStore,
    ) {
        let n = folder_name(mailbox);
        if n == "INBOX" {
            self.reply(tag, "NO", "INBOX cannot be deleted (RFC 3501 §6.3.4)");
        } else if self.selected() == Some((u, &n)) {
            self.reply(tag, "NO", "[INUSE] close the mailbox before deleting it");
        } else if store.delete(u, &n) {
            self.reply(tag, "OK", "DELETE completed");
        } else {
            self.reply(tag, "NO", &format!("[NONEXISTENT] no mailbox {n}"));
        }
    }

    /// RENAME (§6.3.5).
    pub(super) fn cmd_rename(
        &mut self,
        tag: &str,
        u: &str,
        from: &ImapMailbox,
        to: &ImapMailbox,
        store: &mut dyn MailStore,
    ) {
        let (f, t) = (folder_name(from), folder_name(to));
        if f == "INBOX" || t == "INBOX" {
            self.reply(tag, "NO", "renaming INBOX is not supported by this server");
        } else if store.rename(u, &f, &t) {
            self.reply(tag, "OK", "RENAME completed");
        } else {
            self.reply(
                tag,
                "NO",
                &format!("cannot rename {f} to {t}: the first must exist and the second must not"),
            );
        }
    }

    /// SUBSCRIBE (§6.3.6) and UNSUBSCRIBE (§6.3.7), told apart by `name`.
    pub(super) fn cmd_subscribe(
        &mut self,
        tag: &str,
        u: &str,
        name: &str,
        mailbox: &ImapMailbox,
        store: &mut dyn MailStore,
    ) {
        let n = folder_name(mailbox);
        let on = name == "SUBSCRIBE";
        if on && store.folder(u, &n).is_none() {
            self.reply(tag, "NO", &format!("[NONEXISTENT] no mailbox {n}"));
        } else {
            store.subscribe(u, &n, on);
            self.reply(tag, "OK", &format!("{name} completed"));
        }
    }

    /// LIST (§6.3.8) and LSUB (§6.3.9), told apart by `name`.
    pub(super) fn cmd_list(
        &mut self,
        tag: &str,
        u: &str,
        name: &str,
        reference: &ImapMailbox,
        mailbox_wildcard: &ListMailbox,
        store: &mut dyn MailStore,
    ) {
        let lsub = name == "LSUB";
        let reference = folder_name(reference);
        let pattern = match mailbox_wildcard {
            ListMailbox::Token(t) => String::from_utf8_lossy(t.as_ref()).to_string(),
            ListMailbox::String(s) => String::from_utf8_lossy(s.as_ref()).to_string(),
        };
        if pattern.is_empty() && !lsub {
            self.push(&format!("* LIST (\\Noselect) \"{DELIMITER}\" \"\"\r\n"));
        } else {
            let full = format!("{reference}{pattern}");
            let names = if lsub {
                store.subscriptions(u)
            } else {
                store.folders(u)
            };
            for n in names {
                if wildcard_match(&full, &n) {
                    let children = store
                        .folders(u)
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
        self.reply(tag, "OK", &format!("{name} completed"));
    }

    /// STATUS (§6.3.10).
    pub(super) fn cmd_status(
        &mut self,
        tag: &str,
        u: &str,
        mailbox: &ImapMailbox,
        item_names: &[StatusDataItemName],
        store: &mut dyn MailStore,
    ) {
        let n = folder_name(mailbox);
        match store.folder(u, &n) {
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
                self.reply(tag, "OK", "STATUS completed");
            }
            None => self.reply(tag, "NO", &format!("[NONEXISTENT] no mailbox {n}")),
        }
    }

    /// APPEND (§6.3.11).
    pub(super) fn cmd_append(
        &mut self,
        tag: &str,
        u: &str,
        mailbox: &ImapMailbox,
        flags: &[Flag],
        message: &LiteralOrLiteral8,
        store: &mut dyn MailStore,
    ) {
        let n = folder_name(mailbox);
        let data = match message {
            LiteralOrLiteral8::Literal(l) => l.as_ref().to_vec(),
            LiteralOrLiteral8::Literal8(l) => l.data.to_vec(),
        };
        let flags: Vec<String> = flags.iter().map(ToString::to_string).collect();
        let now = store.now();
        match store.folder_mut(u, &n) {
            Some(mb) => {
                let uid = mb.append(data, now);
                if let Some(m) = mb.messages.last_mut() {
                    m.flags = normalize_flags(flags);
                }
                store.changed(u, &n, StoreChange::Appended { uid });
                self.report_updates(store, true);
                self.reply(tag, "OK", "APPEND completed");
            }
            None => self.reply(
                tag,
                "NO",
                &format!("[TRYCREATE] no mailbox {n}: CREATE it first"),
            ),
        }
    }
}

/// A mailbox name from the wire, canonical: `INBOX` in any case is `INBOX`.
pub(super) fn folder_name(m: &ImapMailbox) -> String {
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
