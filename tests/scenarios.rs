//! Every bundled scenario runs, its expectations hold, and runs are deterministic.

use std::path::Path;

mod common;

use common::{host, run};
use mailsim::{EventKind, Sim, check, report, scenario};

fn bundled() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "bundled scenarios are missing");
    files
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_bundled_scenario_meets_its_expectations() {
    for (name, source) in bundled() {
        let sim = run(&name, &source, None);
        let checked = check::check(&sim);
        assert!(!checked.is_empty(), "{name} has no expectations");
        for c in checked {
            assert!(c.ok, "{name}: expected {} but found {}", c.text, c.found);
        }
    }
}

#[test]
fn same_scenario_and_seed_give_the_same_trace() {
    for (name, source) in bundled() {
        let a = report::trace_hash(run(&name, &source, None).trace());
        let b = report::trace_hash(run(&name, &source, None).trace());
        assert_eq!(a, b, "{name} is not deterministic");
        let c = report::trace_hash(run(&name, &source, Some(7)).trace());
        assert_ne!(a, c, "{name}: the seed changes nothing");
    }
}

#[test]
fn expectations_hold_for_many_seeds() {
    for (name, source) in bundled() {
        for seed in 0..50 {
            let sim = run(&name, &source, Some(seed));
            for c in check::check(&sim) {
                assert!(
                    c.ok,
                    "{name} seed {seed}: {} (found {}); replay: mailsim run {name} --seed {seed}",
                    c.text, c.found
                );
            }
        }
    }
}

/// The walkthrough tells the tutorial's story in order, with real bytes.
#[test]
fn walkthrough_tells_the_story_in_order() {
    let sim = run("walkthrough", mailsim::WALKTHROUGH, None);
    let t = sim.trace();
    let payloads: Vec<String> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(s) if !s.payload.is_empty() => Some(format!(
                "{}>{}:{}",
                t.host_name(s.from.host),
                s.to.port,
                String::from_utf8_lossy(&s.payload)
            )),
            EventKind::Datagram(d) => Some(format!(
                "{}>{}:DNS {}",
                t.host_name(d.from.host),
                d.to.port,
                mailsim::report::summary(t, e)
            )),
            _ => None,
        })
        .collect();
    let want = [
        "smtp.a.example>49152:220 ",
        "alice-pc.a.example>587:EHLO alice-pc.a.example\r\n",
        "alice-pc.a.example>587:MAIL FROM:<alice@a.example>",
        "alice-pc.a.example>587:RCPT TO:<bob@b.example>\r\n",
        "alice-pc.a.example>587:DATA\r\n",
        "smtp.a.example>49152:354 ",
        "alice-pc.a.example>587:From: ",
        "smtp.a.example>53:DNS query id=",
        "smtp.a.example>49152:250 2.0.0 Ok: queued as",
        "ns.example>49152:DNS response id=",
        "smtp.a.example>53:DNS query id=",
        "ns.example>49153:DNS response id=",
        "mx.b.example>49154:220 ",
        "smtp.a.example>25:EHLO smtp.a.example\r\n",
        "smtp.a.example>25:Received: from alice-pc.a.example",
        "mx.b.example>49154:250 2.0.0 Ok",
        "mx.b.example>49152:+OK POP3 server ready",
        "bob-pc.b.example>110:USER bob\r\n",
        "bob-pc.b.example>110:PASS bob-secret\r\n",
        "bob-pc.b.example>110:STAT\r\n",
        "bob-pc.b.example>110:LIST\r\n",
        "bob-pc.b.example>110:UIDL\r\n",
        "bob-pc.b.example>110:RETR 1\r\n",
        "mx.b.example>49152:+OK ",
        "bob-pc.b.example>110:DELE 1\r\n",
        "bob-pc.b.example>110:QUIT\r\n",
    ];
    let mut i = 0;
    for p in &payloads {
        if i < want.len() && p.starts_with(want[i]) {
            i += 1;
        }
    }
    assert_eq!(
        i,
        want.len(),
        "missing in order: {:?}\nsaw: {payloads:#?}",
        want.get(i)
    );
    // The dot-stuffed line travels doubled and is stored single.
    assert!(payloads.iter().any(|p| p.contains("\r\n..\r\n")));
    let stored = sim
        .hosts()
        .iter()
        .flat_map(|h| h.program.inbox.iter())
        .next()
        .unwrap();
    let text = String::from_utf8_lossy(&stored.data);
    assert!(text.contains("\r\n.\r\n"), "{text}");
    assert_eq!(text.matches("Received: from").count(), 2, "{text}");
    assert!(text.starts_with("Return-Path: <alice@a.example>\r\n"));
}

#[test]
fn the_handshake_and_sequence_numbers_are_consistent() {
    let sim = run("walkthrough", mailsim::WALKTHROUGH, None);
    let mut next: std::collections::BTreeMap<(mailsim::ConnId, bool), u32> = Default::default();
    for e in &sim.trace().events {
        if let EventKind::Segment(s) = &e.kind {
            let key = (s.conn, s.direction == mailsim::Direction::ClientToServer);
            if let Some(n) = next.get(&key) {
                assert_eq!(*n, s.seq, "segment {} does not continue its stream", e.id);
            }
            let len = s.payload.len() as u32
                + u32::from(
                    s.flags.has(mailsim::TcpFlags::SYN) || s.flags.has(mailsim::TcpFlags::FIN),
                );
            next.insert(key, s.seq.wrapping_add(len));
            assert!(
                s.arrive > e.time,
                "segment {} arrives before it leaves",
                e.id
            );
        }
    }
}

#[test]
fn each_client_style_writes_its_own_bytes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/standards.toml");
    let sim = run(path, &std::fs::read_to_string(path).unwrap(), None);
    let sent: Vec<(String, String)> = sim
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(s) if s.direction == mailsim::Direction::ClientToServer => Some((
                sim.trace().host_name(s.from.host).to_string(),
                String::from_utf8_lossy(&s.payload).into_owned(),
            )),
            _ => None,
        })
        .collect();
    let said = |host: &str, text: &str| sent.iter().any(|(h, p)| h == host && p.contains(text));
    assert!(said("alice-pc.a.example", "EHLO ALICE-PC\r\n"));
    assert!(said(
        "alice-pc.a.example",
        "User-Agent: Outlook-like mail client (mailsim)\r\n"
    ));
    assert!(said("carol-pc.a.example", "HELO carol-pc.a.example\r\n"));
    assert!(!said("carol-pc.a.example", "EHLO"));
    assert!(said(
        "carol-pc.a.example",
        "User-Agent: Eudora-like mail client (mailsim)\r\n"
    ));
    assert!(said("bob-pc.b.example", "EHLO [198.51.100.10]\r\n"));
    assert!(said("bob-pc.b.example", "1 capability\r\n"));
    assert!(said("bob-pc.b.example", "3 select INBOX\r\n"));
    for c in check::check(&sim) {
        assert!(c.ok, "{}: {}", c.text, c.found);
    }
}

#[test]
fn a_segment_that_carries_the_rest_says_so() {
    // Bob's program downloads a bounce of more than 1460 bytes by POP3: two segments; the second
    // is the rest of the first, and its summary and note say so instead of quoting a line cut
    // in the middle.
    let text = std::fs::read_to_string("scenarios/bounce-unknown-user.toml").unwrap();
    let sim = run("bounce", &text, None);
    let t = sim.trace();
    let mut seen = 0;
    for (k, e) in t.events.iter().enumerate() {
        let EventKind::Segment(s) = &e.kind else {
            continue;
        };
        if s.explain != mailsim::protocols::CONTINUED {
            continue;
        }
        seen += 1;
        let sum = report::summary(t, e);
        assert!(sum.contains("the rest, TCP cut it at 1460 bytes"), "{sum}");
        // The piece before, on the same connection, is a full segment of the same reply.
        let before = t.events[..k]
            .iter()
            .rev()
            .find_map(|p| match &p.kind {
                EventKind::Segment(b) if b.conn == s.conn && b.direction == s.direction => Some(b),
                _ => None,
            })
            .unwrap();
        assert_eq!(before.payload.len(), 1460);
        assert_ne!(before.explain, mailsim::protocols::CONTINUED);
    }
    assert_eq!(seen, 1);
}

#[test]
fn a_blind_copy_is_in_the_envelope_and_in_no_header() {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/cc-and-bcc.toml"
    ))
    .unwrap();
    let sim = run("cc-and-bcc.toml", &source, None);
    let t = sim.trace();
    // Every RCPT TO, by the server it was said to.
    let mut rcpts: Vec<(String, String)> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(s) if s.payload.starts_with(b"RCPT TO:") => Some((
                t.host_name(s.to.host).to_string(),
                String::from_utf8_lossy(&s.payload).trim_end().to_string(),
            )),
            _ => None,
        })
        .collect();
    rcpts.sort();
    let want = [
        ("mail.c.example", "RCPT TO:<carol@c.example>"),
        ("mail.c.example", "RCPT TO:<dave@c.example>"),
        ("mx.b.example", "RCPT TO:<bob@b.example>"),
        ("smtp.a.example", "RCPT TO:<bob@b.example>"),
        ("smtp.a.example", "RCPT TO:<carol@c.example>"),
        ("smtp.a.example", "RCPT TO:<dave@c.example>"),
    ];
    let got: Vec<(&str, &str)> = rcpts
        .iter()
        .map(|(h, r)| (h.as_str(), r.as_str()))
        .collect();
    assert_eq!(got, want);
    // What each of the three downloaded, read by an independent parser: To and Cc, no Bcc, and
    // Dave's name nowhere in it.
    for who in [
        "bob-pc.b.example",
        "carol-pc.c.example",
        "dave-pc.c.example",
    ] {
        let got = &host(&sim, who).program.inbox;
        assert_eq!(got.len(), 1, "{who}");
        let m = mail_parser::MessageParser::default()
            .parse(got[0].data.as_slice())
            .unwrap();
        let first = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::to_string)
        };
        assert_eq!(first(m.to()).as_deref(), Some("bob@b.example"), "{who}");
        assert_eq!(first(m.cc()).as_deref(), Some("carol@c.example"), "{who}");
        assert!(m.bcc().is_none(), "{who}");
        let text = String::from_utf8_lossy(&got[0].data);
        assert!(!text.to_ascii_lowercase().contains("bcc"), "{who}: {text}");
        // Received: lines may name the envelope recipient (`for <…>`), but only for one: never
        // Dave in a copy that is not Dave's.
        if who != "dave-pc.c.example" {
            assert!(!text.contains("dave@"), "{who}: {text}");
        }
    }
}

/// A step that begins `on` an event lands right after that event, whatever the seed (other
/// jitter, other retries), and begins once; a timed step would drift.
#[test]
fn narration_on_an_event_lands_right_after_it_with_any_seed() {
    let s = scenario::parse("walkthrough.toml", mailsim::WALKTHROUGH).unwrap();
    let waiting: Vec<usize> = (0..s.steps.len())
        .filter(|&i| s.steps[i].on.is_some())
        .collect();
    assert_eq!(waiting.len(), 3);
    let mut times = std::collections::BTreeSet::new();
    for seed in 1..=25 {
        let mut sim = Sim::new(&s, Some(seed));
        sim.run_to_end();
        assert_eq!(sim.steps_never_begun(), [] as [usize; 0], "seed {seed}");
        let t = sim.trace();
        for &i in &waiting {
            let at: Vec<usize> = t
                .events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::Step { index, .. } if index == i))
                .map(|e| e.id.index())
                .collect();
            assert_eq!(
                at.len(),
                1,
                "seed {seed}: step {i} began {} times",
                at.len()
            );
            let before = &t.events[at[0] - 1];
            let trigger = s.steps[i].on.as_ref().unwrap();
            assert!(
                trigger.matches(before),
                "seed {seed}: step {i} ({}) after {}",
                trigger.text,
                report::summary(t, before)
            );
            // The first such event: none earlier.
            assert!(!t.events[..at[0] - 1].iter().any(|e| trigger.matches(e)));
            times.insert((i, t.events[at[0]].time));
        }
    }
    // The seeds move the moments (so a fixed `at` could not have followed them).
    assert!(times.len() > 3 * 2, "{times:?}");
}

/// A step waiting for what never happens says so, and the run still ends.
#[test]
fn a_step_whose_event_never_comes_is_reported() {
    let text = mailsim::WALKTHROUGH.replace(
        "on = \"mx.b.example stores a mail\"",
        "on = \"mx.b.example sends 550\"",
    );
    let s = scenario::parse("w.toml", &text).unwrap();
    let mut sim = Sim::new(&s, None);
    sim.run_to_end();
    let never = sim.steps_never_begun();
    assert_eq!(never.len(), 1);
    assert_eq!(
        s.steps[never[0]].on.as_ref().unwrap().text,
        "mx.b.example sends 550"
    );
}

/// "Step n of m" counts steps in the order they begin, whatever their order in the file: an `on`
/// step written first but waiting for a later event is numbered when it begins.
#[test]
fn steps_are_numbered_in_the_order_they_begin() {
    let stored = "[[step]]\non = \"mx.b.example stores a mail\"\n";
    assert!(mailsim::WALKTHROUGH.contains(stored));
    // The "stored" narration moved to the top of the file's steps.
    let text =
        mailsim::WALKTHROUGH.replacen(stored, "[[step]]\non = \"mx.b.example sends 220\"\n", 1);
    let first_step = text.find("[[step]]").unwrap();
    let text = format!(
        "{}{stored}narration = \"Stored.\"\n\n{}",
        &text[..first_step],
        &text[first_step..]
    );
    let s = scenario::parse("w.toml", &text).unwrap();
    let mut sim = Sim::new(&s, None);
    sim.run_to_end();
    let steps: Vec<(usize, usize)> = sim
        .trace()
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Step { index, number, .. } => Some((index, number)),
            _ => None,
        })
        .collect();
    let numbers: Vec<usize> = steps.iter().map(|s| s.1).collect();
    assert_eq!(numbers, (1..=s.steps.len()).collect::<Vec<_>>());
    // The file's order is not the order they began in.
    let indices: Vec<usize> = steps.iter().map(|s| s.0).collect();
    assert!(indices.windows(2).any(|w| w[0] > w[1]), "{indices:?}");
    let text = report::summary(
        sim.trace(),
        sim.trace()
            .events
            .iter()
            .rev()
            .find(|e| matches!(e.kind, EventKind::Step { .. }))
            .unwrap(),
    );
    assert!(
        text.starts_with(&format!("Step {} of {}", s.steps.len(), s.steps.len())),
        "{text}"
    );
}
