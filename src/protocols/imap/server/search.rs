//! SEARCH and UID SEARCH (RFC 3501 §6.4.4): which messages of the selected mailbox match every
//! key given.

use std::num::NonZeroU32;

use chrono::Datelike;
use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::search::SearchKey;
use imap_codec::imap_types::sequence::SequenceSet;

use super::{ImapServer, MailStore, State};
use crate::engine::time::days_from_civil;
use crate::mail::StoredMessage;
use crate::protocols::imap::mime::Part;

impl ImapServer {
    /// SEARCH and UID SEARCH (§6.4.4, §6.4.8).
    pub(super) fn cmd_search(
        &mut self,
        tag: &str,
        criteria: &[SearchKey],
        uid: bool,
        store: &mut dyn MailStore,
    ) {
        let hits = self.search(criteria, uid, store);
        let list: Vec<String> = hits.iter().map(ToString::to_string).collect();
        let sep = if list.is_empty() { "" } else { " " };
        self.push(&format!("* SEARCH{sep}{}\r\n", list.join(" ")));
        self.reply(
            tag,
            "OK",
            &format!("{}SEARCH completed", if uid { "UID " } else { "" }),
        );
    }

    /// The message numbers (or UIDs, with `by_uid`) that match every key.
    fn search(&self, keys: &[SearchKey], by_uid: bool, store: &dyn MailStore) -> Vec<u32> {
        let State::Selected { sel, .. } = &self.state else {
            return Vec::new();
        };
        let n = sel.view.len() as u32;
        let max_uid = sel.view.iter().map(|v| v.0).max().unwrap_or(0);
        let mut hits = Vec::new();
        for (i, (uid, _)) in sel.view.iter().enumerate() {
            let Some(m) = self.message(i, store) else {
                continue;
            };
            let ctx = SearchCtx {
                seq: i as u32 + 1,
                n,
                max_uid,
                recent: sel.recent.contains(uid),
                m,
                msg: Part::parse(&m.data),
                unix: store.unix_time(m.arrived),
            };
            if keys.iter().all(|k| ctx.matches(k)) {
                hits.push(if by_uid { *uid } else { i as u32 + 1 });
            }
        }
        hits
    }
}

/// One message as the search keys see it.
struct SearchCtx<'a> {
    seq: u32,
    n: u32,
    max_uid: u32,
    recent: bool,
    m: &'a StoredMessage,
    msg: Part<'a>,
    unix: i64,
}

impl SearchCtx<'_> {
    fn matches(&self, k: &SearchKey) -> bool {
        let field_has = |name: &str, s: &AString| {
            let needle = String::from_utf8_lossy(s.as_ref()).to_lowercase();
            self.msg
                .field(name)
                .is_some_and(|v| v.to_lowercase().contains(&needle))
        };
        let in_set = |set: &SequenceSet, value: u32, largest: u32| {
            NonZeroU32::new(largest).is_some_and(|l| set.iter(l).any(|x| x.get() == value))
        };
        let day = |unix: i64| unix.div_euclid(86_400);
        let date_days = |d: &imap_codec::imap_types::datetime::NaiveDate| {
            let d: &chrono::NaiveDate = d.as_ref();
            days_from_civil(i64::from(d.year()), d.month(), d.day())
        };
        match k {
            SearchKey::All => true,
            SearchKey::And(keys) => keys.as_ref().iter().all(|k| self.matches(k)),
            SearchKey::Or(a, b) => self.matches(a) || self.matches(b),
            SearchKey::Not(k) => !self.matches(k),
            SearchKey::SequenceSet(set) => in_set(set, self.seq, self.n),
            SearchKey::Uid(set) => in_set(set, self.m.uid, self.max_uid),
            SearchKey::Answered => self.m.has_flag("\\Answered"),
            SearchKey::Unanswered => !self.m.has_flag("\\Answered"),
            SearchKey::Deleted => self.m.has_flag("\\Deleted"),
            SearchKey::Undeleted => !self.m.has_flag("\\Deleted"),
            SearchKey::Draft => self.m.has_flag("\\Draft"),
            SearchKey::Undraft => !self.m.has_flag("\\Draft"),
            SearchKey::Flagged => self.m.has_flag("\\Flagged"),
            SearchKey::Unflagged => !self.m.has_flag("\\Flagged"),
            SearchKey::Seen => self.m.has_flag("\\Seen"),
            SearchKey::Unseen => !self.m.has_flag("\\Seen"),
            SearchKey::Keyword(a) => self.m.has_flag(a.inner()),
            SearchKey::Unkeyword(a) => !self.m.has_flag(a.inner()),
            SearchKey::Recent => self.recent,
            SearchKey::New => self.recent && !self.m.has_flag("\\Seen"),
            SearchKey::Old => !self.recent,
            SearchKey::From(s) => field_has("From", s),
            SearchKey::To(s) => field_has("To", s),
            SearchKey::Cc(s) => field_has("Cc", s),
            SearchKey::Bcc(s) => field_has("Bcc", s),
            SearchKey::Subject(s) => field_has("Subject", s),
            SearchKey::Header(name, value) => {
                field_has(&String::from_utf8_lossy(name.as_ref()), value)
            }
            SearchKey::Body(s) | SearchKey::Text(s) => {
                let needle = String::from_utf8_lossy(s.as_ref()).to_lowercase();
                let hay = if matches!(k, SearchKey::Body(_)) {
                    self.msg.body
                } else {
                    &self.m.data[..]
                };
                String::from_utf8_lossy(hay)
                    .to_lowercase()
                    .contains(&needle)
            }
            SearchKey::Larger(n) => self.m.data.len() > *n as usize,
            SearchKey::Smaller(n) => self.m.data.len() < *n as usize,
            SearchKey::Since(d) => day(self.unix) >= date_days(d),
            SearchKey::Before(d) => day(self.unix) < date_days(d),
            SearchKey::On(d) => day(self.unix) == date_days(d),
            // Sent dates would need the Date: header parsed; the arrival date stands in.
            SearchKey::SentSince(d) => day(self.unix) >= date_days(d),
            SearchKey::SentBefore(d) => day(self.unix) < date_days(d),
            SearchKey::SentOn(d) => day(self.unix) == date_days(d),
        }
    }
}
