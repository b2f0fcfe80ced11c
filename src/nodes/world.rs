//! The world: the hosts, the network between them, the event queue and the trace.
//!
//! [`Sim::step`] pops the earliest event and hands it on: a scenario step to the host it names, a
//! segment or datagram to the network ([`crate::net`]), which hands what arrives up to the host's
//! protocol machines (see `apps.rs`); their answers go back down. Everything that happens is
//! appended to the trace.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use rand::Rng;

use super::apps::ConnApps;
use super::host::HostState;
use crate::engine::ids::{ConnId, EventId, HostId};
use crate::engine::queue::EventQueue;
use crate::engine::time::SimTime;
use crate::engine::trace::{EventKind, HostInfo, TcpFlags, Trace};
use crate::net::{self, Net, NetEv};
use crate::protocols::dns;
use crate::scenario::Scenario;

/// What waits in the event queue.
pub(crate) enum Ev {
    /// A timed scenario step begins (they wait in order in `Sim::timed`, not in the queue).
    Step(usize),
    /// A segment or datagram arrives, a retransmission timer or a SYN's patience runs out.
    Net(NetEv),
    /// A resolver's wait for the answer to DNS query `id` runs out.
    DnsTimeout {
        host: HostId,
        port: u16,
        id: u16,
        attempt: u8,
    },
    /// A mail server tries a queued mail again.
    Retry { host: HostId, id: String },
}

/// A whole simulated world.
pub struct Sim {
    pub(crate) scenario: std::sync::Arc<Scenario>,
    pub(crate) seed: u64,
    pub(crate) now: SimTime,
    pub(crate) queue: EventQueue<Ev>,
    pub(crate) hosts: Vec<HostState>,
    /// The network: connections, links, addresses, faults.
    pub(crate) net: Net,
    /// What runs on each connection of `net`, by the same id.
    pub(crate) apps: Vec<ConnApps>,
    pub(crate) trace: Trace,
    pub(crate) dns_pending: BTreeMap<(HostId, u16, u16), super::Lookup>,
    /// DNS messages built and read once for the run's zone (see [`dns::Memo`]).
    pub(crate) dns_memo: dns::Memo,
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
    /// Room for a connection's machine events while they are handled (see `Sim::pump`).
    pub(crate) app_events: Vec<super::apps::AppEvent>,
    /// Work a webmail server does for a browser's request, by the connection doing it.
    pub(crate) web_jobs: BTreeMap<ConnId, super::WebJob>,
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
        let queue = EventQueue::default();
        Sim {
            scenario: std::sync::Arc::new(scenario.clone()),
            seed,
            now: SimTime::ZERO,
            queue,
            hosts,
            net: Net::new(scenario),
            apps: Vec::new(),
            trace,
            dns_pending: BTreeMap::new(),
            dns_memo: Default::default(),
            next_step: 0,
            timed: (0..scenario.steps.len())
                .filter(|&i| scenario.steps[i].on.is_none())
                .collect(),
            waiting: (0..scenario.steps.len())
                .filter(|&i| scenario.steps[i].on.is_some())
                .collect(),
            steps_begun: 0,
            app_events: Vec::new(),
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
    pub fn step(&mut self) -> Option<Range<EventId>> {
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
            Ev::Net(NetEv::Tcp {
                conn,
                to_side,
                flags,
                seq,
                event,
            }) => {
                // Borrow the payload out of the trace while the receiver handles it.
                let payload = self.take_payload(event);
                net::tcp::arrive(self, conn, to_side, TcpFlags(flags), seq, &payload);
                self.put_payload(event, payload);
            }
            Ev::Net(NetEv::Udp { from, to, event }) => {
                let payload = self.take_payload(event);
                self.datagram_arrived(from, to, &payload);
                self.put_payload(event, payload);
            }
            Ev::Net(NetEv::ConnectTimeout { conn }) => net::tcp::connect_timeout(self, conn),
            Ev::Net(NetEv::Retransmit {
                event,
                attempt,
                arrive,
            }) => net::tcp::retransmit(self, event, attempt, arrive),
            Ev::Retry { host, id } => self.mta_retry(host, &id),
            Ev::DnsTimeout {
                host,
                port,
                id,
                attempt,
            } => self.dns_timeout(host, port, id, attempt),
        }
        if !self.waiting.is_empty() {
            self.begin_waiting_steps(first);
        }
        let range = first..self.trace.next_id();
        // Only a long live run has a budget (a call per event costs a scripted run 0.5%).
        if self.keep.is_some() {
            self.keep_within_budget(false);
        }
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
    #[inline]
    pub(crate) fn record(&mut self, time: SimTime, kind: EventKind) -> EventId {
        let id = self.trace.push(time, kind);
        if !self.waiting.is_empty() {
            self.begin_narration(id);
        }
        id
    }

    /// Begins every narrate step that waits for event `id`.
    fn begin_narration(&mut self, id: EventId) {
        while let Some(k) = self.waiting_for(id, true) {
            let i = self.waiting.remove(k);
            self.fire_step(i);
        }
    }

    /// Which waiting step (its place in `waiting`) event `id` begins: narrate steps only, or
    /// only those that do something.
    fn waiting_for(&self, id: EventId, narrate: bool) -> Option<usize> {
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
    fn begin_waiting_steps(&mut self, first: EventId) {
        let mut id = first;
        while id < self.trace.next_id() && !self.waiting.is_empty() {
            if let Some(k) = self.waiting_for(id, false) {
                let i = self.waiting.remove(k);
                self.fire_step(i);
                // The same event may start another waiting step.
                continue;
            }
            id = id.plus(1);
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
            if let Some(cfg) = &mut h.mta.submission_cfg {
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
    pub(crate) fn secret(&mut self, h: HostId) -> String {
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
    pub fn run_until(&mut self, t: SimTime) -> Range<EventId> {
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

    pub(crate) fn note(&mut self, host: HostId, text: String) {
        self.record(self.now, EventKind::Note { host, text });
    }

    fn payload_slot(&mut self, event: EventId) -> Option<&mut Vec<u8>> {
        match &mut self.trace.get_mut(event)?.kind {
            EventKind::Segment(s) => Some(&mut s.payload),
            EventKind::Datagram(d) => Some(&mut d.payload),
            _ => None,
        }
    }

    fn take_payload(&mut self, event: EventId) -> Vec<u8> {
        self.payload_slot(event)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    #[inline]
    fn put_payload(&mut self, event: EventId, payload: Vec<u8>) {
        let payload = self.keep_payload(event, payload);
        if let Some(slot) = self.payload_slot(event) {
            *slot = payload;
        }
    }
}
