//! The real world behind the bridge: an outside host whose connections carry a real program's
//! bytes, untouched, to a simulated server and back.

use super::apps::{ClientApp, External};
use super::host::HostState;
use super::world::Sim;
use crate::engine::ids::{ConnId, HostId};
use crate::engine::trace::HostInfo;
use crate::protocols::Protocol;
use crate::scenario::HostDef;

impl Sim {
    /// Adds a host that is not in the scenario: the real world behind the bridge. Its
    /// connections carry a real program's bytes.
    pub fn add_outside_host(&mut self, def: HostDef) -> HostId {
        let i = HostId::new(self.hosts.len());
        self.trace.hosts.push(HostInfo {
            name: def.name.clone(),
            label: def.label.clone(),
            ip: def.ip,
        });
        self.hosts.push(HostState::new(&def, self.seed));
        i
    }

    /// A real program connects to `port` of simulated host `server`, from `outside` (a host
    /// from [`Sim::add_outside_host`]): the SYN leaves now. Returns the connection.
    pub fn connect_external(
        &mut self,
        outside: HostId,
        server: HostId,
        port: u16,
    ) -> Option<ConnId> {
        let ip = self.hosts.get(server.index())?.def.ip;
        let protocol = match port {
            25 | 587 => Protocol::Smtp,
            110 => Protocol::Pop3,
            143 => Protocol::Imap,
            80 => Protocol::Http,
            _ => Protocol::Tcp,
        };
        self.connect(
            outside,
            ip,
            port,
            protocol,
            ClientApp::External(External::default()),
        )
    }

    /// Bytes the real program sent on connection `c`: they leave as soon as the connection is
    /// open.
    pub fn external_send(&mut self, c: ConnId, bytes: &[u8]) {
        let Some(conn) = self.apps.get_mut(c.index()) else {
            return;
        };
        let ClientApp::External(x) = &mut conn.client else {
            return;
        };
        x.from_real.extend_from_slice(bytes);
        if x.open {
            let before = self.app_state(c, 0);
            self.pump(c, 0, before);
        }
    }

    /// The real program closed its side of connection `c`.
    pub fn external_close(&mut self, c: ConnId) {
        let Some(conn) = self.apps.get_mut(c.index()) else {
            return;
        };
        let ClientApp::External(x) = &mut conn.client else {
            return;
        };
        x.closed_by_real = true;
        if x.open {
            let before = self.app_state(c, 0);
            self.pump(c, 0, before);
        }
    }

    /// Whether both sides of connection `c` have closed (or it never opened).
    pub fn connection_over(&self, c: ConnId) -> bool {
        self.net
            .conns
            .get(c.index())
            .is_none_or(crate::net::Conn::over)
    }

    /// What the simulated server sent to the real program on connection `c` since the last
    /// call, and whether the simulated side has closed the connection.
    pub fn external_take(&mut self, c: ConnId) -> (Vec<u8>, bool) {
        let (Some(conn), Some(apps)) =
            (self.net.conns.get(c.index()), self.apps.get_mut(c.index()))
        else {
            return (Vec::new(), true);
        };
        let over = conn.closed[0] || conn.closed[1];
        match &mut apps.client {
            ClientApp::External(x) => (std::mem::take(&mut x.to_real), over),
            _ => (Vec::new(), true),
        }
    }
}
