//! What if? The toolbar offers changes that make a lesson ([`crate::whatif`]); the scenario is run
//! again with one of them (same seed) and the two runs are compared: where they part, and how each
//! ends. The changed run can be played in the window, and the original brought back.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};

use super::model::{Cursor, Model};
use crate::whatif::Change;

/// A comparison shown, and the run it came from.
#[derive(Resource, Default)]
pub struct WhatIf {
    /// The comparison window's contents, when one is open.
    pub shown: Option<Comparison>,
    /// The original run while the changed one plays.
    original: Option<Model>,
    /// What the window asked for this frame.
    pending: Option<Ask>,
}

/// Two runs side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The change, in words.
    pub change: String,
    /// The first event where the runs differ (`None`: the same run).
    pub part: Option<crate::EventId>,
    /// That event in each run, in one line (`(the run ends here)` for one that is shorter).
    pub lines: [String; 2],
    /// How each ends.
    pub outcomes: [Vec<String>; 2],
    /// The changed scenario, to play.
    scenario: crate::Scenario,
    /// The change itself, to write into the file.
    made: Change,
    /// Where "Save as scenario" wrote it, or why it could not.
    pub saved: Option<String>,
}

#[derive(Debug, Clone)]
enum Ask {
    Compare(Change),
    PlayChanged,
    Original,
    Save,
}

impl WhatIf {
    /// Compares the open run with `change` made, as the menu does.
    pub fn ask_compare(&mut self, change: Change) {
        self.pending = Some(Ask::Compare(change));
    }

    /// Plays the changed run in the window.
    pub fn ask_play_changed(&mut self) {
        self.pending = Some(Ask::PlayChanged);
    }

    /// Writes the changed scenario as a file next to the original (or in the current folder).
    pub fn ask_save(&mut self) {
        self.pending = Some(Ask::Save);
    }

    /// Back to the original run.
    pub fn ask_original(&mut self) {
        self.pending = Some(Ask::Original);
    }

    /// The original run is put aside while a changed one plays.
    pub fn playing_changed(&self) -> bool {
        self.original.is_some()
    }
}

fn line(t: &crate::Trace, id: crate::EventId) -> String {
    t.get(id)
        .map(|e| format!("#{} {}  {}", e.id, e.time, crate::report::summary(t, e)))
        .unwrap_or_else(|| "(the run ends here)".into())
}

fn apply(
    mut w: ResMut<WhatIf>,
    mut model: ResMut<Model>,
    mut cursor: ResMut<Cursor>,
    mut quiz: ResMut<super::quiz::Quiz>,
) {
    let Some(ask) = w.pending.take() else { return };
    // Comparing runs jumps about in them: the scenario's questions would stop every jump.
    if quiz.enabled || quiz.open.is_some() {
        quiz.enabled = false;
        quiz.open = None;
    }
    match ask {
        Ask::Compare(change) => {
            let Some(changed) = change.apply(&model.scenario) else {
                return;
            };
            let mut sim = crate::Sim::new(&changed, None);
            sim.run_to_end();
            let mut base = crate::Sim::new(&model.scenario, None);
            base.run_to_end();
            let part = crate::diff::first_difference(base.trace(), sim.trace());
            let at = part.unwrap_or(crate::EventId(0));
            w.shown = Some(Comparison {
                change: change.describe(&model.scenario),
                part,
                lines: [line(base.trace(), at), line(sim.trace(), at)],
                outcomes: [crate::diff::outcome(&base), crate::diff::outcome(&sim)],
                scenario: changed,
                made: change,
                saved: None,
            });
            // Where they part, in the run on screen.
            if let Some(p) = part {
                cursor.playing = false;
                cursor.event = model.trace.last_id().map(|l| p.min(l));
                cursor.progress = 1.0;
            }
        }
        Ask::PlayChanged => {
            let Some(c) = &w.shown else { return };
            let name = format!("{} — what if {}", model.name, c.change);
            let changed = Model::new(c.scenario.clone(), name, None);
            let part = c.part;
            let original = std::mem::replace(&mut *model, changed);
            if w.original.is_none() {
                w.original = Some(original);
            }
            *cursor = Cursor {
                speed: cursor.speed,
                event: part
                    .and_then(|p| p.index().checked_sub(1))
                    .map(crate::EventId),
                ..Cursor::default()
            };
        }
        Ask::Save => {
            let result = save(&model, w.shown.as_ref().map(|c| c.made.clone()));
            if let Some(c) = &mut w.shown {
                c.saved = Some(match result {
                    Ok(path) => format!("saved as {path}"),
                    Err(e) => format!("not saved: {e}"),
                });
            }
        }
        Ask::Original => {
            if let Some(o) = w.original.take() {
                *model = o;
                *cursor = Cursor {
                    speed: cursor.speed,
                    ..Cursor::default()
                };
            }
        }
    }
}

/// Writes the open scenario's file with `change` made into it: `NAME-what-if.toml` beside the
/// file, or in the current folder for a bundled scenario. Returns the path written.
fn save(model: &Model, change: Option<Change>) -> Result<String, String> {
    let change = change.ok_or("nothing to save")?;
    let (source, target) = match &model.path {
        Some(p) => {
            let source = std::fs::read_to_string(p).map_err(|e| e.to_string())?;
            let stem = p
                .file_stem()
                .map_or("scenario".into(), |s| s.to_string_lossy());
            (source, p.with_file_name(format!("{stem}-what-if.toml")))
        }
        None => {
            let (file, source) = match super::model::BUNDLED
                .iter()
                .find(|(title, _, _)| *title == model.name)
            {
                Some((_, file, source)) => (file.to_string(), source.to_string()),
                // A file given as text (in the browser): its name may be a URL.
                None => (
                    model.name.clone(),
                    model
                        .source
                        .clone()
                        .ok_or("the scenario's file is not known")?,
                ),
            };
            let file = file.split(['?', '#']).next().unwrap_or(&file);
            let stem = file
                .rsplit('/')
                .next()
                .unwrap_or(file)
                .trim_end_matches(".toml");
            (
                source,
                std::path::PathBuf::from(format!("{stem}-what-if.toml")),
            )
        }
    };
    let text = change
        .write_into(&model.scenario, &source)
        .ok_or("the file is laid out in a way this change cannot be written into")?;
    // In the browser there is no folder to write to: the page downloads the file.
    #[cfg(target_arch = "wasm32")]
    {
        let name = target.display().to_string();
        super::web::download(&name, &text);
        Ok(format!("{name} (downloaded)"))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::fs::write(&target, text).map_err(|e| e.to_string())?;
        Ok(target.display().to_string())
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<WhatIf>().add_systems(
        Update,
        apply
            .before(super::model::apply_commands)
            .run_if(|w: Res<WhatIf>| w.pending.is_some()),
    );
}

/// The toolbar's "What if…" menu.
pub(super) fn menu_ui(ui: &mut egui::Ui, model: &Model, cursor: &Cursor, w: &mut WhatIf) {
    if w.playing_changed() {
        if ui
            .button("Back to the original")
            .on_hover_text("The run as the scenario file has it")
            .clicked()
        {
            w.ask_original();
        }
        return;
    }
    let now = cursor
        .event
        .and_then(|i| model.trace.get(i))
        .map_or(crate::SimTime::ZERO, |e| e.time);
    ui.menu_button("What if…", |ui| {
        ui.label(RichText::new("Run it again with one change (same seed):").weak());
        for c in Change::offered(&model.scenario, now) {
            if ui.button(c.describe(&model.scenario)).clicked() {
                w.ask_compare(c);
                ui.close();
            }
        }
    });
}

/// The comparison window.
pub(super) fn comparison_ui(ctx: &egui::Context, model: &Model, w: &mut WhatIf) {
    let Some(c) = &w.shown else { return };
    let mut open = true;
    let mut play = false;
    let mut save_it = false;
    egui::Window::new(format!("What if {}?", c.change))
        .id(egui::Id::new("what-if"))
        .open(&mut open)
        .default_width(760.0)
        .show(ctx, |ui| {
            match c.part {
                None => {
                    ui.label("The runs are the same, event for event: this change makes no difference here.");
                }
                Some(p) => {
                    ui.label(
                        RichText::new(format!("The runs agree for {p} events; they part at event #{p}:"))
                            .strong(),
                    );
                    for (who, l) in [("as it is", &c.lines[0]), ("with the change", &c.lines[1])] {
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(format!("{who}:")).color(Color32::GRAY));
                            ui.label(RichText::new(l).monospace());
                        });
                    }
                }
            }
            ui.separator();
            ui.columns(2, |cols| {
                for (k, title) in ["How it ends as it is", "How it ends with the change"]
                    .into_iter()
                    .enumerate()
                {
                    cols[k].label(RichText::new(title).strong());
                    for l in &c.outcomes[k] {
                        let changed = !c.outcomes[1 - k].contains(l);
                        let text = RichText::new(l);
                        cols[k].add(
                            egui::Label::new(if changed {
                                text.color(Color32::from_rgb(240, 170, 80))
                            } else {
                                text
                            })
                            .wrap(),
                        );
                    }
                }
            });
            ui.separator();
            ui.horizontal(|ui| {
                if c.part.is_some() && ui.button("Play the changed run").clicked() {
                    play = true;
                }
                let known = model.path.is_some()
                    || model.source.is_some()
                    || super::model::BUNDLED.iter().any(|b| b.0 == model.name);
                if known
                    && ui
                        .button("Save as scenario")
                        .on_hover_text(
                            "Write the changed scenario as a file to keep (NAME-what-if.toml)",
                        )
                        .clicked()
                {
                    save_it = true;
                }
                if let Some(s) = &c.saved {
                    ui.label(s);
                }
            });
        });
    if play {
        w.ask_play_changed();
    }
    if save_it {
        w.ask_save();
    }
    if !open {
        w.shown = None;
    }
}
