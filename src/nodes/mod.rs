//! The actors: what each host does with its protocol machines.
//!
//! - a **mail program** on a computer (`client`): composes and submits mail over SMTP, downloads
//!   it over POP3;
//! - a **mail server** (`mta`): accepts mail over SMTP, stores it for local users, queues the rest
//!   and relays it, looking up the destination's MX over DNS;
//! - a **mail store** (`store`): serves mailboxes over POP3;
//! - a **DNS server**: answers from the scenario's zone (in `engine::sim`, it is one call).

mod client;
mod imap;
mod mta;
mod store;
mod web;

pub(crate) use web::{WebJob, WebSession};

use crate::engine::time::SimDuration;

/// The first retry of a mail that could not be delivered for now; each next one waits twice as
/// long (10 s, 20 s, 40 s, ...). RFC 5321 §4.5.4.1 asks for at least 30 minutes between tries; a
/// lesson cannot wait that long, so the simulation's clock runs this schedule compressed.
pub const RETRY_FIRST: SimDuration = SimDuration::from_secs(10);
/// A mail still queued this long after it came bounces (RFC 5321 §4.5.4.1 says 4–5 days).
pub const GIVE_UP: SimDuration = SimDuration::from_secs(300);

use crate::engine::sim::Sim;
use crate::protocols::{http, imap as imap_proto, pop3, smtp};

/// Why a client-side SMTP session was opened.
pub(crate) enum SmtpPurpose {
    /// A mail program submits its user's mail.
    Submit,
    /// A server relays a queued message.
    Relay { queue_id: String },
}

/// The client-side machine of a connection.
pub(crate) enum ClientApp {
    Smtp {
        m: smtp::client::SmtpClient,
        purpose: SmtpPurpose,
    },
    Pop3(pop3::client::Pop3Client),
    Imap(imap_proto::client::ImapClient),
    Http(http::client::HttpClient),
    /// A real program's connection through the bridge: bytes pass through untouched.
    External(External),
}

/// The client side of a connection a real program opened through the bridge.
#[derive(Debug, Default)]
pub struct External {
    /// From the simulated server, for the real program.
    pub(crate) to_real: Vec<u8>,
    /// From the real program, for the simulated server.
    pub(crate) from_real: Vec<u8>,
    /// The handshake is done: bytes may flow.
    pub(crate) open: bool,
    /// The real program closed its side.
    pub(crate) closed_by_real: bool,
}

/// The server-side machine of a connection.
pub(crate) enum ServerApp {
    /// Handshake not finished.
    Pending,
    Smtp(smtp::server::SmtpServer),
    Pop3(pop3::server::Pop3Server),
    Imap(imap_proto::server::ImapServer),
    Http(http::server::HttpServer),
}

/// An outstanding DNS query of a mail server.
pub(crate) struct Lookup {
    pub queue_id: String,
    pub stage: LookupStage,
    /// The query, to send again if no answer comes (UDP itself never retransmits).
    pub query: Vec<u8>,
    /// The DNS server asked.
    pub server: std::net::Ipv4Addr,
    /// Sendings so far after the first.
    pub attempt: u8,
}

/// How long a resolver waits for an answer before it asks again (RFC 1035 §4.2.1 leaves the
/// interval to the resolver; stub resolvers wait a few seconds).
pub const DNS_TIMEOUT: SimDuration = SimDuration::from_secs(2);
/// How many times a resolver asks before it gives up (the mail stays queued).
pub const DNS_TRIES: u8 = 3;

pub(crate) enum LookupStage {
    Mx,
    A { exchange: String },
}

/// An event from one of a connection's machines.
pub(crate) enum AppEvent {
    SmtpServer(smtp::server::ServerEvent),
    SmtpClient(smtp::client::ClientEvent),
    Pop3Server(pop3::server::ServerEvent),
    Pop3Client(pop3::client::ClientEvent),
    ImapClient(imap_proto::client::ClientEvent),
    HttpServer(http::Request),
    HttpClient(http::client::ClientEvent),
}

impl Sim {
    pub(crate) fn start_server_app(&mut self, c: usize) {
        let server = self.conns[c].ends[1];
        let host = &mut self.hosts[server.host];
        let app = match server.port {
            25 | 587 => {
                let cfg = if server.port == 25 {
                    host.smtp_cfg.clone()
                } else {
                    host.submission_cfg.clone()
                };
                let Some(mut cfg) = cfg else { return };
                // Greylisting is a fault of the scenario: on while it is in effect.
                let greylisting = server.port == 25
                    && self.scenario.faults.iter().any(|f| {
                        f.host == server.host
                            && f.kind == crate::scenario::FaultKind::Greylist
                            && f.active(self.now)
                    });
                if greylisting {
                    let g = self.hosts[server.host].greylist.clone();
                    std::sync::Arc::make_mut(&mut cfg).greylist = Some(g);
                }
                // So is a full mailbox, for the sessions that start while it holds.
                let domain = self.hosts[server.host]
                    .def
                    .domain
                    .clone()
                    .unwrap_or_default();
                for f in &self.scenario.faults {
                    if let crate::scenario::FaultKind::MailboxFull { user, permanent } = &f.kind
                        && f.host == server.host
                        && f.active(self.now)
                    {
                        let users: Vec<String> = match user {
                            Some(u) => vec![u.clone()],
                            None => self.hosts[server.host]
                                .def
                                .accounts
                                .iter()
                                .map(|a| a.user.clone())
                                .collect(),
                        };
                        let full = &mut std::sync::Arc::make_mut(&mut cfg).full;
                        for u in users {
                            full.insert(format!("{u}@{domain}").to_ascii_lowercase(), *permanent);
                        }
                    }
                }
                let host = &mut self.hosts[server.host];
                use rand::RngExt;
                let base = format!("{:04X}", host.rng.random::<u16>());
                ServerApp::Smtp(smtp::server::SmtpServer::new(cfg, base))
            }
            110 => match host.pop3_cfg.clone() {
                Some(cfg) => ServerApp::Pop3(pop3::server::Pop3Server::new(cfg)),
                None => return,
            },
            143 => match host.imap_cfg.clone() {
                Some(cfg) => ServerApp::Imap(imap_proto::server::ImapServer::new(cfg)),
                None => return,
            },
            80 if host.def.has(crate::scenario::Service::Http) => {
                ServerApp::Http(http::server::HttpServer::new("mailsim-webmail/1.0"))
            }
            _ => return,
        };
        self.conns[c].server = app;
    }

    pub(crate) fn app_state(&self, c: usize, side: usize) -> &'static str {
        let conn = &self.conns[c];
        if side == 0 {
            match &conn.client {
                ClientApp::Smtp { m, .. } => m.state_name(),
                ClientApp::Pop3(m) => m.state_name(),
                ClientApp::Imap(m) => m.state_name(),
                ClientApp::Http(m) => m.state_name(),
                ClientApp::External(_) => "a real program",
            }
        } else {
            match &conn.server {
                ServerApp::Pending => "accepting",
                ServerApp::Smtp(m) => m.state_name(),
                ServerApp::Pop3(m) => m.state_name(),
                ServerApp::Imap(m) => m.state_name(),
                ServerApp::Http(m) => m.state_name(),
            }
        }
    }

    pub(crate) fn app_input(&mut self, c: usize, side: usize, bytes: &[u8]) {
        if side == 1 && matches!(self.conns[c].server, ServerApp::Imap(_)) {
            return self.imap_server_input(c, bytes);
        }
        let conn = &mut self.conns[c];
        if side == 0 {
            match &mut conn.client {
                ClientApp::Smtp { m, .. } => m.handle_input(bytes),
                ClientApp::Pop3(m) => m.handle_input(bytes),
                ClientApp::Imap(m) => m.handle_input(bytes),
                ClientApp::Http(m) => m.handle_input(bytes),
                ClientApp::External(x) => x.to_real.extend_from_slice(bytes),
            }
        } else {
            match &mut conn.server {
                ServerApp::Pending => {}
                ServerApp::Smtp(m) => m.handle_input(bytes),
                ServerApp::Pop3(m) => m.handle_input(bytes),
                ServerApp::Imap(_) => {}
                ServerApp::Http(m) => m.handle_input(bytes),
            }
        }
    }

    pub(crate) fn app_transmit(&mut self, c: usize, side: usize) -> Option<Vec<u8>> {
        let conn = &mut self.conns[c];
        if side == 0 {
            match &mut conn.client {
                ClientApp::Smtp { m, .. } => m.poll_transmit(),
                ClientApp::Pop3(m) => m.poll_transmit(),
                ClientApp::Imap(m) => m.poll_transmit(),
                ClientApp::Http(m) => m.poll_transmit(),
                ClientApp::External(x) => {
                    (x.open && !x.from_real.is_empty()).then(|| std::mem::take(&mut x.from_real))
                }
            }
        } else {
            match &mut conn.server {
                ServerApp::Pending => None,
                ServerApp::Smtp(m) => m.poll_transmit(),
                ServerApp::Pop3(m) => m.poll_transmit(),
                ServerApp::Imap(m) => m.poll_transmit(),
                ServerApp::Http(m) => m.poll_transmit(),
            }
        }
    }

    pub(crate) fn app_wants_close(&self, c: usize, side: usize) -> bool {
        let conn = &self.conns[c];
        if side == 0 {
            match &conn.client {
                ClientApp::Smtp { m, .. } => m.wants_close(),
                ClientApp::Pop3(m) => m.wants_close(),
                ClientApp::Imap(m) => m.wants_close(),
                ClientApp::Http(m) => m.wants_close(),
                ClientApp::External(x) => x.closed_by_real && x.from_real.is_empty(),
            }
        } else {
            match &conn.server {
                ServerApp::Pending => false,
                ServerApp::Smtp(m) => m.wants_close(),
                ServerApp::Pop3(m) => m.wants_close(),
                ServerApp::Imap(m) => m.wants_close(),
                ServerApp::Http(m) => m.wants_close(),
            }
        }
    }

    pub(crate) fn take_events(&mut self, c: usize, side: usize) -> Vec<AppEvent> {
        let conn = &mut self.conns[c];
        let mut out = Vec::new();
        if side == 0 {
            match &mut conn.client {
                ClientApp::Smtp { m, .. } => {
                    out.extend(std::iter::from_fn(|| m.poll_event()).map(AppEvent::SmtpClient))
                }
                ClientApp::Pop3(m) => {
                    out.extend(std::iter::from_fn(|| m.poll_event()).map(AppEvent::Pop3Client))
                }
                ClientApp::Imap(m) => {
                    out.extend(std::iter::from_fn(|| m.poll_event()).map(AppEvent::ImapClient))
                }
                ClientApp::Http(m) => {
                    out.extend(std::iter::from_fn(|| m.poll_event()).map(AppEvent::HttpClient))
                }
                ClientApp::External(_) => {}
            }
        } else {
            match &mut conn.server {
                ServerApp::Pending | ServerApp::Imap(_) => {}
                ServerApp::Smtp(m) => {
                    out.extend(std::iter::from_fn(|| m.poll_event()).map(AppEvent::SmtpServer))
                }
                ServerApp::Pop3(m) => {
                    out.extend(std::iter::from_fn(|| m.poll_event()).map(AppEvent::Pop3Server))
                }
                ServerApp::Http(m) => {
                    out.extend(std::iter::from_fn(|| m.poll_event()).map(AppEvent::HttpServer))
                }
            }
        }
        out
    }

    pub(crate) fn on_app_event(&mut self, c: usize, e: AppEvent) {
        match e {
            AppEvent::SmtpServer(smtp::server::ServerEvent::Accepted(env)) => {
                self.mta_accepted(c, env)
            }
            AppEvent::SmtpClient(smtp::client::ClientEvent::Finished(outcome)) => {
                let purpose = match &self.conns[c].client {
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
