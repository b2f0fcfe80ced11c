//! A classroom-sized run: 1,000 users on 10 mail domains each send 10 mails, then everyone
//! downloads with POP3. Prints figures, side by side in one run (not a timed test; run with
//! `cargo bench --bench classroom`):
//!
//! - trace events per second, and the same for a skeleton event loop (a heap of timed events,
//!   each popped one pushing the next and appending a trace record) as the ratio ours ÷ skeleton;
//! - the heap bytes per trace event beyond the payload bytes, counted by this binary's allocator
//!   in one more run, not timed (counting costs every allocation an atomic add): the trace alone
//!   (a copy, without spare capacity) and the whole world after the run;
//! - the world at a cursor: replayed from the start ([`view_at`]) against [`ViewCache`], at the
//!   end and at random cursors (the window's stepping back and forth).
//!
//! Allocations go to mimalloc through [`mailsim::allocator::Allocator`], as in the `mailsim`
//! command (Cargo.toml says why).

#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a benchmark times itself"
)]

use std::alloc::{GlobalAlloc, Layout};

use mailsim::allocator::Allocator;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Instant;

use mailsim::view::{ViewCache, view_at};
use mailsim::{EventId, EventKind, Sim, scenario};

const DOMAINS: usize = 10;
const MAILS_PER_USER: usize = 10;

/// A number from the environment (for a smaller run under `valgrind --tool=callgrind`).
fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The allocator the `mailsim` command uses (mimalloc), counting the bytes live while
/// [`COUNTING`] is on. The timed runs leave it off (but for the cache's first view, whose bytes
/// are counted): an atomic add at every allocation and free is work the `mailsim` command does
/// not do.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

fn count(bytes: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        LIVE.fetch_add(bytes, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { Allocator.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { Allocator.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        unsafe { Allocator.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// The least an event loop does per event: pop the earliest of a heap of timed events, push the
/// next one a pseudo-random delay later, append a small record. Returns events per second.
fn skeleton(events: usize) -> f64 {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct Ev(std::cmp::Reverse<(u64, u64)>, u32);
    let t = Instant::now();
    let mut heap = BinaryHeap::new();
    let mut trace: Vec<(u64, u32, u64)> = Vec::new();
    let mut x: u64 = 1;
    for i in 0..1000u64 {
        heap.push(Ev(std::cmp::Reverse((i, i)), i as u32));
    }
    let mut seq = 1000;
    while trace.len() < events {
        let Some(Ev(std::cmp::Reverse((at, _)), who)) = heap.pop() else {
            break;
        };
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        heap.push(Ev(std::cmp::Reverse((at + 1 + x % 5000, seq)), who));
        seq += 1;
        trace.push((at, who, x));
    }
    std::hint::black_box(&trace);
    events as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    // MAILSIM_BENCH_USERS=100 MAILSIM_BENCH_RUNS=1 for a run small enough for callgrind.
    let users = env("MAILSIM_BENCH_USERS", 1000);
    let runs = env("MAILSIM_BENCH_RUNS", 5);
    let source = mailsim::generate::classroom(users, DOMAINS, MAILS_PER_USER);
    let t0 = Instant::now();
    let sc = scenario::parse("classroom.toml", &source).unwrap_or_else(|e| panic!("{e}"));
    let parse = t0.elapsed();
    let mut best = f64::MAX;
    // The first run takes its memory from the OS (a fresh process, as `mailsim run` is); the
    // later ones reuse what the allocator kept.
    let mut first = None;
    let mut setup = f64::MAX;
    let mut skeleton_best: f64 = 0.0;
    let mut sim = None;
    for _ in 0..runs {
        drop(sim.take());
        let t = Instant::now();
        let mut s = Sim::new(&sc, None);
        setup = setup.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        s.run_to_end();
        let took = t.elapsed().as_secs_f64();
        first.get_or_insert(took);
        best = best.min(took);
        let downloaded: usize = s.hosts().iter().map(|h| h.program.inbox.len()).sum();
        assert_eq!(
            downloaded,
            users * MAILS_PER_USER,
            "every mail must be downloaded"
        );
        sim = Some(s);
        // The skeleton between our runs, so that both see the same machine.
        skeleton_best = skeleton_best.max(skeleton(sim.as_ref().unwrap().trace().events.len()));
    }
    // Memory: one more run, untimed, with the allocator counting from here on.
    drop(sim.take());
    COUNTING.store(true, Ordering::Relaxed);
    let before = live();
    let mut sim = Sim::new(&sc, None);
    sim.run_to_end();
    let world_bytes = live() - before;
    let events = sim.trace().events.len();
    let ours = events as f64 / best;
    println!(
        "classroom: {users} users x {MAILS_PER_USER} mails, {} bytes of TOML parsed in {:.3}s",
        source.len(),
        parse.as_secs_f64()
    );
    println!(
        "classroom: {events} trace events in {best:.3}s = {ours:.0} events/s (Sim::run_to_end with mimalloc, best of {runs}; Sim::new took {:.1} ms more)",
        setup * 1000.0
    );
    let first = first.unwrap_or(best);
    println!(
        "classroom: the first run, in memory new to the process, {first:.3}s = {:.0} events/s",
        events as f64 / first
    );
    println!(
        "classroom: skeleton event loop {skeleton_best:.0} events/s; ours / skeleton = {:.3}",
        ours / skeleton_best
    );

    // Memory: the bytes the trace holds beyond its payloads, per event.
    let payload: usize = sim
        .trace()
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Segment(s) => s.payload.len(),
            EventKind::Datagram(d) => d.payload.len(),
            _ => 0,
        })
        .sum();
    let before = live();
    let copy = sim.trace().clone();
    let trace_bytes = live() - before;
    println!(
        "classroom: trace {:.0} bytes per event beyond {:.1} MB of payload ({} bytes inline per event; {:.1} MB in all); the world after the run: {:.0} bytes per event beyond the payload",
        (trace_bytes as f64 - payload as f64) / events as f64,
        payload as f64 / 1e6,
        size_of::<mailsim::TraceEvent>(),
        trace_bytes as f64 / 1e6,
        (world_bytes as f64 - payload as f64) / events as f64,
    );
    drop(copy);

    // The world at a cursor.
    let (s, t) = (sim.scenario(), sim.trace());
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64() * 1e3
    };
    // The timings from here on without counting, but for the cache's first view (its bytes).
    COUNTING.store(false, Ordering::Relaxed);
    let full = time(&mut || {
        std::hint::black_box(view_at(s, t, Some(EventId(events - 1))));
    });
    let mut cache = ViewCache::default();
    COUNTING.store(true, Ordering::Relaxed);
    let before = live();
    let first = time(&mut || {
        std::hint::black_box(cache.view_at(s, t, Some(EventId(events - 1))));
    });
    let kept = live() - before;
    COUNTING.store(false, Ordering::Relaxed);
    let mut x: u64 = 7;
    let mut times: Vec<f64> = (0..300)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = (x % events as u64) as usize;
            time(&mut || {
                std::hint::black_box(cache.view_at(s, t, Some(EventId(c))));
            })
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "view: replayed from the start at the last event {full:.1} ms; cached: the first view (keeps a replay every {} events, {:.1} MB) {first:.1} ms, then at 300 random cursors p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        ViewCache::EVERY,
        kept as f64 / 1e6,
        times[times.len() / 2],
        times[times.len() * 95 / 100],
        times[times.len() - 1],
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
