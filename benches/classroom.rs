//! A classroom-sized run: 1,000 users on 10 mail domains each send 10 mails, then everyone
//! downloads with POP3. Prints trace events per second (not a timed test; run with
//! `cargo bench --bench classroom`).

#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a benchmark times itself"
)]

use std::time::Instant;

use mailsim::{Sim, scenario};

const DOMAINS: usize = 10;
const USERS: usize = 1000;
const MAILS_PER_USER: usize = 10;

fn main() {
    let source = mailsim::generate::classroom(USERS, DOMAINS, MAILS_PER_USER);
    let t0 = Instant::now();
    let sc = scenario::parse("classroom.toml", &source).unwrap_or_else(|e| panic!("{e}"));
    let parse = t0.elapsed();
    let mut best = f64::MAX;
    let mut setup = f64::MAX;
    let mut events = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let mut sim = Sim::new(&sc, None);
        setup = setup.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
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
        "classroom: {events} trace events in {best:.3}s = {:.0} events/s (Sim::run_to_end, best of 5; Sim::new took {:.1} ms more)",
        events as f64 / best,
        setup * 1000.0
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
