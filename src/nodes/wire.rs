//! Where the hosts meet the network: the world's side of [`crate::net::Stack`] (what arrives goes
//! to the connection's machines), and what the machines send going down to TCP and UDP, with a
//! note for the student of what each segment's bytes mean.

use std::net::Ipv4Addr;

use super::apps::{AppEvent, ClientApp, ConnApps, ServerApp, SmtpPurpose};
use super::world::{Ev, Sim};
use crate::engine::ids::{ConnId, EventId, HostId};
use crate::engine::rng::SimRng;
use crate::engine::time::SimTime;
use crate::engine::trace::{Endpoint, EventKind, TcpFlags, TraceEvent};
use crate::net::{self, MSS, Net, NetEv, Stack};
use crate::protocols::{Explanation, Protocol, dns, http, imap as imap_proto, imap, pop3, smtp};
use crate::scenario::{FaultKind, Service};

impl Stack for Sim {
    fn net(&mut self) -> &mut Net {
        &mut self.net
    }

    fn now(&self) -> SimTime {
        self.now
    }

    fn rng(&mut self, h: HostId) -> &mut SimRng {
        &mut self.hosts[h].rng
    }

    fn schedule(&mut self, at: SimTime, ev: NetEv) {
        self.queue.push(at, Ev::Net(ev));
    }

    fn record_now(&mut self, kind: EventKind) -> EventId {
        self.record(self.now, kind)
    }

    fn next_event_id(&self) -> EventId {
        self.trace.next_id()
    }

    fn event(&self, id: EventId) -> Option<&TraceEvent> {
        self.trace.get(id)
    }

    fn listening(&self, h: HostId, port: u16) -> bool {
        self.hosts[h]
            .def
            .services
            .iter()
            .any(|s| s.port() == port && *s != Service::Dns)
    }

    fn opened(&mut self, c: ConnId) {
        if let ClientApp::External(x) = &mut self.apps[c].client {
            x.open = true;
        }
        // A client that speaks first (HTTP, or a real program that already sent bytes) may send
        // now; the others have nothing yet.
        let before = self.app_state(c, 0);
        self.pump(c, 0, before);
    }

    fn arrived(&mut self, c: ConnId, side: usize, payload: &[u8]) {
        if side == 1 && matches!(self.apps[c].server, ServerApp::Pending) {
            self.start_server_app(c);
            let before = self.app_state(c, 1);
            self.pump(c, 1, before);
        }
        if !payload.is_empty() {
            let before = self.app_state(c, side);
            self.app_input(c, side, payload);
            self.pump(c, side, before);
        }
    }

    fn closed(&mut self, c: ConnId, side: usize, why: &str) {
        self.app_closed(c, side, why);
        self.release_if_over(c);
    }

    fn datagram(&mut self, from: Endpoint, to: Endpoint, payload: &[u8]) {
        self.datagram_arrived(from, to, payload);
    }
}

impl Sim {
    /// Opens a connection from `host` to `ip:port` for `client`; the SYN leaves now.
    pub(crate) fn connect(
        &mut self,
        host: HostId,
        ip: Ipv4Addr,
        port: u16,
        protocol: Protocol,
        client: ClientApp,
    ) -> Option<ConnId> {
        let server = net::tcp::reach(self, host, ip)?;
        self.apps.push(ConnApps {
            client,
            server: ServerApp::Pending,
            last_client_verb: "",
        });
        Some(net::tcp::connect(self, host, server, port, protocol))
    }

    pub(crate) fn start_server_app(&mut self, c: ConnId) {
        let server = self.net.conns[c].ends[1];
        let host = &mut self.hosts[server.host];
        let app = match server.port {
            25 | 587 => {
                let cfg = if server.port == 25 {
                    host.mta.smtp_cfg.clone()
                } else {
                    host.mta.submission_cfg.clone()
                };
                let Some(mut cfg) = cfg else { return };
                // Greylisting is a fault of the scenario: on while it is in effect.
                let greylisting = server.port == 25
                    && self
                        .net
                        .faults
                        .holds(server.host, &FaultKind::Greylist, self.now);
                if greylisting {
                    std::sync::Arc::make_mut(&mut cfg).greylist = true;
                }
                // So is a full mailbox, for the sessions that start while it holds.
                let domain = self.hosts[server.host]
                    .def
                    .domain
                    .clone()
                    .unwrap_or_default();
                for (user, permanent) in self.net.faults.full_mailboxes(server.host, self.now) {
                    let users: Vec<String> = match user {
                        Some(u) => vec![u.to_string()],
                        None => self.hosts[server.host]
                            .def
                            .accounts
                            .iter()
                            .map(|a| a.user.clone())
                            .collect(),
                    };
                    let full = &mut std::sync::Arc::make_mut(&mut cfg).full;
                    for u in users {
                        full.insert(format!("{u}@{domain}").to_ascii_lowercase(), permanent);
                    }
                }
                let host = &mut self.hosts[server.host];
                let base = host.mta.session_prefix(&mut host.rng);
                ServerApp::Smtp(Box::new(smtp::server::SmtpServer::new(cfg, base)))
            }
            110 => match host.store.pop3_cfg.clone() {
                Some(cfg) => ServerApp::Pop3(Box::new(pop3::server::Pop3Server::new(cfg))),
                None => return,
            },
            143 => match host.store.imap_cfg.clone() {
                Some(cfg) => ServerApp::Imap(Box::new(imap_proto::server::ImapServer::new(cfg))),
                None => return,
            },
            80 if host.def.has(crate::scenario::Service::Http) => ServerApp::Http(Box::new(
                http::server::HttpServer::new("mailsim-webmail/1.0"),
            )),
            _ => return,
        };
        self.apps[c].server = app;
    }

    /// Tells the app on `side` that the connection ended, then answers the FIN with our own.
    fn app_closed(&mut self, c: ConnId, side: usize, why: &str) {
        let before = self.app_state(c, side);
        // A real program's side, a handshake not finished and a connection over have no machine
        // to tell.
        if let Some(m) = self.apps[c].machine_mut(side) {
            m.handle_closed(why);
        }
        self.pump(c, side, before);
        let conn = &self.net.conns[c];
        if !conn.fin_sent[side] && !conn.closed[1 - side] {
            net::tcp::send_fin(
                self,
                c,
                side,
                &Explanation {
                    note: "this side closes too: the connection is over",
                    rfc: net::tcp::FIN_RFC,
                },
                (before, "CLOSED"),
            );
        }
    }

    /// Sends what the app on `side` has to send and handles its events, until it is quiet.
    pub(crate) fn pump(&mut self, c: ConnId, side: usize, mut before: &'static str) {
        loop {
            // The events go through a buffer the world keeps, so that taking them allocates
            // nothing (an event's handling may pump another connection: that one finds the
            // buffer taken and uses a new one).
            let mut events = std::mem::take(&mut self.app_events);
            self.take_events(c, side, &mut events);
            let had_events = !events.is_empty();
            if had_events {
                for e in events.drain(..) {
                    self.on_app_event(c, e);
                }
            }
            // Back, empty, unless a nested pump left a larger one.
            if events.capacity() >= self.app_events.capacity() {
                self.app_events = events;
            }
            let out = self.app_transmit(c, side);
            let after = self.app_state(c, side);
            match out {
                Some(bytes) => {
                    let ex = self.explain_out(c, side, &bytes);
                    if bytes.len() <= MSS {
                        net::tcp::send(
                            self,
                            c,
                            side,
                            TcpFlags::PSH | TcpFlags::ACK,
                            bytes,
                            ex,
                            (before, after),
                        );
                    } else {
                        for (k, chunk) in bytes.chunks(MSS).enumerate() {
                            // The first piece says what the bytes are, the others that they
                            // are the rest of it.
                            let ex = if k == 0 {
                                ex
                            } else {
                                crate::protocols::CONTINUED
                            };
                            net::tcp::send(
                                self,
                                c,
                                side,
                                TcpFlags::PSH | TcpFlags::ACK,
                                chunk.to_vec(),
                                ex,
                                (before, after),
                            );
                        }
                    }
                    before = after;
                }
                None if !had_events => break,
                None => {}
            }
        }
        let conn = &self.net.conns[c];
        if self.app_wants_close(c, side) && !conn.fin_sent[side] && !conn.closed[side] {
            net::tcp::send_fin(
                self,
                c,
                side,
                &Explanation {
                    note: "nothing more to send: this side closes the connection (FIN)",
                    rfc: net::tcp::FIN_RFC,
                },
                (before, "FIN-WAIT"),
            );
        }
    }

    fn explain_out(&mut self, c: ConnId, side: usize, bytes: &[u8]) -> &'static Explanation {
        let protocol = self.net.conns[c].protocol;
        let conn = &mut self.apps[c];
        match (protocol, side) {
            (Protocol::Smtp, 0) => {
                // The verb is read once, for the note and for the reply that answers it.
                let verb = crate::protocols::known_verb(bytes);
                let data = match &conn.client {
                    ClientApp::Smtp { m, .. } => m.is_sending_data(),
                    // A real program: the message follows DATA (after 354) and may take several
                    // segments, until a command comes again.
                    ClientApp::External(_) => {
                        conn.last_client_verb == "DATA"
                            || (conn.last_client_verb == "DATA-END" && verb.is_empty())
                    }
                    _ => false,
                };
                conn.last_client_verb = if data { "DATA-END" } else { verb };
                smtp::explain::client_bytes(verb, data)
            }
            (Protocol::Smtp, _) => smtp::explain::server_bytes(bytes, conn.last_client_verb),
            (Protocol::Pop3, 0) => {
                conn.last_client_verb = crate::protocols::known_verb(bytes);
                pop3::explain::client_bytes(conn.last_client_verb)
            }
            (Protocol::Pop3, _) => pop3::explain::server_bytes(bytes, conn.last_client_verb),
            (Protocol::Imap, 0) => {
                let verb = imap::explain::client_verb(bytes);
                if !verb.is_empty() {
                    conn.last_client_verb = verb;
                }
                imap::explain::client_bytes(bytes)
            }
            (Protocol::Imap, _) => imap::explain::server_bytes(bytes, conn.last_client_verb),
            (Protocol::Http, 0) => crate::protocols::http::explain::client_bytes(bytes),
            (Protocol::Http, _) => crate::protocols::http::explain::server_bytes(bytes),
            _ => &Explanation {
                note: "data",
                rfc: "RFC 9293",
            },
        }
    }

    /// Sends a DNS datagram from `from` to `ip:port`; `attempt` counts a resolver's sendings of
    /// the query after the first. On a lossy link it may be lost: UDP does not retransmit.
    pub(crate) fn send_udp(
        &mut self,
        from: Endpoint,
        ip: Ipv4Addr,
        port: u16,
        payload: Vec<u8>,
        attempt: u8,
    ) {
        let explain = if attempt > 0 {
            &Explanation {
                note: "the same query again: no answer came in time, and UDP does not retransmit, so the resolver does",
                rfc: "RFC 1035 §4.2.1",
            }
        } else {
            dns::explain(&payload)
        };
        net::udp::send(self, from, (ip, port), payload, explain, attempt);
    }

    /// A datagram arrives: a query at a DNS server, which answers from the scenario's zone, or
    /// an answer at a resolver.
    pub(crate) fn datagram_arrived(&mut self, from: Endpoint, to: Endpoint, payload: &[u8]) {
        if to.port == 53 && self.hosts[to.host].def.has(Service::Dns) {
            if let Some(answer) = self.dns_memo.answer(&self.scenario.zone, payload) {
                let ip = self.hosts[from.host].def.ip;
                self.send_udp(to, ip, from.port, answer, 0);
            }
        } else {
            self.on_dns_response(to, payload);
        }
    }

    pub(crate) fn on_app_event(&mut self, c: ConnId, e: AppEvent) {
        match e {
            AppEvent::SmtpServer(smtp::server::ServerEvent::Accepted(env)) => {
                self.mta_accepted(c, env)
            }
            AppEvent::SmtpServer(smtp::server::ServerEvent::Greylist {
                client,
                sender,
                rcpt,
            }) => {
                let h = self.net.conns[c].ends[1].host;
                let first = self.hosts[h].mta.greylist.insert((client, sender, rcpt));
                if let ServerApp::Smtp(m) = &mut self.apps[c].server {
                    m.answer_greylist(!first);
                }
            }
            AppEvent::SmtpClient(smtp::client::ClientEvent::Finished(outcome)) => {
                let purpose = match &self.apps[c].client {
                    ClientApp::Smtp {
                        purpose: SmtpPurpose::Relay { queue_id },
                        ..
                    } => Some(queue_id.clone()),
                    _ => None,
                };
                match purpose {
                    Some(id) => self.mta_relay_finished(c, &id, outcome),
                    None if self.web_jobs.contains_key(&c) => self.webmail_sent(c, outcome),
                    None => self.client_sent(c, outcome),
                }
            }
            AppEvent::Pop3Server(ev) => self.store_event(c, ev),
            AppEvent::Pop3Client(ev) => self.client_pop3_event(c, ev),
            AppEvent::ImapClient(ev) if self.web_jobs.contains_key(&c) => {
                self.webmail_imap_event(c, ev)
            }
            AppEvent::ImapClient(ev) => self.client_imap_event(c, ev),
            AppEvent::HttpServer(req) => self.webmail_request(c, req),
            AppEvent::HttpClient(ev) => self.browser_event(c, ev),
        }
    }
}
