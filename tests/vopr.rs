//! Randomized whole-system runs (VOPR-style): generated networks and traffic, many seeds, and
//! invariants checked after every run. `MAILSIM_SEEDS` sets how many (default 200) and
//! `MAILSIM_SEED_START` where to begin; `MAILSIM_VOPR_DUMP=DIR` keeps each generated scenario
//! there, to run or open it; a failure prints the seed and the command that
//! reproduces it. Faults come at random: servers go down or unreachable (mostly for less than the retries cover,
//! now and then for longer than the 5 minutes before a mail is given up), greylist, have full
//! mailboxes (for now or for good), and links lose TCP segments and DNS datagrams.
//!
//! Invariants:
//! - every (mail, recipient) an SMTP server accepted ends exactly once: stored in the
//!   recipient's mailbox, or named in a bounce to the sender, or still in a queue at the end
//!   (and the run says so); unknown users' mail is never stored; each bounce reaches the sender;
//! - no mailbox ever holds the same mail twice;
//! - the UIDs of a mailbox strictly increase, and UIDVALIDITY never changes;
//! - a message leaves a mailbox only after the client's QUIT (POP3) or EXPUNGE/CLOSE (IMAP).

mod common;

use std::collections::BTreeMap;
use std::fmt::Write;

use common::Rng;
use mailsim::{EventKind, MailboxChange, Sim, scenario};

/// A sent mail: its unique subject, its sender (user, domain index) and the recipients
/// (user, domain index, known or not).
struct Sent {
    subject: String,
    from: (usize, usize),
    rcpts: Vec<(String, usize, bool)>,
    /// The sender's own server was down or unreachable around the time of sending, or its link
    /// to it lossy: the mail program may have been refused or timed out, so the mail may never
    /// have been accepted.
    maybe_refused: bool,
    /// Recipients of the sender's own domain whose mailbox was full around the time of sending:
    /// the mail program may have been refused for them (452/552 at RCPT), with no bounce.
    full_at_send: Vec<String>,
}

/// A fault window on a domain's server: (domain, from ms, until ms).
type Window = (usize, u64, u64);

const BOUNCE: &str = "Undelivered Mail Returned to Sender";

/// A random network and its traffic as a scenario file, and what was sent.
fn generate(seed: u64) -> (String, Vec<Sent>) {
    let mut r = Rng(seed);
    let domains = 1 + r.next(3) as usize;
    let users: Vec<usize> = (0..domains).map(|_| 1 + r.next(3) as usize).collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "format = 1\ntitle = \"vopr {seed}\"\nseed = {seed}\n[network]\nlatency = \"{}ms\"\njitter = \"{}ms\"",
        1 + r.next(30),
        r.next(5)
    );
    s.push_str("[[host]]\nname = \"ns.example\"\nip = \"203.0.113.53\"\nservices = [\"dns\"]\n");
    for (d, &n) in users.iter().enumerate() {
        let accounts: Vec<String> = (0..n)
            .map(|u| format!("{{ user = \"u{u}\", password = \"pw{u}\" }}"))
            .collect();
        let _ = writeln!(
            s,
            "[[host]]\nname = \"mail.d{d}.example\"\nip = \"198.51.100.{}\"\nservices = [\"submission\", \"smtp\", \"pop3\", \"imap\"]\ndomain = \"d{d}.example\"\naccounts = [{}]\n[[dns]]\nname = \"d{d}.example\"\ntype = \"MX\"\nexchange = \"mail.d{d}.example\"",
            d + 1,
            accounts.join(", ")
        );
    }
    // One or two computers per user, each POP3 (keeping mail or not) or IMAP (idling or not).
    let mut pcs: Vec<(String, usize, usize, bool)> = Vec::new(); // (name, domain, user, imap)
    for (d, &n) in users.iter().enumerate() {
        for u in 0..n {
            for k in 0..1 + r.next(2) {
                let name = format!("pc{k}-u{u}.d{d}.example");
                let imap = r.next(2) == 0;
                let proto = if imap {
                    format!("incoming_protocol = \"imap\"\nidle = {}", r.next(2) == 0)
                } else {
                    format!("keep_on_server = {}", r.next(2) == 0)
                };
                let _ = writeln!(
                    s,
                    "[[host]]\nname = \"{name}\"\nip = \"10.{d}.{u}.{}\"\nkind = \"computer\"\n[host.client]\naddress = \"u{u}@d{d}.example\"\npassword = \"pw{u}\"\noutgoing = \"mail.d{d}.example\"\nincoming = \"mail.d{d}.example\"\n{proto}",
                    k + 1
                );
                pcs.push((name, d, u, imap));
            }
        }
    }
    // Now and then a server is down for a while: mostly at most a minute, which the retries
    // 10, 30, 70 and 150 s after a mail was queued reach, and now and then for 6 minutes, past
    // the 5 minutes after which a queued mail is given up and bounced.
    let mut downs: Vec<Window> = Vec::new();
    let mut full: Vec<(usize, usize, u64, u64)> = Vec::new(); // (domain, user, from, until)
    let mut lossy_pcs: Vec<String> = Vec::new();
    for (d, &n_users) in users.iter().enumerate() {
        if r.next(3) == 0 {
            let from = r.next(20_000);
            let until = from
                + if r.next(8) == 0 {
                    360_000
                } else {
                    1 + r.next(60_000)
                };
            // Refusing (RST) or silent (SYNs unanswered, the connection times out).
            let kind = if r.next(2) == 0 {
                "down"
            } else {
                "unreachable"
            };
            let _ = writeln!(
                s,
                "[[fault]]\nkind = \"{kind}\"\nhost = \"mail.d{d}.example\"\nfrom = \"{from}ms\"\nuntil = \"{until}ms\""
            );
            downs.push((d, from, until));
        }
        if r.next(3) == 0 {
            let _ = writeln!(
                s,
                "[[fault]]\nkind = \"greylist\"\nhost = \"mail.d{d}.example\"\nfrom = \"{}ms\"",
                r.next(20_000)
            );
        }
        if r.next(4) == 0 {
            // A user's mailbox full for a while (452, retried) or, more rarely, for good (552).
            let u = r.next(n_users as u64) as usize;
            let from = r.next(20_000);
            let permanent = r.next(3) == 0;
            let until = if permanent {
                u64::MAX
            } else {
                from + 1 + r.next(60_000)
            };
            let until_key = if permanent {
                String::new()
            } else {
                format!("until = \"{until}ms\"\n")
            };
            let _ = writeln!(
                s,
                "[[fault]]\nkind = \"mailbox_full\"\nhost = \"mail.d{d}.example\"\nuser = \"u{u}\"\npermanent = {permanent}\nfrom = \"{from}ms\"\n{until_key}"
            );
            full.push((d, u, from, until));
        }
        if r.next(3) == 0 {
            // A lossy link: between two servers, or between a computer and its server.
            let other = r.next(domains as u64) as usize;
            let (a, b) = if other != d && r.next(2) == 0 {
                (
                    format!("mail.d{d}.example"),
                    format!("mail.d{other}.example"),
                )
            } else if r.next(3) == 0 {
                (format!("mail.d{d}.example"), "ns.example".to_string())
            } else {
                let candidates: Vec<&(String, usize, usize, bool)> =
                    pcs.iter().filter(|p| p.1 == d).collect();
                let pc = candidates[r.next(candidates.len() as u64) as usize];
                lossy_pcs.push(pc.0.clone());
                (pc.0.clone(), format!("mail.d{d}.example"))
            };
            let _ = writeln!(
                s,
                "[[fault]]\nkind = \"loss\"\nhost = \"{a}\"\npeer = \"{b}\"\nrate = 0.{}\nfrom = \"{}ms\"\nuntil = \"{}ms\"",
                1 + r.next(5),
                r.next(10_000),
                10_000 + r.next(60_000)
            );
        }
    }
    // Now and then the DNS server is off for up to a minute: lookups go unanswered, the mail
    // waits in its queue.
    if r.next(10) == 0 {
        let from = r.next(20_000);
        let _ = writeln!(
            s,
            "[[fault]]\nkind = \"unreachable\"\nhost = \"ns.example\"\nfrom = \"{from}ms\"\nuntil = \"{}ms\"",
            from + 1 + r.next(60_000)
        );
    }
    let mut sent = Vec::new();
    let mut subjects: Vec<String> = Vec::new();
    let steps = 3 + r.next(15);
    for i in 0..steps {
        let at = r.next(20_000);
        let pc = &pcs[r.next(pcs.len() as u64) as usize];
        match r.next(5) {
            0 | 1 => {
                let mut rcpts = Vec::new();
                for _ in 0..1 + r.next(3) {
                    let d = r.next(domains as u64) as usize;
                    // Now and then a user that does not exist.
                    let (u, known) = if r.next(6) == 0 {
                        (format!("nobody{}", r.next(9)), false)
                    } else {
                        (format!("u{}", r.next(users[d] as u64)), true)
                    };
                    if !rcpts.iter().any(|(x, y, _)| *x == u && *y == d) {
                        rcpts.push((u, d, known));
                    }
                }
                let subject = format!("m{seed}-{i}");
                let to: Vec<String> = rcpts
                    .iter()
                    .map(|(u, d, _)| format!("\"{u}@d{d}.example\""))
                    .collect();
                let _ = writeln!(
                    s,
                    "[[step]]\nat = \"{at}ms\"\naction = \"send\"\nhost = \"{}\"\nto = [{}]\nsubject = \"{subject}\"\nbody = \"line one\\n.\\n.dot line\\n\"",
                    pc.0,
                    to.join(", ")
                );
                subjects.push(subject.clone());
                // Losses on the computer's link can hold the mail program back for minutes.
                let margin = if lossy_pcs.contains(&pc.0) {
                    300_000
                } else {
                    5_000
                };
                // Its server down or unreachable then, or its SYNs all lost on a lossy link (the
                // connection times out): the mail program is told, and nothing was accepted.
                let maybe_refused = lossy_pcs.contains(&pc.0)
                    || downs
                        .iter()
                        .any(|&(d, f, u)| d == pc.1 && at + margin >= f && at <= u);
                let full_at_send = rcpts
                    .iter()
                    .filter(|(u, d, _)| {
                        *d == pc.1
                            && full.iter().any(|&(fd, fu, f, until)| {
                                fd == *d
                                    && format!("u{fu}") == *u
                                    && at + margin >= f
                                    && at <= until
                            })
                    })
                    .map(|(u, _, _)| u.clone())
                    .collect();
                sent.push(Sent {
                    subject,
                    from: (pc.1, pc.2),
                    rcpts,
                    maybe_refused,
                    full_at_send,
                });
            }
            2 => {
                let _ = writeln!(
                    s,
                    "[[step]]\nat = \"{at}ms\"\naction = \"check\"\nhost = \"{}\"",
                    pc.0
                );
            }
            _ if pc.3 && !subjects.is_empty() => {
                let subject = &subjects[r.next(subjects.len() as u64) as usize];
                let action = if r.next(2) == 0 { "read" } else { "delete" };
                let _ = writeln!(
                    s,
                    "[[step]]\nat = \"{at}ms\"\naction = \"{action}\"\nhost = \"{}\"\nsubject = \"{subject}\"",
                    pc.0
                );
            }
            _ => {
                let _ = writeln!(
                    s,
                    "[[step]]\nat = \"{at}ms\"\naction = \"check\"\nhost = \"{}\"",
                    pc.0
                );
            }
        }
    }
    (s, sent)
}

/// Runs one seed; `Err` says which invariant broke.
/// What one run did, to show the runs exercise what they check.
#[derive(Default)]
struct Stats {
    events: usize,
    stored: usize,
    deleted: usize,
    retries: usize,
    lost: usize,
    bounces: usize,
    given_up: usize,
    queued: usize,
}

fn run(seed: u64) -> Result<Stats, String> {
    let (source, sent) = generate(seed);
    if let Some(dir) = std::env::var_os("MAILSIM_VOPR_DUMP") {
        // Keep the generated scenario, to run it with `mailsim run` or open it in the window.
        let path = std::path::Path::new(&dir).join(format!("vopr-{seed}.toml"));
        std::fs::write(path, &source).map_err(|e| e.to_string())?;
    }
    let sc = scenario::parse("vopr.toml", &source).map_err(|e| format!("bad scenario: {e}"))?;
    let mut sim = Sim::new(&sc, None);
    sim.run_to_end();
    let t = sim.trace();
    let host_of_domain =
        |d: usize| (0..t.hosts.len()).find(|&h| t.host_name(h) == format!("mail.d{d}.example"));

    // Stored mail per (host, user, subject), UIDs in order, deletions after QUIT/EXPUNGE.
    let mut stored: BTreeMap<(usize, String, String), usize> = BTreeMap::new();
    let mut last_uid: BTreeMap<(usize, String), u32> = BTreeMap::new();
    let mut closers: BTreeMap<usize, usize> = BTreeMap::new(); // host → QUIT/EXPUNGE/CLOSE seen
    for ev in &t.events {
        match &ev.kind {
            EventKind::Segment(s) if s.direction == mailsim::Direction::ClientToServer => {
                let text = String::from_utf8_lossy(&s.payload).to_ascii_uppercase();
                if text.starts_with("QUIT") || text.contains(" EXPUNGE") || text.contains(" CLOSE")
                {
                    *closers.entry(s.to.host).or_default() += 1;
                }
            }
            EventKind::Mailbox { host, user, change } => match change {
                MailboxChange::Stored { uid, subject, .. } => {
                    *stored
                        .entry((*host, user.clone(), subject.clone()))
                        .or_default() += 1;
                    let last = last_uid.entry((*host, user.clone())).or_insert(0);
                    if *uid <= *last {
                        return Err(format!(
                            "uid {uid} after {last} in {user}'s mailbox on {}",
                            t.host_name(*host)
                        ));
                    }
                    *last = *uid;
                }
                MailboxChange::Deleted { uid, .. } => {
                    if closers.get(host).copied().unwrap_or(0) == 0 {
                        return Err(format!(
                            "uid {uid} left {user}'s mailbox on {} before any QUIT or EXPUNGE",
                            t.host_name(*host)
                        ));
                    }
                }
                MailboxChange::Flags { .. } => {}
            },
            _ => {}
        }
    }
    if let Some(((h, u, s), n)) = stored.iter().find(|((_, _, s), n)| **n > 1 && s != BOUNCE) {
        return Err(format!(
            "\"{s}\" stored {n} times in {u}'s mailbox on {}",
            t.host_name(*h)
        ));
    }
    let queued: usize = sim.hosts().iter().map(|h| h.queue.len()).sum();
    // Bounces, from the reporting server's note: (sender, subject) → recipients named.
    let mut bounced: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut bounces_to: BTreeMap<String, usize> = BTreeMap::new();
    for ev in &t.events {
        let EventKind::Note { text, .. } = &ev.kind else {
            continue;
        };
        let Some(rest) = text.split(" writes a bounce (DSN) to ").nth(1) else {
            continue;
        };
        let (to, rest) = rest
            .split_once(" about \"")
            .ok_or("a bounce note without subject")?;
        let (subject, who) = rest
            .split_once("\": ")
            .ok_or("a bounce note without recipients")?;
        let who = who.split(" refused by ").next().unwrap_or_default();
        *bounces_to.entry(to.to_string()).or_default() += 1;
        bounced
            .entry((to.to_string(), subject.to_string()))
            .or_default()
            .extend(who.split(", ").map(str::to_string));
    }
    // Still queued: (subject, recipient).
    let mut in_queue: Vec<(String, String)> = Vec::new();
    for h in sim.hosts() {
        for q in &h.queue {
            let subject = mailsim::mail::subject_of(&q.data);
            for r in &q.rcpts {
                in_queue.push((subject.clone(), r.to_string()));
            }
        }
    }
    for m in &sent {
        let sender = format!("u{}@d{}.example", m.from.1, m.from.0);
        for (u, d, known) in &m.rcpts {
            let Some(h) = host_of_domain(*d) else {
                continue;
            };
            let rcpt = format!("{u}@d{d}.example");
            let n = stored
                .get(&(h, u.clone(), m.subject.clone()))
                .copied()
                .unwrap_or(0);
            let b = bounced
                .get(&(sender.clone(), m.subject.clone()))
                .map_or(0, |w| w.iter().filter(|x| **x == rcpt).count());
            let q = in_queue
                .iter()
                .filter(|(s, r)| *s == m.subject && *r == rcpt)
                .count();
            // Refused to the mail program itself (no bounce, it was never accepted): unknown
            // users of its own domain, and any recipient when its server was down.
            let local = *d == m.from.0;
            let may_be_refused =
                m.maybe_refused || (local && !known) || (local && m.full_at_send.contains(u));
            let ends = n + b + q;
            let ok = if *known {
                ends == 1 || (ends == 0 && may_be_refused)
            } else {
                n == 0 && (ends == 1 || (ends == 0 && may_be_refused)) && !(local && b > 0)
            };
            if !ok {
                return Err(format!(
                    "\"{}\" for {rcpt} ({}): stored {n}, bounced {b}, queued {q}",
                    m.subject,
                    if *known { "a user" } else { "no such user" }
                ));
            }
        }
    }
    // Every bounce written reached its sender's mailbox.
    for (to, n) in &bounces_to {
        let (u, d) = to.split_once('@').ok_or("a bounce to no address")?;
        let d: usize = d
            .trim_start_matches('d')
            .trim_end_matches(".example")
            .parse()
            .map_err(|_| format!("a bounce to {to}"))?;
        let Some(h) = host_of_domain(d) else {
            continue;
        };
        let got = stored
            .get(&(h, u.to_string(), BOUNCE.to_string()))
            .copied()
            .unwrap_or(0);
        if got != *n {
            return Err(format!("{to}: {n} bounces written, {got} stored"));
        }
    }
    // UIDVALIDITY holds: every mailbox still has the validity it was made with (a mailbox is never
    // recreated in these runs), and its next UID is above every UID it holds.
    // The mailboxes at the end agree with the trace, and hold no mail twice.
    let mut deleted: BTreeMap<(usize, String), usize> = BTreeMap::new();
    for ev in &t.events {
        if let EventKind::Mailbox {
            host,
            user,
            change: MailboxChange::Deleted { .. },
        } = &ev.kind
        {
            *deleted.entry((*host, user.clone())).or_default() += 1;
        }
    }
    for (i, h) in sim.hosts().iter().enumerate() {
        for (user, mb) in &h.mailboxes {
            if mb.messages.iter().any(|m| m.uid >= mb.uid_next) {
                return Err(format!("{user}'s mailbox holds a uid at or above uid_next"));
            }
            let mut subjects: Vec<&str> = mb
                .messages
                .iter()
                .map(|m| m.subject.as_str())
                .filter(|s| *s != BOUNCE)
                .collect();
            subjects.sort_unstable();
            if let Some(w) = subjects.windows(2).find(|w| w[0] == w[1]) {
                return Err(format!(
                    "{user}'s mailbox on {} holds \"{}\" twice",
                    t.host_name(i),
                    w[0]
                ));
            }
            let traced: usize = stored
                .iter()
                .filter(|((hh, u, _), _)| *hh == i && u == user)
                .map(|(_, n)| n)
                .sum::<usize>()
                - deleted.get(&(i, user.clone())).copied().unwrap_or(0);
            if traced != mb.messages.len() {
                return Err(format!(
                    "{user}'s mailbox on {} holds {} messages, the trace says {traced}",
                    t.host_name(i),
                    mb.messages.len()
                ));
            }
        }
    }
    let deliveries = stored.values().sum();
    let deletions = t
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Mailbox {
                    change: MailboxChange::Deleted { .. },
                    ..
                }
            )
        })
        .count();
    let retries = t
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Note { text, .. } if text.contains("next try in")))
        .count();
    let lost = t
        .events
        .iter()
        .filter(|e| match &e.kind {
            EventKind::Segment(s) => s.lost,
            EventKind::Datagram(d) => d.lost,
            _ => false,
        })
        .count();
    let given_up = t
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Queue { text, .. } if text.contains(" given up after ")))
        .count();
    Ok(Stats {
        events: t.events.len(),
        stored: deliveries,
        deleted: deletions,
        retries,
        lost,
        bounces: bounces_to.values().sum(),
        given_up,
        queued,
    })
}

#[test]
fn random_networks_keep_every_invariant() {
    let seeds: u64 = std::env::var("MAILSIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let start: u64 = std::env::var("MAILSIM_SEED_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let t0 = std::time::Instant::now();
    let mut all = Stats::default();
    for seed in start..start + seeds {
        match run(seed) {
            Ok(s) => {
                all.events += s.events;
                all.stored += s.stored;
                all.deleted += s.deleted;
                all.retries += s.retries;
                all.lost += s.lost;
                all.bounces += s.bounces;
                all.given_up += s.given_up;
                all.queued += s.queued;
            }
            Err(e) => panic!(
                "seed {seed}: {e}\nreproduce: MAILSIM_SEEDS=1 MAILSIM_SEED_START={seed} cargo test --test vopr\n(MAILSIM_VOPR_DUMP=/tmp keeps the scenario as /tmp/vopr-{seed}.toml)"
            ),
        }
    }
    eprintln!(
        "vopr: {seeds} runs, {} trace events, {} mails stored, {} deleted, {} retries planned, {} packets lost, {} bounces ({} mails given up), {} still queued at the end, {:.1} s",
        all.events,
        all.stored,
        all.deleted,
        all.retries,
        all.lost,
        all.bounces,
        all.given_up,
        all.queued,
        t0.elapsed().as_secs_f64()
    );
    // The runs must exercise what they check.
    assert!(
        all.stored > seeds as usize / 2
            && all.deleted > 0
            && (seeds < 100 || (all.lost > 0 && all.bounces > 0 && all.retries > 0)),
        "the generated traffic is too thin"
    );
}
