//! What runs on each connection: the client's and the server's protocol machine, and the one
//! place that dispatches to them (their state, input, output, events, wish to close).
//!
//! Every machine is a [`Session`](crate::protocols::Session); the world reaches it as a [`SessionDyn`] through
//! [`ConnApps::machine`], and only its events, whose type differs per machine, need a match that
//! names each kind. What is not a machine (a real program's side, a handshake not finished, a
//! connection over) is handled on its own, in each method below.

use super::world::Sim;
use crate::engine::ids::ConnId;
use crate::protocols::session::drain_events;
use crate::protocols::{SessionDyn, http, imap as imap_proto, pop3, smtp};

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

impl ClientApp {
    /// The protocol machine; `None` for a real program's side or a connection over.
    fn machine(&self) -> Option<&dyn SessionDyn> {
        match self {
            ClientApp::Smtp { m, .. } => Some(&**m),
            ClientApp::Pop3(m) => Some(&**m),
            ClientApp::Imap(m) => Some(&**m),
            ClientApp::Http(m) => Some(&**m),
            ClientApp::External(_) | ClientApp::Done => None,
        }
    }

    /// [`ClientApp::machine`], to change.
    fn machine_mut(&mut self) -> Option<&mut dyn SessionDyn> {
        match self {
            ClientApp::Smtp { m, .. } => Some(&mut **m),
            ClientApp::Pop3(m) => Some(&mut **m),
            ClientApp::Imap(m) => Some(&mut **m),
            ClientApp::Http(m) => Some(&mut **m),
            ClientApp::External(_) | ClientApp::Done => None,
        }
    }
}

impl ServerApp {
    /// The protocol machine; `None` before the handshake is done or once the connection is over.
    fn machine(&self) -> Option<&dyn SessionDyn> {
        match self {
            ServerApp::Smtp(m) => Some(&**m),
            ServerApp::Pop3(m) => Some(&**m),
            ServerApp::Imap(m) => Some(&**m),
            ServerApp::Http(m) => Some(&**m),
            ServerApp::Pending | ServerApp::Done => None,
        }
    }

    /// [`ServerApp::machine`], to change.
    fn machine_mut(&mut self) -> Option<&mut dyn SessionDyn> {
        match self {
            ServerApp::Smtp(m) => Some(&mut **m),
            ServerApp::Pop3(m) => Some(&mut **m),
            ServerApp::Imap(m) => Some(&mut **m),
            ServerApp::Http(m) => Some(&mut **m),
            ServerApp::Pending | ServerApp::Done => None,
        }
    }
}

impl ConnApps {
    /// The protocol machine on `side` (0 the client, 1 the server), if that side has one.
    pub(crate) fn machine(&self, side: usize) -> Option<&dyn SessionDyn> {
        if side == 0 {
            self.client.machine()
        } else {
            self.server.machine()
        }
    }

    /// [`ConnApps::machine`], to change.
    pub(crate) fn machine_mut(&mut self, side: usize) -> Option<&mut dyn SessionDyn> {
        if side == 0 {
            self.client.machine_mut()
        } else {
            self.server.machine_mut()
        }
    }
}

impl Sim {
    /// The state of the machine on `side` of connection `c`, as the inspector and trace name it.
    pub(crate) fn app_state(&self, c: ConnId, side: usize) -> &'static str {
        let conn = &self.apps[c];
        if let Some(m) = conn.machine(side) {
            return m.state_name();
        }
        match (side, &conn.client, &conn.server) {
            (0, ClientApp::External(_), _) => "a real program",
            (1, _, ServerApp::Pending) => "accepting",
            _ => "CLOSED", // ClientApp::Done, ServerApp::Done
        }
    }

    /// Bytes that arrived for `side` of connection `c`.
    pub(crate) fn app_input(&mut self, c: ConnId, side: usize, bytes: &[u8]) {
        let conn = &mut self.apps[c];
        if let Some(m) = conn.machine_mut(side) {
            m.handle_input(bytes);
        } else if let (0, ClientApp::External(x)) = (side, &mut conn.client) {
            x.to_real.extend_from_slice(bytes);
        }
        // The IMAP server answers what it just took with its host's mailboxes as the store.
        if side == 1 && matches!(conn.server, ServerApp::Imap(_)) {
            self.imap_serve(c);
        }
    }

    /// Bytes `side` of connection `c` has to send, if any.
    pub(crate) fn app_transmit(&mut self, c: ConnId, side: usize) -> Option<Vec<u8>> {
        let conn = &mut self.apps[c];
        if let Some(m) = conn.machine_mut(side) {
            return m.poll_transmit();
        }
        match (side, &mut conn.client) {
            (0, ClientApp::External(x)) => {
                (x.open && !x.from_real.is_empty()).then(|| std::mem::take(&mut x.from_real))
            }
            _ => None,
        }
    }

    /// Whether `side` of connection `c` is done and wants to close once its bytes are sent.
    pub(crate) fn app_wants_close(&self, c: ConnId, side: usize) -> bool {
        let conn = &self.apps[c];
        if let Some(m) = conn.machine(side) {
            return m.wants_close();
        }
        match (side, &conn.client) {
            (0, ClientApp::External(x)) => x.closed_by_real && x.from_real.is_empty(),
            _ => false,
        }
    }

    /// The events of the machine on `side` of connection `c`, in order, each saying its kind,
    /// appended to `out`.
    pub(crate) fn take_events(&mut self, c: ConnId, side: usize, out: &mut Vec<AppEvent>) {
        let conn = &mut self.apps[c];
        if side == 0 {
            match &mut conn.client {
                ClientApp::Smtp { m, .. } => drain_events(&mut **m, AppEvent::SmtpClient, out),
                ClientApp::Pop3(m) => drain_events(&mut **m, AppEvent::Pop3Client, out),
                ClientApp::Imap(m) => drain_events(&mut **m, AppEvent::ImapClient, out),
                ClientApp::Http(m) => drain_events(&mut **m, AppEvent::HttpClient, out),
                ClientApp::External(_) | ClientApp::Done => {}
            }
        } else {
            match &mut conn.server {
                ServerApp::Smtp(m) => drain_events(&mut **m, AppEvent::SmtpServer, out),
                ServerApp::Pop3(m) => drain_events(&mut **m, AppEvent::Pop3Server, out),
                ServerApp::Imap(m) => drain_events(&mut **m, |never| match never {}, out),
                ServerApp::Http(m) => drain_events(&mut **m, AppEvent::HttpServer, out),
                ServerApp::Pending | ServerApp::Done => {}
            }
        }
    }
}
