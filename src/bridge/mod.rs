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

/// Serves until Ctrl-C (or `run_for`), printing every event as `mailsim run` does.
pub fn serve(
    s: &Scenario,
    seed: Option<u64>,
    opts: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    let ports = plan(s, opts.port_base);
    let mut listeners = Vec::new();
    for p in &ports {
        let l = TcpListener::bind(SocketAddr::new(opts.bind, p.real))?;
        l.set_nonblocking(true)?;
        listeners.push((l, p.clone()));
    }
    writeln!(out, "mailsim serve — {} ({} ports)", s.title, ports.len())?;
    write!(out, "{}", table(s, &ports, opts.bind))?;
    writeln!(
        out,
        "Ctrl-C stops. Every segment follows, as in `mailsim run`."
    )?;
    out.flush()?;

    let mut sim = Sim::new(s, seed);
    // Real programs must log in to send (RFC 6409): no open relay on this computer.
    sim.require_submission_auth();
    // The real world: one host outside the scenario, at the loopback address.
    let outside = sim.add_outside_host(HostDef {
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
    });
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second handler cannot be installed in the same process (tests): then only
        // `run_for` ends the loop.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let started = Instant::now();
    let mut clients: Vec<Client> = Vec::new();
    let mut printed = 0;
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::SeqCst) && opts.run_for.is_none_or(|d| started.elapsed() < d) {
        let now = SimTime(started.elapsed().as_micros() as u64);
        for (k, (l, p)) in listeners.iter().enumerate() {
            loop {
                match l.accept() {
                    Ok((mut stream, _)) => {
                        if clients.iter().filter(|c| c.port == k).count() >= opts.max_connections {
                            // Turned away before it reaches the simulated server.
                            let _ = stream.write_all(goodbye(p.service, true));
                            let _ = stream.shutdown(std::net::Shutdown::Both);
                            writeln!(
                                out,
                                "bridge: {} turned a connection away: {} already open",
                                s.hosts[p.host].name, opts.max_connections
                            )?;
                            continue;
                        }
                        stream.set_nonblocking(true)?;
                        let _ = stream.set_nodelay(true);
                        sim.run_until(now);
                        if let Some(conn) = sim.connect_external(outside, p.host, p.service.port())
                        {
                            clients.push(Client {
                                stream,
                                conn,
                                closed_by_real: false,
                                port: k,
                                last_active: Instant::now(),
                            });
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => break,
                }
            }
        }
        for c in &mut clients {
            if c.closed_by_real {
                continue;
            }
            loop {
                match c.stream.read(&mut buf) {
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
        for c in &mut clients {
            let service = listeners[c.port].1.service;
            if !c.closed_by_real && c.last_active.elapsed() > idle_limit(service, opts.idle_timeout)
            {
                let _ = c.stream.write_all(goodbye(service, false));
                let _ = c.stream.shutdown(std::net::Shutdown::Both);
                c.closed_by_real = true;
                sim.external_close(c.conn);
                writeln!(out, "bridge: closed a connection idle for too long")?;
            }
        }
        clients.retain_mut(|c| {
            let (bytes, over) = sim.external_take(c.conn);
            if !bytes.is_empty() && write_all(&mut c.stream, &bytes).is_err() {
                sim.external_close(c.conn);
                return false;
            }
            if over || (c.closed_by_real && bytes.is_empty() && sim_done(&sim, c.conn)) {
                let _ = c.stream.shutdown(std::net::Shutdown::Both);
                return false;
            }
            if !bytes.is_empty() {
                c.last_active = Instant::now();
            }
            true
        });
        let events = &sim.trace().events;
        for ev in &events[printed..] {
            let mut line = Vec::new();
            report::write_event(&mut line, sim.trace(), ev, false)?;
            out.write_all(&line)?;
        }
        printed = events.len();
        out.flush()?;
        std::thread::sleep(Duration::from_millis(2));
    }
    writeln!(
        out,
        "mailsim serve: stopped after {:.1} s",
        started.elapsed().as_secs_f64()
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
