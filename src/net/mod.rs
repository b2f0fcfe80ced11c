//! The network: TCP connections ([`tcp`]), UDP datagrams ([`udp`]), the links between hosts
//! (latency and jitter), and the faults that lose segments or take hosts away ([`faults`]).
//!
//! It knows nothing of what the hosts run. The world above implements [`Stack`]: through it the
//! network asks for the time, a host's random numbers, a place in the event queue and the trace,
//! and hands up what arrives (a connection opened, bytes, a close, a datagram). What the hosts
//! want sent comes down through [`tcp::connect`], [`tcp::send`] and [`udp::send`].
//!
//! Connections are TCP as students meet it: a three-way handshake, data segments with real
//! sequence and acknowledgment numbers, segments delivered in order, FIN to close, RST when
//! nothing listens, and retransmission on a lossy link (RFC 6298). Pure ACKs of data are left out
//! to keep the picture readable (every data segment carries the acknowledgment number); the
//! handshake's third ACK is shown.

pub mod faults;
pub mod tcp;
pub mod udp;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use rand::RngExt;

use crate::engine::ids::{ConnId, EventId, HostId};
use crate::engine::rng::SimRng;
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::trace::{Endpoint, EventKind, TraceEvent};
use crate::scenario::Scenario;

pub use faults::Faults;
pub use tcp::Conn;

/// The largest payload of one segment (Ethernet MTU 1500 − IPv4 and TCP headers).
pub const MSS: usize = 1460;
/// The first retransmission timeout (RFC 6298 §2.1: 1 second), doubled after each loss (§5.5).
pub const RTO_INITIAL: SimDuration = SimDuration(1_000_000);
/// The longest retransmission timeout (RFC 6298 §2.5 allows a maximum of 60 seconds or more).
pub const RTO_MAX: SimDuration = SimDuration(60_000_000);
/// How many times a SYN is sent before the connection times out (Linux sends 7; a lesson has
/// less patience): at 0, 1, 3, 7 and 15 s, given up at 31 s.
pub const SYN_SENDINGS: usize = 5;
/// The first ephemeral port a host uses (RFC 6335 dynamic range).
pub const FIRST_EPHEMERAL_PORT: u16 = 49152;

/// What the network keeps: its connections, links, addresses and fault schedule.
pub struct Net {
    /// Every connection opened so far, by id (ids stay: the trace names them).
    pub conns: Vec<Conn>,
    /// Latency and jitter of the links the scenario names, by (lower host, higher host).
    links: BTreeMap<(HostId, HostId), (SimDuration, SimDuration)>,
    /// Latency and jitter of every other pair of hosts.
    default_link: (SimDuration, SimDuration),
    /// Which host has which address.
    by_ip: BTreeMap<Ipv4Addr, HostId>,
    /// The scenario's faults, by host.
    pub faults: Faults,
    /// The next ephemeral port of each host (grown as hosts are added).
    next_port: Vec<u16>,
}

impl Net {
    /// The network of `scenario`'s hosts and links.
    pub fn new(scenario: &Scenario) -> Net {
        Net {
            conns: Vec::new(),
            links: scenario
                .links
                .iter()
                .map(|l| {
                    let (a, b) = l.between;
                    ((a.min(b), a.max(b)), (l.latency, l.jitter))
                })
                .collect(),
            default_link: (scenario.latency, scenario.jitter),
            by_ip: scenario
                .hosts
                .iter()
                .enumerate()
                .map(|(i, h)| (h.ip, HostId::new(i)))
                .collect(),
            faults: Faults::new(&scenario.faults, scenario.hosts.len()),
            next_port: Vec::new(),
        }
    }

    /// A port for host `h` to send from: the next of its ephemeral ports, in turn.
    pub fn ephemeral_port(&mut self, h: HostId) -> u16 {
        if self.next_port.len() <= h.index() {
            self.next_port.resize(h.index() + 1, FIRST_EPHEMERAL_PORT);
        }
        let p = self.next_port[h];
        self.next_port[h] = if p == u16::MAX {
            FIRST_EPHEMERAL_PORT
        } else {
            p + 1
        };
        p
    }

    /// The host with address `ip`.
    pub fn host_at(&self, ip: Ipv4Addr) -> Option<HostId> {
        self.by_ip.get(&ip).copied()
    }
}

/// What the network puts in the world's event queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEv {
    /// A segment arrives at side `to_side` of connection `conn`.
    Tcp {
        conn: ConnId,
        to_side: usize,
        flags: u8,
        seq: u32,
        /// The trace event that holds the payload (kept once, in the trace).
        event: EventId,
    },
    /// A datagram arrives.
    Udp {
        from: Endpoint,
        to: Endpoint,
        event: EventId,
    },
    /// A sender's retransmission timer fires: segment `event` (its first sending) goes again.
    Retransmit {
        event: EventId,
        attempt: u8,
        /// When this sending arrives; `None`: it is lost too.
        arrive: Option<SimTime>,
    },
    /// No SYN of connection `conn` was answered: it times out.
    ConnectTimeout { conn: ConnId },
}

impl NetEv {
    /// The trace event whose payload this event still needs.
    pub fn payload_event(&self) -> Option<EventId> {
        match self {
            NetEv::Tcp { event, .. }
            | NetEv::Udp { event, .. }
            | NetEv::Retransmit { event, .. } => Some(*event),
            NetEv::ConnectTimeout { .. } => None,
        }
    }
}

/// The world the network runs in: what it asks of it, and what it hands up.
pub trait Stack {
    /// The network's state.
    fn net(&mut self) -> &mut Net;
    /// The simulated time now.
    fn now(&self) -> SimTime;
    /// Host `h`'s seeded random numbers (loss, jitter, sequence numbers, ports).
    fn rng(&mut self, h: HostId) -> &mut SimRng;
    /// Puts `ev` in the event queue at `at`.
    fn schedule(&mut self, at: SimTime, ev: NetEv);
    /// Adds an event to the trace now; returns its id.
    fn record_now(&mut self, kind: EventKind) -> EventId;
    /// The id the next trace event will have.
    fn next_event_id(&self) -> EventId;
    /// An event of the trace (a segment to send again).
    fn event(&self, id: EventId) -> Option<&TraceEvent>;

    /// Whether host `h` takes connections on TCP `port`.
    fn listening(&self, h: HostId, port: u16) -> bool;
    /// The handshake of connection `c` is done at its client: the client may speak.
    fn opened(&mut self, c: ConnId);
    /// A segment arrived at side `side` of connection `c` (the handshake's third ACK, or data):
    /// `payload` is its bytes, possibly none.
    fn arrived(&mut self, c: ConnId, side: usize, payload: &[u8]);
    /// Connection `c` ended for side `side`: a FIN, an RST or a time-out, as `why` says.
    fn closed(&mut self, c: ConnId, side: usize, why: &str);
    /// A datagram arrived.
    fn datagram(&mut self, from: Endpoint, to: Endpoint, payload: &[u8]);
}

/// How long a packet from host `from` takes to reach host `to`: the link's latency, plus jitter
/// drawn from the sender's random numbers.
#[inline]
pub(crate) fn delay<W: Stack>(w: &mut W, from: HostId, to: HostId) -> SimDuration {
    let net = w.net();
    let (lat, jit) = net
        .links
        .get(&(from.min(to), from.max(to)))
        .copied()
        .unwrap_or(net.default_link);
    let extra = if jit.0 > 0 {
        w.rng(from).random_range(0..=jit.0)
    } else {
        0
    };
    SimDuration(lat.0 + extra)
}

/// A note from host `host` in the trace.
pub(crate) fn note<W: Stack>(w: &mut W, host: HostId, text: String) {
    w.record_now(EventKind::Note { host, text });
}
