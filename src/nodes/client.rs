//! The mail program on a user's computer: compose and send over SMTP, download over POP3.

use std::sync::Arc;

use rand::RngExt;

use super::host::LocalMessage;
use super::world::Sim;
use crate::engine::digits::decimal;
use crate::engine::ids::{ConnId, HostId};
use crate::engine::trace::EventKind;
use crate::mail::{Draft, build_message, subject_of};
use crate::nodes::{ClientApp, SmtpPurpose};
use crate::protocols::Protocol;
use crate::protocols::pop3::client::{ClientConfig as PopConfig, ClientEvent, Pop3Client};
use crate::protocols::smtp::client::{ClientConfig, Job, Outcome, SmtpClient};
use crate::scenario::{ClientStyle, StepAction};

/// The name a mail program gives in EHLO/HELO: its full name, or what its style writes
/// (RFC 5321 §4.1.4 asks for the full name or an address literal; real clients vary).
fn helo_name(def: &crate::scenario::HostDef, style: ClientStyle) -> String {
    match style {
        ClientStyle::Outlook => def
            .name
            .split('.')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase(),
        ClientStyle::Thunderbird => format!("[{}]", def.ip),
        ClientStyle::Mailsim | ClientStyle::Eudora => def.name.clone(),
    }
}

impl Sim {
    /// The password host `h`'s user types: the right one, unless a `wrong_password` fault holds.
    pub(crate) fn typed_password(&self, h: HostId, right: &str) -> String {
        let wrong = self
            .net
            .faults
            .holds(h, &crate::scenario::FaultKind::WrongPassword, self.now);
        if wrong {
            format!("{right}-typo")
        } else {
            right.to_string()
        }
    }

    /// Writes a new message as host `h`'s program would: a fresh Message-ID under `id_domain`,
    /// the date from the simulated clock, CRLF line ends.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn compose(
        &mut self,
        h: HostId,
        from: (&str, &str),
        id_domain: &str,
        (to, cc): (&[String], &[String]),
        subject: &str,
        body: &str,
        user_agent: &str,
    ) -> Vec<u8> {
        let host = &mut self.hosts[h];
        host.counter += 1;
        // `{:016x}.{counter}@{domain}`, without format!: one per mail.
        let mut message_id = crate::engine::digits::hex(host.rng.random::<u64>(), 16, false);
        message_id.push('.');
        message_id.push_str(decimal(host.counter.into()).as_str());
        message_id.push('@');
        message_id.push_str(id_domain);
        let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
        build_message(&Draft {
            from,
            to,
            cc,
            subject,
            body: &body,
            date: self.scenario.start_unix + self.now.whole_secs() as i64,
            message_id,
            user_agent,
        })
    }

    pub(crate) fn fire_step(&mut self, i: usize) {
        // The scenario is shared: the step is borrowed from it, not copied.
        let scenario = std::sync::Arc::clone(&self.scenario);
        let step = &scenario.steps[i];
        let total = scenario.steps.len();
        self.trace.push(
            self.now,
            EventKind::Step {
                index: i,
                number: {
                    self.steps_begun += 1;
                    self.steps_begun
                },
                total,
                text: step.narration.clone(),
            },
        );
        match (&step.action, step.host) {
            (
                StepAction::Send {
                    to,
                    cc,
                    bcc,
                    subject,
                    body,
                },
                Some(h),
            ) => self.client_send(h, [to, cc, bcc], subject, body),
            (StepAction::Check, Some(h)) => self.client_check(h),
            (StepAction::Read { subject }, Some(h)) => {
                let subject = subject.clone();
                self.client_imap(h, crate::protocols::imap::client::Job::Read { subject })
            }
            (
                StepAction::Web {
                    server,
                    method,
                    path,
                    form,
                },
                Some(h),
            ) => self.browse(h, *server, method, path, form),
            (StepAction::Delete { subject }, Some(h)) => {
                let subject = subject.clone();
                self.client_imap(h, crate::protocols::imap::client::Job::Delete { subject })
            }
            _ => {}
        }
    }

    /// Sends a mail to `[to, cc, bcc]`: every one of them gets a `RCPT TO` (the envelope), but
    /// only `to` and `cc` are written in the header.
    fn client_send(
        &mut self,
        h: HostId,
        [to, cc, bcc]: [&[crate::protocols::smtp::wire::Address]; 3],
        subject: &str,
        body: &str,
    ) {
        let def = std::sync::Arc::clone(&self.hosts[h].def);
        let Some(cl) = &def.client else {
            return;
        };
        let text = |list: &[crate::protocols::smtp::wire::Address]| -> Vec<String> {
            list.iter().map(|a| a.as_str().to_string()).collect()
        };
        let (to_text, cc_text, bcc_text) = (text(to), text(cc), text(bcc));
        let address = cl.address.as_str();
        let data = self.compose(
            h,
            (&cl.name, address),
            cl.address.domain(),
            (&to_text, &cc_text),
            subject,
            body,
            &cl.user_agent,
        );
        let server = &self.hosts[cl.outgoing];
        let (ip, server_name) = (server.def.ip, server.def.name.clone());
        // Joined rather than formatted: a user sends many.
        let mut text = [address, "'s mail program sends \"", subject, "\" to "].concat();
        let hidden = bcc_text.iter().map(|b| (b, " (Bcc)"));
        let all = to_text
            .iter()
            .chain(&cc_text)
            .map(|t| (t, ""))
            .chain(hidden);
        for (k, (name, mark)) in all.enumerate() {
            if k > 0 {
                text.push_str(", ");
            }
            text.push_str(name);
            text.push_str(mark);
        }
        text.push_str(" through ");
        text.push_str(&server_name);
        text.push(':');
        text.push_str(decimal(cl.outgoing_port.into()).as_str());
        self.note(h, text);
        let m = SmtpClient::new(
            ClientConfig {
                helo_name: helo_name(&self.hosts[h].def, cl.style),
                use_ehlo: cl.ehlo,
                auth: Some((cl.user.clone(), cl.password.clone())),
            },
            Job {
                from: Some(cl.address.clone()),
                rcpts: [to, cc, bcc].concat(),
                data,
            },
        );
        self.connect(
            h,
            ip,
            cl.outgoing_port,
            Protocol::Smtp,
            ClientApp::Smtp {
                m: Box::new(m),
                purpose: SmtpPurpose::Submit,
            },
        );
    }

    pub(crate) fn client_sent(&mut self, c: ConnId, o: Outcome) {
        let h = self.net.conns[c].ends[0].host;
        let text = if o.delivered {
            let mut t = format!(
                "mail program: sent; the server took the message ({})",
                o.last_reply.map(|r| r.to_string()).unwrap_or_default()
            );
            for (rcpt, r) in &o.rejected {
                t.push_str(&format!("; but {rcpt} was refused: {r}"));
            }
            t
        } else if let Some(e) = o.error {
            format!("mail program: sending failed: {e}")
        } else {
            let why = o.last_reply.map(|r| r.to_string()).unwrap_or_default();
            format!("mail program: sending failed, the server said {why}")
        };
        self.note(h, text);
    }

    fn client_check(&mut self, h: HostId) {
        let def = std::sync::Arc::clone(&self.hosts[h].def);
        let Some(cl) = &def.client else {
            return;
        };
        let Some(inc) = cl.incoming else { return };
        if cl.incoming_protocol == crate::scenario::IncomingProtocol::Imap {
            return self.client_imap(h, crate::protocols::imap::client::Job::Sync);
        }
        let ip = self.hosts[inc].def.ip;
        let name = self.hosts[inc].def.name.clone();
        // One check at a time, as a real mail program does: two sessions at once would both see
        // the same new message (keeping mail on the server) and download it twice.
        // Only the last check can still be going: none starts while one is.
        let checking = self.hosts[h].program.pop3_check.is_some_and(|c| {
            let conn = &self.net.conns[c];
            matches!(self.apps[c].client, ClientApp::Pop3(_))
                && !conn.fin_sent[0]
                && !conn.closed[0]
        });
        if checking {
            self.note(
                h,
                format!(
                    "{}'s mail program is still checking {name} (the last check has not finished), so it does not start another",
                    cl.address
                ),
            );
            return;
        }
        self.note(
            h,
            format!(
                "{}'s mail program checks for new mail on {name} (POP3)",
                cl.address
            ),
        );
        let m = Pop3Client::new(PopConfig {
            user: cl.user.clone(),
            pass: self.typed_password(h, &cl.password),
            keep_on_server: cl.keep_on_server,
            known_uids: self.hosts[h].program.known_uids.clone(),
        });
        self.hosts[h].program.pop3_check = self.connect(
            h,
            ip,
            cl.incoming_port,
            Protocol::Pop3,
            ClientApp::Pop3(Box::new(m)),
        );
    }

    pub(crate) fn client_pop3_event(&mut self, c: ConnId, ev: ClientEvent) {
        let h = self.net.conns[c].ends[0].host;
        match ev {
            ClientEvent::Retrieved { uid, data } => {
                let subject = subject_of(&data);
                let host = &mut self.hosts[h];
                host.program.known_uids.insert(uid.clone());
                host.program.inbox.push(LocalMessage {
                    uid: uid.clone(),
                    subject: subject.clone(),
                    data: Arc::new(data),
                    flags: Vec::new(),
                });
                self.record(
                    self.now,
                    EventKind::Downloaded {
                        host: h,
                        uid,
                        subject,
                    },
                );
            }
            ClientEvent::Finished {
                retrieved,
                deleted,
                error,
            } => {
                let text = match error {
                    Some(e) => format!("mail program: checking mail failed: {e}"),
                    None if retrieved == 0 => "mail program: no new mail".to_string(),
                    None => format!(
                        "mail program: {}; {}",
                        crate::engine::digits::count(retrieved, "new message"),
                        if deleted > 0 {
                            "deleted from the server"
                        } else {
                            "left on the server"
                        }
                    ),
                };
                self.note(h, text);
            }
        }
    }
}
