//! The window's logic, headless: bevy's MinimalPlugins drive the model, cursor and commands, with
//! no window and no GPU. (The one test binary that links bevy.)
#![cfg(feature = "gui")]

use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use mailsim::app::{
    AtCursor, Cursor, Model, Selection, Settings, UiCommand, logic_plugin, packets_in_flight,
    visible_rows, world_of,
};
use mailsim::{EventId, EventKind, HostId, MailboxChange};

/// The walkthrough's window logic, playing through its questions (as screenshots do).
fn app() -> App {
    app_with_questions(false)
}

fn app_with_questions(ask: bool) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
            100,
        )))
        .insert_resource(Model::walkthrough());
    logic_plugin(&mut app);
    app.world_mut().resource_mut::<Settings>().ask_questions = ask;
    app.update();
    app
}

fn send(app: &mut App, c: UiCommand) {
    app.world_mut().write_message(c);
    app.update();
}

fn cursor(app: &App) -> Option<EventId> {
    app.world().resource::<Cursor>().event
}

/// Whether the window's view agrees with the simulated world itself: each mailbox (uids,
/// subjects, flags), each queue, each inbox. The view is replayed from the trace; the world is
/// what the simulation holds, so this is not the view compared with itself.
fn agrees(view: &mailsim::view::WorldView, sim: &mailsim::Sim) -> Result<(), String> {
    for (h, real) in sim.hosts().iter().enumerate() {
        let shown = &view.hosts[h];
        for (user, mb) in &real.store.mailboxes {
            let r: Vec<(String, String, String)> = mb
                .messages
                .iter()
                .map(|m| (m.uid.to_string(), m.subject.clone(), m.flags.join(" ")))
                .collect();
            let v: Vec<(String, String, String)> = shown
                .mailboxes
                .get(user)
                .map(|l| {
                    l.iter()
                        .map(|m| (m.uid.clone(), m.subject.clone(), m.flags.clone()))
                        .collect()
                })
                .unwrap_or_default();
            if r != v {
                return Err(format!(
                    "{user}'s mailbox on host {h}: {r:?} shown as {v:?}"
                ));
            }
        }
        let rq: Vec<&str> = real.mta.queue.iter().map(|q| q.id.as_str()).collect();
        let vq: Vec<&str> = shown.queue.iter().map(|q| q.0.as_str()).collect();
        if rq != vq {
            return Err(format!("queue of host {h}: {rq:?} shown as {vq:?}"));
        }
        let ri: Vec<&str> = real
            .program
            .inbox
            .iter()
            .map(|m| m.subject.as_str())
            .collect();
        let vi: Vec<&str> = shown.inbox.iter().map(|m| m.subject.as_str()).collect();
        if ri != vi {
            return Err(format!("inbox of host {h}: {ri:?} shown as {vi:?}"));
        }
    }
    Ok(())
}

/// The simulated world after each step of a fresh run: (the last event of the step, the world
/// then, as `agrees` reads it).
fn worlds(m: &Model, mut at: impl FnMut(usize, &mailsim::Sim)) {
    let mut sim = mailsim::Sim::new(&m.scenario, None);
    while let Some(r) = sim.step() {
        if !r.is_empty() {
            at(r.end.index() - 1, &sim);
        }
    }
}

#[test]
fn stepping_back_gives_exactly_the_state_of_stepping_forward() {
    let mut app = app();
    let n = app.world().resource::<Model>().trace.events.len();
    let mut forward = Vec::new();
    for _ in 0..n {
        send(&mut app, UiCommand::StepForward);
        forward.push(app.world().resource::<AtCursor>().0.clone());
    }
    assert_eq!(cursor(&app), Some(EventId(n - 1)));
    send(&mut app, UiCommand::StepForward);
    assert_eq!(
        cursor(&app),
        Some(EventId(n - 1)),
        "stepping past the end stays at the end"
    );
    for i in (0..n - 1).rev() {
        send(&mut app, UiCommand::StepBack);
        assert_eq!(cursor(&app), Some(EventId(i)));
        assert_eq!(
            app.world().resource::<AtCursor>().0,
            forward[i],
            "state differs at event {i}"
        );
    }
    send(&mut app, UiCommand::StepBack);
    assert_eq!(cursor(&app), None);
    // And forwards is the world as the simulation had it, after every step of the run.
    let m = app.world().resource::<Model>();
    let mut compared = 0;
    worlds(m, |i, sim| {
        if let Err(e) = agrees(&forward[i], sim) {
            panic!("after event {i}: {e}");
        }
        compared += 1;
    });
    assert!(compared > n / 2, "{compared} of {n}");
}

#[test]
fn the_mailbox_at_the_cursor_matches_the_trace() {
    let mut app = app();
    let (stored, mx) = {
        let m = app.world().resource::<Model>();
        let stored = m
            .trace
            .events
            .iter()
            .position(|e| {
                matches!(
                    e.kind,
                    EventKind::Mailbox {
                        change: MailboxChange::Stored { .. },
                        ..
                    }
                )
            })
            .unwrap();
        (stored, m.scenario.host_id("mx.b.example").unwrap())
    };
    send(&mut app, UiCommand::Seek(EventId(stored - 1)));
    assert!(app.world().resource::<AtCursor>().0.hosts[mx].mailboxes["bob"].is_empty());
    send(&mut app, UiCommand::StepForward);
    assert_eq!(
        app.world().resource::<AtCursor>().0.hosts[mx].mailboxes["bob"].len(),
        1
    );
    send(&mut app, UiCommand::End);
    // At the end, the world the simulation ended with.
    let m = app.world().resource::<Model>();
    let mut sim = mailsim::Sim::new(&m.scenario, None);
    sim.run_to_end();
    agrees(&app.world().resource::<AtCursor>().0, &sim).unwrap();
}

#[test]
fn selecting_in_one_view_selects_everywhere() {
    let mut app = app();
    send(&mut app, UiCommand::SelectEvent(EventId(12)));
    assert_eq!(cursor(&app), Some(EventId(12)));
    assert_eq!(app.world().resource::<Selection>().event, Some(EventId(12)));
    send(&mut app, UiCommand::StepForward);
    assert_eq!(
        app.world().resource::<Selection>().event,
        Some(EventId(13)),
        "the selection follows the cursor"
    );
    send(&mut app, UiCommand::SelectHost(Some(HostId(3))));
    assert_eq!(app.world().resource::<Selection>().host, Some(HostId(3)));
    assert_eq!(app.world().resource::<Selection>().event, Some(EventId(13)));
}

/// A long live run forgets its oldest events (`mailsim serve`'s budget); the window's model
/// keeps the run's event ids, so the cursor, the selection, the ladder's row and the packet on
/// the diagram go on naming the same event while more are forgotten. Once the selected event
/// is forgotten too, the selection still names it (the inspector says it is no longer kept),
/// never another event, and the cursor moves to the first event kept.
#[test]
fn a_live_run_that_forgets_keeps_the_cursor_and_selection_on_their_event() {
    use mailsim::app::LiveTrace;
    let scenario = Model::walkthrough().scenario;
    let mut sim = mailsim::Sim::new(&scenario, None);
    sim.set_trace_budget(mailsim::Budget {
        events: 40,
        ..mailsim::Budget::LIVE
    });
    // The window on the live run, as `open --serve` opens it: none of its events yet.
    let empty = mailsim::Trace {
        hosts: sim.trace().hosts.clone(),
        ..Default::default()
    };
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
            100,
        )))
        .insert_resource(Model::with_trace(scenario, empty, "live".into(), None));
    logic_plugin(&mut app);
    {
        let mut settings = app.world_mut().resource_mut::<Settings>();
        settings.live = true;
        settings.show_passwords = true;
    }
    app.update();
    // The run goes on, and the window takes what it has after each step (as the bridge's poll
    // does), until `until` holds of the run's trace.
    let mut taken = LiveTrace::default();
    let mut run_until = |app: &mut App, until: &dyn Fn(&mailsim::Trace) -> bool| {
        while !until(sim.trace()) {
            sim.step().expect("the run goes on long enough");
            app.world_mut()
                .resource_scope(|world, mut model: Mut<Model>| {
                    let mut cursor = world.resource_mut::<Cursor>();
                    taken.take(sim.trace(), &[], true, &mut model, &mut cursor);
                });
            app.update();
            let m = app.world().resource::<Model>();
            assert_eq!(m.trace.first_id(), sim.trace().first_id());
            assert_eq!(m.trace.next_id(), sim.trace().next_id());
        }
        sim.trace().clone()
    };
    let kept = run_until(&mut app, &|t| t.first_id() > EventId(0));
    // A message with bytes among the newest (not the last: a cursor there follows the run), so
    // that it outlives the next forgetting.
    let x = kept
        .events
        .iter()
        .rev()
        .skip(1)
        .find(|e| matches!(&e.kind, EventKind::Segment(s) if !s.payload.is_empty()))
        .expect("a message is kept")
        .clone();
    let id = x.id;
    assert!(
        id.index() >= kept.events.len(),
        "its id is not its position"
    );
    send(&mut app, UiCommand::SelectEvent(id));
    let first = kept.first_id();
    let later = run_until(&mut app, &|t| {
        t.first_id() > first && t.last_id() > Some(id)
    });
    assert!(later.get(id).is_some(), "the test's event is still kept");
    let m = app.world().resource::<Model>();
    assert_eq!(m.trace.get(id), Some(&x), "the model names the same event");
    assert_eq!(cursor(&app), Some(id));
    assert_eq!(app.world().resource::<Selection>().event, Some(id));
    // The ladder's current row (the last at or before the cursor) is that event's, and the
    // diagram's current packet is it.
    let rows = mailsim::ladder::rows(&m.trace, false, true);
    let current = rows.iter().rfind(|r| r.event <= id).unwrap();
    assert_eq!(current.event, id);
    let layout = mailsim::layout::Layout::new(&m.scenario, &m.links, (700.0, 470.0), 1.0);
    let flying = packets_in_flight(m, &layout, app.world().resource::<Cursor>());
    assert_eq!(flying.iter().find(|p| p.current).map(|p| p.event), Some(id));
    assert!(visible_rows(&m.trace, &Settings::default()).contains(&id));
    // Forgotten at last: the selection still names it and nothing else; the cursor is on the
    // first event kept.
    let gone = run_until(&mut app, &|t| t.first_id() > id);
    let m = app.world().resource::<Model>();
    assert_eq!(app.world().resource::<Selection>().event, Some(id));
    assert_eq!(m.trace.get(id), None);
    assert_eq!(cursor(&app), gone.events.first().map(|e| e.id));
    send(&mut app, UiCommand::StepForward);
    assert_eq!(cursor(&app), Some(gone.first_id().plus(1)));
}

#[test]
fn narration_steps_jump_to_their_first_event() {
    let mut app = app();
    let starts = app.world().resource::<Model>().step_starts.clone();
    for &s in &starts {
        send(&mut app, UiCommand::NextStep);
        assert_eq!(cursor(&app), Some(s));
        assert_eq!(
            app.world().resource::<AtCursor>().0.step,
            Some(starts.iter().position(|&x| x == s).unwrap())
        );
    }
    send(&mut app, UiCommand::PrevStep);
    assert_eq!(cursor(&app), Some(starts[starts.len() - 2]));
}

#[test]
fn playing_advances_by_time_and_stops_at_the_end() {
    let mut app = app();
    send(&mut app, UiCommand::Speed(10.0));
    send(&mut app, UiCommand::TogglePlay);
    assert!(app.world().resource::<Cursor>().playing);
    let n = app.world().resource::<Model>().trace.events.len();
    let mut last = None;
    for _ in 0..n * 3 {
        app.update();
        let c = cursor(&app);
        assert!(c >= last, "the cursor went backwards while playing");
        last = c;
    }
    assert_eq!(cursor(&app), Some(EventId(n - 1)));
    assert!(
        !app.world().resource::<Cursor>().playing,
        "playback stops at the end"
    );
    send(&mut app, UiCommand::Speed(50.0));
    assert_eq!(
        app.world().resource::<Cursor>().speed,
        10.0,
        "speed is capped at 10x"
    );
}

#[test]
fn a_bad_file_keeps_the_previous_scenario_and_shows_where() {
    let mut app = app();
    let dir = std::env::temp_dir().join(format!("mailsim-gui-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "format = 1\ntitle = \"x\"\n[[host]]\nname = \"a.example\"\nip = \"1.2.3\"\n",
    )
    .unwrap();
    send(&mut app, UiCommand::SelectEvent(EventId(5)));
    send(&mut app, UiCommand::Open(bad.clone()));
    let m = app.world().resource::<Model>();
    assert_eq!(m.scenario.title, "How email works");
    let err = m.error.as_deref().unwrap();
    assert!(err.contains("bad.toml:5:6"), "{err}");
    assert_eq!(cursor(&app), Some(EventId(5)));
    send(&mut app, UiCommand::DismissError);
    assert!(app.world().resource::<Model>().error.is_none());
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        mailsim::WALKTHROUGH.replace("How email works", "Renamed"),
    )
    .unwrap();
    send(&mut app, UiCommand::Open(good));
    assert_eq!(app.world().resource::<Model>().scenario.title, "Renamed");
    assert_eq!(cursor(&app), None);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn filters_and_search_choose_the_rows() {
    let app = app();
    let m = app.world().resource::<Model>();
    let t = &m.trace;
    let all = Settings {
        show: [true; 7],
        ..Settings::default()
    };
    assert_eq!(visible_rows(t, &all).len(), t.events.len());
    // Default: TCP control segments hidden.
    let default = visible_rows(t, &Settings::default());
    assert!(default.iter().all(
        |&i| !matches!(&t.get(i).unwrap().kind, EventKind::Segment(s) if s.payload.is_empty())
    ));
    assert!(default.len() < t.events.len());
    // Only POP3 (steps stay as landmarks).
    let pop3 = Settings {
        show: [false, true, false, false, false, false, false],
        ..Settings::default()
    };
    let rows = visible_rows(t, &pop3);
    assert!(rows.iter().all(|&i| match &t.get(i).unwrap().kind {
        EventKind::Segment(s) => s.protocol == mailsim::protocols::Protocol::Pop3,
        EventKind::Step { .. } => true,
        _ => false,
    }));
    assert!(rows.len() > 20);
    // Search, case-insensitive, in summaries and host names.
    let search = Settings {
        search: "retr".into(),
        ..all.clone()
    };
    let rows = visible_rows(t, &search);
    assert!(
        rows.iter()
            .any(|&i| mailsim::report::summary(t, t.get(i).unwrap()).contains("RETR 1")),
        "{rows:?}"
    );
    let by_host = Settings {
        search: "NS.EXAMPLE".into(),
        ..all
    };
    assert_eq!(
        visible_rows(t, &by_host).len(),
        4,
        "two queries and two answers"
    );
}

#[test]
fn a_lost_packet_stops_half_way_and_its_retransmission_goes_all_the_way() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/packet-loss.toml");
    let source = std::fs::read_to_string(path).unwrap();
    let s = mailsim::scenario::parse("packet-loss.toml", &source).unwrap();
    let model = Model::new(s, "packet-loss".into(), None);
    let seg = |i: usize| match &model.trace.events[i].kind {
        EventKind::Segment(s) => Some(s.clone()),
        _ => None,
    };
    let lost = (0..model.trace.events.len())
        .find(|&i| seg(i).is_some_and(|s| s.lost && s.attempt == 0))
        .expect("the lossy link loses something");
    let again = (lost + 1..model.trace.events.len())
        .find(|&i| seg(i).is_some_and(|s| !s.lost && s.seq == seg(lost).unwrap().seq))
        .expect("and sends it again");
    let (from, to) = {
        let s = seg(lost).unwrap();
        (s.from.host.index(), s.to.host.index())
    };
    let layout = mailsim::layout::Layout::new(&model.scenario, &model.links, (700.0, 470.0), 1.0);
    let path = layout.path(from, to);
    // Played to the end of its own animation, the lost packet is only half-way there; the
    // delivered retransmission arrives.
    for (i, want) in [(lost, 0.5), (again, 1.0)] {
        let c = Cursor {
            event: Some(EventId(i)),
            playing: true,
            progress: 1.0,
            ..Cursor::default()
        };
        let p = packets_in_flight(&model, &layout, &c)
            .into_iter()
            .find(|p| p.current)
            .unwrap();
        assert_eq!(p.lost, i == lost);
        let expected = world_of(&layout, mailsim::layout::point_along(&path, want));
        assert!(
            (p.pos - expected).length() < 0.5,
            "event {i}: {} vs {expected}",
            p.pos
        );
    }
}

#[test]
fn the_scenarios_menu_offers_every_bundled_scenario_with_its_title() {
    use mailsim::app::model::{BUNDLED, EXERCISES_FROM};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = |dir: &str| {
        let mut f: Vec<String> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        f.sort();
        f
    };
    let menu = |part: &[(&str, &str, &str)]| {
        let mut m: Vec<String> = part.iter().map(|(_, f, _)| f.to_string()).collect();
        m.sort();
        m
    };
    // The lessons, then the exercises (each a file with `talk`: the console opens by itself).
    assert_eq!(menu(&BUNDLED[..EXERCISES_FROM]), files("scenarios"));
    assert_eq!(menu(&BUNDLED[EXERCISES_FROM..]), files("exercises"));
    for (i, (title, file, source)) in BUNDLED.iter().enumerate() {
        let dir = if i < EXERCISES_FROM {
            "scenarios"
        } else {
            "exercises"
        };
        assert_eq!(
            *source,
            std::fs::read_to_string(root.join(dir).join(file)).unwrap()
        );
        let s = mailsim::scenario::parse(file, source).unwrap();
        assert_eq!(s.title, *title, "{file}");
        assert_eq!(s.talk.is_some(), i >= EXERCISES_FROM, "{file}");
    }
}

#[test]
fn following_a_mail_walks_its_hops() {
    let mut app = app();
    send(&mut app, UiCommand::Follow("Lunch on Friday?".into()));
    let journey = app
        .world()
        .resource::<Selection>()
        .journey
        .clone()
        .expect("the walkthrough's mail has a journey");
    let firsts: Vec<EventId> = journey.hops.iter().map(|h| h.first).collect();
    // Following moves to its first hop; next and previous walk the hops in order.
    assert_eq!(cursor(&app), Some(firsts[0]));
    for &f in &firsts[1..] {
        send(&mut app, UiCommand::Hop(true));
        assert_eq!(cursor(&app), Some(f));
    }
    send(&mut app, UiCommand::Hop(true));
    assert_eq!(
        cursor(&app),
        firsts.last().copied(),
        "no hop after the last"
    );
    send(&mut app, UiCommand::Hop(false));
    assert_eq!(cursor(&app), Some(firsts[firsts.len() - 2]));
    send(&mut app, UiCommand::Unfollow);
    assert!(app.world().resource::<Selection>().journey.is_none());
    // A mail nobody sent: nothing to follow, the cursor stays.
    let before = cursor(&app);
    send(&mut app, UiCommand::Follow("no such mail".into()));
    assert!(app.world().resource::<Selection>().journey.is_none());
    assert_eq!(cursor(&app), before);
}

#[test]
fn a_queue_entry_can_be_followed() {
    let mut app = app();
    let id = app
        .world()
        .resource::<Model>()
        .trace
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Queue {
                id, added: true, ..
            } => Some(id.clone()),
            _ => None,
        })
        .unwrap();
    send(&mut app, UiCommand::FollowQueued(id));
    let j = app.world().resource::<Selection>().journey.clone().unwrap();
    assert_eq!(j.subject, "Lunch on Friday?");
}

/// The teaching tools: questions, presenter mode, the console and its exercises, What if…, and
/// the glyphs they all write.
#[path = "gui/teaching.rs"]
mod teaching;
