//! Predict, then see: the window stops at each of the scenario's questions (`[[question]]`), asks
//! it, grades the answer against the run, and only then plays on and shows the bytes that answer
//! it. The answers come from [`crate::quiz`]; this module holds where the student is.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};

use super::model::{Cursor, Model, Selection, Settings};
use crate::EventId;
use crate::quiz::Posed;
use crate::scenario::QuestionKind;

/// What the student said to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// The last answer given.
    pub text: String,
    /// Whether it was right.
    pub right: bool,
    /// How many tries it took (1 or 2).
    pub tries: u8,
}

/// The questions of the open scenario and the student's answers.
#[derive(Resource, Debug, Default)]
pub struct Quiz {
    /// Each question where the run asks it, in the order the run reaches them.
    pub posed: Vec<Posed>,
    /// The answer to each of `posed` (`None`: not yet answered for good).
    pub given: Vec<Option<Given>>,
    /// The question being asked now (an index into `posed`).
    pub open: Option<usize>,
    /// A first wrong answer to the open question: the student may try again.
    pub wrong_once: Option<String>,
    /// What the student is typing.
    pub input: String,
    /// Questions are asked (off: the window plays through them).
    pub enabled: bool,
    /// The model these were posed for (its next event's id and scenario title).
    for_model: Option<(EventId, String)>,
}

impl Quiz {
    /// Right answers so far, and the number of questions.
    pub fn score(&self) -> (usize, usize) {
        let right = self.given.iter().flatten().filter(|g| g.right).count();
        (right, self.posed.len())
    }
}

/// What the quiz's buttons and the diagram say to it.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub enum QuizCommand {
    /// The student's answer to the open question.
    Answer(String),
    /// Close the answered question and play on.
    Continue,
    /// Forget every answer and go back to the start.
    Again,
    /// Ask questions, or play through them.
    Enable(bool),
}

/// Poses the questions afresh when another scenario is opened.
fn pose(model: Res<Model>, mut quiz: ResMut<Quiz>, settings: Res<Settings>) {
    // The run's length and which run it is (a what-if run has a name of its own).
    let key = (
        model.trace.next_id(),
        format!("{}\n{}", model.scenario.title, model.name),
    );
    if quiz.for_model.as_ref() == Some(&key) {
        return;
    }
    // The same run grown (the console's session, a live run): the questions stay as they were.
    if let Some((n, title)) = &quiz.for_model
        && *title == key.1
        && *n < key.0
        && quiz.posed.iter().all(|p| p.after.is_none_or(|a| a < *n))
    {
        quiz.for_model = Some(key);
        return;
    }
    let (mut posed, _) = crate::quiz::pose(&model.scenario, &model.trace);
    posed.sort_by_key(|p| (rank(p.after), p.index));
    *quiz = Quiz {
        given: vec![None; posed.len()],
        posed,
        // A live run has no questions to ask: its events are still to come.
        enabled: settings.ask_questions && !settings.live,
        for_model: Some(key),
        ..Quiz::default()
    };
}

/// How far into the run a cursor is: 0 before the first event, else one past its event's id.
fn rank(i: Option<EventId>) -> usize {
    i.map_or(0, |i| i.index() + 1)
}

/// Stops the cursor at the first question it would pass unanswered, and asks it.
fn stop_at_questions(
    mut quiz: ResMut<Quiz>,
    mut cursor: ResMut<Cursor>,
    mut selection: ResMut<Selection>,
    mut last: Local<Option<Option<EventId>>>,
) {
    let was = last.unwrap_or(None);
    let now = cursor.event;
    *last = Some(now);
    if !quiz.enabled {
        return;
    }
    if let Some(k) = quiz.open {
        // Unanswered, it holds the run at its moment: looking back is allowed, going past is not.
        let at = quiz.posed[k].after;
        if quiz.given[k].is_none() && rank(now) > rank(at) {
            cursor.event = at;
            cursor.playing = false;
            cursor.progress = 1.0;
            selection.event = at;
            *last = Some(at);
        }
        return;
    }
    // Only going forwards: a question is asked once its moment is passed, before what follows.
    if rank(now) <= rank(was) {
        return;
    }
    let due = quiz.posed.iter().enumerate().position(|(k, p)| {
        quiz.given[k].is_none() && rank(p.after) >= rank(was) && rank(p.after) < rank(now)
    });
    if let Some(k) = due {
        let at = quiz.posed[k].after;
        cursor.event = at;
        cursor.playing = false;
        cursor.progress = 1.0;
        selection.event = at;
        *last = Some(at);
        quiz.open = Some(k);
        quiz.input.clear();
        quiz.wrong_once = None;
    }
}

/// Applies the student's answers and choices.
fn apply(
    mut commands: MessageReader<QuizCommand>,
    mut ui: MessageReader<super::model::UiCommand>,
    mut quiz: ResMut<Quiz>,
    model: Res<Model>,
    mut cursor: ResMut<Cursor>,
) {
    // A click on a host of the diagram answers "which host receives the next packet?".
    let clicked: Vec<QuizCommand> = ui
        .read()
        .filter_map(|c| match c {
            super::model::UiCommand::SelectHost(Some(h)) => Some(*h),
            _ => None,
        })
        .filter(|_| {
            quiz.open.is_some_and(|k| {
                quiz.given[k].is_none()
                    && matches!(
                        model.scenario.questions[quiz.posed[k].index].kind,
                        QuestionKind::NextHost { .. }
                    )
            })
        })
        .filter_map(|h| model.scenario.hosts.get(h.index()))
        .map(|h| QuizCommand::Answer(h.name.clone()))
        .collect();
    for c in commands.read().chain(clicked.iter()) {
        match c {
            QuizCommand::Answer(text) => {
                let Some(k) = quiz.open else { continue };
                if quiz.given[k].is_some() {
                    continue;
                }
                let p = &quiz.posed[k];
                let q = &model.scenario.questions[p.index];
                let right = crate::quiz::grade(&model.scenario, q, p, text);
                if right || quiz.wrong_once.is_some() {
                    let tries = if quiz.wrong_once.is_some() { 2 } else { 1 };
                    quiz.given[k] = Some(Given {
                        text: text.clone(),
                        right,
                        tries,
                    });
                } else {
                    quiz.wrong_once = Some(text.clone());
                }
                quiz.input.clear();
            }
            QuizCommand::Continue => {
                if let Some(k) = quiz.open
                    && quiz.given[k].is_some()
                {
                    quiz.open = None;
                    quiz.wrong_once = None;
                    cursor.playing = true;
                }
            }
            QuizCommand::Again => {
                let n = quiz.posed.len();
                quiz.given = vec![None; n];
                quiz.open = None;
                quiz.wrong_once = None;
                quiz.enabled = true;
                *cursor = Cursor {
                    speed: cursor.speed,
                    ..Cursor::default()
                };
            }
            QuizCommand::Enable(on) => {
                quiz.enabled = *on;
                if !on {
                    quiz.open = None;
                }
            }
        }
    }
}

/// The model side of the quiz (headless tests drive it).
pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Quiz>()
        .add_message::<QuizCommand>()
        .add_systems(
            Update,
            (pose, apply, stop_at_questions)
                .chain()
                .after(super::model::advance)
                .before(super::model::update_view),
        );
}

/// The question window, in the lower right corner of the diagram (`area`: where hosts and packet
/// labels are least often), while a question is open.
pub(super) fn question_ui(
    ctx: &egui::Context,
    area: egui::Rect,
    model: &Model,
    quiz: &mut Quiz,
    out: &mut Vec<QuizCommand>,
) {
    let Some(k) = quiz.open else { return };
    let p = quiz.posed[k].clone();
    let given = quiz.given[k].clone();
    let q = &model.scenario.questions[p.index];
    let title = format!("Question {} of {}", k + 1, quiz.posed.len());
    egui::Window::new(title)
        .id(egui::Id::new("question"))
        .collapsible(false)
        .resizable(false)
        .pivot(egui::Align2::RIGHT_BOTTOM)
        .default_pos(area.right_bottom() - egui::vec2(10.0, 10.0))
        .default_width(440.0)
        .show(ctx, |ui| {
            ui.add(egui::Label::new(RichText::new(&q.ask).size(17.0).strong()).wrap());
            ui.add_space(6.0);
            match &given {
                None => {
                    if let Some(w) = &quiz.wrong_once {
                        ui.colored_label(
                            egui::Color32::from_rgb(200, 120, 40),
                            format!("Not {w}. Try again:"),
                        );
                    }
                    answer_ui(ui, model, q, &mut quiz.input, out);
                }
                Some(g) => {
                    if g.right {
                        ui.colored_label(
                            egui::Color32::from_rgb(40, 150, 60),
                            RichText::new(format!("✔ Right: {}", p.answer)).size(16.0),
                        );
                    } else {
                        ui.colored_label(
                            egui::Color32::from_rgb(200, 60, 50),
                            RichText::new(format!("✖ The answer is {}", p.answer)).size(16.0),
                        );
                    }
                    let why = q.why.clone().or_else(|| {
                        p.answered_by
                            .and_then(|i| model.trace.get(i))
                            .map(|ev| crate::report::with_note(&model.trace, ev))
                    });
                    if let Some(why) = why {
                        ui.add(egui::Label::new(why).wrap());
                    }
                    ui.add_space(6.0);
                    if ui.button("Continue ▶  (see it happen)").clicked() {
                        out.push(QuizCommand::Continue);
                    }
                }
            }
            ui.add_space(4.0);
            if ui
                .small_button("Play without questions")
                .on_hover_text("Turn the questions off; the toolbar's ? turns them on again")
                .clicked()
            {
                out.push(QuizCommand::Enable(false));
            }
        });
}

/// The ways to answer each kind of question.
fn answer_ui(
    ui: &mut egui::Ui,
    model: &Model,
    q: &crate::scenario::QuestionDef,
    input: &mut String,
    out: &mut Vec<QuizCommand>,
) {
    match &q.kind {
        QuestionKind::Choice { choices, .. } => {
            for (i, c) in choices.iter().enumerate() {
                if ui.button(format!("{}. {c}", i + 1)).clicked() {
                    out.push(QuizCommand::Answer(c.clone()));
                }
            }
        }
        QuestionKind::NextHost { .. } => {
            ui.label("Click the host on the diagram, or here:");
            ui.horizontal_wrapped(|ui| {
                for h in &model.scenario.hosts {
                    if ui.button(&h.name).clicked() {
                        out.push(QuizCommand::Answer(h.name.clone()));
                    }
                }
            });
        }
        QuestionKind::Order { items } => {
            ui.label("Drag them into the order they are sent (or use ⬆ ⬇), then Answer:");
            let mut order = order_of(input, items.len());
            let mut moved = None;
            for (pos, &i) in order.iter().enumerate() {
                let row = ui.horizontal(|ui| {
                    if ui
                        .add_enabled(pos > 0, egui::Button::new("⬆").small())
                        .clicked()
                    {
                        moved = Some((pos, pos - 1));
                    }
                    if ui
                        .add_enabled(pos + 1 < items.len(), egui::Button::new("⬇").small())
                        .clicked()
                    {
                        moved = Some((pos, pos + 1));
                    }
                    ui.dnd_drag_source(egui::Id::new(("order-item", i)), pos, |ui| {
                        ui.label(format!("☰ {}. {}", i + 1, items[i]));
                    });
                });
                if let Some(from) = row.response.dnd_release_payload::<usize>() {
                    moved = Some((*from, pos));
                }
            }
            if let Some((from, to)) = moved {
                let it = order.remove(from);
                order.insert(to, it);
            }
            // The order as the items' numbers (what a student could also type: 4312).
            *input = order.iter().map(|i| (i + 1).to_string()).collect();
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("your order: {input}")).weak());
                if ui.button("Answer").clicked() {
                    out.push(QuizCommand::Answer(input.clone()));
                }
            });
        }
        kind => {
            let hint = match kind {
                QuestionKind::Count { .. } => "a number",
                _ => "a reply code: 250, 354, +OK, -ERR, OK, NO...",
            };
            ui.horizontal(|ui| {
                let r = ui.add(
                    egui::TextEdit::singleline(input)
                        .hint_text(hint)
                        .desired_width(220.0),
                );
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button("Answer").clicked() || enter) && !input.trim().is_empty() {
                    out.push(QuizCommand::Answer(input.clone()));
                }
                // Ready to type, unless another field (the console's) has the keyboard.
                if input.is_empty() && ui.memory(|m| m.focused().is_none()) {
                    r.request_focus();
                }
            });
        }
    }
}

/// The order a student has put `n` items in so far, from their numbers (`"4312"`: the fourth
/// first), or as listed when that is not an order of all of them.
fn order_of(input: &str, n: usize) -> Vec<usize> {
    let order: Vec<usize> = input
        .chars()
        .filter_map(|c| c.to_digit(10))
        .map(|d| d as usize)
        .filter_map(|d| d.checked_sub(1))
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    if sorted == (0..n).collect::<Vec<_>>() {
        order
    } else {
        (0..n).collect()
    }
}

/// The toolbar's part: the score, and turning questions on and off.
pub(super) fn toolbar_ui(ui: &mut egui::Ui, quiz: &Quiz, out: &mut Vec<QuizCommand>) {
    if quiz.posed.is_empty() {
        return;
    }
    let (right, n) = quiz.score();
    let answered = quiz.given.iter().flatten().count();
    let mut on = quiz.enabled;
    if ui
        .toggle_value(&mut on, "?")
        .on_hover_text("Questions: stop and ask before showing what happens")
        .changed()
    {
        out.push(QuizCommand::Enable(on));
    }
    if answered > 0 {
        ui.label(format!("score {right} of {n}"));
        if answered == n && ui.small_button("Try again").clicked() {
            out.push(QuizCommand::Again);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::order_of;

    #[test]
    fn an_order_is_read_from_the_items_numbers_or_starts_as_listed() {
        assert_eq!(order_of("", 4), [0, 1, 2, 3]);
        assert_eq!(order_of("4312", 4), [3, 2, 0, 1]);
        assert_eq!(order_of("4 3 1 2", 4), [3, 2, 0, 1]);
        // Not an order of all four: one missing, one twice, one out of range.
        assert_eq!(order_of("431", 4), [0, 1, 2, 3]);
        assert_eq!(order_of("4311", 4), [0, 1, 2, 3]);
        assert_eq!(order_of("4315", 4), [0, 1, 2, 3]);
    }
}
