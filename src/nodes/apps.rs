//! What runs on each connection: the client's and the server's protocol machine, and the one
//! place that dispatches to them (their state, input, output, events, wish to close).

use super::world::Sim;
use crate::protocols::{Session, http, imap as imap_proto, pop3, smtp};

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
        m: Box<smtp::client::SmtpClient>,
        purpose: SmtpPurpose,
    },
    Pop3(Box<pop3::client::Pop3Client>),
    Imap(Box<imap_proto::client::ImapClient>),
    Http(Box<http::client::HttpClient>),
    /// A real program's connection through the bridge: bytes pass through untouched.
    External(External),
    /// The connection is over: what the machine held is given back.
    Done,
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
    Smtp(Box<smtp::server::SmtpServer>),
    Pop3(Box<pop3::server::Pop3Server>),
    Imap(Box<imap_proto::server::ImapServer>),
    Http(Box<http::server::HttpServer>),
    /// The connection is over: what the machine held is given back.
    Done,
}

/// The machines of one connection (its network side is in [`crate::net::Conn`], by the same id).
pub(crate) struct ConnApps {
    pub client: ClientApp,
    pub server: ServerApp,
    /// The last command the client sent, to explain the server's answer to it.
    pub last_client_verb: &'static str,
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
    pub(crate) fn app_state(&self, c: usize, side: usize) -> &'static str {
        let conn = &self.apps[c];
        if side == 0 {
            match &conn.client {
                ClientApp::Smtp { m, .. } => m.state_name(),
                ClientApp::Pop3(m) => m.state_name(),
                ClientApp::Imap(m) => m.state_name(),
                ClientApp::Http(m) => m.state_name(),
                ClientApp::External(_) => "a real program",
                ClientApp::Done => "CLOSED",
            }
        } else {
            match &conn.server {
                ServerApp::Pending => "accepting",
                ServerApp::Done => "CLOSED",
                ServerApp::Smtp(m) => m.state_name(),
                ServerApp::Pop3(m) => m.state_name(),
                ServerApp::Imap(m) => m.state_name(),
                ServerApp::Http(m) => m.state_name(),
            }
        }
    }

    pub(crate) fn app_input(&mut self, c: usize, side: usize, bytes: &[u8]) {
        if side == 1 && matches!(self.apps[c].server, ServerApp::Imap(_)) {
            return self.imap_server_input(c, bytes);
        }
        let conn = &mut self.apps[c];
        if side == 0 {
            match &mut conn.client {
                ClientApp::Smtp { m, .. } => m.handle_input(bytes),
                ClientApp::Pop3(m) => m.handle_input(bytes),
                ClientApp::Imap(m) => m.handle_input(bytes),
                ClientApp::Http(m) => m.handle_input(bytes),
                ClientApp::External(x) => x.to_real.extend_from_slice(bytes),
                ClientApp::Done => {}
            }
        } else {
            match &mut conn.server {
                ServerApp::Pending | ServerApp::Done => {}
                ServerApp::Smtp(m) => m.handle_input(bytes),
                ServerApp::Pop3(m) => m.handle_input(bytes),
                ServerApp::Imap(_) => {}
                ServerApp::Http(m) => m.handle_input(bytes),
            }
        }
    }

    pub(crate) fn app_transmit(&mut self, c: usize, side: usize) -> Option<Vec<u8>> {
        let conn = &mut self.apps[c];
        if side == 0 {
            match &mut conn.client {
                ClientApp::Smtp { m, .. } => m.poll_transmit(),
                ClientApp::Pop3(m) => m.poll_transmit(),
                ClientApp::Imap(m) => m.poll_transmit(),
                ClientApp::Http(m) => m.poll_transmit(),
                ClientApp::External(x) => {
                    (x.open && !x.from_real.is_empty()).then(|| std::mem::take(&mut x.from_real))
                }
                ClientApp::Done => None,
            }
        } else {
            match &mut conn.server {
                ServerApp::Pending | ServerApp::Done => None,
                ServerApp::Smtp(m) => m.poll_transmit(),
                ServerApp::Pop3(m) => m.poll_transmit(),
                ServerApp::Imap(m) => m.poll_transmit(),
                ServerApp::Http(m) => m.poll_transmit(),
            }
        }
    }

    pub(crate) fn app_wants_close(&self, c: usize, side: usize) -> bool {
        let conn = &self.apps[c];
        if side == 0 {
            match &conn.client {
                ClientApp::Smtp { m, .. } => m.wants_close(),
                ClientApp::Pop3(m) => m.wants_close(),
                ClientApp::Imap(m) => m.wants_close(),
                ClientApp::Http(m) => m.wants_close(),
                ClientApp::External(x) => x.closed_by_real && x.from_real.is_empty(),
                ClientApp::Done => false,
            }
        } else {
            match &conn.server {
                ServerApp::Pending | ServerApp::Done => false,
                ServerApp::Smtp(m) => m.wants_close(),
                ServerApp::Pop3(m) => m.wants_close(),
                ServerApp::Imap(m) => m.wants_close(),
                ServerApp::Http(m) => m.wants_close(),
            }
        }
    }

    pub(crate) fn take_events(&mut self, c: usize, side: usize) -> Vec<AppEvent> {
        let conn = &mut self.apps[c];
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
                ClientApp::External(_) | ClientApp::Done => {}
            }
        } else {
            match &mut conn.server {
                ServerApp::Pending | ServerApp::Imap(_) | ServerApp::Done => {}
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
}
