//! The mail server (MTA): accept over SMTP, deliver locally or queue and relay to the MX of the
//! recipient's domain (RFC 5321 §5.1), adding `Received:` (and `Return-Path:` at final delivery,
//! §4.4) as it goes.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::RngExt;

use super::host::QueuedMail;
use super::world::Sim;
use crate::engine::digits::{decimal, ipv4};
use crate::engine::ids::{ConnId, HostId};
use crate::engine::trace::{Endpoint, EventKind, MailboxChange};
use crate::mail::{Hop, received_header};
use crate::nodes::{ClientApp, Lookup, LookupStage, SmtpPurpose};
use crate::protocols::Protocol;
use crate::protocols::dns::{QType, Rcode};
use crate::protocols::smtp::client::{ClientConfig, Job, Outcome, SmtpClient};
use crate::protocols::smtp::server::Envelope;
use crate::protocols::smtp::wire::Address;

impl Sim {
    pub(crate) fn mta_accepted(&mut self, c: ConnId, env: Envelope) {
        let [peer, me] = self.net.conns[c].ends;
        let h = me.host;
        let date = self.scenario.start_unix + self.now.whole_secs() as i64;
        // The definitions are shared: held here while the host's state changes below.
        let peer_def = Arc::clone(&self.hosts[peer.host].def);
        let my_def = Arc::clone(&self.hosts[h].def);
        let (peer_name, peer_ip) = (&peer_def.name, ipv4(peer_def.ip));
        let with = if env.esmtp { "ESMTP" } else { "SMTP" };
        // This server's own domain, as written, against the recipient's lower-cased.
        let local = |rcpt: &Address| {
            my_def.domain.as_deref().is_some_and(|d| {
                !d.bytes().any(|b| b.is_ascii_uppercase()) && rcpt.domain().eq_ignore_ascii_case(d)
            })
        };
        let mut remote: BTreeMap<String, Vec<Address>> = BTreeMap::new();
        for rcpt in &env.rcpts {
            if local(rcpt) {
                let received = received_header(&Hop {
                    helo: &env.helo,
                    peer: (peer_name, peer_ip.as_str()),
                    by: &my_def.name,
                    with,
                    id: &env.queue_id,
                    rcpt: rcpt.as_str(),
                    date,
                });
                let mut data = Vec::with_capacity(env.data.len() + 256);
                data.extend_from_slice(b"Return-Path: <");
                if let Some(from) = &env.from {
                    data.extend_from_slice(from.as_str().as_bytes());
                }
                data.extend_from_slice(b">\r\n");
                data.extend_from_slice(received.as_bytes());
                data.extend_from_slice(&env.data);
                self.deliver_local(h, &rcpt.local().to_ascii_lowercase(), data);
            } else {
                remote
                    .entry(rcpt.domain_lower())
                    .or_default()
                    .push(rcpt.clone());
            }
        }
        let groups = remote.len();
        for (n, (domain, rcpts)) in remote.into_iter().enumerate() {
            let id = if groups == 1 {
                env.queue_id.clone()
            } else {
                format!("{}.{}", env.queue_id, n + 1)
            };
            // RFC 5321 §4.4: a `for` clause names exactly one path, however many RCPTs there
            // were.
            let mut data = received_header(&Hop {
                helo: &env.helo,
                peer: (peer_name, peer_ip.as_str()),
                by: &my_def.name,
                with,
                id: &env.queue_id,
                rcpt: rcpts[0].as_str(),
                date,
            })
            .into_bytes();
            data.extend_from_slice(&env.data);
            let list: Vec<&str> = rcpts.iter().map(Address::as_str).collect();
            let text = ["queued ", &id, " for ", &list.join(", ")].concat();
            let displaced = self.hosts[h].mta.queue.push(QueuedMail {
                id: id.clone(),
                from: env.from.clone(),
                rcpts,
                domain: domain.clone(),
                data: Arc::new(data),
                status: ["looking up the mail server of ", &domain].concat(),
                attempts: 1,
                queued_at: self.now,
            });
            if let Some(old) = displaced {
                // Never, while session prefixes are never reused; were it to happen, the mail
                // the id named before is not dropped unseen: its sender gets a bounce.
                debug_assert!(false, "queue id {id} given twice");
                let reply = crate::protocols::smtp::wire::Reply::new(
                    451,
                    "4.3.0 Local error: a newer mail was queued under the same id",
                );
                let failed: Vec<_> = old
                    .rcpts
                    .iter()
                    .map(|r| (r.clone(), reply.clone()))
                    .collect();
                self.bounce(h, old.from, &old.data, &failed, "");
                self.record(
                    self.now,
                    EventKind::Queue {
                        host: h,
                        id: old.id,
                        added: false,
                        text: format!("{id} taken out: a newer mail was queued under its id; bounced to the sender"),
                    },
                );
            }
            self.record(
                self.now,
                EventKind::Queue {
                    host: h,
                    id: id.clone(),
                    added: true,
                    text,
                },
            );
            self.start_delivery(h, &id);
        }
    }

    fn deliver_local(&mut self, h: HostId, user: &str, data: Vec<u8>) {
        let size = data.len();
        let now = self.now;
        let Some(mb) = self.hosts[h].store.mailboxes.get_mut(user) else {
            // The SMTP server only accepts users it has, so this is a broken invariant.
            debug_assert!(false, "no mailbox for accepted user {user}");
            return;
        };
        let uid = mb.append(data, now);
        let subject = mb
            .messages
            .last()
            .map(|m| m.subject.clone())
            .unwrap_or_default();
        self.record(
            now,
            EventKind::Mailbox {
                host: h,
                user: user.to_string(),
                change: MailboxChange::Stored { uid, subject, size },
            },
        );
        self.notify_imap(h, user, "INBOX", None);
    }

    fn set_status(&mut self, h: HostId, id: &str, status: String) {
        if let Some(q) = self.hosts[h].mta.queue.get_mut(id) {
            q.status = status;
        }
    }

    fn dns_query(
        &mut self,
        h: HostId,
        queue_id: &str,
        name: &str,
        qtype: QType,
        stage: LookupStage,
    ) {
        let Some(resolver) = self.hosts[h].def.resolver else {
            self.note(
                h,
                format!("no DNS server to ask where mail for {name} goes; {queue_id} stays queued"),
            );
            return;
        };
        let port = self.net.ephemeral_port(h);
        let id: u16 = self.hosts[h].rng.random();
        let ip = self.hosts[resolver].def.ip;
        let query = self.dns_memo.build_query(id, name, qtype);
        self.dns_pending.insert(
            (h, port, id),
            Lookup {
                queue_id: queue_id.to_string(),
                stage,
                query: query.clone(),
                server: ip,
                attempt: 0,
            },
        );
        self.send_udp(Endpoint { host: h, port }, ip, 53, query, 0);
        self.dns_timer(h, port, id, 0);
    }

    /// Where datagrams can be lost (a scenario with a `loss` or `unreachable` fault), the
    /// resolver waits for its answer only so long.
    fn dns_timer(&mut self, h: HostId, port: u16, id: u16, attempt: u8) {
        if self.net.faults.datagrams_can_be_lost() {
            self.queue.push(
                self.now + crate::nodes::DNS_TIMEOUT,
                super::world::Ev::DnsTimeout {
                    host: h,
                    port,
                    id,
                    attempt,
                },
            );
        }
    }

    /// No answer came to query `id` within the timeout: ask again, or after
    /// [`crate::nodes::DNS_TRIES`] give up for now (the mail stays queued and is retried).
    pub(crate) fn dns_timeout(&mut self, h: HostId, port: u16, id: u16, attempt: u8) {
        let key = (h, port, id);
        let Some(lookup) = self.dns_pending.get_mut(&key) else {
            return; // answered
        };
        if lookup.attempt != attempt {
            return;
        }
        if attempt + 1 >= crate::nodes::DNS_TRIES {
            let Some(lookup) = self.dns_pending.remove(&key) else {
                return;
            };
            let id_q = lookup.queue_id;
            self.note(
                h,
                format!(
                    "no answer from the DNS server after {} tries; {id_q} stays queued",
                    crate::nodes::DNS_TRIES
                ),
            );
            self.set_status(h, &id_q, "the DNS server did not answer".into());
            self.schedule_retry(h, &id_q);
            return;
        }
        lookup.attempt = attempt + 1;
        let (query, server) = (lookup.query.clone(), lookup.server);
        self.note(
            h,
            format!(
                "no DNS answer within {}: the resolver asks again (UDP does not retransmit; the application does)",
                crate::nodes::DNS_TIMEOUT
            ),
        );
        self.send_udp(Endpoint { host: h, port }, server, 53, query, attempt + 1);
        self.dns_timer(h, port, id, attempt + 1);
    }

    fn queued_domain(&self, h: HostId, id: &str) -> Option<String> {
        self.hosts[h].mta.queue.get(id).map(|q| q.domain.clone())
    }

    /// A temporary failure: try `id` again later, each time waiting twice as long.
    fn schedule_retry(&mut self, h: HostId, id: &str) {
        let Some(q) = self.hosts[h].mta.queue.get(id) else {
            return;
        };
        let wait = crate::nodes::RETRY_FIRST.as_micros() << (q.attempts - 1).min(16);
        let at = self.now + crate::engine::time::SimDuration(wait);
        self.note(
            h,
            format!(
                "{id} stays in the queue; next try in {} (attempt {})",
                crate::engine::time::SimDuration(wait),
                q.attempts + 1
            ),
        );
        let status = format!("waiting to try again at {at}");
        self.set_status(h, id, status);
        self.queue.push(
            at,
            super::world::Ev::Retry {
                host: h,
                id: id.to_string(),
            },
        );
    }

    /// Time to try a queued mail again, or, past [`crate::nodes::GIVE_UP`], to bounce it.
    pub(crate) fn mta_retry(&mut self, h: HostId, id: &str) {
        let Some(q) = self.hosts[h].mta.queue.get_mut(id) else {
            return;
        };
        if self.now.0.saturating_sub(q.queued_at.0) >= crate::nodes::GIVE_UP.as_micros() {
            let (from, data) = (q.from.clone(), q.data.clone());
            let failed: Vec<_> = q
                .rcpts
                .iter()
                .map(|r| {
                    (
                        r.clone(),
                        crate::protocols::smtp::wire::Reply::new(
                            450,
                            "4.4.7 Delivery time expired: the server could not be reached",
                        ),
                    )
                })
                .collect();
            let domain = q.domain.clone();
            self.bounce(h, from, &data, &failed, &domain);
            self.unqueue(
                h,
                id,
                format!(
                    "{id} given up after {}: bounced to the sender",
                    crate::nodes::GIVE_UP
                ),
            );
            return;
        }
        q.attempts += 1;
        let n = q.attempts;
        self.note(h, format!("trying {id} again (attempt {n})"));
        self.start_delivery(h, id);
    }

    /// Takes `id` out of host `h`'s queue, saying why in the trace.
    fn unqueue(&mut self, h: HostId, id: &str, text: String) {
        let Some(q) = self.hosts[h].mta.queue.remove(id) else {
            return;
        };
        self.record(
            self.now,
            EventKind::Queue {
                host: h,
                id: q.id,
                added: false,
                text,
            },
        );
    }

    /// Sends the sender of a mail a bounce (DSN) for the recipients `failed` refused by `peer`.
    /// Mail with the null sender `<>` (a bounce itself) is never bounced (RFC 5321 §4.5.5).
    fn bounce(
        &mut self,
        h: HostId,
        from: Option<crate::protocols::smtp::wire::Address>,
        original: &[u8],
        failed: &[(
            crate::protocols::smtp::wire::Address,
            crate::protocols::smtp::wire::Reply,
        )],
        peer: &str,
    ) {
        let Some(from) = from else {
            self.note(
                h,
                "a bounce could not be delivered either; it is dropped, as RFC 5321 §4.5.5 says"
                    .into(),
            );
            return;
        };
        let reporter = self.hosts[h].def.name.clone();
        let failed: Vec<crate::mail::FailedRecipient> = failed
            .iter()
            .map(|(a, r)| {
                let text = r.to_string();
                let status = r
                    .lines()
                    .next()
                    .and_then(|l| l.split(' ').next())
                    .filter(|c| c.split('.').count() == 3)
                    .map_or_else(|| format!("{}.0.0", r.code / 100), str::to_string);
                crate::mail::FailedRecipient {
                    address: a.to_string(),
                    status,
                    diagnostic: text,
                }
            })
            .collect();
        let date = self.scenario.start_unix + self.now.whole_secs() as i64;
        let boundary = format!("{:016x}/{reporter}", self.hosts[h].rng.random::<u64>());
        let dsn = crate::mail::build_dsn(
            &reporter,
            peer,
            &from.to_string(),
            original,
            &failed,
            date,
            &boundary,
        );
        let who: Vec<&str> = failed.iter().map(|f| f.address.as_str()).collect();
        let by = if peer.is_empty() {
            String::new()
        } else {
            format!(" refused by {peer}")
        };
        self.note(
            h,
            format!(
                "{reporter} writes a bounce (DSN) to {from} about \"{}\": {}{by}",
                crate::mail::subject_of(original),
                who.join(", ")
            ),
        );
        let local = self.hosts[h]
            .def
            .domain
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(from.domain()));
        let user = from.local().to_ascii_lowercase();
        if local && self.hosts[h].store.mailboxes.contains_key(&user) {
            self.deliver_local(h, &user, dsn);
        } else {
            self.note(
                h,
                format!("{from} is not a user here; the bounce is dropped"),
            );
        }
    }

    pub(crate) fn start_delivery(&mut self, h: HostId, id: &str) {
        let Some(domain) = self.queued_domain(h, id) else {
            return;
        };
        self.dns_query(h, id, &domain, QType::Mx, LookupStage::Mx);
    }

    pub(crate) fn on_dns_response(&mut self, to: Endpoint, bytes: &[u8]) {
        let Ok(resp) = self.dns_memo.parse_response(bytes) else {
            self.note(
                to.host,
                "ignored a datagram that is not a DNS response".into(),
            );
            return;
        };
        let Some(lookup) = self.dns_pending.remove(&(to.host, to.port, resp.id)) else {
            self.note(
                to.host,
                format!("ignored a DNS response with unknown id 0x{:04x}", resp.id),
            );
            return;
        };
        let h = to.host;
        let id = lookup.queue_id;
        let Some(domain) = self.queued_domain(h, &id) else {
            return;
        };
        match (lookup.stage, resp.rcode) {
            (_, Rcode::NxDomain) => {
                // The domain does not exist: no retry can help, so the sender gets a bounce.
                self.note(
                    h,
                    format!("{domain} does not exist (NXDOMAIN): {id} cannot be delivered"),
                );
                let Some(q) = self.hosts[h].mta.queue.get(&id) else {
                    return;
                };
                let reply = crate::protocols::smtp::wire::Reply::new(
                    550,
                    format!("5.4.4 Host or domain name not found: {domain} (NXDOMAIN)"),
                );
                let failed: Vec<_> = q.rcpts.iter().map(|r| (r.clone(), reply.clone())).collect();
                let (from, data) = (q.from.clone(), q.data.clone());
                self.bounce(h, from, &data, &failed, "");
                self.unqueue(
                    h,
                    &id,
                    format!("{id}: {domain} does not exist; bounced to the sender"),
                );
            }
            (_, Rcode::Other(code)) => {
                self.note(h, format!("the DNS server failed (rcode {code})"));
                self.set_status(h, &id, format!("DNS failure, rcode {code}"));
                self.schedule_retry(h, &id);
            }
            (LookupStage::Mx, Rcode::NoError) => {
                let exchange = match resp.mx.iter().min_by_key(|(pref, _)| *pref) {
                    Some((pref, ex)) => {
                        self.note(
                            h,
                            [
                                "mail for ",
                                &domain,
                                " goes to ",
                                ex,
                                " (MX preference ",
                                decimal((*pref).into()).as_str(),
                                ")",
                            ]
                            .concat(),
                        );
                        ex.clone()
                    }
                    None => {
                        self.note(
                            h,
                            format!(
                                "{domain} has no MX record: its own address is used (RFC 5321 §5.1)"
                            ),
                        );
                        domain.clone()
                    }
                };
                self.set_status(h, &id, ["looking up the address of ", &exchange].concat());
                self.dns_query(
                    h,
                    &id,
                    &exchange,
                    QType::A,
                    LookupStage::A {
                        exchange: exchange.clone(),
                    },
                );
            }
            (LookupStage::A { exchange }, Rcode::NoError) => {
                let Some(&(_, ip)) = resp.a.first() else {
                    self.note(h, format!("{exchange} has no address"));
                    self.set_status(h, &id, format!("{exchange} has no address"));
                    self.schedule_retry(h, &id);
                    return;
                };
                let Some(q) = self.hosts[h].mta.queue.get(&id) else {
                    return;
                };
                let job = Job {
                    from: q.from.clone(),
                    rcpts: q.rcpts.clone(),
                    data: q.data.to_vec(),
                };
                let status = ["sending to ", &exchange, " [", ipv4(ip).as_str(), "]"].concat();
                self.set_status(h, &id, status);
                let m = SmtpClient::new(
                    ClientConfig {
                        helo_name: self.hosts[h].def.name.clone(),
                        use_ehlo: true,
                        auth: None,
                    },
                    job,
                );
                self.connect(
                    h,
                    ip,
                    25,
                    Protocol::Smtp,
                    ClientApp::Smtp {
                        m: Box::new(m),
                        purpose: SmtpPurpose::Relay { queue_id: id },
                    },
                );
            }
        }
    }

    pub(crate) fn mta_relay_finished(&mut self, c: ConnId, id: &str, o: Outcome) {
        let h = self.net.conns[c].ends[0].host;
        let peer = self.hosts[self.net.conns[c].ends[1].host].def.name.clone();
        // The sender and the message, for a bounce: kept here, as the mail may leave the queue
        // (delivered to some recipients) before the others' refusals are reported.
        let Some((from, data)) = self.hosts[h]
            .mta
            .queue
            .get(id)
            .map(|q| (q.from.clone(), Arc::clone(&q.data)))
        else {
            return;
        };
        if o.delivered
            && let Some(q) = self.hosts[h].mta.queue.get_mut(id)
        {
            q.rcpts.retain(|r| !o.accepted.contains(r));
            let reply = o
                .last_reply
                .as_ref()
                .map(|r| r.to_string())
                .unwrap_or_default();
            if q.rcpts.is_empty() {
                self.unqueue(h, id, [id, " delivered to ", &peer, ": ", &reply].concat());
            }
        }
        let refused: Vec<String> = o
            .rejected
            .iter()
            .map(|(a, r)| format!("{a} ({r})"))
            .collect();
        // Refused for good (5xx): out of the queue, and a bounce to the sender (RFC 5321
        // §4.2.5, §6.1: having accepted the mail, this server must report its failure).
        let permanent: Vec<(
            crate::protocols::smtp::wire::Address,
            crate::protocols::smtp::wire::Reply,
        )> = o
            .rejected
            .iter()
            .filter(|(_, r)| r.code >= 500)
            .cloned()
            .collect();
        if !permanent.is_empty() {
            let emptied = self.hosts[h].mta.queue.get_mut(id).is_some_and(|q| {
                q.rcpts.retain(|r| !permanent.iter().any(|(a, _)| a == r));
                q.rcpts.is_empty()
            });
            self.bounce(h, from, &data, &permanent, &peer);
            if emptied {
                self.unqueue(
                    h,
                    id,
                    format!("{id} refused by {peer}: bounced to the sender"),
                );
            }
        }
        let temporary: Vec<&String> = refused
            .iter()
            .zip(&o.rejected)
            .filter(|(_, (_, r))| r.code < 500)
            .map(|(t, _)| t)
            .collect();
        if !temporary.is_empty() {
            let list: Vec<String> = temporary.iter().map(|s| s.to_string()).collect();
            self.note(
                h,
                format!(
                    "{peer} refused {} for now (4xx); {id} keeps them in the queue",
                    list.join(", ")
                ),
            );
            self.set_status(
                h,
                id,
                format!("refused for now by {peer}: {}", list.join(", ")),
            );
            self.schedule_retry(h, id);
        } else if !o.delivered && permanent.is_empty() {
            let why = o
                .error
                .or(o.last_reply.map(|r| r.to_string()))
                .unwrap_or_default();
            self.note(
                h,
                format!("delivery of {id} to {peer} failed: {why}; it stays queued"),
            );
            self.set_status(h, id, format!("failed: {why}"));
            self.schedule_retry(h, id);
        }
    }
}
