//! Following mails through bundled and test networks.

#[test]
fn mails_with_the_same_subject_are_told_apart() {
    // In a busy network every computer sends "busy 0": the journey is one mail's.
    let s = crate::scenario::parse("busy", &crate::generate::busy(30)).unwrap();
    let mut sim = crate::Sim::new(&s, None);
    sim.run_to_end();
    let j = super::follow(sim.trace(), "busy 0").unwrap();
    let count = |k: super::HopKind| j.hops.iter().filter(|h| h.kind == k).count();
    assert_eq!(count(super::HopKind::Submit), 1);
    assert_eq!(count(super::HopKind::Relay), 1);
    assert_eq!(count(super::HopKind::Stored), 1);
}

/// A mail for two domains goes on as two copies: where one is stored, its Received lines
/// are the ones of its own way there, for its own recipient, not the other copy's.
#[test]
fn each_copy_has_its_own_received_lines() {
    let source = include_str!("../../tests/networks/three-domains.toml");
    let s = crate::scenario::parse("three-domains.toml", source).unwrap();
    let mut sim = crate::Sim::new(&s, None);
    sim.run_to_end();
    let j = super::follow(sim.trace(), "Book club").unwrap();
    // Each line as the hop that added it, the server that wrote it and its recipient.
    let at = |i: usize| -> Vec<String> {
        let part = |r: &str, a: &str, b: &str| -> String {
            let r = r.split_once(a).map_or("", |x| x.1);
            r.split(b).next().unwrap_or("").to_string()
        };
        j.received_at(i)
            .into_iter()
            .map(|(n, r)| format!("{n} {} {}", part(r, " by ", " "), part(r, "for <", ">")))
            .collect()
    };
    // The first hop that is so.
    let find = |so: &dyn Fn(&super::Hop) -> bool| j.hops.iter().position(so).unwrap();
    use super::HopKind::{Fetch, Relay, Stored, Submit};
    // Handed to a.example's server: the one line it adds for each copy.
    let submit = find(&|h| h.kind == Submit);
    assert_eq!(
        at(submit),
        [
            format!("{submit} smtp.a.example bob@b.example"),
            format!("{submit} smtp.a.example grase@c.example")
        ]
    );
    // Stored in bob's mailbox: b.example's line and a.example's for bob, newest first.
    let stored = find(&|h| h.kind == Stored);
    let relay = find(&|h| h.kind == Relay && !h.added.is_empty());
    assert_eq!(
        at(stored),
        [
            format!("{relay} mx.b.example bob@b.example"),
            format!("{submit} smtp.a.example bob@b.example")
        ]
    );
    // Fetched from there: the same copy.
    let fetch = find(&|h| h.kind == Fetch);
    assert_eq!(at(fetch), at(stored));
    // The relay c.example refused: the copy for grase, with a.example's line for her only.
    let refused = find(&|h| h.kind == Relay && h.header.is_none());
    assert_eq!(
        at(refused),
        [format!("{submit} smtp.a.example grase@c.example")]
    );
}

#[test]
fn the_download_belongs_to_the_fetch() {
    let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
    let mut sim = crate::Sim::new(&s, None);
    sim.run_to_end();
    let j = super::follow(sim.trace(), "Lunch on Friday?").unwrap();
    let fetch = j
        .hops
        .iter()
        .find(|h| h.kind == super::HopKind::Fetch)
        .unwrap();
    assert!(fetch.events.iter().any(|&e| matches!(
        sim.trace().get(e).map(|e| &e.kind),
        Some(crate::EventKind::Downloaded { .. })
    )));
    assert!(fetch.events.windows(2).all(|w| w[0] < w[1]));
}

/// In a trace that forgot its first events (a long live run), the journey names the
/// events it still finds by their ids: the same events the whole run's journey names.
#[test]
fn a_journey_in_a_trace_that_forgot_names_events_by_id() {
    let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
    let mut sim = crate::Sim::new(&s, None);
    sim.run_to_end();
    let whole = sim.trace();
    let j = super::follow(whole, "Lunch on Friday?").unwrap();
    let fetch = |j: &super::Journey| {
        j.hops
            .iter()
            .find(|h| h.kind == super::HopKind::Fetch)
            .map(|h| (h.first, h.events.clone()))
    };
    let (first, _) = fetch(&j).unwrap();
    let mut kept = whole.clone();
    kept.forget(first.index());
    assert_eq!(kept.first_id(), first);
    let jk = super::follow(&kept, "Lunch on Friday?").unwrap();
    assert_eq!(fetch(&jk), fetch(&j));
    for e in jk.events() {
        assert_eq!(kept.get(e), whole.get(e), "event {e}");
    }
    let mut text = Vec::new();
    super::write_text(&kept, &jk, &mut text).unwrap();
    assert!(
        String::from_utf8(text)
            .unwrap()
            .contains(&format!("#{first}"))
    );
}

#[test]
fn a_queue_entry_names_its_mail() {
    let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
    let mut sim = crate::Sim::new(&s, None);
    sim.run_to_end();
    let id = sim
        .trace()
        .events
        .iter()
        .find_map(|e| match &e.kind {
            crate::EventKind::Queue {
                id, added: true, ..
            } => Some(id.clone()),
            _ => None,
        })
        .unwrap();
    let subject = super::subject_queued_as(sim.trace(), &id);
    assert_eq!(subject.as_deref(), Some("Lunch on Friday?"));
    assert_eq!(super::subject_queued_as(sim.trace(), "NOSUCH"), None);
}
