//! The window as a teacher uses it: questions that stop the run, presenter mode, the console and
//! its exercises, What if…, and a glyph for every symbol the window writes.

use super::*;

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
    assert_eq!(cursor(&app), posed[0].after.map(|a| EventId(a.index() - 1)));
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
    send(&mut app, UiCommand::SelectHost(Some(ns)));
    let q = app.world().resource::<Quiz>();
    assert!(q.given[1].as_ref().is_some_and(|g| g.right && g.tries == 1));
    assert_eq!(q.score(), (1, 5));
    // Questions off: it plays to the end without stopping.
    send_quiz(&mut app, QuizCommand::Continue);
    send_quiz(&mut app, QuizCommand::Enable(false));
    let n_events = app.world().resource::<Model>().trace.events.len();
    for _ in 0..20_000 {
        app.update();
        if cursor(&app) == Some(EventId(n_events - 1)) {
            break;
        }
    }
    assert_eq!(cursor(&app), Some(EventId(n_events - 1)));
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
                Some(i) if i.index() < at.len() => at[i.index()] += 1,
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
    assert_eq!(c.part, Some(mailsim::EventId(2)));
    assert!(c.lines[0].contains("to bob@b.example") && c.lines[1].contains("to bobb@b.example"));
    assert!(
        c.outcomes[1].iter().any(|l| l.contains("a bounce")),
        "{:?}",
        c.outcomes
    );
    assert_eq!(cursor(&app), Some(EventId(2)));
    let n = app.world().resource::<Model>().trace.events.len();
    app.world_mut().resource_mut::<WhatIf>().ask_play_changed();
    app.update();
    {
        let m = app.world().resource::<Model>();
        assert!(m.name.contains("what if the sender mistypes"), "{}", m.name);
        assert_ne!(m.trace.events.len(), n);
        assert_eq!(cursor(&app), Some(EventId(1)));
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
