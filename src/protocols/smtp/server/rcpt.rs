//! MAIL and RCPT: who may send, what parameters are taken, which recipients are accepted and why
//! not (unknown users, relaying, greylisting, full mailboxes).

use super::{Address, Reply, Role, ServerEvent, SmtpServer, State, Txn};
use crate::protocols::smtp::wire::Params;

impl SmtpServer {
    pub(super) fn check_mail_params(&self, params: &Params) -> Result<(), Reply> {
        let esmtp = self.helo.as_ref().is_some_and(|h| h.1);
        for (key, value) in params.iter() {
            if !esmtp {
                return Err(Reply::new(555, "5.5.4 MAIL parameters need EHLO, not HELO"));
            }
            match (key, value) {
                ("SIZE", Some(v)) => match v.parse::<usize>() {
                    Ok(n) if n > self.config.max_size => {
                        return Err(Reply::new(
                            552,
                            "5.3.4 Message size exceeds fixed maximum message size",
                        ));
                    }
                    Ok(_) => {}
                    Err(_) => return Err(Reply::new(501, "5.5.4 SIZE needs a number (RFC 1870)")),
                },
                ("BODY", Some(v))
                    if v.eq_ignore_ascii_case("7BIT") || v.eq_ignore_ascii_case("8BITMIME") => {}
                _ => {
                    return Err(Reply::new(
                        555,
                        format!("5.5.4 Unsupported MAIL parameter {key}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A logged-in user sends as their own address only (`<>` is allowed, for notifications),
    /// refused at MAIL (RFC 5321 §4.2.2: 553, mailbox name not allowed; RFC 3463 X.7.1).
    pub(super) fn check_sender(&self, from: Option<&Address>) -> Result<(), Reply> {
        let (Some(user), Some(from)) = (&self.authed, from) else {
            return Ok(());
        };
        if from.local().eq_ignore_ascii_case(user) && self.config.is_local(from.domain()) {
            return Ok(());
        }
        let owner = match self.config.local_domains.first() {
            Some(d) => format!("{user}@{d}"),
            None => user.clone(),
        };
        Err(Reply::new(
            553,
            format!("5.7.1 Sender address rejected: not owned by user {owner}"),
        ))
    }

    /// RCPT TO: accept the recipient, refuse it, or ask the host about greylisting first.
    pub(super) fn rcpt(&mut self, txn: &mut Txn, to: Address) {
        let c = &self.config;
        let verdict = if c.is_local(to.domain()) {
            if !c.users.contains(&to.key()) {
                Err(Reply::new(
                    550,
                    format!(
                        "5.1.1 <{to}>: Recipient address rejected: User unknown in local recipient table"
                    ),
                ))
            } else if c.greylist {
                let (client, _) = self.helo.clone().unwrap_or_default();
                let sender = txn
                    .from
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let rcpt = to.key();
                self.events.push_back(ServerEvent::Greylist {
                    client,
                    sender,
                    rcpt,
                });
                self.greylist_wait = Some(to);
                return;
            } else {
                self.mailbox_room(&to)
            }
        } else if c.role == Role::Submission
            && txn.from.as_ref().is_some_and(|f| c.is_local(f.domain()))
        {
            Ok("250 2.1.5 Ok, will relay")
        } else {
            Err(Reply::new(
                554,
                format!("5.7.1 <{to}>: Relay access denied"),
            ))
        };
        self.rcpt_verdict(txn, to, verdict);
    }

    fn rcpt_verdict(&mut self, txn: &mut Txn, to: Address, verdict: Result<&'static str, Reply>) {
        match verdict {
            Ok(r) => {
                self.line(r);
                txn.rcpts.push(to);
            }
            Err(r) => self.error(r),
        }
    }

    /// A local recipient's mailbox: room, full for now (452 4.2.2) or for good (552 5.2.2).
    fn mailbox_room(&self, to: &Address) -> Result<&'static str, Reply> {
        // Most servers have no full mailbox: no key to build for them.
        let full = if self.config.full.is_empty() {
            None
        } else {
            self.config.full.get(&to.key())
        };
        match full {
            Some(false) => Err(Reply::new(
                452,
                format!("4.2.2 <{to}>: Mailbox full, try again later"),
            )),
            Some(true) => Err(Reply::new(
                552,
                format!("5.2.2 <{to}>: Mailbox full: over its storage allocation"),
            )),
            None => Ok("250 2.1.5 Ok"),
        }
    }

    /// The host's answer to [`ServerEvent::Greylist`]: whether this (client, sender, recipient)
    /// was tried before. A first try is refused for now (451 4.7.1: real senders retry, most
    /// spam programs do not); a retry goes on to the mailbox. Then the commands that waited
    /// behind it are read.
    pub fn answer_greylist(&mut self, tried_before: bool) {
        let Some(to) = self.greylist_wait.take() else {
            return;
        };
        let verdict = if tried_before {
            self.mailbox_room(&to)
        } else {
            Err(Reply::new(
                451,
                format!(
                    "4.7.1 <{to}>: Recipient address rejected: Greylisted, please try again later"
                ),
            ))
        };
        let mut state = std::mem::replace(&mut self.state, State::Closed);
        if let State::ExpectRcpt(txn) = &mut state {
            self.rcpt_verdict(txn, to, verdict);
        }
        self.state = state;
        self.process();
    }
}
