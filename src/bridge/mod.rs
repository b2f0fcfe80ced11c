//! `mailsim serve`: the simulated servers on real TCP ports, so that a real mail program, curl or
//! a browser can talk to them. A real connection becomes a connection into the simulated host
//! from an extra host, "the real world"; its bytes go through the same server machines, and the
//! simulated world reacts (A's server relays to B's over the simulated network, and so on).
//!
//! While serving, simulated time follows the wall clock. The bridge is one thread with
//! non-blocking std sockets polled every few milliseconds: a classroom's handful of connections
//! needs no async runtime, and one thread keeps the simulation's order of events simple.

use std::collections::BTreeMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::Sim;
use crate::engine::time::SimTime;
use crate::report;
use crate::scenario::{HostDef, HostKind, Scenario, Service};

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
    /// Close a connection silent this long; `None`: each protocol's usual time (SMTP 5 min,
    /// RFC 5321 §4.5.3.2.7; POP3 10 min, RFC 1939 §3; IMAP 30 min, RFC 3501 §5.4; HTTP 1 min).
    pub idle_timeout: Option<Duration>,
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
        _ => b"",
    }
}

fn idle_limit(service: Service, opt: Option<Duration>) -> Duration {
    opt.unwrap_or(match service {
        Service::Smtp | Service::Submission => Duration::from_secs(300),
        Service::Pop3 => Duration::from_secs(600),
        Service::Imap => Duration::from_secs(1800),
        _ => Duration::from_secs(60),
    })
}

/// One listening port: which simulated host and service it leads to.
#[derive(Debug, Clone)]
pub struct Port {
    /// The simulated host.
    pub host: usize,
    /// The service.
    pub service: Service,
    /// The real port.
    pub real: u16,
}

/// The real ports for a scenario: each service at `base + well-known port`; a second host with
/// the same service gets 10000 more, and so on.
pub fn plan(s: &Scenario, base: u16) -> Vec<Port> {
    let mut seen: BTreeMap<Service, u32> = BTreeMap::new();
    let mut ports = Vec::new();
    for (i, h) in s.hosts.iter().enumerate() {
        for &svc in &h.services {
            if svc == Service::Dns {
                continue;
            }
            let k = seen.entry(svc).or_insert(0);
            let real = u32::from(base) + u32::from(svc.port()) + 10_000 * *k;
            *k += 1;
            if let Ok(real) = u16::try_from(real) {
                ports.push(Port {
                    host: i,
                    service: svc,
                    real,
                });
            }
        }
    }
    ports
}

fn service_name(s: Service) -> &'static str {
    match s {
        Service::Smtp => "SMTP (from servers)",
        Service::Submission => "SMTP submission",
        Service::Pop3 => "POP3",
        Service::Imap => "IMAP",
        Service::Http => "webmail (HTTP)",
        Service::Dns => "DNS",
    }
}

/// The table `serve` prints: where each service is, and the accounts.
pub fn table(s: &Scenario, ports: &[Port], bind: IpAddr) -> String {
    let mut out = String::new();
    for p in ports {
        let h = &s.hosts[p.host];
        let addr = if p.service == Service::Http {
            format!("http://{bind}:{}/", p.real)
        } else {
            format!("{bind}:{}", p.real)
        };
        out.push_str(&format!(
            "  {:<22} {:<20} {addr}\n",
            h.name,
            service_name(p.service)
        ));
    }
    let accounts: Vec<String> = s
        .hosts
        .iter()
        .filter_map(|h| Some((h, h.domain.as_ref()?)))
        .flat_map(|(h, d)| {
            h.accounts.iter().map(move |a| {
                format!(
                    "  {}@{d}  password {}  (log in as {})",
                    a.user, a.password, a.user
                )
            })
        })
        .collect();
    if !accounts.is_empty() {
        out.push_str("accounts:\n");
        for a in accounts {
            out.push_str(&a);
            out.push('\n');
        }
    }
    out
}

struct Client {
    stream: TcpStream,
    conn: usize,
    closed_by_real: bool,
    /// Which listener it came through.
    port: usize,
    last_active: Instant,
}

/// The host that stands for real programs: outside the scenario, at the loopback address.
pub fn outside_host() -> HostDef {
    HostDef {
        name: "real-client".into(),
        label: "a real program on this computer".into(),
        ip: Ipv4Addr::LOCALHOST,
        kind: HostKind::Computer,
        services: Vec::new(),
        domain: None,
        accounts: Vec::new(),
        resolver: None,
        client: None,
        position: None,
    }
}

/// A simulation with real ports: call [`Bridge::poll`] often (every few milliseconds).
pub struct Bridge {
    sim: Sim,
    outside: usize,
    listeners: Vec<(TcpListener, Port)>,
    clients: Vec<Client>,
    opts: Options,
    started: Instant,
    buf: Vec<u8>,
    /// Lines for the log (turned-away and idle connections).
    pub notes: Vec<String>,
}

impl Bridge {
    /// Binds every port of the plan and builds the world; the clock starts now.
    pub fn new(s: &Scenario, seed: Option<u64>, opts: &Options) -> io::Result<(Bridge, Vec<Port>)> {
        let ports = plan(s, opts.port_base);
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
        let outside = sim.add_outside_host(outside_host());
        Ok((
            Bridge {
                sim,
                outside,
                listeners,
                clients: Vec::new(),
                opts: opts.clone(),
                started: Instant::now(),
                buf: vec![0u8; 64 * 1024],
                notes: Vec::new(),
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

    /// Accepts, reads and writes what is waiting and runs the simulation up to now. Returns
    /// whether the trace grew.
    pub fn poll(&mut self) -> io::Result<bool> {
        let before = self.sim.trace().events.len();
        let now = SimTime(self.started.elapsed().as_micros() as u64);
        let Bridge {
            sim,
            outside,
            listeners,
            clients,
            opts,
            buf,
            notes,
            ..
        } = self;
        for (k, (l, p)) in listeners.iter().enumerate() {
            // Every waiting connection (the listener is non-blocking: an error means none).
            while let Ok((mut stream, _)) = l.accept() {
                {
                    if clients.iter().filter(|c| c.port == k).count() >= opts.max_connections {
                        // Turned away before it reaches the simulated server.
                        let _ = stream.write_all(goodbye(p.service, true));
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                        notes.push(format!(
                            "bridge: {} on port {} turned a connection away: {} already open",
                            service_name(p.service),
                            p.real,
                            opts.max_connections
                        ));
                        continue;
                    }
                    stream.set_nonblocking(true)?;
                    let _ = stream.set_nodelay(true);
                    sim.run_until(now);
                    if let Some(conn) = sim.connect_external(*outside, p.host, p.service.port()) {
                        clients.push(Client {
                            stream,
                            conn,
                            closed_by_real: false,
                            port: k,
                            last_active: Instant::now(),
                        });
                    }
                }
            }
        }
        for c in clients.iter_mut() {
            if c.closed_by_real {
                continue;
            }
            loop {
                match c.stream.read(buf) {
                    Ok(0) => {
                        c.closed_by_real = true;
                        sim.run_until(now);
                        sim.external_close(c.conn);
                        break;
                    }
                    Ok(n) => {
                        c.last_active = Instant::now();
                        sim.run_until(now);
                        sim.external_send(c.conn, &buf[..n]);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        c.closed_by_real = true;
                        sim.external_close(c.conn);
                        break;
                    }
                }
            }
        }
        sim.run_until(now);
        for c in clients.iter_mut() {
            let service = listeners[c.port].1.service;
            if !c.closed_by_real && c.last_active.elapsed() > idle_limit(service, opts.idle_timeout)
            {
                let _ = c.stream.write_all(goodbye(service, false));
                let _ = c.stream.shutdown(std::net::Shutdown::Both);
                c.closed_by_real = true;
                sim.external_close(c.conn);
                notes.push("bridge: closed a connection idle for too long".into());
            }
        }
        clients.retain_mut(|c| {
            let (bytes, over) = sim.external_take(c.conn);
            if !bytes.is_empty() && write_all(&mut c.stream, &bytes).is_err() {
                sim.external_close(c.conn);
                return false;
            }
            if over || (c.closed_by_real && bytes.is_empty() && sim_done(sim, c.conn)) {
                let _ = c.stream.shutdown(std::net::Shutdown::Both);
                return false;
            }
            if !bytes.is_empty() {
                c.last_active = Instant::now();
            }
            true
        });
        Ok(self.sim.trace().events.len() > before)
    }
}

/// Serves until Ctrl-C (or `run_for`), printing every event as `mailsim run` does.
pub fn serve(
    s: &Scenario,
    seed: Option<u64>,
    opts: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (mut bridge, ports) = Bridge::new(s, seed, opts)?;
    writeln!(out, "mailsim serve — {} ({} ports)", s.title, ports.len())?;
    write!(out, "{}", table(s, &ports, opts.bind))?;
    writeln!(
        out,
        "Ctrl-C stops. Every segment follows, as in `mailsim run`."
    )?;
    out.flush()?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second handler cannot be installed in the same process (tests): then only
        // `run_for` ends the loop.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let mut printed = 0;
    let mut idle_rounds = 0u32;
    while !stop.load(Ordering::SeqCst) && opts.run_for.is_none_or(|d| bridge.elapsed() < d) {
        let busy = bridge.poll()?;
        let trace = bridge.sim().trace();
        for ev in &trace.events[printed..] {
            let mut line = Vec::new();
            report::write_event(&mut line, trace, ev, false)?;
            out.write_all(&line)?;
        }
        printed = trace.events.len();
        for n in bridge.notes.drain(..) {
            writeln!(out, "{n}")?;
        }
        out.flush()?;
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
    writeln!(
        out,
        "mailsim serve: stopped after {:.1} s",
        bridge.elapsed().as_secs_f64()
    )?;
    Ok(())
}

/// Whether the simulation is done with a connection the real program left.
fn sim_done(sim: &Sim, conn: usize) -> bool {
    sim.connection_over(conn)
}

/// Writes all of `bytes` to a non-blocking socket, waiting briefly when it is full.
fn write_all(s: &mut TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !bytes.is_empty() {
        match s.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
