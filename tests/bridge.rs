//! The bridge (`mailsim serve`) on 127.0.0.1 against clumsy and hostile clients: each test is a
//! fault a classroom met, and fails on a bridge without its fix.

#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "real clients wait for a bridge running in real time"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use mailsim::bridge::{Bridge, Options};
use mailsim::scenario::Scenario;

fn scenario() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/bridge.toml");
    mailsim::scenario::parse(path, &std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A bridge polled on a thread of its own until dropped.
struct Running {
    base: u16,
    stop: Arc<AtomicBool>,
    notes: Arc<Mutex<Vec<String>>>,
    /// The hosts the bridge added for real programs, by name.
    hosts: Arc<Mutex<Vec<String>>>,
    /// Who logged in from which host (by name), as the trace tells.
    logins: Arc<Mutex<Vec<(String, String)>>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Running {
    fn start(opts: Options) -> Running {
        let stop = Arc::new(AtomicBool::new(false));
        let notes = Arc::new(Mutex::new(Vec::new()));
        let hosts = Arc::new(Mutex::new(Vec::new()));
        let logins = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let thread = {
            let (stop, notes, hosts) = (stop.clone(), notes.clone(), hosts.clone());
            let logins = logins.clone();
            thread::spawn(move || {
                let s = scenario();
                // A base whose ports are all free (another test may hold some).
                let mut base = 20_000 + (std::process::id() % 97) as u16 * 101;
                let mut bridge = loop {
                    let o = Options {
                        port_base: base,
                        ..opts.clone()
                    };
                    match Bridge::new(&s, None, &o) {
                        Ok((b, _)) => break b,
                        Err(_) => base += 7,
                    }
                };
                tx.send(base).unwrap();
                while !stop.load(Ordering::SeqCst) {
                    bridge.poll().unwrap();
                    notes.lock().unwrap().append(&mut bridge.notes);
                    *hosts.lock().unwrap() = bridge
                        .outside_hosts()
                        .iter()
                        .map(|h| h.name.clone())
                        .collect();
                    let t = bridge.sim().trace();
                    *logins.lock().unwrap() = mailsim::logins::logins(t)
                        .into_iter()
                        .map(|(h, u)| (t.hosts[h].name.clone(), u))
                        .collect();
                    thread::sleep(Duration::from_micros(200));
                }
            })
        };
        let base = rx.recv().unwrap();
        Running {
            base,
            stop,
            notes,
            hosts,
            logins,
            thread: Some(thread),
        }
    }

    fn connect(&self, port: u16) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.base + port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s
    }

    fn notes(&self) -> Vec<String> {
        self.notes.lock().unwrap().clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn opts(idle: f64) -> Options {
    Options {
        idle_timeout: Some(Duration::from_secs_f64(idle)),
        ..Options::default()
    }
}

fn line(r: &mut impl BufRead) -> String {
    let mut l = String::new();
    r.read_line(&mut l).unwrap();
    l
}

/// Greeting, QUIT, goodbye on submission: how long a well-behaved client waits.
fn greet_and_quit(b: &Running) -> Duration {
    let t = Instant::now();
    let s = b.connect(587);
    let mut r = BufReader::new(s.try_clone().unwrap());
    assert!(line(&mut r).starts_with("220 "));
    (&s).write_all(b"QUIT\r\n").unwrap();
    assert!(line(&mut r).starts_with("221 "));
    t.elapsed()
}

#[test]
fn a_client_that_never_reads_stalls_only_itself() {
    let b = Running::start(opts(3.0));
    let mut floods = Vec::new();
    for _ in 0..2 {
        let s = b.connect(587);
        // Wait for the greeting (an early talker is turned away), then never read again.
        let mut g = [0u8; 64];
        let _ = (&s).read(&mut g).unwrap();
        floods.push(thread::spawn(move || {
            // 1.2 MB of commands, 20 MB of replies: more than the sockets' buffers hold.
            let noops = b"EHLO x\r\n".repeat(150_000);
            // Blocks once the bridge stops reading; ends when the bridge drops it.
            let _ = (&s).write_all(&noops);
            // Kept open (a closed socket is a client gone, not one that does not read).
            s
        }));
    }
    thread::sleep(Duration::from_millis(500));
    // Another student's program is served at once, though two never read their replies.
    let took = greet_and_quit(&b);
    assert!(
        took < Duration::from_secs(3),
        "a well-behaved client waited {took:?}"
    );
    // The non-readers are dropped once their sockets took nothing for the idle time.
    let dropped = || {
        b.notes()
            .iter()
            .filter(|n| n.contains("stopped reading its replies"))
            .count()
    };
    let t = Instant::now();
    while dropped() < 2 && t.elapsed() < Duration::from_secs(20) {
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(dropped(), 2, "{:#?}", b.notes());
    for f in floods {
        f.join().unwrap();
    }
}

#[test]
fn one_byte_a_second_does_not_keep_a_connection_open() {
    let b = Running::start(Options {
        max_connections: 3,
        ..opts(1.0)
    });
    let lorises: Vec<_> = (0..3)
        .map(|_| {
            let s = b.connect(587);
            thread::spawn(move || {
                let mut g = [0u8; 64];
                let _ = (&s).read(&mut g);
                // A command that never ends: a byte every 200 ms, faster than the idle time.
                for _ in 0..20 {
                    if (&s).write_all(b"N").is_err() {
                        return true;
                    }
                    thread::sleep(Duration::from_millis(200));
                }
                // Closed by the bridge: the read sees its 421 or the end.
                let mut rest = Vec::new();
                let _ = (&s).read_to_end(&mut rest);
                String::from_utf8_lossy(&rest).contains("421 4.4.2")
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(2500));
    // The slots are free again: a new client gets the greeting, not "too many connections".
    let s = b.connect(587);
    let mut r = BufReader::new(s);
    let greeting = line(&mut r);
    assert!(greeting.starts_with("220 "), "{greeting:?}");
    for l in lorises {
        assert!(
            l.join().unwrap(),
            "a slow client was not told why it was closed"
        );
    }
}

#[test]
fn an_smtp_client_that_talks_before_the_greeting_gets_554() {
    let b = Running::start(opts(10.0));
    let s = b.connect(587);
    (&s).write_all(b"EHLO early.example\r\n").unwrap();
    let mut all = String::new();
    BufReader::new(s).read_to_string(&mut all).unwrap();
    assert!(all.starts_with("554 5.5.1 "), "{all:?}");
    assert!(!all.contains("250"), "the server took the command: {all:?}");
    // A patient client is served as before.
    greet_and_quit(&b);
}

#[test]
fn a_port_past_65535_is_an_error_that_says_which() {
    let s = scenario();
    let e = mailsim::bridge::plan(&s, 60_000).unwrap_err();
    assert!(e.contains("65535"), "{e}");
    assert!(e.contains("mail.b.example"), "{e}");
    // The largest base that fits does fit: b's IMAP at base + 10143.
    let fits: u16 = e.rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(fits, 65_535 - 10_143);
    assert!(mailsim::bridge::plan(&s, fits).is_ok());
    assert!(mailsim::bridge::plan(&s, fits + 1).is_err());
}

#[test]
fn a_stdout_nobody_reads_does_not_stall_the_bridge() {
    // A base of our own: the process binds it.
    let base = 30_000 + (std::process::id() % 89) as u16 * 113;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .args([
            "serve",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/bridge.toml"),
        ])
        .args(["--port-base", &base.to_string(), "--for", "60"])
        .args(["--max-connections", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], base + 587));
    let s = loop {
        if let Ok(s) = TcpStream::connect(addr) {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            break s;
        }
        thread::sleep(Duration::from_millis(50));
    };
    let mut r = BufReader::new(s.try_clone().unwrap());
    assert!(line(&mut r).starts_with("220 "));
    // Nobody reads the pipe (64 KB): each connection turned away logs a line, 12,000 of them fill
    // it and the log's queue (8192 lines) over.
    for _ in 0..12_000 {
        // (A stuck bridge stops accepting: its backlog fills and connecting fails.)
        if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
            break;
        }
    }
    // Still answering, at once.
    let t = Instant::now();
    (&s).write_all(b"NOOP\r\n").unwrap();
    assert!(line(&mut r).starts_with("250 "));
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let _ = s.shutdown(Shutdown::Both);
    let _ = child.kill();
    let _ = child.wait();
}

/// Logs in to the webmail through the bridge; returns the session cookie's value.
fn webmail_session(b: &Running) -> String {
    let s = b.connect(80);
    let body = "user=alice%40a.example&password=alice-secret";
    let req = format!(
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    (&s).write_all(req.as_bytes()).unwrap();
    let mut all = String::new();
    BufReader::new(s).read_to_string(&mut all).unwrap();
    assert!(all.starts_with("HTTP/1.1 303"), "{all}");
    let cookie = all
        .lines()
        .find_map(|l| l.strip_prefix("Set-Cookie: session="))
        .unwrap();
    cookie.split(';').next().unwrap().to_string()
}

#[test]
fn webmail_session_ids_do_not_follow_from_the_seed() {
    // Two runs of the same scenario with the same seed: the simulated world is the same, but
    // what a real person gets to prove who they are is not.
    let ids: Vec<String> = (0..2)
        .map(|_| webmail_session(&Running::start(opts(10.0))))
        .collect();
    assert_eq!(ids[0].len(), 32, "{ids:?}");
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn a_class_gets_accounts_a_sheet_and_can_log_in() {
    let dir = std::env::temp_dir().join(format!("mailsim-class-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sheet = dir.join("sheet.html");
    // A base whose ports are all free: another program (or a test) may hold one of them, and
    // then the serve stops with that reason; the next base is tried.
    let mut tries = 0;
    let (mut child, _out, lines) = loop {
        let base = 40_000 + (std::process::id() % 83) as u16 * 37 + tries * 11;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mailsim"))
            .args([
                "serve",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/networks/three-domains.toml"
                ),
            ])
            .args([
                "--port-base",
                &base.to_string(),
                "--for",
                "30",
                "--class",
                "4",
            ])
            .arg("--sheet")
            .arg(&sheet)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        let started = loop {
            let l = line(&mut out);
            if l.is_empty() {
                break false;
            }
            let done = l.starts_with("Ctrl-C stops");
            lines.push(l);
            if done {
                break true;
            }
        };
        if started {
            // Its stdout stays open until the end: the serve logs there.
            break (child, out, lines);
        }
        let mut why = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut why);
        let _ = child.wait();
        tries += 1;
        assert!(
            why.contains("cannot listen") && tries < 5,
            "the serve ended early: {why} {lines:#?}"
        );
    };
    let row = |user: &str| {
        lines
            .iter()
            .find(|l| l.contains(&format!("{user}@")))
            .unwrap_or_else(|| panic!("{user} not on the sheet: {lines:#?}"))
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    // `#  address  password  send  POP3  IMAP`: student03 is on c.example (IMAP only).
    let s1 = row("student01");
    let s3 = row("student03");
    assert_eq!(s1[1], "student01@a.example");
    assert_eq!(s3[1], "student03@c.example");
    assert_ne!(s1[2], s3[2], "passwords of their own");
    let html = std::fs::read_to_string(&sheet).unwrap();
    assert_eq!(html.matches("class=\"slip\"").count(), 4);
    assert!(html.contains(&s1[2]));
    // Student 1 logs in to POP3 with the password from the sheet; a wrong one is refused.
    let pop: u16 = s1[4].parse().unwrap();
    let s = TcpStream::connect(("127.0.0.1", pop)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    assert!(line(&mut r).starts_with("+OK"));
    (&s).write_all(b"USER student01\r\nPASS wrong-one\r\n")
        .unwrap();
    assert!(line(&mut r).starts_with("+OK"));
    assert!(line(&mut r).starts_with("-ERR"));
    (&s).write_all(format!("USER student01\r\nPASS {}\r\nSTAT\r\n", s1[2]).as_bytes())
        .unwrap();
    assert!(line(&mut r).starts_with("+OK"));
    let pass = line(&mut r);
    assert!(pass.starts_with("+OK"), "{pass}");
    assert!(line(&mut r).starts_with("+OK 0 0"));
    // Student 3 logs in to IMAP.
    let imap: u16 = s3[5].parse().unwrap();
    let s = TcpStream::connect(("127.0.0.1", imap)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    assert!(line(&mut r).starts_with("* OK"));
    (&s).write_all(format!("a LOGIN student03 {}\r\n", s3[2]).as_bytes())
        .unwrap();
    let ok = line(&mut r);
    assert!(ok.starts_with("a OK"), "{ok}");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_port_base_too_high_stops_serve_with_the_reason() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .args([
            "serve",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/bridge.toml"),
        ])
        .args(["--port-base", "60000", "--for", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("past the last port (65535)"), "{err}");
}

#[test]
fn each_computer_of_the_room_gets_a_host_of_its_own() {
    // This machine's address on its network stands for a student's computer.
    let me = mailsim::bridge::class::reachable_address("0.0.0.0".parse().unwrap());
    if me.is_loopback() {
        eprintln!("no network address here: nothing to try");
        return;
    }
    let b = Running::start(Options {
        bind: "0.0.0.0".parse().unwrap(),
        ..opts(10.0)
    });
    for addr in [me, me, "127.0.0.1".parse().unwrap()] {
        let s = TcpStream::connect((addr, b.base + 110)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut r = BufReader::new(s);
        assert!(line(&mut r).starts_with("+OK"));
    }
    let name = format!("pc-{}.room", me.to_string().replace('.', "-"));
    // real-client for this computer's own programs, one host for the other computer.
    assert_eq!(*b.hosts.lock().unwrap(), ["real-client".to_string(), name]);
}

#[test]
fn a_line_begun_must_end_in_time_but_slow_whole_lines_are_fine() {
    let b = Running::start(Options {
        line_limit: Duration::from_secs(1),
        ..opts(30.0)
    });
    let greet = |s: &TcpStream| {
        let mut g = [0u8; 64];
        let _ = (&*s).read(&mut g).unwrap();
    };
    // A command typed a character every 300 ms, never ended.
    let loris = b.connect(587);
    greet(&loris);
    // A person at telnet: whole commands, slowly.
    let typist = b.connect(587);
    greet(&typist);
    let mut r = BufReader::new(typist.try_clone().unwrap());
    for _ in 0..8 {
        let _ = (&loris).write_all(b"N");
        (&typist).write_all(b"NOOP\r\n").unwrap();
        assert!(line(&mut r).starts_with("250 "));
        thread::sleep(Duration::from_millis(300));
    }
    let mut rest = Vec::new();
    let _ = (&loris).read_to_end(&mut rest);
    assert!(
        String::from_utf8_lossy(&rest).contains("421 4.4.2"),
        "{rest:?}"
    );
    assert!(
        b.notes()
            .iter()
            .any(|n| n.contains("a line begun and not ended")),
        "{:#?}",
        b.notes()
    );
    (&typist).write_all(b"QUIT\r\n").unwrap();
    assert!(line(&mut r).starts_with("221 "));
}

#[test]
fn the_window_knows_who_logged_in_from_where() {
    // SMTP AUTH PLAIN refused (535) names nobody; accepted (235) names the user, for the host
    // that stands for this computer's programs.
    let b = Running::start(opts(10.0));
    let s = b.connect(587);
    let mut r = BufReader::new(s.try_clone().unwrap());
    assert!(line(&mut r).starts_with("220"));
    (&s).write_all(b"EHLO pc\r\n").unwrap();
    while !line(&mut r).starts_with("250 ") {}
    let plain = |pw: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("\0alice\0{pw}"))
    };
    (&s).write_all(format!("AUTH PLAIN {}\r\n", plain("wrong")).as_bytes())
        .unwrap();
    assert!(line(&mut r).starts_with("535"));
    thread::sleep(Duration::from_millis(100));
    assert!(b.logins.lock().unwrap().is_empty());
    (&s).write_all(format!("AUTH PLAIN {}\r\n", plain("alice-secret")).as_bytes())
        .unwrap();
    assert!(line(&mut r).starts_with("235"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while b.logins.lock().unwrap().is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        *b.logins.lock().unwrap(),
        [("real-client".to_string(), "alice".to_string())]
    );
}
