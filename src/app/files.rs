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

/// How often the watcher looks at the open file's modification time.
#[cfg(not(target_arch = "wasm32"))]
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// The open file as the watcher knows it: its path and modification time, and whether it changed.
#[derive(Default)]
struct Watched {
    file: Option<(PathBuf, Option<SystemTime>)>,
    changed: bool,
    /// The model it was told of last.
    generation: Option<u64>,
}

/// Watches the open file from a thread of its own, which looks at its modification time twice
/// a second (a stat, next to nothing) and wakes the window only when it changed: a paused window
/// otherwise sleeps until something happens, instead of drawing a frame at every look.
#[derive(Resource, Clone, Default)]
pub struct FileWatch(std::sync::Arc<std::sync::Mutex<Watched>>);

impl FileWatch {
    fn lock(&self) -> std::sync::MutexGuard<'_, Watched> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts the watching thread; `wake` wakes the window (none in tests, which step frames).
    #[cfg(not(target_arch = "wasm32"))]
    fn start(&self, wake: Option<bevy::winit::EventLoopProxy<bevy::winit::WinitUserEvent>>) {
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("file-watch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(WATCH_EVERY);
                    // Only the watch left: the window is gone.
                    if std::sync::Arc::strong_count(&me.0) == 1 {
                        return;
                    }
                    let Some((path, known)) = me.lock().file.clone() else {
                        continue;
                    };
                    let now = std::fs::metadata(&path)
                        .ok()
                        .and_then(|m| m.modified().ok());
                    if now.is_none() || now == known {
                        continue;
                    }
                    {
                        let mut w = me.lock();
                        match &mut w.file {
                            Some((p, k)) if *p == path => *k = now,
                            _ => continue,
                        }
                        w.changed = true;
                    }
                    if let Some(proxy) = &wake
                        && proxy
                            .send_event(bevy::winit::WinitUserEvent::WakeUp)
                            .is_err()
                    {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            warn!("no hot reload: cannot start the file watcher: {e}");
        }
    }
}

/// Starts watching (the window's event loop exists by now).
fn start_watch(watch: Res<FileWatch>, proxy: Option<Res<bevy::winit::EventLoopProxyWrapper>>) {
    #[cfg(not(target_arch = "wasm32"))]
    watch.start(proxy.map(|p| (**p).clone()));
    #[cfg(target_arch = "wasm32")]
    let _ = (watch, proxy);
}

/// Reloads the open file when the watcher saw it change on disk.
fn hot_reload(watch: Res<FileWatch>, model: Res<Model>, mut out: MessageWriter<UiCommand>) {
    let mut w = watch.lock();
    // Another model (another file, or the same one loaded again): watch what it was made from.
    if w.generation != Some(model.generation) {
        w.generation = Some(model.generation);
        w.file = model.path.clone().map(|p| (p, model.modified));
        w.changed = false;
    }
    if std::mem::take(&mut w.changed)
        && let Some(path) = &model.path
    {
        out.write(UiCommand::Open(path.clone()));
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FileBrowser>()
        .init_resource::<FileWatch>()
        .add_systems(Startup, start_watch)
        .add_systems(
            Update,
            (drop_files, hot_reload).before(super::model::apply_commands),
        );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The watcher sees the open file change on disk and the window opens it again; until then
    /// nothing is reloaded.
    #[test]
    fn a_file_changed_on_disk_is_opened_again() {
        let dir = std::env::temp_dir().join(format!("mailsim-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("lesson.toml");
        std::fs::write(&f, crate::WALKTHROUGH).unwrap();
        let mut app = App::new();
        app.add_plugins(bevy::time::TimePlugin)
            .add_message::<FileDragAndDrop>()
            .insert_resource(Model::load(&f).unwrap());
        super::super::logic_plugin(&mut app);
        plugin(&mut app);
        let title = |app: &App| app.world().resource::<Model>().scenario.title.clone();
        let first = title(&app);
        for _ in 0..8 {
            app.update();
            std::thread::sleep(WATCH_EVERY / 4);
        }
        assert_eq!(title(&app), first, "reloaded though nothing changed");
        let edited = crate::WALKTHROUGH.replacen(
            &format!("title = \"{first}\""),
            "title = \"Edited while open\"",
            1,
        );
        assert_ne!(edited, crate::WALKTHROUGH);
        std::fs::write(&f, edited).unwrap();
        // A later modification time, whatever the file system's clock resolution.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .append(true)
            .open(&f)
            .unwrap()
            .set_modified(later)
            .unwrap();
        for _ in 0..40 {
            app.update();
            if title(&app) != first {
                break;
            }
            std::thread::sleep(WATCH_EVERY / 4);
        }
        assert_eq!(title(&app), "Edited while open");
        std::fs::remove_dir_all(&dir).ok();
    }
}
