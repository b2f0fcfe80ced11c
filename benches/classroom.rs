//! A classroom-sized run: 1,000 users on 10 mail domains each send 10 mails, then everyone
//! downloads with POP3. Prints trace events per second (not a timed test; run with
//! `cargo bench --bench classroom`).

use std::fmt::Write;
use std::time::Instant;

use mailsim::{Sim, scenario};

const DOMAINS: usize = 10;
const USERS: usize = 1000;
const MAILS_PER_USER: usize = 10;

fn classroom() -> String {
    let mut s = String::from(
        "format = 1\ntitle = \"classroom\"\nseed = 1\n[network]\nlatency = \"5ms\"\njitter = \"1ms\"\n",
    );
    s.push_str("[[host]]\nname = \"ns.example\"\nip = \"203.0.113.53\"\nservices = [\"dns\"]\n");
    for d in 0..DOMAINS {
        let users: Vec<String> = (0..USERS / DOMAINS)
            .map(|u| {
                format!(
                    "{{ user = \"u{}\", password = \"pw\" }}",
                    d * (USERS / DOMAINS) + u
                )
            })
            .collect();
        writeln!(s, "[[host]]\nname = \"mail.d{d}.example\"\nip = \"198.51.100.{}\"\nservices = [\"submission\", \"smtp\", \"pop3\"]\ndomain = \"d{d}.example\"\naccounts = [{}]", d + 1, users.join(", ")).unwrap();
        writeln!(
            s,
            "[[dns]]\nname = \"d{d}.example\"\ntype = \"MX\"\nexchange = \"mail.d{d}.example\""
        )
        .unwrap();
    }
    for u in 0..USERS {
        let d = u / (USERS / DOMAINS);
        writeln!(s, "[[host]]\nname = \"pc{u}.d{d}.example\"\nip = \"10.0.{}.{}\"\n[host.client]\naddress = \"u{u}@d{d}.example\"\npassword = \"pw\"\noutgoing = \"mail.d{d}.example\"\nincoming = \"mail.d{d}.example\"", u / 250, u % 250 + 1).unwrap();
    }
    // A fixed pseudo-random choice of recipients (an LCG, so the file is the same every time).
    let mut x: u64 = 12345;
    for m in 0..MAILS_PER_USER {
        for u in 0..USERS {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let to = (x >> 33) as usize % USERS;
            let d = u / (USERS / DOMAINS);
            writeln!(s, "[[step]]\nat = \"{}ms\"\naction = \"send\"\nhost = \"pc{u}.d{d}.example\"\nto = [\"u{to}@d{}.example\"]\nsubject = \"note {m}\"\nbody = \"hello\"", m * 1000 + u, to / (USERS / DOMAINS)).unwrap();
        }
    }
    for u in 0..USERS {
        writeln!(
            s,
            "[[step]]\nat = \"60s\"\naction = \"check\"\nhost = \"pc{u}.d{}.example\"",
            u / (USERS / DOMAINS)
        )
        .unwrap();
    }
    s
}

fn main() {
    let source = classroom();
    let t0 = Instant::now();
    let sc = scenario::parse("classroom.toml", &source).unwrap_or_else(|e| panic!("{e}"));
    let parse = t0.elapsed();
    let mut best = f64::MAX;
    let mut events = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let mut sim = Sim::new(&sc, None);
        sim.run_to_end();
        best = best.min(t.elapsed().as_secs_f64());
        events = sim.trace().events.len();
        let downloaded: usize = sim.hosts().iter().map(|h| h.inbox.len()).sum();
        assert_eq!(
            downloaded,
            USERS * MAILS_PER_USER,
            "every mail must be downloaded"
        );
    }
    println!(
        "classroom: {USERS} users x {MAILS_PER_USER} mails, {} bytes of TOML parsed in {:.3}s",
        source.len(),
        parse.as_secs_f64()
    );
    println!(
        "classroom: {events} trace events in {best:.3}s = {:.0} events/s (best of 3)",
        events as f64 / best
    );

    let walk = scenario::parse("walkthrough", mailsim::WALKTHROUGH).unwrap();
    let n = 200;
    let t = Instant::now();
    for _ in 0..n {
        let mut sim = Sim::new(&walk, None);
        sim.run_to_end();
        std::hint::black_box(sim.trace().events.len());
    }
    println!(
        "walkthrough: {:.1} µs per run (mean of {n})",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
