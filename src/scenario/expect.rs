//! `[[expect]]`: what must hold at the end of a run (a mailbox, an inbox, a queue, or that
//! something happened), as written and as checked.

use serde::Deserialize;
use toml::Spanned;

use super::on::Trigger;
use super::{HostDef, Validator};
use crate::engine::ids::HostId;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpect {
    mailbox: Option<Spanned<String>>,
    inbox: Option<Spanned<String>>,
    queue: Option<Spanned<String>>,
    happened: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
    count: Option<usize>,
    subject: Option<String>,
    flags: Option<Spanned<Vec<String>>>,
}

impl RawExpect {
    /// Where it begins in the file: its first key that names what it is about.
    pub(super) fn first(&self) -> usize {
        [
            &self.mailbox,
            &self.inbox,
            &self.queue,
            &self.happened,
            &self.host,
        ]
        .into_iter()
        .flatten()
        .map(|s| s.span().start)
        .min()
        .unwrap_or(0)
    }
}

/// What must hold at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectDef {
    /// The mailbox of `user` on `host`.
    Mailbox {
        host: HostId,
        user: String,
        address: String,
        count: Option<usize>,
        subject: Option<String>,
        /// The flags the message with `subject` has (IMAP).
        flags: Option<Vec<String>>,
    },
    /// What a computer's mail program has downloaded (POP3) or lists (IMAP).
    Inbox {
        host: HostId,
        count: Option<usize>,
        subject: Option<String>,
        /// The flags the message with `subject` shows (IMAP).
        flags: Option<Vec<String>>,
    },
    /// A server's outgoing queue.
    Queue { host: HostId, count: usize },
    /// Something happened in the run (written as a step's `on`): at least once, or exactly
    /// `count` times. An exercise checks with it what the student did (`happened = "sends RETR"`).
    Happened { what: Trigger, count: Option<usize> },
}

impl Validator<'_> {
    /// `flags`, which only make sense with the `subject` they are about.
    fn flags_of(&mut self, e: &RawExpect) -> Option<Vec<String>> {
        let f = e.flags.as_ref()?;
        if e.subject.is_none() {
            self.err(
                f.span(),
                "`flags` are those of one message: give its `subject` too",
                None,
            );
        }
        for flag in f.get_ref() {
            if !flag.starts_with('\\') && flag.contains(['(', ')', ' ', '\\']) {
                self.err(
                    f.span(),
                    format!("`{flag}` is not an IMAP flag"),
                    Some("expected e.g. flags = [\"\\\\Seen\"]".into()),
                );
            }
        }
        Some(crate::protocols::imap::server::normalize_flags(
            f.get_ref().clone(),
        ))
    }

    pub(super) fn expect(
        &mut self,
        e: &RawExpect,
        names: &[String],
        hosts: &[HostDef],
    ) -> Option<ExpectDef> {
        let set = [
            e.mailbox.is_some(),
            e.inbox.is_some(),
            e.queue.is_some(),
            e.happened.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if set != 1 {
            let span = e
                .mailbox
                .as_ref()
                .or(e.inbox.as_ref())
                .or(e.queue.as_ref())
                .or(e.happened.as_ref())
                .map(|s| s.span())
                .unwrap_or(0..0);
            self.err(
                span,
                "an expectation names exactly one of `mailbox`, `inbox`, `queue` or `happened`",
                None,
            );
            return None;
        }
        if let Some(h) = &e.happened {
            let what = self.trigger(h, names)?;
            if e.subject.is_some() || e.flags.is_some() || e.host.is_some() {
                self.err(
                    h.span(),
                    "a `happened` expectation takes `count` only (name the host inside the text: \"mx.b.example sends 250\")",
                    None,
                );
            }
            return Some(ExpectDef::Happened {
                what,
                count: e.count,
            });
        }
        if let Some(m) = &e.mailbox {
            let addr = self.address(m)?;
            let user = addr.local().to_ascii_lowercase();
            let domain = addr.domain_lower();
            let has = |h: &HostDef| {
                h.domain.as_deref() == Some(domain.as_str())
                    && h.accounts.iter().any(|a| a.user == user)
            };
            let host = match &e.host {
                Some(h) => self.host_ref(names, h, "host")?,
                None => match hosts.iter().position(has) {
                    Some(i) => HostId::new(i),
                    None => {
                        self.err(
                            m.span(),
                            format!("no host of this scenario keeps a mailbox for `{addr}`"),
                            Some(format!(
                                "add account `{user}` to a host with domain = \"{domain}\""
                            )),
                        );
                        return None;
                    }
                },
            };
            let flags = self.flags_of(e);
            return Some(ExpectDef::Mailbox {
                host,
                user,
                address: addr.to_string(),
                count: e.count,
                subject: e.subject.clone(),
                flags,
            });
        }
        if let Some(i) = &e.inbox {
            let host = self.host_ref(names, i, "inbox host")?;
            if hosts[host].client.is_none() {
                self.err(
                    i.span(),
                    format!("`{}` has no mail program, so no inbox", hosts[host].name),
                    None,
                );
            }
            let flags = self.flags_of(e);
            return Some(ExpectDef::Inbox {
                host,
                count: e.count,
                subject: e.subject.clone(),
                flags,
            });
        }
        let q = e.queue.as_ref()?;
        let host = self.host_ref(names, q, "queue host")?;
        if e.subject.is_some() || e.flags.is_some() {
            self.err(q.span(), "a queue expectation takes `count` only", None);
        }
        Some(ExpectDef::Queue {
            host,
            count: e.count.unwrap_or(0),
        })
    }
}
