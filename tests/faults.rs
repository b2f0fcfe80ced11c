//! Faults in a scenario and what the network makes of them: servers down, domains that do not
//! exist, wrong passwords, full mailboxes, lossy links and unreachable servers. Mail is delayed,
//! retried or bounced, never lost.

mod common;

use common::{host, run};
use mailsim::{EventKind, Sim, check};

#[test]
fn a_server_down_for_good_ends_in_a_bounce_after_the_give_up_time() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/server-down-retry.toml"
    );
    let source = std::fs::read_to_string(path)
        .unwrap()
        .replace("until = \"45s\"\n", "");
    let sim = run("down-for-good.toml", &source, None);
    let a = sim
        .hosts()
        .iter()
        .find(|h| h.def.name == "smtp.a.example")
        .unwrap();
    assert!(a.mta.queue.is_empty(), "given up, not kept for ever");
    let bounce = a
        .store
        .mailboxes
        .get("alice")
        .and_then(|mb| mb.messages.first())
        .expect("the sender got a bounce");
    let text = String::from_utf8_lossy(&bounce.data);
    assert!(
        text.contains("Subject: Undelivered Mail Returned to Sender"),
        "{text}"
    );
    assert!(text.contains("Status: 4.4.7"), "{text}");
    assert!(
        text.contains("Final-Recipient: rfc822; bob@b.example"),
        "{text}"
    );
    // Tried at once, then again 10, 20, 40 and 80 s later (at about 10, 30, 70 and 150 s); the
    // next try would come at about 310 s, past the 5 minutes: given up then.
    let tries = sim
        .trace()
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Note { text, .. } if text.starts_with("trying ")))
        .count();
    assert_eq!(tries, 4);
}

#[test]
fn a_domain_that_does_not_exist_bounces_at_once() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/bounce-unknown-user.toml"
    );
    let source = std::fs::read_to_string(path).unwrap().replace(
        "to = [\"bobb@b.example\"]",
        "to = [\"bob@nowhere.example\"]",
    );
    let sim = run("nxdomain.toml", &source, None);
    for c in check::check(&sim) {
        assert!(c.ok, "{}: {}", c.text, c.found);
    }
    let dsn = sim
        .trace()
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Segment(s)
                if String::from_utf8_lossy(&s.payload).contains("Status: 5.4.4") =>
            {
                Some(String::from_utf8_lossy(&s.payload).into_owned())
            }
            _ => None,
        })
        .expect("the bounce, downloaded by POP3, says 5.4.4");
    assert!(
        dsn.contains("Final-Recipient: rfc822; bob@nowhere.example"),
        "{dsn}"
    );
    assert!(!dsn.contains("Remote-MTA"), "no server was reached: {dsn}");
}

#[test]
fn a_mistyped_password_is_refused_and_the_mail_program_says_so() {
    let fault = "\n[[fault]]\nkind = \"wrong_password\"\nhost = \"HOST\"\nfrom = \"0s\"\n";
    // POP3: -ERR [AUTH], nothing downloaded, the mail stays on the server.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/walkthrough.toml");
    let source =
        std::fs::read_to_string(path).unwrap() + &fault.replace("HOST", "bob-pc.b.example");
    let sim = run("pop3-typo.toml", &source, None);
    let texts: Vec<String> = sim
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(s) => Some(String::from_utf8_lossy(&s.payload).into_owned()),
            EventKind::Note { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        texts.iter().any(|t| t.starts_with("-ERR [AUTH]")),
        "the server refuses"
    );
    assert!(
        texts.iter().any(|t| t.contains("checking mail failed")),
        "the mail program says so"
    );
    let bob_pc = sim
        .hosts()
        .iter()
        .find(|h| h.def.name == "bob-pc.b.example")
        .unwrap();
    assert!(bob_pc.program.inbox.is_empty());
    let mx = sim
        .hosts()
        .iter()
        .find(|h| h.def.name == "mx.b.example")
        .unwrap();
    assert_eq!(
        mx.store.mailboxes["bob"].messages.len(),
        1,
        "the mail waits on the server"
    );

    // IMAP: NO [AUTHENTICATIONFAILED].
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/imap-two-computers.toml"
    );
    let source =
        std::fs::read_to_string(path).unwrap() + &fault.replace("HOST", "bob-home.b.example");
    let sim = run("imap-typo.toml", &source, None);
    let said_no = sim.trace().events.iter().any(|e| {
        matches!(&e.kind, EventKind::Segment(s)
            if String::from_utf8_lossy(&s.payload).contains("NO [AUTHENTICATIONFAILED]"))
    });
    let told =
        sim.trace().events.iter().any(
            |e| matches!(&e.kind, EventKind::Note { text, .. } if text.contains("login failed")),
        );
    assert!(said_no && told);
}

fn payloads(sim: &Sim) -> Vec<String> {
    sim.trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(s) => Some(String::from_utf8_lossy(&s.payload).into_owned()),
            _ => None,
        })
        .collect()
}

/// How many times any mail was stored in any mailbox.
fn stored_count(sim: &Sim) -> usize {
    sim.trace()
        .events
        .iter()
        .filter(|e| {
            matches!(
                &e.kind,
                EventKind::Mailbox {
                    change: mailsim::MailboxChange::Stored { .. },
                    ..
                }
            )
        })
        .count()
}

#[test]
fn a_full_mailbox_delays_the_mail_until_there_is_room_again() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/walkthrough.toml");
    let source = std::fs::read_to_string(path).unwrap()
        + "\n[[fault]]\nkind = \"mailbox_full\"\nhost = \"mx.b.example\"\nuser = \"bob\"\nfrom = \"0s\"\nuntil = \"15s\"\n";
    let sim = run("full-for-now.toml", &source, None);
    let said = payloads(&sim);
    assert!(
        said.iter()
            .any(|p| p.starts_with("452 4.2.2 <bob@b.example>: Mailbox full")),
        "RCPT is refused for now"
    );
    // Refused at about 0.3 s, tried again 10 s and 20 s later: the second retry finds room.
    let a = host(&sim, "smtp.a.example");
    assert!(a.mta.queue.is_empty());
    assert!(
        a.store.mailboxes["alice"].messages.is_empty(),
        "a full mailbox is no reason to bounce"
    );
    assert_eq!(
        host(&sim, "mx.b.example").store.mailboxes["bob"]
            .messages
            .len(),
        1
    );
}

#[test]
fn a_mailbox_full_for_good_bounces_with_5_2_2() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/walkthrough.toml");
    let source = std::fs::read_to_string(path).unwrap()
        + "\n[[fault]]\nkind = \"mailbox_full\"\nhost = \"mx.b.example\"\npermanent = true\nfrom = \"0s\"\n";
    let sim = run("full-for-good.toml", &source, None);
    assert!(
        payloads(&sim)
            .iter()
            .any(|p| p.starts_with("552 5.2.2 <bob@b.example>: Mailbox full"))
    );
    assert!(
        host(&sim, "mx.b.example").store.mailboxes["bob"]
            .messages
            .is_empty()
    );
    let a = host(&sim, "smtp.a.example");
    assert!(a.mta.queue.is_empty());
    let bounce = a.store.mailboxes["alice"]
        .messages
        .first()
        .expect("the sender got a bounce");
    let text = String::from_utf8_lossy(&bounce.data);
    assert!(text.contains("Status: 5.2.2"), "{text}");
    assert!(text.contains("Remote-MTA: dns; mx.b.example"), "{text}");
}

#[test]
fn a_domain_without_mx_gets_its_mail_at_its_own_address() {
    // RFC 5321 §5.1: no MX record, so the domain's A record is the implicit MX.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/walkthrough.toml");
    let source = std::fs::read_to_string(path).unwrap();
    let mx = "[[dns]]\nname = \"b.example\"\ntype = \"MX\"\npreference = 10\nexchange = \"mx.b.example\"\n";
    assert!(source.contains(mx), "the walkthrough's MX record moved");
    let source = source
        .replace(mx, "")
        .replace("name = \"mx.b.example\"", "name = \"b.example\"")
        .replace("\"mx.b.example\"", "\"b.example\"")
        .replace("\"mx.b.example stores", "\"b.example stores");
    let sim = run("no-mx.toml", &source, None);
    let notes: Vec<&str> = sim
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Note { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("b.example has no MX record")),
        "{notes:?}"
    );
    assert_eq!(
        host(&sim, "b.example").store.mailboxes["bob"]
            .messages
            .len(),
        0
    );
    assert_eq!(
        host(&sim, "bob-pc.b.example").program.inbox.len(),
        1,
        "and Bob reads it"
    );
    for c in check::check(&sim) {
        assert!(c.ok, "{}: {}", c.text, c.found);
    }
}

#[test]
fn a_lossy_link_loses_segments_and_tcp_sends_each_again_until_it_arrives() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/packet-loss.toml");
    let source = std::fs::read_to_string(path).unwrap();
    for seed in 0..20 {
        let sim = run("packet-loss.toml", &source, Some(seed));
        let segments: Vec<(mailsim::SimTime, &mailsim::Segment)> = sim
            .trace()
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Segment(s) => Some((e.time, s)),
                _ => None,
            })
            .collect();
        let lost = segments.iter().filter(|(_, s)| s.lost).count();
        assert!(lost > 0, "seed {seed}: a rate of 0.3 loses something");
        for (i, (t, s)) in segments.iter().enumerate() {
            let same = |o: &mailsim::Segment| {
                o.conn == s.conn
                    && o.direction == s.direction
                    && o.seq == s.seq
                    && o.flags == s.flags
            };
            if s.lost {
                // The next sending of the same bytes comes one timeout later: 1 s, 2 s, 4 s, ...
                let (t2, again) = segments[i + 1..]
                    .iter()
                    .find(|(_, o)| same(o))
                    .unwrap_or_else(|| panic!("seed {seed}: a lost segment is sent again"));
                assert_eq!(again.attempt, s.attempt + 1);
                assert_eq!(again.payload, s.payload);
                assert_eq!(t2.0 - t.0, 1_000_000 << s.attempt, "seed {seed}");
            }
            // Only one sending of each segment gets through.
            let through = segments.iter().filter(|(_, o)| same(o) && !o.lost).count();
            assert_eq!(through, 1, "seed {seed}: {:?}", s.flags);
        }
        // Losses are TCP's business: SMTP hears each command once and the mail is stored once.
        let mx = host(&sim, "mx.b.example");
        let stored = stored_count(&sim);
        assert_eq!(stored, 1, "seed {seed}");
        assert!(
            mx.store.mailboxes["bob"].messages.is_empty(),
            "Bob downloaded it"
        );
        for c in check::check(&sim) {
            assert!(c.ok, "seed {seed}: {}: {}", c.text, c.found);
        }
    }
}

#[test]
fn a_lost_dns_query_or_answer_makes_the_resolver_ask_again() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/walkthrough.toml");
    let source = std::fs::read_to_string(path).unwrap()
        + "\n[[fault]]\nkind = \"loss\"\nhost = \"ns.example\"\nrate = 0.5\nfrom = \"0s\"\nuntil = \"2m\"\n";
    let mut asked_again = 0;
    for seed in 0..20 {
        let sim = run("dns-loss.toml", &source, Some(seed));
        let grams: Vec<(mailsim::SimTime, &mailsim::Datagram)> = sim
            .trace()
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Datagram(d) => Some((e.time, d)),
                _ => None,
            })
            .collect();
        for (i, (t, d)) in grams.iter().enumerate() {
            let query = d.direction == mailsim::Direction::ClientToServer;
            // A query whose answer never came (it, or its answer, was lost) is asked again,
            // the same bytes 2 s later, up to three times in all.
            let answered = grams[i + 1..].iter().any(|(_, o)| {
                !o.lost && o.direction != d.direction && o.payload[..2] == d.payload[..2]
            });
            if query && d.attempt < 2 && (d.lost || !answered) {
                let (t2, again) = grams[i + 1..]
                    .iter()
                    .find(|(_, o)| o.direction == d.direction && o.payload == d.payload)
                    .unwrap_or_else(|| panic!("seed {seed}: the resolver asks again"));
                assert_eq!(again.attempt, d.attempt + 1);
                assert_eq!(t2.0 - t.0, 2_000_000, "seed {seed}");
                asked_again += 1;
            }
        }
        // However many are lost, the mail arrives once and leaves the queue.
        let stored = stored_count(&sim);
        assert_eq!(stored, 1, "seed {seed}");
        assert!(
            host(&sim, "smtp.a.example").mta.queue.is_empty(),
            "seed {seed}"
        );
    }
    assert!(asked_again > 5, "the losses are exercised");
}

#[test]
fn an_unreachable_server_times_out_unanswered_syns_and_the_mail_waits() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/server-down-retry.toml"
    );
    let source = std::fs::read_to_string(path).unwrap();
    assert!(source.contains("kind = \"down\""));
    let source = source.replace("kind = \"down\"", "kind = \"unreachable\"");
    let sim = run("unreachable.toml", &source, None);
    let syns: Vec<(u64, u8, bool)> = sim
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(s)
                if s.flags == mailsim::TcpFlags(mailsim::TcpFlags::SYN)
                    && sim.trace().host_name(s.to.host) == "mx.b.example" =>
            {
                Some((e.time.0, s.attempt, s.lost))
            }
            _ => None,
        })
        .collect();
    // The first try: five SYNs 1, 2, 4 and 8 s apart, none answered, no RST.
    let first: Vec<_> = syns.iter().take(5).collect();
    assert!(first.iter().all(|(_, _, lost)| *lost), "{syns:?}");
    let gaps: Vec<u64> = first.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert_eq!(gaps, [1_000_000, 2_000_000, 4_000_000, 8_000_000]);
    let said = |what: &str| {
        sim.trace()
            .events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Note { text, .. } if text.contains(what)))
    };
    assert!(said("no answer to 5 SYNs: the connection timed out"));
    assert!(said(
        "connection timed out (no answer to SYN); it stays queued"
    ));
    // Once the fault is over a SYN gets through, and the mail is delivered once.
    assert!(syns.iter().any(|(_, _, lost)| !lost));
    for c in check::check(&sim) {
        assert!(c.ok, "{}: {}", c.text, c.found);
    }
}
