//! The simulation: hosts, TCP-like connections and UDP datagrams over links with latency, driven
//! by a discrete event queue.
//!
//! `Sim::step` pops the earliest event, hands it to the host it concerns, applies what the host's
//! protocol machines want (send bytes, open or close a connection) and appends what happened to the
//! trace. Connections are TCP as students meet it: a three-way handshake, data segments with real
//! sequence and acknowledgment numbers, segments delivered in order, FIN to close, RST when nothing
//! listens. Pure ACKs of data are left out to keep the picture readable (every data segment carries
//! the acknowledgment number); the handshake's third ACK is shown.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::ops::Range;
use std::sync::Arc;

use rand::{Rng, RngExt};

use super::queue::EventQueue;
use super::rng::{SimRng, fork};
use super::time::{SimDuration, SimTime};
use super::trace::{Datagram, Direction, Endpoint, EventKind, HostInfo, Segment, TcpFlags, Trace};
use crate::mail::Mailbox;
use crate::nodes::{ClientApp, ServerApp};
use crate::protocols::{Explanation, Protocol, dns, imap, pop3, smtp};
use crate::scenario::{HostDef, Scenario, Service};

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

/// What waits in the event queue.
pub(crate) enum Ev {
    Step(usize),
    Tcp {
        conn: usize,
        to_side: usize,
        flags: u8,
        seq: u32,
        /// The trace event that holds the payload (kept once, in the trace).
        event: usize,
    },
    Udp {
        from: Endpoint,
        to: Endpoint,
        event: usize,
    },
    /// A sender's retransmission timer fires: segment `event` (its first sending) goes again.
    Retransmit {
        event: usize,
        attempt: u8,
        /// When this sending arrives; `None`: it is lost too.
        arrive: Option<SimTime>,
    },
    /// No SYN of connection `conn` was answered: it times out.
    ConnectTimeout {
        conn: usize,
    },
    /// A resolver's wait for the answer to DNS query `id` runs out.
    DnsTimeout {
        host: usize,
        port: u16,
        id: u16,
        attempt: u8,
    },
    /// A mail server tries a queued mail again.
    Retry {
        host: usize,
        id: String,
    },
}

/// A message a mail program has downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMessage {
    /// The server's unique id for it.
    pub uid: String,
    /// Its Subject.
    pub subject: String,
    /// Its bytes (empty for IMAP, which lists messages without downloading them).
    pub data: Arc<Vec<u8>>,
    /// Its IMAP flags as the server last said (empty for POP3).
    pub flags: Vec<String>,
}

/// A message in a server's outgoing queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    /// Queue id.
    pub id: String,
    /// Envelope sender.
    pub from: Option<smtp::wire::Address>,
    /// Recipients still to deliver, all in `domain`.
    pub rcpts: Vec<smtp::wire::Address>,
    /// The destination domain.
    pub domain: String,
    /// The message, with this server's Received line.
    pub data: Arc<Vec<u8>>,
    /// What is happening to it, in words.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When it was queued (it bounces if still here [`crate::nodes::GIVE_UP`] later).
    pub queued_at: SimTime,
}

/// A host while the simulation runs.
pub struct HostState {
    /// What the scenario says of it.
    pub def: HostDef,
    pub(crate) rng: SimRng,
    pub(crate) next_port: u16,
    /// Mailboxes by user name (each user's INBOX).
    pub mailboxes: BTreeMap<String, Mailbox>,
    /// Users' other IMAP mailboxes, by (user, name).
    pub folders: BTreeMap<(String, String), Mailbox>,
    pub(crate) subscriptions: BTreeSet<(String, String)>,
    /// Outgoing queue.
    pub queue: Vec<QueuedMail>,
    /// What its mail program has downloaded.
    pub inbox: Vec<LocalMessage>,
    pub(crate) known_uids: BTreeSet<String>,
    pub(crate) pop_locks: BTreeSet<String>,
    pub(crate) smtp_cfg: Option<Arc<smtp::server::ServerConfig>>,
    pub(crate) submission_cfg: Option<Arc<smtp::server::ServerConfig>>,
    pub(crate) pop3_cfg: Option<Arc<pop3::server::ServerConfig>>,
    pub(crate) imap_cfg: Option<Arc<imap::server::ServerConfig>>,
    pub(crate) counter: u32,
    /// The triples a greylisting MX has seen (shared by its sessions).
    pub(crate) greylist: smtp::server::Greylist,
    /// A browser's cookies, by web server host.
    pub(crate) cookies: BTreeMap<usize, Vec<(String, String)>>,
    /// A browser's memory of the forms on the pages it got: their hidden fields (the webmail's
    /// form token), by (web server host, form action). A POST sends them with the step's fields.
    pub(crate) hidden_fields: BTreeMap<(usize, String), Vec<(String, String)>>,
    /// A webmail server's logged-in sessions, by session id.
    pub(crate) web_sessions: BTreeMap<String, crate::nodes::WebSession>,
}

impl HostState {
    pub(crate) fn new(def: &HostDef, seed: u64) -> Self {
        let mut rng = fork(seed, &def.name);
        let domains: Vec<String> = def.domain.iter().cloned().collect();
        let users: BTreeSet<String> = def
            .accounts
            .iter()
            .filter_map(|a| def.domain.as_ref().map(|d| format!("{}@{d}", a.user)))
            .collect();
        // User name → password, for every server of the host that logs users in.
        let accounts: BTreeMap<String, String> = def
            .accounts
            .iter()
            .map(|a| (a.user.clone(), a.password.clone()))
            .collect();
        let smtp_cfg = |role| {
            Arc::new(smtp::server::ServerConfig {
                hostname: def.name.clone(),
                role,
                local_domains: domains.clone(),
                users: users.clone(),
                max_size: 10 * 1024 * 1024,
                max_recipients: 100,
                accounts: accounts.clone(),
                require_auth: false,
                greylist: None,
                full: BTreeMap::new(),
            })
        };
        let mailboxes: BTreeMap<String, Mailbox> = def
            .accounts
            .iter()
            .map(|a| (a.user.clone(), Mailbox::new(rng.random_range(1..u32::MAX))))
            .collect();
        HostState {
            smtp_cfg: def
                .has(Service::Smtp)
                .then(|| smtp_cfg(smtp::server::Role::Mx)),
            submission_cfg: def
                .has(Service::Submission)
                .then(|| smtp_cfg(smtp::server::Role::Submission)),
            pop3_cfg: def.has(Service::Pop3).then(|| {
                Arc::new(pop3::server::ServerConfig {
                    hostname: def.name.clone(),
                    accounts: accounts.clone(),
                })
            }),
            imap_cfg: def.has(Service::Imap).then(|| {
                Arc::new(imap::server::ServerConfig {
                    hostname: def.name.clone(),
                    accounts: accounts.clone(),
                })
            }),
            def: def.clone(),
            rng,
            next_port: FIRST_EPHEMERAL_PORT,
            subscriptions: mailboxes
                .keys()
                .map(|u: &String| (u.clone(), "INBOX".to_string()))
                .collect(),
            mailboxes,
            folders: BTreeMap::new(),
            queue: Vec::new(),
            inbox: Vec::new(),
            known_uids: BTreeSet::new(),
            cookies: BTreeMap::new(),
            hidden_fields: BTreeMap::new(),
            web_sessions: BTreeMap::new(),
            greylist: Default::default(),
            pop_locks: BTreeSet::new(),
            counter: 0,
        }
    }

    pub(crate) fn ephemeral_port(&mut self) -> u16 {
        let p = self.next_port;
        self.next_port = if p == u16::MAX {
            FIRST_EPHEMERAL_PORT
        } else {
            p + 1
        };
        p
    }
}

/// One TCP connection. Index 0 of the arrays is the client side, 1 the server side.
pub(crate) struct Conn {
    pub ends: [Endpoint; 2],
    pub protocol: Protocol,
    pub next_seq: [u32; 2],
    pub rcv_next: [u32; 2],
    pub last_arrive: [SimTime; 2],
    pub fin_sent: [bool; 2],
    pub closed: [bool; 2],
    pub client: ClientApp,
    pub server: ServerApp,
    pub last_client_verb: &'static str,
}

/// A whole simulated world.
pub struct Sim {
    pub(crate) scenario: Scenario,
    pub(crate) seed: u64,
    pub(crate) now: SimTime,
    pub(crate) queue: EventQueue<Ev>,
    pub(crate) hosts: Vec<HostState>,
    pub(crate) conns: Vec<Conn>,
    pub(crate) trace: Trace,
    pub(crate) links: BTreeMap<(usize, usize), (SimDuration, SimDuration)>,
    pub(crate) by_ip: BTreeMap<Ipv4Addr, usize>,
    pub(crate) dns_pending: BTreeMap<(usize, u16, u16), crate::nodes::Lookup>,
    /// The next timed scenario step to fire, an index into `timed`. Steps are already in time
    /// order, so they wait here rather than in the queue; at equal times a step comes before
    /// network events.
    pub(crate) next_step: usize,
    /// The steps that begin at a time (indices into the scenario's steps).
    timed: Vec<usize>,
    /// The steps that wait for an event (`on`) and have not begun yet, in the file's order.
    waiting: Vec<usize>,
    /// How many steps have begun (their "Step n of m" counts in the order they begin).
    pub(crate) steps_begun: usize,
    /// Work a webmail server does for a browser's request, by the connection doing it.
    pub(crate) web_jobs: BTreeMap<usize, crate::nodes::WebJob>,
    /// What a long live run's trace keeps (`None`: everything).
    pub(crate) keep: Option<super::keep::Keeper>,
    /// Where secrets handed to clients come from when not from the seed: see
    /// [`Sim::set_secret_source`]. In a `Mutex` only so that a `Sim` stays `Sync` (the window
    /// keeps the bridge, and so its `Sim`, in a resource); `&mut self` reaches it without locking.
    secret_source: Option<std::sync::Mutex<SecretFill>>,
}

/// What [`Sim::set_secret_source`] takes.
type SecretFill = Box<dyn FnMut(&mut [u8]) + Send>;

/// How long a secret handed to a client is: 128 bits.
const SECRET_BYTES: usize = 16;

impl Sim {
    /// A world built from `scenario`, seeded with `seed` (or the scenario's own seed).
    pub fn new(scenario: &Scenario, seed: Option<u64>) -> Sim {
        let seed = seed.unwrap_or(scenario.seed);
        let hosts: Vec<HostState> = scenario
            .hosts
            .iter()
            .map(|h| HostState::new(h, seed))
            .collect();
        let trace = Trace {
            hosts: scenario
                .hosts
                .iter()
                .map(|h| HostInfo {
                    name: h.name.clone(),
                    label: h.label.clone(),
                    ip: h.ip,
                })
                .collect(),
            // A mail costs about fifty events; reserving up front spares the big trace from being
            // copied as it grows (a capacity hint only).
            events: Vec::with_capacity(64 + scenario.steps.len() * 48),
            forgotten: Default::default(),
        };
        let mut links = BTreeMap::new();
        for l in &scenario.links {
            let (a, b) = l.between;
            links.insert((a.min(b), a.max(b)), (l.latency, l.jitter));
        }
        let by_ip = scenario
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.ip, i))
            .collect();
        let queue = EventQueue::default();
        Sim {
            scenario: scenario.clone(),
            seed,
            now: SimTime::ZERO,
            queue,
            hosts,
            conns: Vec::new(),
            trace,
            links,
            by_ip,
            dns_pending: BTreeMap::new(),
            next_step: 0,
            timed: (0..scenario.steps.len())
                .filter(|&i| scenario.steps[i].on.is_none())
                .collect(),
            waiting: (0..scenario.steps.len())
                .filter(|&i| scenario.steps[i].on.is_some())
                .collect(),
            steps_begun: 0,
            web_jobs: BTreeMap::new(),
            keep: None,
            secret_source: None,
        }
    }

    /// The seed in use.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The scenario being simulated.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The hosts' current state.
    pub fn hosts(&self) -> &[HostState] {
        &self.hosts
    }

    /// Handles the next event; returns the ids of the trace events it produced, or `None` when
    /// nothing is left to happen.
    pub fn step(&mut self) -> Option<Range<usize>> {
        let step_at = self.next_timed_step();
        let (time, ev) = match (step_at, self.queue.peek_time()) {
            (Some(at), next) if next.is_none_or(|n| at <= n) => {
                self.next_step += 1;
                (at, Ev::Step(self.timed[self.next_step - 1]))
            }
            _ => self.queue.pop()?,
        };
        debug_assert!(time >= self.now, "time went backwards");
        self.now = time;
        let first = self.trace.next_id();
        match ev {
            Ev::Step(i) => self.fire_step(i),
            Ev::Tcp {
                conn,
                to_side,
                flags,
                seq,
                event,
            } => {
                // Borrow the payload out of the trace while the receiver handles it.
                let payload = self.take_payload(event);
                self.tcp_arrive(conn, to_side, TcpFlags(flags), seq, &payload);
                self.put_payload(event, payload);
            }
            Ev::Udp { from, to, event } => {
                let payload = self.take_payload(event);
                self.udp_arrive(from, to, &payload);
                self.put_payload(event, payload);
            }
            Ev::Retry { host, id } => self.mta_retry(host, &id),
            Ev::ConnectTimeout { conn } => self.connect_timeout(conn),
            Ev::DnsTimeout {
                host,
                port,
                id,
                attempt,
            } => self.dns_timeout(host, port, id, attempt),
            Ev::Retransmit {
                event,
                attempt,
                arrive,
            } => self.retransmit(event, attempt, arrive),
        }
        if !self.waiting.is_empty() {
            self.begin_waiting_steps(first);
        }
        let range = first..self.trace.next_id();
        self.keep_within_budget(false);
        Some(range)
    }

    /// When the next timed step begins, if one is left.
    fn next_timed_step(&self) -> Option<SimTime> {
        self.timed
            .get(self.next_step)
            .map(|&i| self.scenario.steps[i].at)
    }

    /// Adds an event to the trace, and right after it the narration of every narrate step that
    /// waits for it (`on`): the narration lands next to its event with any seed.
    pub(crate) fn record(&mut self, time: SimTime, kind: EventKind) -> usize {
        let id = self.trace.push(time, kind);
        while let Some(k) = self.waiting_for(id, true) {
            let i = self.waiting.remove(k);
            self.fire_step(i);
        }
        id
    }

    /// Which waiting step (its place in `waiting`) event `id` begins: narrate steps only, or
    /// only those that do something.
    fn waiting_for(&self, id: usize, narrate: bool) -> Option<usize> {
        let ev = self.trace.get(id)?;
        let steps = &self.scenario.steps;
        self.waiting.iter().position(|&i| {
            (steps[i].action == crate::scenario::StepAction::Narrate) == narrate
                && steps[i].at <= ev.time
                && steps[i].on.as_ref().is_some_and(|t| t.matches(ev))
        })
    }

    /// Begins each waiting (`on`) step that does something (sends, checks...) whose event is
    /// among those from `first` on, once the event that began it has been handled: a user acts
    /// between the network's events, never in the middle of one. What a step does may be what
    /// another waits for, so events it adds are looked at too.
    fn begin_waiting_steps(&mut self, first: usize) {
        let mut id = first;
        while id < self.trace.next_id() && !self.waiting.is_empty() {
            if let Some(k) = self.waiting_for(id, false) {
                let i = self.waiting.remove(k);
                self.fire_step(i);
                // The same event may start another waiting step.
                continue;
            }
            id += 1;
        }
    }

    /// The steps that wait for an event that never came (their indices): what a run says about
    /// a narration it could not place.
    pub fn steps_never_begun(&self) -> &[usize] {
        &self.waiting
    }

    /// Runs until nothing is left to happen.
    pub fn run_to_end(&mut self) {
        while self.step().is_some() {}
    }

    /// Submission servers take mail only after AUTH (and say so in EHLO): for the bridge, where
    /// real programs connect. Scripted runs leave it off.
    pub fn require_submission_auth(&mut self) {
        for h in &mut self.hosts {
            if let Some(cfg) = &mut h.submission_cfg {
                Arc::make_mut(cfg).require_auth = true;
            }
        }
    }

    /// Secrets the servers hand to clients (a webmail's session ids and form tokens, 128 bits
    /// each, written as 32 hex digits) are filled from `f` from now on, and no longer drawn from
    /// the host's seeded generator.
    ///
    /// Without it (simulations, tests) secrets come from the seed like every other draw, so the
    /// same scenario and seed give the same bytes, cookies included. That is right for a lesson and
    /// wrong for real browsers: `mailsim serve` would hand out the same session ids in the same
    /// order on every run, and anyone who had seen one run could take over a session in the next.
    /// So the bridge calls this with the operating system's random source. The core never reads
    /// one itself (it stays deterministic and builds for wasm32).
    ///
    /// `f` must fill the whole slice it is given.
    #[allow(clippy::type_complexity)] // the type spelled out, for the reader of the signature
    pub fn set_secret_source(&mut self, f: Box<dyn FnMut(&mut [u8]) + Send>) {
        self.secret_source = Some(std::sync::Mutex::new(f));
    }

    /// A new secret for host `h` to hand to a client: 128 bits from the secret source when one
    /// is set, else from the host's seeded generator; 32 lowercase hex digits.
    pub(crate) fn secret(&mut self, h: usize) -> String {
        let mut b = [0u8; SECRET_BYTES];
        match &mut self.secret_source {
            Some(f) => {
                let f = f
                    .get_mut()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                f(&mut b);
            }
            None => self.hosts[h].rng.fill_bytes(&mut b),
        }
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Whether a `down` fault holds host `h` now.
    pub(crate) fn is_down(&self, h: usize) -> bool {
        self.scenario.faults.iter().any(|f| {
            f.host == h && f.kind == crate::scenario::FaultKind::Down && f.active(self.now)
        })
    }

    /// When the next thing happens, if anything is left.
    pub fn next_time(&self) -> Option<SimTime> {
        let step_at = self.next_timed_step();
        match (step_at, self.queue.peek_time()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs everything due up to `t`, then sets the clock to `t` (the bridge follows the wall
    /// clock this way; scripted runs never call it). Returns the new trace events.
    pub fn run_until(&mut self, t: SimTime) -> Range<usize> {
        let first = self.trace.next_id();
        while self.next_time().is_some_and(|n| n <= t) {
            self.step();
        }
        if t > self.now {
            self.now = t;
        }
        self.keep_within_budget(true);
        self.reclaim_connections();
        first..self.trace.next_id()
    }

    /// Adds a host that is not in the scenario: the real world behind the bridge. Its
    /// connections carry a real program's bytes.
    pub fn add_outside_host(&mut self, def: HostDef) -> usize {
        let i = self.hosts.len();
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
    pub fn connect_external(&mut self, outside: usize, server: usize, port: u16) -> Option<usize> {
        let ip = self.hosts.get(server)?.def.ip;
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
            ClientApp::External(crate::nodes::External::default()),
        )
    }

    /// Bytes the real program sent on connection `c`: they leave as soon as the connection is
    /// open.
    pub fn external_send(&mut self, c: usize, bytes: &[u8]) {
        let Some(conn) = self.conns.get_mut(c) else {
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
    pub fn external_close(&mut self, c: usize) {
        let Some(conn) = self.conns.get_mut(c) else {
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
    pub fn connection_over(&self, c: usize) -> bool {
        self.conns.get(c).is_none_or(|conn| {
            (conn.closed[0] || conn.fin_sent[0]) && (conn.closed[1] || conn.fin_sent[1])
        })
    }

    /// What the simulated server sent to the real program on connection `c` since the last
    /// call, and whether the simulated side has closed the connection.
    pub fn external_take(&mut self, c: usize) -> (Vec<u8>, bool) {
        let Some(conn) = self.conns.get_mut(c) else {
            return (Vec::new(), true);
        };
        let over = conn.closed[0] || conn.closed[1];
        match &mut conn.client {
            ClientApp::External(x) => (std::mem::take(&mut x.to_real), over),
            _ => (Vec::new(), true),
        }
    }

    pub(crate) fn note(&mut self, host: usize, text: String) {
        self.record(self.now, EventKind::Note { host, text });
    }

    // ------------------------------------------------------------------ network

    fn delay(&mut self, from: usize, to: usize) -> SimDuration {
        let (lat, jit) = self
            .links
            .get(&(from.min(to), from.max(to)))
            .copied()
            .unwrap_or((self.scenario.latency, self.scenario.jitter));
        let extra = if jit.0 > 0 {
            self.hosts[from].rng.random_range(0..=jit.0)
        } else {
            0
        };
        SimDuration(lat.0 + extra)
    }

    /// Opens a connection from `host` to `ip:port`; the SYN leaves now.
    pub(crate) fn connect(
        &mut self,
        host: usize,
        ip: Ipv4Addr,
        port: u16,
        protocol: Protocol,
        client: ClientApp,
    ) -> Option<usize> {
        let Some(&server_host) = self.by_ip.get(&ip) else {
            self.note(
                host,
                format!("no host has the address {ip}: cannot connect"),
            );
            return None;
        };
        let local_port = self.hosts[host].ephemeral_port();
        let isn: u32 = self.hosts[host].rng.random();
        let id = self.conns.len();
        self.conns.push(Conn {
            ends: [
                Endpoint {
                    host,
                    port: local_port,
                },
                Endpoint {
                    host: server_host,
                    port,
                },
            ],
            protocol,
            next_seq: [isn, 0],
            rcv_next: [0, 0],
            last_arrive: [SimTime::ZERO; 2],
            fin_sent: [false; 2],
            closed: [false; 2],
            client,
            server: ServerApp::Pending,
            last_client_verb: "",
        });
        let ex = Explanation {
            note: "opens a TCP connection: first step of the three-way handshake",
            rfc: "RFC 9293 §3.5",
        };
        self.send_segment(id, 0, TcpFlags::SYN, Vec::new(), ex, ("closed", "SYN-SENT"));
        Some(id)
    }

    pub(crate) fn send_segment(
        &mut self,
        c: usize,
        side: usize,
        flags: u8,
        payload: Vec<u8>,
        explain: Explanation,
        states: (&'static str, &'static str),
    ) {
        let conn = &self.conns[c];
        let (from, to) = (conn.ends[side], conn.ends[1 - side]);
        let seq = conn.next_seq[side];
        let ack = if flags & TcpFlags::ACK != 0 {
            conn.rcv_next[side]
        } else {
            0
        };
        // A lossy link: each sending may be lost, and the sender sends again when its
        // retransmission timer runs out (RFC 6298). Decided now, with the sender's seeded random
        // numbers; the retransmissions are put in the trace when they happen. Only what TCP
        // retransmits can be lost here: data, SYN and FIN. A pure ACK or an RST is never
        // retransmitted (RFC 9293 §3.10.7), and modelling what follows their loss (a duplicate
        // SYN, ACK or data) is left out.
        let mut sendings = vec![self.now];
        let opening = flags & TcpFlags::SYN != 0 && flags & TcpFlags::ACK == 0;
        let mut timed_out = false;
        if !payload.is_empty() || flags & (TcpFlags::SYN | TcpFlags::FIN) != 0 {
            let mut rto = RTO_INITIAL;
            loop {
                let at = *sendings.last().unwrap();
                // An unreachable host never answers a SYN: it is as good as lost.
                let per_mille = if opening && self.unreachable(to.host, at) {
                    Some(1000)
                } else {
                    self.loss_rate(from.host, to.host, at)
                };
                let lost = per_mille
                    .is_some_and(|pm| self.hosts[from.host].rng.random_range(0..1000) < pm);
                if !lost {
                    break;
                }
                if opening && sendings.len() == SYN_SENDINGS {
                    timed_out = true;
                    break;
                }
                if sendings.len() == u8::MAX as usize {
                    break;
                }
                sendings.push(at + rto);
                rto = SimDuration((rto.0 * 2).min(RTO_MAX.0));
            }
            if timed_out {
                self.queue.push(
                    *sendings.last().unwrap() + rto,
                    Ev::ConnectTimeout { conn: c },
                );
            }
        }
        let last_sending = *sendings.last().unwrap();
        let delay = self.delay(from.host, to.host);
        let conn = &mut self.conns[c];
        // TCP delivers in order: a segment never overtakes the one before it (a receiver holds
        // what comes after a lost segment until the retransmission fills the gap).
        let arrive = (last_sending + delay).max(conn.last_arrive[side]);
        conn.last_arrive[side] = arrive;
        let consumed =
            payload.len() as u32 + u32::from(flags & (TcpFlags::SYN | TcpFlags::FIN) != 0);
        conn.next_seq[side] = seq.wrapping_add(consumed);
        if flags & TcpFlags::FIN != 0 {
            conn.fin_sent[side] = true;
        }
        let protocol = if payload.is_empty() {
            Protocol::Tcp
        } else {
            conn.protocol
        };
        let direction = if side == 0 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let event = self.trace.next_id();
        if !timed_out {
            self.queue.push(
                arrive,
                Ev::Tcp {
                    conn: c,
                    to_side: 1 - side,
                    flags,
                    seq,
                    event,
                },
            );
        }
        for (n, &at) in sendings.iter().enumerate().skip(1) {
            self.queue.push(
                at,
                Ev::Retransmit {
                    event,
                    attempt: n as u8,
                    arrive: (n + 1 == sendings.len() && !timed_out).then_some(arrive),
                },
            );
        }
        let lost = sendings.len() > 1 || timed_out;
        self.record(
            self.now,
            EventKind::Segment(Segment {
                conn: c as u32,
                from,
                to,
                flags: TcpFlags(flags),
                seq,
                ack,
                payload,
                arrive: if lost { self.now + delay } else { arrive },
                protocol,
                direction,
                explain,
                state_before: states.0,
                state_after: states.1,
                lost,
                attempt: 0,
                elided: 0,
            }),
        );
    }

    /// Whether an `unreachable` fault holds host `h` at `t`.
    fn unreachable(&self, h: usize, t: SimTime) -> bool {
        self.scenario.faults.iter().any(|f| {
            f.host == h && f.kind == crate::scenario::FaultKind::Unreachable && f.active(t)
        })
    }

    /// No SYN of connection `c` got an answer: the client gives up, as when refused.
    fn connect_timeout(&mut self, c: usize) {
        let conn = &mut self.conns[c];
        if conn.closed[0] {
            return;
        }
        conn.closed = [true, true];
        let host = conn.ends[0].host;
        self.note(
            host,
            format!(
                "no answer to {SYN_SENDINGS} SYNs: the connection timed out (the other host may be off or cut off)"
            ),
        );
        self.app_closed(c, 0, "connection timed out (no answer to SYN)");
    }

    /// The share of segments (per thousand) a `loss` fault takes between hosts `a` and `b` at
    /// `t`, if one holds.
    fn loss_rate(&self, a: usize, b: usize, t: SimTime) -> Option<u32> {
        self.scenario
            .faults
            .iter()
            .filter_map(|f| f.loss_between(a, b, t))
            .max()
    }

    /// Sends segment `event` again: its retransmission timer ran out before an acknowledgment
    /// came. The arrival of the sending that gets through was queued with the first sending.
    fn retransmit(&mut self, event: usize, attempt: u8, arrive: Option<SimTime>) {
        let Some(EventKind::Segment(first)) = self.trace.get(event).map(|e| &e.kind) else {
            return;
        };
        let mut s = first.clone();
        let lost = arrive.is_none();
        s.attempt = attempt;
        s.lost = lost;
        s.arrive = match arrive {
            Some(t) => t,
            None => self.now + self.delay(s.from.host, s.to.host),
        };
        s.explain = Explanation {
            note: if lost {
                "a retransmission: no acknowledgment came before the retransmission timer ran out, so the same bytes go again (and are lost again)"
            } else {
                "a retransmission: no acknowledgment came before the retransmission timer ran out (1 s, doubled after each loss), so the sender sends the same bytes again"
            },
            rfc: "RFC 6298 §5, RFC 9293 §3.8.1",
        };
        self.record(self.now, EventKind::Segment(s));
    }

    fn tcp_arrive(&mut self, c: usize, side: usize, flags: TcpFlags, seq: u32, payload: &[u8]) {
        if self.conns[c].closed[side] {
            return;
        }
        let consumed =
            payload.len() as u32 + u32::from(flags.has(TcpFlags::SYN) || flags.has(TcpFlags::FIN));
        self.conns[c].rcv_next[side] = seq.wrapping_add(consumed);
        if flags.has(TcpFlags::RST) {
            self.conns[c].closed = [true, true];
            if side == 0 {
                self.app_closed(c, 0, "connection refused (RST)");
            }
            return;
        }
        if flags.has(TcpFlags::SYN) && !flags.has(TcpFlags::ACK) {
            let port = self.conns[c].ends[1].port;
            let host = &self.hosts[self.conns[c].ends[1].host];
            let server = self.conns[c].ends[1].host;
            let listening = host
                .def
                .services
                .iter()
                .any(|s| s.port() == port && *s != Service::Dns);
            let down = self.is_down(server);
            if listening && !down {
                let isn: u32 = self.hosts[self.conns[c].ends[1].host].rng.random();
                self.conns[c].next_seq[1] = isn;
                let ex = Explanation {
                    note: "the server accepts: second step of the handshake (SYN, ACK)",
                    rfc: "RFC 9293 §3.5",
                };
                self.send_segment(
                    c,
                    1,
                    TcpFlags::SYN | TcpFlags::ACK,
                    Vec::new(),
                    ex,
                    ("LISTEN", "SYN-RECEIVED"),
                );
            } else {
                let ex = Explanation {
                    note: if down {
                        "connection refused: the server is down (a fault of the scenario), so it answers RST"
                    } else {
                        "connection refused: nothing listens on this port (RST)"
                    },
                    rfc: "RFC 9293 §3.5.2",
                };
                self.send_segment(
                    c,
                    1,
                    TcpFlags::RST | TcpFlags::ACK,
                    Vec::new(),
                    ex,
                    ("CLOSED", "CLOSED"),
                );
                self.conns[c].closed[1] = true;
            }
            return;
        }
        if flags.has(TcpFlags::SYN) {
            // In SMTP, POP3 and IMAP the server speaks first; in HTTP the client does.
            let client_first = self.conns[c].protocol == Protocol::Http;
            let ex = Explanation {
                note: if client_first {
                    "the connection is open: third step of the handshake; now the browser sends its request"
                } else {
                    "the connection is open: third step of the handshake; now the server speaks first"
                },
                rfc: "RFC 9293 §3.5",
            };
            self.send_segment(
                c,
                0,
                TcpFlags::ACK,
                Vec::new(),
                ex,
                ("SYN-SENT", "ESTABLISHED"),
            );
            if let ClientApp::External(x) = &mut self.conns[c].client {
                x.open = true;
            }
            // A client that speaks first (HTTP, or a real program that already sent bytes)
            // may send now; the others have nothing yet.
            let before = self.app_state(c, 0);
            self.pump(c, 0, before);
            return;
        }
        if side == 1 && matches!(self.conns[c].server, ServerApp::Pending) {
            self.start_server_app(c);
            let before = self.app_state(c, 1);
            self.pump(c, 1, before);
        }
        if !payload.is_empty() {
            let before = self.app_state(c, side);
            self.app_input(c, side, payload);
            self.pump(c, side, before);
        }
        if flags.has(TcpFlags::FIN) {
            self.conns[c].closed[side] = true;
            self.app_closed(c, side, "the other side closed the connection");
        }
    }

    /// Tells the app on `side` that the connection ended, then answers the FIN with our own.
    fn app_closed(&mut self, c: usize, side: usize, why: &str) {
        let before = self.app_state(c, side);
        match (side, &mut self.conns[c]) {
            (0, conn) => match &mut conn.client {
                ClientApp::Smtp { m, .. } => m.handle_closed(why),
                ClientApp::Pop3(m) => m.handle_closed(why),
                ClientApp::Imap(m) => m.handle_closed(why),
                ClientApp::Http(m) => m.handle_closed(why),
                ClientApp::External(_) => {}
            },
            (_, conn) => match &mut conn.server {
                ServerApp::Pop3(m) => m.handle_closed(),
                ServerApp::Imap(m) => m.handle_closed(),
                ServerApp::Http(m) => m.handle_closed(),
                _ => {}
            },
        }
        self.pump(c, side, before);
        let conn = &self.conns[c];
        if !conn.fin_sent[side] && !conn.closed[1 - side] {
            self.send_fin(
                c,
                side,
                "this side closes too: the connection is over",
                (before, "CLOSED"),
            );
        }
    }

    /// Sends what the app on `side` has to send and handles its events, until it is quiet.
    pub(crate) fn pump(&mut self, c: usize, side: usize, mut before: &'static str) {
        loop {
            let events = self.take_events(c, side);
            let had_events = !events.is_empty();
            for e in events {
                self.on_app_event(c, e);
            }
            let out = self.app_transmit(c, side);
            let after = self.app_state(c, side);
            match out {
                Some(bytes) => {
                    let ex = self.explain_out(c, side, &bytes);
                    if bytes.len() <= MSS {
                        self.send_segment(
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
                            self.send_segment(
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
        let conn = &self.conns[c];
        if self.app_wants_close(c, side) && !conn.fin_sent[side] && !conn.closed[side] {
            self.send_fin(
                c,
                side,
                "nothing more to send: this side closes the connection (FIN)",
                (before, "FIN-WAIT"),
            );
        }
    }

    fn send_fin(
        &mut self,
        c: usize,
        side: usize,
        note: &'static str,
        states: (&'static str, &'static str),
    ) {
        let ex = Explanation {
            note,
            rfc: "RFC 9293 §3.6",
        };
        self.send_segment(
            c,
            side,
            TcpFlags::FIN | TcpFlags::ACK,
            Vec::new(),
            ex,
            states,
        );
    }

    fn explain_out(&mut self, c: usize, side: usize, bytes: &[u8]) -> Explanation {
        let conn = &mut self.conns[c];
        match (conn.protocol, side) {
            (Protocol::Smtp, 0) => {
                let data = match &conn.client {
                    ClientApp::Smtp { m, .. } => m.is_sending_data(),
                    // A real program: the message follows DATA (after 354) and may take several
                    // segments, until a command comes again.
                    ClientApp::External(_) => {
                        conn.last_client_verb == "DATA"
                            || (conn.last_client_verb == "DATA-END"
                                && crate::protocols::known_verb(bytes).is_empty())
                    }
                    _ => false,
                };
                conn.last_client_verb = if data {
                    "DATA-END"
                } else {
                    crate::protocols::known_verb(bytes)
                };
                smtp::explain::client_bytes(bytes, data)
            }
            (Protocol::Smtp, _) => smtp::explain::server_bytes(bytes, conn.last_client_verb),
            (Protocol::Pop3, 0) => {
                conn.last_client_verb = crate::protocols::known_verb(bytes);
                pop3::explain::client_bytes(bytes)
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
            _ => Explanation {
                note: "data",
                rfc: "RFC 9293",
            },
        }
    }

    /// Sends a UDP datagram from `from` to `ip:port`; `attempt` counts a resolver's
    /// retransmissions of a query. On a lossy link it may be lost: UDP does not retransmit.
    pub(crate) fn send_udp(
        &mut self,
        from: Endpoint,
        ip: Ipv4Addr,
        port: u16,
        payload: Vec<u8>,
        attempt: u8,
    ) {
        let Some(&to_host) = self.by_ip.get(&ip) else {
            self.note(
                from.host,
                format!("no host has the address {ip}: the datagram is lost"),
            );
            return;
        };
        let to = Endpoint {
            host: to_host,
            port,
        };
        let lost = self.unreachable(to_host, self.now)
            || self
                .loss_rate(from.host, to_host, self.now)
                .is_some_and(|per_mille| {
                    self.hosts[from.host].rng.random_range(0..1000) < per_mille
                });
        let arrive = self.now + self.delay(from.host, to_host);
        let direction = if port == 53 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let explain = if attempt > 0 {
            Explanation {
                note: "the same query again: no answer came in time, and UDP does not retransmit, so the resolver does",
                rfc: "RFC 1035 §4.2.1",
            }
        } else {
            dns::explain(&payload)
        };
        if !lost {
            self.queue.push(
                arrive,
                Ev::Udp {
                    from,
                    to,
                    event: self.trace.next_id(),
                },
            );
        }
        self.record(
            self.now,
            EventKind::Datagram(Datagram {
                from,
                to,
                payload,
                arrive,
                protocol: Protocol::Dns,
                direction,
                explain,
                lost,
                attempt,
            }),
        );
    }

    fn udp_arrive(&mut self, from: Endpoint, to: Endpoint, payload: &[u8]) {
        if to.port == 53 && self.hosts[to.host].def.has(Service::Dns) {
            if let Some(answer) = dns::answer(&self.scenario.zone, payload) {
                let ip = self.hosts[from.host].def.ip;
                self.send_udp(to, ip, from.port, answer, 0);
            }
        } else {
            self.on_dns_response(to, payload);
        }
    }

    fn payload_slot(&mut self, event: usize) -> Option<&mut Vec<u8>> {
        match &mut self.trace.get_mut(event)?.kind {
            EventKind::Segment(s) => Some(&mut s.payload),
            EventKind::Datagram(d) => Some(&mut d.payload),
            _ => None,
        }
    }

    fn take_payload(&mut self, event: usize) -> Vec<u8> {
        self.payload_slot(event)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn put_payload(&mut self, event: usize, payload: Vec<u8>) {
        let payload = self.keep_payload(event, payload);
        if let Some(slot) = self.payload_slot(event) {
            *slot = payload;
        }
    }
}
