//! Scenarios in: a file browser inside the window (no desktop portal needed), drag and drop of a
//! `.toml`, and hot reload when the open file changes on disk.

use std::path::PathBuf;
use std::time::SystemTime;

use bevy::prelude::*;
use bevy::window::FileDragAndDrop;
use bevy_egui::egui;

use super::model::{Model, UiCommand};

/// The in-window file browser.
#[derive(Resource, Debug)]
pub struct FileBrowser {
    /// Shown or not.
    pub open: bool,
    /// The folder it lists.
    pub dir: PathBuf,
}

impl Default for FileBrowser {
    fn default() -> Self {
        let cwd = std::env::current_dir().unwrap_or_default();
        let scenarios = cwd.join("scenarios");
        FileBrowser {
            open: false,
            dir: if scenarios.is_dir() { scenarios } else { cwd },
        }
    }
}

/// Draws the browser: folders to enter, `.toml` files to open.
pub fn browser_ui(ctx: &egui::Context, browser: &mut FileBrowser, out: &mut Vec<UiCommand>) {
    if !browser.open {
        return;
    }
    let mut open = true;
    let mut go: Option<PathBuf> = None;
    egui::Window::new("Open a scenario")
        .open(&mut open)
        .default_width(460.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                if ui.button("⬆ up").clicked()
                    && let Some(p) = browser.dir.parent()
                {
                    go = Some(p.to_path_buf());
                }
                ui.label(egui::RichText::new(browser.dir.display().to_string()).monospace());
            });
            ui.separator();
            let mut entries: Vec<(bool, PathBuf)> = std::fs::read_dir(&browser.dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .map(|e| (e.path().is_dir(), e.path()))
                        .collect()
                })
                .unwrap_or_default();
            entries.retain(|(dir, p)| *dir || p.extension().is_some_and(|e| e == "toml"));
            entries.retain(|(_, p)| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            });
            entries.sort();
            egui::ScrollArea::vertical()
                .max_height(320.0)
                .show(ui, |ui| {
                    if entries.is_empty() {
                        ui.label("(no folders or .toml files here)");
                    }
                    for (dir, p) in entries {
                        let name = p
                            .file_name()
                            .map(|n| n.to_string_lossy().to_string())
                            .unwrap_or_default();
                        if dir {
                            if ui.button(format!("📁 {name}")).clicked() {
                                go = Some(p);
                            }
                        } else if ui.button(format!("📄 {name}")).clicked() {
                            out.push(UiCommand::Open(p));
                            browser.open = false;
                        }
                    }
                });
        });
    if let Some(d) = go {
        browser.dir = d;
    }
    if !open {
        browser.open = false;
    }
}

fn drop_files(mut drops: MessageReader<FileDragAndDrop>, mut out: MessageWriter<UiCommand>) {
    for d in drops.read() {
        if let FileDragAndDrop::DroppedFile { path_buf, .. } = d {
            out.write(UiCommand::Open(path_buf.clone()));
        }
    }
}

/// Reloads the open file when it changes on disk (checked twice a second).
fn hot_reload(
    time: Res<Time>,
    model: Res<Model>,
    mut last_check: Local<f32>,
    mut seen: Local<Option<(PathBuf, SystemTime)>>,
    mut out: MessageWriter<UiCommand>,
) {
    *last_check += time.delta_secs();
    if *last_check < 0.5 {
        return;
    }
    *last_check = 0.0;
    let Some(path) = &model.path else { return };
    let Some(now) = std::fs::metadata(path).ok().and_then(|m| m.modified().ok()) else {
        return;
    };
    let known = match &*seen {
        Some((p, t)) if p == path => *t,
        _ => model.modified.unwrap_or(now),
    };
    if now != known {
        out.write(UiCommand::Open(path.clone()));
    }
    *seen = Some((path.clone(), now));
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FileBrowser>().add_systems(
        Update,
        (drop_files, hot_reload).before(super::model::apply_commands),
    );
}
