//! Reading and marking messages in the selected mailbox (RFC 3501 §6.4.5, §6.4.6): FETCH and
//! STORE (and their UID forms), the `BODY[section]` bytes they serve, and flag lists.

use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::fetch::{
    Macro, MacroOrMessageDataItemNames, MessageDataItemName, Section,
};
use imap_codec::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_codec::imap_types::sequence::SequenceSet;

use super::{ImapServer, MailStore, State, StoreChange};
use crate::protocols::imap::mime::{self, Part};

impl ImapServer {
    /// FETCH and UID FETCH (§6.4.5, §6.4.8).
    pub(super) fn cmd_fetch(
        &mut self,
        tag: &str,
        sequence_set: &SequenceSet,
        macro_or_item_names: MacroOrMessageDataItemNames,
        uid: bool,
        store: &mut dyn MailStore,
    ) {
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
        match self.targets(sequence_set, uid) {
            Ok(targets) => {
                for i in targets {
                    self.fetch_one(i, &items, uid, store);
                }
                self.reply(
                    tag,
                    "OK",
                    &format!("{}FETCH completed", if uid { "UID " } else { "" }),
                );
            }
            Err(e) => self.bad(tag, &e),
        }
    }

    /// STORE and UID STORE (§6.4.6, §6.4.8).
    #[allow(clippy::too_many_arguments)] // STORE's parts, as the dispatcher took them apart
    pub(super) fn cmd_store(
        &mut self,
        tag: &str,
        sequence_set: &SequenceSet,
        kind: &StoreType,
        response: StoreResponse,
        flags: &[Flag],
        uid: bool,
        store: &mut dyn MailStore,
    ) {
        if self.read_only() {
            return self.reply(tag, "NO", "[READ-ONLY] the mailbox was opened with EXAMINE");
        }
        let given: Vec<String> = flags.iter().map(ToString::to_string).collect();
        match self.targets(sequence_set, uid) {
            Ok(targets) => {
                for i in targets {
                    self.store_one(
                        i,
                        kind,
                        &given,
                        response == StoreResponse::Silent,
                        uid,
                        store,
                    );
                }
                self.reply(
                    tag,
                    "OK",
                    &format!("{}STORE completed", if uid { "UID " } else { "" }),
                );
            }
            Err(e) => self.bad(tag, &e),
        }
    }

    /// One `* n FETCH (...)` line for the message at position `i`, setting \Seen where read.
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

    /// Changes the flags of the message at position `i`; unless `silent`, says its new FLAGS.
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

/// A FLAGS list's inside, with `\Recent` added where it holds for this session.
pub(super) fn flag_list(flags: &[String], recent: bool) -> String {
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
