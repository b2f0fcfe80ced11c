//! Be the client, in the window: the student picks a server, types a mail program's lines, and
//! the bytes go over the simulated network ([`crate::console`]); the replies come back with their
//! notes and hints, and the diagram animates both ways (the run grows by the session's events).

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};

use super::model::{Cursor, Model};
use crate::console::{Console, Reply};

/// The console's window and session.
#[derive(Resource, Default)]
pub struct ConsoleUi {
    /// The window is open.
    pub open: bool,
    /// The session (from the first Connect on).
    session: Option<Console>,
    /// The server and port chosen, `host:port`.
    pub target: String,
    /// What the student is typing.
    pub input: String,
    /// What was said, in order: (who, text), who = 'C' (the student), 'S', '—' (a note), '!'
    /// (a hint) or '·' (the console's own word).
    pub lines: Vec<(char, String)>,
    /// What the window asked for this frame, applied by [`apply`].
    pending: Option<Action>,
    /// The scenario the session belongs to (another one opened ends it).
    for_model: String,
    /// Lines still to send, one a frame (`screenshot --talk … --say …`).
    script: std::collections::VecDeque<String>,
    /// What the student could type next ([`Console::next_step`]).
    next: Option<String>,
    /// The scenario's expectations, checked against the session after each line: (holds, text).
    checklist: Vec<(bool, String)>,
    /// The exercise whose own server (`talk = …`) the console last opened at, by model name.
    opened_for: String,
}

/// What the console's buttons ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Connect,
    Send,
}

impl ConsoleUi {
    /// Connects to `target` (`host:port`), as the Connect button does.
    pub fn ask_connect(&mut self, target: &str) {
        self.target = target.to_string();
        self.pending = Some(Action::Connect);
    }

    /// Sends `line`, as Enter does.
    pub fn ask_send(&mut self, line: &str) {
        self.input = line.to_string();
        self.pending = Some(Action::Send);
    }

    /// What the student could type next, as the console shows it.
    pub fn next(&self) -> Option<&str> {
        self.next.as_deref()
    }

    /// The exercise's checklist: each expectation, and whether it holds now.
    pub fn checklist(&self) -> &[(bool, String)] {
        &self.checklist
    }

    /// Connects to `target`, then sends `lines` one a frame, as a student typing them would
    /// (in place of an exercise's own opening, for the scenario named `model`).
    pub fn script(&mut self, model: &str, target: &str, lines: Vec<String>) {
        self.open = true;
        self.opened_for = model.to_string();
        self.ask_connect(target);
        self.script = lines.into();
    }

    /// After each line: what to type next, and how far the exercise's expectations are.
    fn review(&mut self) {
        let Some(c) = &self.session else {
            return;
        };
        self.next = c.next_step();
        self.checklist = crate::check::check(c.sim())
            .into_iter()
            .map(|x| (x.ok, x.text))
            .collect();
    }

    fn said(&mut self, replies: Vec<Reply>) {
        for r in replies {
            for l in r.text.lines() {
                self.lines.push(('S', l.to_string()));
            }
            self.lines.push(('—', r.note));
            if let Some(h) = r.hint {
                self.lines.push(('!', h));
            }
        }
    }
}

/// The servers a student can talk to: every service of every host but DNS, `host:port (name)`.
fn targets(model: &Model) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for h in &model.scenario.hosts {
        for s in &h.services {
            if *s != crate::scenario::Service::Dns {
                out.push((
                    format!("{}:{}", h.name, s.port()),
                    format!("{}:{} ({})", h.name, s.port(), s.name()),
                ));
            }
        }
    }
    out
}

/// Brings the session's new events into the window's run and plays them.
fn show_in_run(c: &Console, model: &mut Model, cursor: &mut Cursor) {
    let t = c.sim().trace();
    let have = model.trace.next_id();
    if t.next_id() <= have {
        return;
    }
    // The student's computer is a host of the run from the first session on.
    if model.scenario.hosts.len() < t.hosts.len() {
        model.scenario.hosts.push(crate::console::students_host());
        model.trace.hosts = t.hosts.clone();
    }
    model.extend(t.since(have).to_vec());
    // On the last event before the new ones, which play next.
    cursor.event = Some(crate::EventId(have.index().saturating_sub(1)));
    cursor.progress = 1.0;
    cursor.playing = true;
}

/// The console window (it only asks; [`apply`] does, so the run changes only when it must).
pub(super) fn console_ui(ctx: &egui::Context, ui_state: &mut ConsoleUi, model: &Model) {
    if !ui_state.open {
        return;
    }
    let mut open = true;
    egui::Window::new("Be the mail program")
        .id(egui::Id::new("console"))
        .open(&mut open)
        .default_width(520.0)
        .default_height(380.0)
        .show(ctx, |ui| {
            let choices = targets(model);
            if ui_state.target.is_empty()
                && let Some((t, _)) = choices.first()
            {
                ui_state.target = t.clone();
            }
            ui.horizontal(|ui| {
                ui.label("Server:");
                egui::ComboBox::from_id_salt("console-target")
                    .selected_text(&ui_state.target)
                    .show_ui(ui, |ui| {
                        for (t, shown) in &choices {
                            ui.selectable_value(&mut ui_state.target, t.clone(), shown);
                        }
                    });
                if ui.button("Connect").clicked() {
                    ui_state.pending = Some(Action::Connect);
                }
            });
            egui::ScrollArea::vertical()
                .max_height(260.0)
                .stick_to_bottom(true)
                .show(ui, |ui| {
                    for (who, text) in &ui_state.lines {
                        let (prefix, color) = match who {
                            'C' => ("C: ", Color32::from_rgb(120, 180, 255)),
                            'S' => ("S: ", Color32::from_rgb(230, 230, 230)),
                            '—' => ("   — ", Color32::GRAY),
                            '!' => ("   hint: ", Color32::from_rgb(240, 170, 80)),
                            _ => ("", Color32::GRAY),
                        };
                        ui.add(
                            egui::Label::new(
                                RichText::new(format!("{prefix}{text}"))
                                    .monospace()
                                    .color(color),
                            )
                            .wrap(),
                        );
                    }
                });
            let connected = ui_state.session.as_ref().is_some_and(|c| !c.closed);
            ui.horizontal(|ui| {
                let r = ui.add_enabled(
                    connected,
                    egui::TextEdit::singleline(&mut ui_state.input)
                        .font(egui::TextStyle::Monospace)
                        .hint_text("EHLO me.example, USER bob, a1 LOGIN bob secret …")
                        .desired_width(380.0),
                );
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui
                    .add_enabled(connected, egui::Button::new("Send"))
                    .clicked()
                    || enter)
                    && connected
                {
                    ui_state.pending = Some(Action::Send);
                    r.request_focus();
                }
            });
            if !connected {
                ui.label(
                    RichText::new("Choose a server and Connect; your computer is you.example.")
                        .weak(),
                );
            }
            if let Some(n) = ui_state
                .next
                .as_ref()
                .filter(|_| ui_state.session.is_some())
            {
                ui.label(
                    RichText::new(format!("Next: {n}")).color(Color32::from_rgb(140, 200, 140)),
                );
            }
            if !ui_state.checklist.is_empty() {
                ui.separator();
                ui.label(RichText::new("The exercise:").strong());
                for (ok, text) in &ui_state.checklist {
                    let (mark, color) = if *ok {
                        ("✔", Color32::from_rgb(120, 210, 120))
                    } else {
                        ("☐", Color32::GRAY)
                    };
                    ui.label(RichText::new(format!("{mark} {text}")).color(color));
                }
            }
        });
    if !open {
        ui_state.open = false;
    }
}

/// Carries out what the console window asked for.
fn apply(
    mut ui_state: ResMut<ConsoleUi>,
    mut model: ResMut<Model>,
    mut cursor: ResMut<Cursor>,
    mut quiz: ResMut<super::quiz::Quiz>,
) {
    // Another scenario opened (or the file reloaded): the session was of the old one.
    if ui_state.for_model != model.name && ui_state.session.is_some() {
        ui_state.session = None;
        ui_state.next = None;
        ui_state.checklist.clear();
        ui_state
            .lines
            .push(('·', "── another scenario: connect again ──".into()));
    }
    // An exercise (`talk = "HOST:PORT"`) opens the console at its server, once per opening.
    if let Some((h, port)) = model.scenario.talk
        && ui_state.opened_for != model.name
    {
        ui_state.opened_for = model.name.clone();
        ui_state.open = true;
        let target = format!("{}:{port}", model.scenario.hosts[h].name);
        ui_state.ask_connect(&target);
    }
    if ui_state.pending.is_none()
        && let Some(line) = ui_state.script.pop_front()
    {
        ui_state.ask_send(&line);
    }
    let Some(action) = ui_state.pending.take() else {
        return;
    };
    ui_state.for_model = model.name.clone();
    // The student is the client now: the scenario's questions would stop the run at moments
    // the session jumps past.
    if quiz.enabled || quiz.open.is_some() {
        quiz.enabled = false;
        quiz.open = None;
    }
    match action {
        Action::Connect => connect(&mut ui_state, &mut model, &mut cursor),
        Action::Send => send(&mut ui_state, &mut model, &mut cursor),
    }
    ui_state.review();
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ConsoleUi>().add_systems(
        Update,
        apply.before(super::model::apply_commands).run_if(
            |ui: Res<ConsoleUi>, model: Res<Model>| {
                ui.pending.is_some()
                    || ui.session.is_some()
                    || (model.scenario.talk.is_some() && ui.opened_for != model.name)
            },
        ),
    );
}

fn connect(ui_state: &mut ConsoleUi, model: &mut Model, cursor: &mut Cursor) {
    let Some((host, port)) = ui_state
        .target
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
    else {
        return;
    };
    let result = match &mut ui_state.session {
        Some(c) => c.connect(&host, port),
        None => {
            // The scenario as the file has it (without the student's computer, added by a session).
            let mut s = model.scenario.clone();
            s.hosts
                .retain(|h| h.name != crate::console::students_host().name);
            Console::open(&s, None, &host, port).map(|(c, g)| {
                ui_state.session = Some(c);
                g
            })
        }
    };
    match result {
        Ok(greeting) => {
            ui_state
                .lines
                .push(('·', format!("── connected to {host}:{port} ──")));
            ui_state.said(greeting);
        }
        Err(e) => ui_state.lines.push(('·', e)),
    }
    if let Some(c) = &ui_state.session {
        show_in_run(c, model, cursor);
    }
}

fn send(ui_state: &mut ConsoleUi, model: &mut Model, cursor: &mut Cursor) {
    let line = std::mem::take(&mut ui_state.input);
    let Some(c) = &mut ui_state.session else {
        return;
    };
    let replies = c.send(&line);
    let closed = c.closed;
    let server = c.server.clone();
    ui_state.lines.push(('C', line));
    ui_state.said(replies);
    if closed {
        ui_state
            .lines
            .push(('·', format!("── {server} closed the connection ──")));
    }
    if let Some(c) = &ui_state.session {
        show_in_run(c, model, cursor);
    }
}
