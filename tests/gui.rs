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
use mailsim::{EventKind, MailboxChange};

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

fn cursor(app: &App) -> Option<usize> {
    app.world().resource::<Cursor>().index
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
    assert_eq!(cursor(&app), Some(n - 1));
    send(&mut app, UiCommand::StepForward);
    assert_eq!(
        cursor(&app),
        Some(n - 1),
        "stepping past the end stays at the end"
    );
    for i in (0..n - 1).rev() {
        send(&mut app, UiCommand::StepBack);
        assert_eq!(cursor(&app), Some(i));
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
    send(&mut app, UiCommand::Seek(stored - 1));
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
    send(&mut app, UiCommand::SelectEvent(12));
    assert_eq!(cursor(&app), Some(12));
    assert_eq!(app.world().resource::<Selection>().event, Some(12));
    send(&mut app, UiCommand::StepForward);
    assert_eq!(
        app.world().resource::<Selection>().event,
        Some(13),
        "the selection follows the cursor"
    );
    send(&mut app, UiCommand::SelectHost(Some(3)));
    assert_eq!(app.world().resource::<Selection>().host, Some(3));
    assert_eq!(app.world().resource::<Selection>().event, Some(13));
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
    assert_eq!(cursor(&app), Some(n - 1));
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
    send(&mut app, UiCommand::SelectEvent(5));
    send(&mut app, UiCommand::Open(bad.clone()));
    let m = app.world().resource::<Model>();
    assert_eq!(m.scenario.title, "How email works");
    let err = m.error.as_deref().unwrap();
    assert!(err.contains("bad.toml:5:6"), "{err}");
    assert_eq!(cursor(&app), Some(5));
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
    assert!(
        default
            .iter()
            .all(|&i| !matches!(&t.events[i].kind, EventKind::Segment(s) if s.payload.is_empty()))
    );
    assert!(default.len() < t.events.len());
    // Only POP3 (steps stay as landmarks).
    let pop3 = Settings {
        show: [false, true, false, false, false, false, false],
        ..Settings::default()
    };
    let rows = visible_rows(t, &pop3);
    assert!(rows.iter().all(|&i| match &t.events[i].kind {
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
            .any(|&i| mailsim::report::summary(t, &t.events[i]).contains("RETR 1")),
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
            index: Some(i),
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
    let firsts: Vec<usize> = journey.hops.iter().map(|h| h.first).collect();
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

/// Predict, then see: playing stops at a question, the answer is graded against the run (a
/// second try after a wrong one), and only Continue plays on to the bytes that answer it.
#[test]
fn questions_stop_the_run_until_answered_and_grade_the_answer() {
    use mailsim::app::{Quiz, QuizCommand};
    let mut app = app_with_questions(true);
    let quiz = |app: &App| {
        let q = app.world().resource::<Quiz>();
        (q.open, q.score(), q.posed.clone())
    };
    let (open, (_, n), posed) = quiz(&app);
    assert_eq!((open, n), (None, 5));
    send(&mut app, UiCommand::TogglePlay);
    let mut frames = 0;
    while quiz(&app).0.is_none() && frames < 5000 {
        app.update();
        frames += 1;
    }
    // Stopped right after the RCPT TO, before the reply that answers it.
    assert_eq!(quiz(&app).0, Some(0));
    assert_eq!(cursor(&app), posed[0].after);
    assert!(!app.world().resource::<Cursor>().playing);
    let reply = posed[0].answered_by.unwrap();
    assert!(reply > posed[0].after.unwrap());
    // It cannot be stepped past while unanswered; looking back is allowed.
    send(&mut app, UiCommand::StepForward);
    assert_eq!(cursor(&app), posed[0].after);
    send(&mut app, UiCommand::StepBack);
    assert_eq!(cursor(&app), posed[0].after.map(|a| a - 1));
    send(&mut app, UiCommand::StepForward);
    // Wrong, then wrong again: the right answer is told, and counted wrong.
    send_quiz(&mut app, QuizCommand::Answer("550".into()));
    assert!(app.world().resource::<Quiz>().given[0].is_none());
    assert_eq!(
        app.world().resource::<Quiz>().wrong_once.as_deref(),
        Some("550")
    );
    send_quiz(&mut app, QuizCommand::Answer("354".into()));
    let g = app.world().resource::<Quiz>().given[0].clone().unwrap();
    assert!(!g.right && g.tries == 2);
    send_quiz(&mut app, QuizCommand::Continue);
    assert!(app.world().resource::<Cursor>().playing);
    // The next question: which host gets the next packet; a click on the DNS server answers it.
    let mut frames = 0;
    while quiz(&app).0 != Some(1) && frames < 5000 {
        app.update();
        frames += 1;
    }
    assert_eq!(cursor(&app), posed[1].after);
    let ns = app
        .world()
        .resource::<Model>()
        .scenario
        .host_id("ns.example")
        .unwrap();
    send(&mut app, UiCommand::SelectHost(Some(ns.index())));
    let q = app.world().resource::<Quiz>();
    assert!(q.given[1].as_ref().is_some_and(|g| g.right && g.tries == 1));
    assert_eq!(q.score(), (1, 5));
    // Questions off: it plays to the end without stopping.
    send_quiz(&mut app, QuizCommand::Continue);
    send_quiz(&mut app, QuizCommand::Enable(false));
    let n_events = app.world().resource::<Model>().trace.events.len();
    for _ in 0..20_000 {
        app.update();
        if cursor(&app) == Some(n_events - 1) {
            break;
        }
    }
    assert_eq!(cursor(&app), Some(n_events - 1));
    assert_eq!(quiz(&app).0, None);
    // Again: every answer forgotten, back to the start, questions on.
    send_quiz(&mut app, QuizCommand::Again);
    let q = app.world().resource::<Quiz>();
    assert!(q.enabled && q.given.iter().all(Option::is_none));
    assert_eq!(cursor(&app), None);
}

fn send_quiz(app: &mut App, c: mailsim::app::QuizCommand) {
    app.world_mut().write_message(c);
    app.update();
}

/// Presenter mode: playing waits at each narrated step long enough to read it (3 s and more), and
/// goes through other events as usual.
#[test]
fn presenter_mode_pauses_at_each_narrated_step() {
    let frames_at = |presenter: bool| {
        let mut app = app();
        app.world_mut().resource_mut::<Settings>().presenter = presenter;
        send(&mut app, UiCommand::TogglePlay);
        // Frames (0.1 s each) the cursor spends on each of the first events.
        let mut at = vec![0usize; 12];
        for _ in 0..2000 {
            app.update();
            match cursor(&app) {
                Some(i) if i < at.len() => at[i] += 1,
                Some(_) => break,
                None => {}
            }
        }
        at
    };
    let (on, off) = (frames_at(true), frames_at(false));
    let m = Model::walkthrough();
    for i in 0..on.len() {
        let step = matches!(m.trace.events[i].kind, EventKind::Step { .. });
        if step {
            assert!(on[i] >= off[i] + 30, "event {i}: {} vs {}", on[i], off[i]);
        } else if i < on.len() - 1 {
            assert!(
                on[i].abs_diff(off[i]) <= 1,
                "event {i}: {} vs {}",
                on[i],
                off[i]
            );
        }
    }
    assert!(matches!(m.trace.events[1].kind, EventKind::Step { .. }));
}

/// Be the client in the window: the console's session runs after the scenario's story, its
/// bytes join the run (new events after the last, the student's computer a new host), and the
/// replies come back with notes and hints.
#[test]
fn the_console_sends_typed_lines_and_the_run_grows_by_them() {
    use mailsim::app::console::ConsoleUi;
    // With questions on: the session's jump to the end must not stop at them.
    let mut app = app_with_questions(true);
    let (n0, h0) = {
        let m = app.world().resource::<Model>();
        (m.trace.events.len(), m.scenario.hosts.len())
    };
    app.world_mut()
        .resource_mut::<ConsoleUi>()
        .ask_connect("mx.b.example:25");
    app.update();
    let m = app.world().resource::<Model>();
    assert_eq!(m.scenario.hosts.len(), h0 + 1);
    assert_eq!(m.scenario.hosts[h0].name, "you.example");
    assert!(m.trace.events.len() > n0);
    assert!(
        m.trace
            .events
            .iter()
            .enumerate()
            .all(|(i, e)| e.id.index() == i)
    );
    let lines = app.world().resource::<ConsoleUi>().lines.clone();
    assert!(
        lines
            .iter()
            .any(|(w, t)| *w == 'S' && t.starts_with("220 mx.b.example")),
        "{lines:?}"
    );
    for line in ["RCPT TO:<bob@b.example>", "EHLO me.example"] {
        app.world_mut().resource_mut::<ConsoleUi>().ask_send(line);
        app.update();
    }
    let lines = app.world().resource::<ConsoleUi>().lines.clone();
    assert!(
        lines.iter().any(|(w, t)| *w == 'S' && t.starts_with("503")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|(w, t)| *w == '!' && t.contains("MAIL FROM")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|(w, t)| *w == 'S' && t.starts_with("250 HELP")),
        "{lines:?}"
    );
    // The student's EHLO is in the run, sent from the student's computer.
    let m = app.world().resource::<Model>();
    assert!(m.trace.events[n0..].iter().any(|e| matches!(&e.kind,
        EventKind::Segment(s) if s.payload.starts_with(b"EHLO me.example") && s.from.host.index() == h0)));
    // The cursor plays the new events; no question stops it, and the questions stay posed.
    assert!(app.world().resource::<Cursor>().playing);
    let q = app.world().resource::<mailsim::app::Quiz>();
    assert_eq!((q.open, q.enabled, q.posed.len()), (None, false, 5));
}

/// An exercise (`talk = "HOST:PORT"`) opens the console at its server by itself; a script types
/// one line a frame; the next step and the checklist follow what the student has done.
#[test]
fn an_exercise_opens_the_console_and_its_checklist_fills_in() {
    use mailsim::app::console::ConsoleUi;
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/talk-smtp-yourself.toml");
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(Model::load(&path).unwrap());
    logic_plugin(&mut app);
    app.update();
    {
        let c = app.world().resource::<ConsoleUi>();
        assert!(c.open);
        assert_eq!(c.target, "mx.b.example:25");
        assert!(
            c.lines
                .iter()
                .any(|(w, t)| *w == 'S' && t.starts_with("220 "))
        );
        assert_eq!(c.next(), Some("say who you are: EHLO me.example"));
        assert_eq!(
            c.checklist().iter().map(|(ok, _)| *ok).collect::<Vec<_>>(),
            [false, false]
        );
    }
    let mail = [
        "EHLO me.example",
        "MAIL FROM:<you@you.example>",
        "RCPT TO:<bob@b.example>",
        "DATA",
        "Subject: Hello by hand",
        "",
        "Typed in the window.",
        ".",
    ];
    let name = app.world().resource::<Model>().name.clone();
    app.world_mut().resource_mut::<ConsoleUi>().script(
        &name,
        "mx.b.example:25",
        mail.iter().map(|l| l.to_string()).collect(),
    );
    // The connect, then one line a frame.
    for _ in 0..=mail.len() {
        app.update();
    }
    {
        let c = app.world().resource::<ConsoleUi>();
        let typed: Vec<&str> = c
            .lines
            .iter()
            .filter(|(w, _)| *w == 'C')
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(typed, mail);
        assert!(c.next().unwrap().starts_with("the server has the mail"));
        assert_eq!(
            c.checklist().iter().map(|(ok, _)| *ok).collect::<Vec<_>>(),
            [true, false],
            "{:?}",
            c.checklist()
        );
    }
    app.world_mut().resource_mut::<ConsoleUi>().script(
        &name,
        "mx.b.example:110",
        ["USER bob", "PASS bob-secret", "RETR 1", "QUIT"]
            .map(String::from)
            .to_vec(),
    );
    for _ in 0..=4 {
        app.update();
    }
    let c = app.world().resource::<ConsoleUi>();
    assert_eq!(
        c.checklist().to_vec(),
        [
            (
                true,
                "bob@b.example has 1 message, \"Hello by hand\" on mx.b.example".to_string()
            ),
            (true, "someone sent `RETR`".to_string())
        ]
    );
}

/// What if? A change is compared with the run on screen (where they part, how each ends), the
/// changed run can be played, and the original comes back.
#[test]
fn what_if_compares_a_changed_run_plays_it_and_comes_back() {
    use mailsim::app::whatif::WhatIf;
    use mailsim::whatif::Change;
    let mut app = app();
    let s = app.world().resource::<Model>().scenario.clone();
    let typo = Change::offered(&s, mailsim::SimTime::ZERO)
        .into_iter()
        .find(|c| matches!(c, Change::Mistype { .. }))
        .unwrap();
    app.world_mut().resource_mut::<WhatIf>().ask_compare(typo);
    app.update();
    let c = app.world().resource::<WhatIf>().shown.clone().unwrap();
    assert_eq!(
        c.change,
        "the sender mistypes bob@b.example as bobb@b.example"
    );
    assert_eq!(c.part, Some(2));
    assert!(c.lines[0].contains("to bob@b.example") && c.lines[1].contains("to bobb@b.example"));
    assert!(
        c.outcomes[1].iter().any(|l| l.contains("a bounce")),
        "{:?}",
        c.outcomes
    );
    assert_eq!(cursor(&app), Some(2));
    let n = app.world().resource::<Model>().trace.events.len();
    app.world_mut().resource_mut::<WhatIf>().ask_play_changed();
    app.update();
    {
        let m = app.world().resource::<Model>();
        assert!(m.name.contains("what if the sender mistypes"), "{}", m.name);
        assert_ne!(m.trace.events.len(), n);
        assert_eq!(cursor(&app), Some(1));
    }
    app.world_mut().resource_mut::<WhatIf>().ask_original();
    app.update();
    assert_eq!(app.world().resource::<Model>().trace.events.len(), n);
    assert!(!app.world().resource::<WhatIf>().playing_changed());
}

/// "Save as scenario": the changed scenario beside the file, one that parses and runs as the
/// change made in the window.
#[test]
fn what_if_saves_the_changed_scenario_beside_the_file() {
    use mailsim::app::whatif::WhatIf;
    use mailsim::whatif::Change;
    let dir = std::env::temp_dir().join(format!("mailsim-whatif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("lesson.toml");
    std::fs::write(&f, mailsim::WALKTHROUGH).unwrap();
    let mut app = app();
    *app.world_mut().resource_mut::<Model>() = Model::load(&f).unwrap();
    app.update();
    let s = app.world().resource::<Model>().scenario.clone();
    let mx = s.host_id("mx.b.example").unwrap();
    let change = Change::Full { host: mx };
    app.world_mut()
        .resource_mut::<WhatIf>()
        .ask_compare(change.clone());
    app.update();
    app.world_mut().resource_mut::<WhatIf>().ask_save();
    app.update();
    let saved = dir.join("lesson-what-if.toml");
    let said = app
        .world()
        .resource::<WhatIf>()
        .shown
        .clone()
        .unwrap()
        .saved;
    assert_eq!(said, Some(format!("saved as {}", saved.display())));
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(text.contains("# What if: the mailboxes on mx.b.example are full (552 5.2.2)"));
    let back = mailsim::scenario::parse("saved", &text).unwrap();
    assert_eq!(back.faults.len(), s.faults.len() + 1);
    std::fs::remove_dir_all(&dir).ok();
}

/// Every symbol the window writes has a glyph in egui's fonts: a check mark or arrow that no
/// font has is drawn as an empty box. Reads the string literals of the code whose text the window
/// shows, and the scenarios' narrations, and asks egui's own fonts.
#[test]
fn every_symbol_the_window_writes_has_a_glyph() {
    use bevy_egui::egui;
    let ctx = egui::Context::default();
    // The font atlas's texture delta of this frame is not drawn anywhere: cleared, as egui asks.
    ctx.run_ui(egui::RawInput::default(), |_| {})
        .textures_delta
        .clear();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![
        root.join("src"),
        root.join("scenarios"),
        root.join("exercises"),
    ];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    // Written only to a terminal, never to the window.
    let terminal = ["lesson.rs", "report.rs", "main.rs", "window.rs"];
    // Marks the byte view turns into drawn badges (CR, LF) before any font sees them.
    let badges = ['␍', '␊'];
    let fonts = [
        egui::FontId::proportional(14.0),
        egui::FontId::monospace(14.0),
    ];
    // egui draws a character no font has as its replacement square, '◻' (its own `has_glyph`
    // also says no for characters of the font that holds that square, so it cannot tell).
    let glyph = |id: &egui::FontId, c: char| {
        ctx.fonts_mut(|fs| {
            let g = fs.layout_no_wrap(c.to_string(), id.clone(), egui::Color32::WHITE);
            g.rows[0].glyphs[0].uv_rect
        })
    };
    let drawn = |id: &egui::FontId, c: char| c == '◻' || glyph(id, c) != glyph(id, '◻');
    assert!(
        !drawn(&fonts[0], '\u{2713}'),
        "a check mark no font has is caught"
    );
    let mut missing = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if terminal.contains(&name.as_str()) || f.extension().is_some_and(|x| x == "png") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("//") || t.starts_with('#') {
                continue;
            }
            // In Rust, what is between quotes; in a scenario, the whole line.
            let shown: String = if name.ends_with(".rs") {
                line.split('"').skip(1).step_by(2).collect()
            } else {
                line.to_string()
            };
            for c in shown
                .chars()
                .filter(|c| !c.is_ascii() && !badges.contains(c))
            {
                if !fonts.iter().any(|id| drawn(id, c)) {
                    missing.push(format!(
                        "{}:{}: {c} (U+{:04X})",
                        f.display(),
                        n + 1,
                        c as u32
                    ));
                }
            }
        }
    }
    assert!(missing.is_empty(), "no font has these: {missing:#?}");
}
