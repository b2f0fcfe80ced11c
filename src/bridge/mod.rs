//! `mailsim serve`: the simulated servers on real TCP ports, so that a real mail program, curl or
//! a browser can talk to them. A real connection becomes a connection into the simulated host
//! from an extra host, "the real world"; its bytes go through the same server machines, and the
//! simulated world reacts (A's server relays to B's over the simulated network, and so on).
//!
//! While serving, simulated time follows the wall clock. The bridge is one thread with
//! non-blocking std sockets polled every few milliseconds: a classroom's handful of connections
//! needs no async runtime, and one thread keeps the simulation's order of events simple.
//!
//! Nothing one real program does may stall the others, as trusted servers see to it:
//! - every connection has its own output buffer; the socket takes what it can and the rest
//!   waits. A program that does not read its replies is no longer read from once its replies
//!   pile up (so it stalls only itself), and is dropped when its socket takes nothing for a while;
//! - each poll reads at most [`READ_CHUNK`] bytes from each connection, so a flood from one
//!   program cannot starve the rest;
//! - the timer that closes idle connections runs per command, not per byte: it restarts only when
//!   the server says something (or the program reads it), so one byte a second keeps nothing
//!   open (slowloris); and a line begun must end within [`LINE_LIMIT`];
//! - one address may hold at most [`Options::max_per_address`] connections on a port (but this
//!   computer's own programs, on loopback);
//! - the log goes through a bounded queue to a writer thread ([`log`]), and the live trace keeps
//!   a bounded amount of payload and events ([`crate::engine::trace::Budget`]).

#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "the bridge follows the wall clock and hands real users secrets from the OS"
)]

pub mod class;
mod log;
mod ports;

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub use log::Log;
pub use ports::{Port, plan, service_name, table};

use crate::Sim;
use crate::engine::ids::{ConnId, EventId, HostId};
use crate::engine::time::SimTime;
use crate::report;
use crate::scenario::{HostDef, Scenario, Service};

/// Bytes read from one connection in one poll at most.
pub const READ_CHUNK: usize = 16 * 1024;
/// Replies waiting for a program past this many bytes: stop reading its commands until it reads.
pub const PAUSE_READING_AT: usize = 256 * 1024;
/// A program whose socket takes none of its waiting replies this long is dropped (at most; a
/// shorter idle time set in the options counts instead).
pub const WRITE_STALL: Duration = Duration::from_secs(60);
/// A line begun must end (or the server answer) within this long (at most; a shorter idle time
/// counts instead): a person typing a command by hand needs far less, a slowloris more.
pub const LINE_LIMIT: Duration = Duration::from_secs(60);

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    /// Added to each well-known port (25 → 2025 with 2000).
    pub port_base: u16,
    /// The address to listen on.
    pub bind: IpAddr,
    /// Stop after this long (for tests); `None` runs until Ctrl-C.
    pub run_for: Option<Duration>,
    /// Open connections per server port at most; more get the protocol's "too busy" reply.
    pub max_connections: usize,
    /// Open connections per server port from one address at most (0: no limit). Loopback
    /// connections do not count: on this computer, every program is the same person's.
    pub max_per_address: usize,
    /// Close a connection that sends no complete command this long (the server has said nothing
    /// since); `None`: each protocol's usual time (SMTP 5 min, RFC 5321 §4.5.3.2.7; POP3 10 min,
    /// RFC 1939 §3; IMAP 30 min, RFC 3501 §5.4; HTTP 1 min).
    pub idle_timeout: Option<Duration>,
    /// A line begun must end (or the server answer) within this long, or the idle time if less.
    pub line_limit: Duration,
    /// Classroom mode: accounts for this many students (0: none), see [`class`].
    pub class: usize,
    /// Where to write the printable class sheet (default `class-sheet.html`).
    pub sheet: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port_base: 2000,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            run_for: None,
            max_connections: 20,
            max_per_address: 8,
            idle_timeout: None,
            line_limit: LINE_LIMIT,
            class: 0,
            sheet: None,
        }
    }
}

/// What a server says when it turns a real connection away or hangs up on an idle one.
fn goodbye(service: Service, busy: bool) -> &'static [u8] {
    match (service, busy) {
        (Service::Smtp | Service::Submission, true) => {
            b"421 4.7.0 Too many connections, try again later\r\n"
        }
        (Service::Smtp | Service::Submission, false) => {
            b"421 4.4.2 Idle too long, closing connection\r\n"
        }
        (Service::Pop3, true) => b"-ERR [SYS/TEMP] Too many connections, try again later\r\n",
        (Service::Pop3, false) => b"-ERR Idle too long, closing connection\r\n",
        (Service::Imap, true) => b"* BYE Too many connections, try again later\r\n",
        (Service::Imap, false) => b"* BYE Autologout; idle for too long\r\n",
        (Service::Http, true) => {
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        }
        (Service::Http, false) => {
            b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        }
        _ => b"",
    }
}

/// What an SMTP server says to a program that talks before its greeting (RFC 5321 §4.3.1: the
/// client waits for the 220). Spam software does this to save time; Postfix answers it so too.
const EARLY_TALKER: &[u8] =
    b"554 5.5.1 Protocol error: you talked before the greeting (wait for 220, RFC 5321 4.3.1)\r\n";

fn idle_limit(service: Service, opt: Option<Duration>) -> Duration {
    opt.unwrap_or(match service {
        Service::Smtp | Service::Submission => Duration::from_secs(300),
        Service::Pop3 => Duration::from_secs(600),
        Service::Imap => Duration::from_secs(1800),
        _ => Duration::from_secs(60),
    })
}

struct Client {
    stream: TcpStream,
    conn: ConnId,
    peer: SocketAddr,
    closed_by_real: bool,
    /// Which listener it came through.
    port: usize,
    /// Replies the program has not taken yet: `out[sent..]`.
    out: Vec<u8>,
    sent: usize,
    /// When the server last said something or the program last took some of it; the idle timer
    /// runs from here (a command's bytes alone do not restart it).
    last_progress: Instant,
    /// When the socket last took bytes (or had none waiting).
    last_write: Instant,
    /// Whether any bytes have gone to the program (the greeting, for SMTP).
    greeted: bool,
    /// Since when the program's last bytes have been a line without its end (and the server
    /// has said nothing since).
    partial_since: Option<Instant>,
}

impl Client {
    fn waiting(&self) -> usize {
        self.out.len() - self.sent
    }

    /// Writes what the socket takes now, without waiting. Err: the program is gone.
    fn flush(&mut self, now: Instant) -> io::Result<()> {
        while self.sent < self.out.len() {
            match self.stream.write(&self.out[self.sent..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.sent += n;
                    self.greeted = true;
                    self.last_write = now;
                    self.last_progress = now;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
            self.last_write = now;
        } else if self.sent > 64 * 1024 && self.sent * 2 > self.out.len() {
            self.out.drain(..self.sent);
            self.sent = 0;
        }
        Ok(())
    }
}

/// The host that stands for real programs: outside the scenario, at the loopback address.
pub fn outside_host() -> HostDef {
    HostDef::outside(
        "real-client",
        "a real program on this computer",
        Ipv4Addr::LOCALHOST,
    )
}

/// Computers of the room that get a host of their own in the diagram, at most; more share the
/// last one.
pub const MAX_COMPUTERS: usize = 250;

/// The host for another machine's programs (a student's computer in a classroom): one per
/// address, so the diagram shows whose programs are talking.
pub fn computer_host(ip: IpAddr) -> HostDef {
    let v4 = match ip {
        IpAddr::V4(a) => a,
        IpAddr::V6(a) => a.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED),
    };
    HostDef {
        name: format!("pc-{}.room", ip.to_string().replace(['.', ':'], "-")),
        // Short: a band of thirty computers leaves each little room for its label, and the last
        // number of the address is what tells the room's computers apart (the name has it all).
        label: match ip {
            IpAddr::V4(a) => format!("PC .{}", a.octets()[3]),
            IpAddr::V6(_) => format!("PC {ip}"),
        },
        ip: v4,
        ..outside_host()
    }
}

/// A simulation with real ports: call [`Bridge::poll`] often (every few milliseconds).
pub struct Bridge {
    sim: Sim,
    /// The host for this computer's own programs (loopback).
    outside: HostId,
    /// The hosts for other machines' programs, by address.
    computers: std::collections::BTreeMap<IpAddr, HostId>,
    /// Every host added for real programs, in the order the simulation has them.
    outside_defs: Vec<HostDef>,
    listeners: Vec<(TcpListener, Port)>,
    clients: Vec<Client>,
    opts: Options,
    started: Instant,
    buf: Vec<u8>,
    /// Lines for the log (turned-away, dropped and idle connections).
    pub notes: Vec<String>,
    /// Classroom mode's students, with their accounts.
    pub students: Vec<class::Student>,
}

impl Bridge {
    /// Binds every port of the plan and builds the world; the clock starts now.
    pub fn new(s: &Scenario, seed: Option<u64>, opts: &Options) -> io::Result<(Bridge, Vec<Port>)> {
        let ports =
            plan(s, opts.port_base).map_err(|e| io::Error::new(ErrorKind::InvalidInput, e))?;
        let mut enrolled;
        let mut students = Vec::new();
        let s = if opts.class > 0 {
            enrolled = s.clone();
            students = class::enrol(&mut enrolled, opts.class, &mut os_random)
                .map_err(|e| io::Error::new(ErrorKind::InvalidInput, e))?;
            &enrolled
        } else {
            s
        };
        let mut listeners = Vec::new();
        for p in &ports {
            let addr = SocketAddr::new(opts.bind, p.real);
            let l = TcpListener::bind(addr)
                .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
            l.set_nonblocking(true)?;
            listeners.push((l, p.clone()));
        }
        let mut sim = Sim::new(s, seed);
        // Real programs must log in to send (RFC 6409): no open relay on this computer.
        sim.require_submission_auth();
        // Secrets handed to real people come from the OS, not the seed: every run (and anyone
        // who knows the scenario) would otherwise see the same session ids.
        os_random(&mut [0u8; 16])?;
        sim.set_secret_source(Box::new(|b: &mut [u8]| {
            // Checked above; should the OS ever fail later, the process's own random keys.
            if os_random(b).is_err() {
                fallback_random(b);
            }
        }));
        // A long serve keeps a bounded trace: old events and long payloads are summarised.
        sim.set_trace_budget(crate::engine::trace::Budget::LIVE);
        let outside = sim.add_outside_host(outside_host());
        Ok((
            Bridge {
                sim,
                outside,
                computers: std::collections::BTreeMap::new(),
                outside_defs: vec![outside_host()],
                listeners,
                clients: Vec::new(),
                opts: opts.clone(),
                started: Instant::now(),
                buf: vec![0u8; READ_CHUNK],
                notes: Vec::new(),
                students,
            },
            ports,
        ))
    }

    /// The simulation as it is now.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// How long it has been serving.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The hosts added for real programs (`real-client` first, then one per other machine), in
    /// the order the simulation (and its trace) has them after the scenario's own.
    pub fn outside_hosts(&self) -> &[HostDef] {
        &self.outside_defs
    }

    /// The simulated host that stands for programs at `ip`.
    fn host_for(&mut self, ip: IpAddr) -> HostId {
        if ip.is_loopback() {
            return self.outside;
        }
        if let Some(&h) = self.computers.get(&ip) {
            return h;
        }
        if self.computers.len() >= MAX_COMPUTERS {
            return self
                .computers
                .values()
                .copied()
                .max()
                .unwrap_or(self.outside);
        }
        let def = computer_host(ip);
        let h = self.sim.add_outside_host(def.clone());
        self.outside_defs.push(def);
        self.computers.insert(ip, h);
        h
    }

    /// Real connections open now.
    pub fn open_connections(&self) -> usize {
        self.clients.len()
    }

    /// The real connections open now, as (simulated host of the program, server host): one
    /// entry per connection.
    pub fn open_pairs(&self) -> Vec<(HostId, HostId)> {
        let host = |c: &Client| match c.peer.ip() {
            ip if ip.is_loopback() => self.outside,
            // Past MAX_COMPUTERS, the last one stands for the rest (as in `host_for`).
            ip => self
                .computers
                .get(&ip)
                .or_else(|| self.computers.values().max())
                .copied()
                .unwrap_or(self.outside),
        };
        self.clients
            .iter()
            .filter(|c| !c.closed_by_real)
            .map(|c| (host(c), self.listeners[c.port].1.host))
            .collect()
    }

    /// Accepts, reads and writes what is waiting and runs the simulation up to now; never waits
    /// on a socket. Returns whether the trace grew.
    pub fn poll(&mut self) -> io::Result<bool> {
        let before = self.sim.trace().next_id();
        let wall = Instant::now();
        let now = SimTime(self.started.elapsed().as_micros() as u64);
        self.accept(now, wall)?;
        let Bridge {
            sim,
            listeners,
            clients,
            opts,
            buf,
            notes,
            ..
        } = self;
        for c in clients.iter_mut() {
            if c.closed_by_real || c.waiting() >= PAUSE_READING_AT {
                // A program that does not read its replies is not read from either.
                continue;
            }
            let service = listeners[c.port].1.service;
            match c.stream.read(buf) {
                Ok(0) => {
                    c.closed_by_real = true;
                    sim.run_until(now);
                    sim.external_close(c.conn);
                }
                Ok(n) => {
                    if !c.greeted && matches!(service, Service::Smtp | Service::Submission) {
                        // Not passed on: the simulated server never sees an early talker.
                        c.out.extend_from_slice(EARLY_TALKER);
                        let _ = c.flush(wall);
                        let _ = c.stream.shutdown(std::net::Shutdown::Both);
                        c.closed_by_real = true;
                        sim.run_until(now);
                        sim.external_close(c.conn);
                        notes.push(format!(
                            "bridge: {} from {} talked before the greeting: 554, closed",
                            service_name(service),
                            c.peer
                        ));
                        continue;
                    }
                    let bytes = &buf[..n];
                    if bytes.ends_with(b"\n") {
                        c.partial_since = None;
                    } else if c.partial_since.is_none() || bytes.contains(&b'\n') {
                        c.partial_since = Some(wall);
                    }
                    sim.run_until(now);
                    sim.external_send(c.conn, bytes);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    c.closed_by_real = true;
                    sim.run_until(now);
                    sim.external_close(c.conn);
                }
            }
        }
        sim.run_until(now);
        clients.retain_mut(|c| {
            let service = listeners[c.port].1.service;
            let (bytes, over) = sim.external_take(c.conn);
            if !bytes.is_empty() {
                c.out.extend_from_slice(&bytes);
                c.last_progress = wall;
                // The server answered: whatever came before was complete enough.
                c.partial_since = None;
            }
            if c.flush(wall).is_err() {
                sim.external_close(c.conn);
                return false;
            }
            let idle = idle_limit(service, opts.idle_timeout);
            if c.waiting() > 0 && wall.duration_since(c.last_write) > idle.min(WRITE_STALL) {
                notes.push(format!(
                    "bridge: dropped {} from {}: it stopped reading its replies ({} bytes waiting)",
                    service_name(service),
                    c.peer,
                    c.waiting()
                ));
                let _ = c.stream.shutdown(std::net::Shutdown::Both);
                if !c.closed_by_real {
                    sim.external_close(c.conn);
                }
                return false;
            }
            let line_limit = idle.min(opts.line_limit);
            let line_late = c
                .partial_since
                .is_some_and(|t| wall.duration_since(t) > line_limit);
            if !c.closed_by_real && (line_late || wall.duration_since(c.last_progress) > idle) {
                // A whole command (or DATA, or literal, or request) did not come in time.
                c.out.extend_from_slice(goodbye(service, false));
                let _ = c.flush(wall);
                let _ = c.stream.shutdown(std::net::Shutdown::Both);
                sim.external_close(c.conn);
                notes.push(format!(
                    "bridge: closed {} from {}: {} for {:.0} s",
                    service_name(service),
                    c.peer,
                    if line_late {
                        "a line begun and not ended"
                    } else {
                        "no complete command"
                    },
                    if line_late { line_limit } else { idle }.as_secs_f64()
                ));
                return false;
            }
            if c.waiting() == 0
                && (over || (c.closed_by_real && bytes.is_empty() && sim.connection_over(c.conn)))
            {
                let _ = c.stream.shutdown(std::net::Shutdown::Both);
                return false;
            }
            true
        });
        Ok(self.sim.trace().next_id() > before)
    }

    /// Takes every waiting connection, turning away what is over the limits.
    fn accept(&mut self, now: SimTime, wall: Instant) -> io::Result<()> {
        for k in 0..self.listeners.len() {
            let p = self.listeners[k].1.clone();
            // Every waiting connection (the listener is non-blocking: an error means none).
            while let Ok((mut stream, peer)) = self.listeners[k].0.accept() {
                let on_port = self.clients.iter().filter(|c| c.port == k);
                let from_peer = on_port.clone().filter(|c| c.peer.ip() == peer.ip()).count();
                let full = on_port.count() >= self.opts.max_connections;
                let greedy = self.opts.max_per_address > 0
                    && !peer.ip().is_loopback()
                    && from_peer >= self.opts.max_per_address;
                if full || greedy {
                    // Turned away before it reaches the simulated server. The socket is new and
                    // empty: a short reply fits whether or not the program reads.
                    let _ = stream.set_nonblocking(true);
                    let _ = stream.write(goodbye(p.service, true));
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                    self.notes.push(if full {
                        format!(
                            "bridge: {} on port {} turned {peer} away: {} connections already open",
                            service_name(p.service),
                            p.real,
                            self.opts.max_connections
                        )
                    } else {
                        format!(
                            "bridge: {} on port {} turned {peer} away: {} connections from that address already open",
                            service_name(p.service),
                            p.real,
                            self.opts.max_per_address
                        )
                    });
                    continue;
                }
                if stream.set_nonblocking(true).is_err() {
                    // Gone already (reset): one program's trouble never stops the bridge.
                    continue;
                }
                let _ = stream.set_nodelay(true);
                self.sim.run_until(now);
                let from = self.host_for(peer.ip());
                if let Some(conn) = self.sim.connect_external(from, p.host, p.service.port()) {
                    self.clients.push(Client {
                        stream,
                        conn,
                        peer,
                        closed_by_real: false,
                        port: k,
                        out: Vec::new(),
                        sent: 0,
                        last_progress: wall,
                        last_write: wall,
                        greeted: false,
                        partial_since: None,
                    });
                }
            }
        }
        Ok(())
    }
}

/// What serving says first: where each service is, the scenario's accounts, the class sheet
/// (and the printable one written), and for a room's network which ports to open.
pub fn welcome(
    s: &Scenario,
    ports: &[Port],
    opts: &Options,
    students: &[class::Student],
) -> io::Result<String> {
    let mut out = table(s, ports, opts.bind);
    if !students.is_empty() {
        let addr = class::reachable_address(opts.bind);
        out.push_str(&class::sheet_text(s, ports, addr, students));
        let path = opts
            .sheet
            .clone()
            .unwrap_or_else(|| "class-sheet.html".into());
        std::fs::write(&path, class::sheet_html(s, ports, addr, students)).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
        })?;
        out.push_str(&format!(
            "the class sheet to print and cut into slips: {}\n",
            path.display()
        ));
    }
    if !opts.bind.is_loopback() {
        out.push_str(&format!(
            "mailsim: warning: listening on {}: other machines on the network can reach these \
             servers; a firewall on this computer must let in TCP ports {}\n",
            opts.bind,
            class::ports_to_open(ports)
        ));
    }
    Ok(out)
}

/// Fills `b` from the operating system's random source.
pub fn os_random(b: &mut [u8]) -> io::Result<()> {
    getrandom::fill(b).map_err(|e| io::Error::other(format!("no random source: {e}")))
}

/// Random bytes from std's per-process hash keys (themselves from the OS), mixed with a counter.
fn fallback_random(b: &mut [u8]) {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let keys = std::collections::hash_map::RandomState::new();
    for chunk in b.chunks_mut(8) {
        let mut h = keys.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

/// Serves until Ctrl-C (or `run_for`), logging every event as `mailsim run` prints it. The log
/// goes to `out` from a thread of its own: a slow or stuck reader loses lines, never the bridge.
pub fn serve(
    s: &Scenario,
    seed: Option<u64>,
    opts: &Options,
    out: Box<dyn Write + Send>,
) -> io::Result<()> {
    let (mut bridge, ports) = Bridge::new(s, seed, opts)?;
    let mut log = Log::spawn(out);
    let mut head = format!("mailsim serve — {} ({} ports)\n", s.title, ports.len());
    head.push_str(&welcome(s, &ports, opts, &bridge.students)?);
    head.push_str("Ctrl-C stops. Every segment follows, as in `mailsim run`.\n");
    log.line(head.into_bytes());
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second handler cannot be installed in the same process (tests): then only
        // `run_for` ends the loop.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let mut printed = EventId(0);
    let mut idle_rounds = 0u32;
    while !stop.load(Ordering::SeqCst) && opts.run_for.is_none_or(|d| bridge.elapsed() < d) {
        let busy = bridge.poll()?;
        let trace = bridge.sim().trace();
        if printed < trace.first_id() {
            let forgotten = trace.first_id().0 - printed.0;
            log.line(
                format!("mailsim serve: {forgotten} events forgotten before they were logged\n")
                    .into_bytes(),
            );
            printed = trace.first_id();
        }
        for ev in trace.since(printed) {
            let mut line = Vec::new();
            report::write_event(&mut line, trace, ev, false)?;
            log.line(line);
        }
        printed = trace.next_id();
        for n in bridge.notes.drain(..) {
            log.line(format!("{n}\n").into_bytes());
        }
        // While bytes flow, go round again at once; just after, only yield (a client's next
        // command is usually microseconds away); when all has been quiet a while, rest 1 ms.
        if busy {
            idle_rounds = 0;
        } else {
            idle_rounds += 1;
            if idle_rounds < 200 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
    log.line(
        format!(
            "mailsim serve: stopped after {:.1} s\n",
            bridge.elapsed().as_secs_f64()
        )
        .into_bytes(),
    );
    log.finish(Duration::from_secs(2));
    Ok(())
}
