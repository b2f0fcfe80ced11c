//! The toolbar (open, scenarios, play and step, speed, view, What if…, console, presenter) and
//! presenter mode's caption bar. They only read the model and push [`UiCommand`]s.

use bevy_egui::egui;
use egui::RichText;

use super::files::FileBrowser;
use super::model::{AtCursor, BUNDLED, Cursor, Model, Settings, UiCommand, View};

pub(super) fn toolbar_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cursor: &Cursor,
    settings: &mut Settings,
    browser: &mut FileBrowser,
    out: &mut Vec<UiCommand>,
    more: impl FnOnce(&mut egui::Ui),
) {
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Open…")
            .on_hover_text("Open a scenario file (or drop a .toml onto the window)")
            .clicked()
        {
            // In the browser, the page's own file picker: the window cannot list folders there.
            #[cfg(target_arch = "wasm32")]
            {
                let _ = &browser;
                super::web::pick_file();
            }
            #[cfg(not(target_arch = "wasm32"))]
            {
                browser.open = true;
            }
        }
        ui.menu_button("Scenarios", |ui| {
            for (i, (title, file, _)) in BUNDLED.iter().enumerate() {
                if i == super::model::EXERCISES_FROM {
                    ui.separator();
                    ui.label("Exercises: you are the mail program");
                }
                if ui.button(format!("{title}  ({file})")).clicked() {
                    out.push(UiCommand::OpenBundled(i));
                    ui.close();
                }
            }
        });
        ui.separator();
        if ui.button("⏮").on_hover_text("Start (Home)").clicked() {
            out.push(UiCommand::Start);
        }
        if ui.button("◀").on_hover_text("Step back (←)").clicked() {
            out.push(UiCommand::StepBack);
        }
        let play = if cursor.playing {
            "⏸ Pause"
        } else {
            "▶ Play"
        };
        if ui
            .button(play)
            .on_hover_text("Play / pause (Space)")
            .clicked()
        {
            out.push(UiCommand::TogglePlay);
        }
        if ui.button("▶|").on_hover_text("Step forward (→)").clicked() {
            out.push(UiCommand::StepForward);
        }
        if ui.button("⏭").on_hover_text("End (End)").clicked() {
            out.push(UiCommand::End);
        }
        let mut speed = cursor.speed;
        if ui
            .add(
                egui::Slider::new(&mut speed, 0.1..=10.0)
                    .logarithmic(true)
                    .suffix("×"),
            )
            .on_hover_text("Playback speed (+ / −)")
            .changed()
        {
            out.push(UiCommand::Speed(speed));
        }
        ui.separator();
        // Events by their ids, as the event list, the inspector and `mailsim run` call them.
        let trace = &model.trace;
        let first = trace.first_id();
        let at = match cursor.event {
            Some(i) => format!("event #{i}"),
            None => format!("before event #{first}"),
        };
        let t = cursor
            .event
            .and_then(|i| trace.get(i))
            .map_or("0.000s".into(), |e| e.time.to_string());
        ui.label(format!("{at} · {t}")).on_hover_text(format!(
            "This run's events are #{first} to #{}, as the event list, the inspector and \
             `mailsim run` number them",
            trace.last_id().unwrap_or(first)
        ));
        ui.separator();
        ui.toggle_value(&mut settings.large_text, "A+")
            .on_hover_text("Larger text, for projectors (Ctrl +)");
        more(ui);
        ui.toggle_value(&mut settings.presenter, "Present")
            .on_hover_text("Presenter mode (P): the diagram fills the screen, the narration as a caption, playing pauses at each narrated step");
        if settings.live {
            ui.toggle_value(&mut settings.show_passwords, "Show passwords")
                .on_hover_text(
                    "Passwords and AUTH lines the real programs send show as •••• on screen \
                     (the projector is public); this shows them",
                );
        }
        ui.separator();
        for (v, name) in [
            (View::Diagram, "Diagram"),
            (View::Ladder, "Ladder"),
            (View::Both, "Both"),
        ] {
            ui.selectable_value(&mut settings.view, v, name)
                .on_hover_text("The network, the ladder (a sequence diagram), or both (L)");
        }
    });
}

/// Presenter mode's caption: the narration in large type, the step, and the keys.
pub(super) fn presenter_caption_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cursor: &Cursor,
    at: &AtCursor,
    settings: &mut Settings,
    out: &mut Vec<UiCommand>,
) {
    let total = model.scenario.steps.len();
    ui.add_space(4.0);
    match at.0.step {
        Some(s) => {
            let n = at.0.step_number.unwrap_or(s + 1);
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!("Step {n} of {total}"))
                        .size(16.0)
                        .strong(),
                );
                if let Some(ev) = cursor.event.and_then(|i| model.trace.get(i)) {
                    ui.label(RichText::new(format!("· #{} · {}", ev.id, ev.time)).weak());
                }
            });
            ui.add(
                egui::Label::new(RichText::new(&model.scenario.steps[s].narration).size(22.0))
                    .wrap(),
            );
        }
        None => {
            ui.label(RichText::new(&model.scenario.title).size(22.0).strong());
            ui.add(egui::Label::new(RichText::new(&model.scenario.description).size(17.0)).wrap());
        }
    }
    ui.horizontal(|ui| {
        let play = if cursor.playing {
            "⏸ Pause"
        } else {
            "▶ Play"
        };
        if ui.button(play).clicked() {
            out.push(UiCommand::TogglePlay);
        }
        if ui.button("◀ step").clicked() {
            out.push(UiCommand::PrevStep);
        }
        if ui.button("step ▶").clicked() {
            out.push(UiCommand::NextStep);
        }
        if ui.button("Panels (P)").clicked() {
            settings.presenter = false;
        }
        ui.label(
            RichText::new(
                "Space: play · PgUp/PgDn: step · Left/Right: event · P: panels · L: ladder",
            )
            .weak(),
        );
    });
    ui.add_space(2.0);
}
