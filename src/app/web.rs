//! The window in a web page (wasm32): the same app, drawn with WebGL2 in the page's canvas. The
//! page hands it scenarios (a file picked or dropped, or fetched from `?scenario=URL`) and a
//! moment (`#event=41`), and reads back the cursor for its address bar and title. What needs real
//! sockets (`serve`) is native only.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use bevy::prelude::*;
use bevy::window::WindowResolution;
use wasm_bindgen::prelude::*;

use super::model::{Cursor, Model, UiCommand};

/// What the page asked for, carried out on the next frame.
enum Asked {
    Open { name: String, text: String },
    Seek(crate::EventId),
}

static ASKED: Mutex<Vec<Asked>> = Mutex::new(Vec::new());
/// The cursor as the page reads it: the event's id, or -1 before the first event.
static CURSOR: AtomicI64 = AtomicI64::new(-1);
/// How many events the run has.
static EVENTS: AtomicI64 = AtomicI64::new(0);
/// Frames drawn so far.
static FRAMES: AtomicI64 = AtomicI64::new(0);
/// Why the last scenario the page gave was not opened (file:line:col and what is wrong).
static ERROR: Mutex<Option<String>> = Mutex::new(None);
/// The open scenario's title.
static TITLE: Mutex<String> = Mutex::new(String::new());
/// How many scenarios the page has given, and how many of them the window has taken in (its
/// error, if any, is then the one [`error`] reports).
static GIVEN: AtomicI64 = AtomicI64::new(0);
static TAKEN: AtomicI64 = AtomicI64::new(0);
static APPLIED: AtomicI64 = AtomicI64::new(0);

thread_local! {
    /// Wakes the resting window when the page asks for something (the page calls in on the
    /// window's own thread: a web page has one).
    static WAKE: std::cell::RefCell<Option<bevy::winit::EventLoopProxy<bevy::winit::WinitUserEvent>>> =
        const { std::cell::RefCell::new(None) };
}

fn ask(a: Asked) {
    if let Ok(mut q) = ASKED.lock() {
        q.push(a);
    }
    WAKE.with_borrow(|w| {
        if let Some(w) = w {
            let _ = w.send_event(bevy::winit::WinitUserEvent::WakeUp);
        }
    });
}

/// Keeps a way to wake the window for [`ask`].
fn keep_waker(proxy: Option<Res<bevy::winit::EventLoopProxyWrapper>>) {
    if let Some(p) = proxy {
        WAKE.set(Some((**p).clone()));
    }
}

/// Opens a scenario given as text; `name` (its file name or URL) names it in errors.
/// Returns its number: once [`taken`] reaches it, [`error`] says whether it opened.
#[wasm_bindgen]
pub fn open_scenario(name: String, text: String) -> u32 {
    let n = GIVEN.fetch_add(1, Ordering::Relaxed) + 1;
    ask(Asked::Open { name, text });
    n as u32
}

/// How many of the scenarios given the window has taken in (opened, or refused with an error).
#[wasm_bindgen]
pub fn taken() -> u32 {
    TAKEN.load(Ordering::Relaxed) as u32
}

/// Moves the cursor to event `event` (as `#event=41` in the address does).
#[wasm_bindgen]
pub fn seek(event: u32) {
    ask(Asked::Seek(crate::EventId(event as usize)));
}

/// The cursor: the current event's id, or -1 before the first event.
#[wasm_bindgen]
pub fn cursor() -> i32 {
    CURSOR.load(Ordering::Relaxed) as i32
}

/// How many events the open run has.
#[wasm_bindgen]
pub fn events() -> u32 {
    EVENTS.load(Ordering::Relaxed) as u32
}

/// How many frames the window has drawn: a paused page draws none (the page's tests check).
#[wasm_bindgen]
pub fn frames() -> u32 {
    FRAMES.load(Ordering::Relaxed) as u32
}

/// The open scenario's title.
#[wasm_bindgen]
pub fn title() -> String {
    TITLE.lock().map(|t| t.clone()).unwrap_or_default()
}

/// Why the last scenario given was not opened, if it was not.
#[wasm_bindgen]
pub fn error() -> Option<String> {
    ERROR.lock().ok().and_then(|e| e.clone())
}

#[wasm_bindgen]
extern "C" {
    /// The page's file picker (index.html): its choice comes back through [`open_scenario`].
    #[wasm_bindgen(js_namespace = window, js_name = mailsimPickFile)]
    fn pick_file_js();
    /// The page saves `text` as a download named `name`.
    #[wasm_bindgen(js_namespace = window, js_name = mailsimDownload)]
    fn download_js(name: &str, text: &str);
}

/// Offers `text` as a file to download (What if…'s Save as scenario in the browser).
pub fn download(name: &str, text: &str) {
    download_js(name, text);
}

/// Opens the page's file picker (the toolbar's Open… in the browser).
pub fn pick_file() {
    pick_file_js();
}

/// Hands what the page asked for to the window as commands. A moment (`#event=41`) waits until
/// the scenario opened before it has been posed its questions (two frames), so that it lands in
/// the run it belongs to.
fn apply(
    mut out: MessageWriter<UiCommand>,
    mut quiz: ResMut<super::quiz::Quiz>,
    mut waiting: Local<(Option<crate::EventId>, u32)>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    let asked: Vec<Asked> = ASKED
        .lock()
        .map(|mut q| q.drain(..).collect())
        .unwrap_or_default();
    waiting.1 = waiting.1.saturating_add(1);
    for a in asked {
        match a {
            Asked::Open { name, text } => {
                if let Ok(mut e) = ERROR.lock() {
                    *e = None;
                }
                out.write(UiCommand::OpenText { name, text });
                APPLIED.fetch_add(1, Ordering::Relaxed);
                waiting.1 = 0;
            }
            Asked::Seek(i) => waiting.0 = Some(i),
        }
    }
    if waiting.1 >= 2
        && let Some(i) = waiting.0.take()
    {
        // A link to a moment shows that moment: the questions before it would stop the cursor
        // on the way (the toolbar's ? asks them again).
        quiz.enabled = false;
        quiz.open = None;
        out.write(UiCommand::SelectEvent(i));
    }
    // A resting window draws no frame unless asked: a moment waiting for its frames asks.
    if waiting.0.is_some() {
        redraw.write(bevy::window::RequestRedraw);
    }
}

/// Tells the page where the cursor is and what is open.
fn publish(cursor: Res<Cursor>, model: Res<Model>) {
    FRAMES.fetch_add(1, Ordering::Relaxed);
    CURSOR.store(
        cursor.event.map_or(-1, |i| i.index() as i64),
        Ordering::Relaxed,
    );
    EVENTS.store(model.trace.next_id().index() as i64, Ordering::Relaxed);
    if model.is_changed()
        && let Ok(mut t) = TITLE.lock()
    {
        t.clone_from(&model.scenario.title);
    }
    // The opens handed over this frame have been applied by now (this runs in Last): what they
    // left in the model's error is theirs.
    let applied = APPLIED.load(Ordering::Relaxed);
    if TAKEN.load(Ordering::Relaxed) != applied {
        if let Ok(mut e) = ERROR.lock() {
            e.clone_from(&model.error);
        }
        TAKEN.store(applied, Ordering::Relaxed);
    }
}

/// Starts the window in the page's `<canvas id="mailsim">`, on the walkthrough; the page then
/// opens what its address asks for.
pub fn start() {
    let model = Model::walkthrough();
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: format!("mailsim — {}", model.scenario.title),
                    canvas: Some("#mailsim".into()),
                    fit_canvas_to_parent: true,
                    prevent_default_event_handling: true,
                    resolution: WindowResolution::new(1280, 720),
                    ..default()
                }),
                ..default()
            })
            // The page is served as static files: no .meta files next to the assets.
            .set(AssetPlugin {
                meta_check: bevy::asset::AssetMetaCheck::Never,
                ..default()
            }),
    );
    super::egui_and_logic(&mut app, model);
    app.add_plugins((
        super::diagram::plugin,
        super::panels::plugin,
        super::files::plugin,
        super::input::plugin,
    ))
    .add_systems(Startup, keep_waker)
    .add_systems(Update, apply.before(super::model::apply_commands))
    .add_systems(Last, (publish, super::keep_animating))
    // As natively: frames only when something moves, the student acts or the page asks for
    // something (it wakes the window): a paused page costs a laptop nothing.
    .insert_resource(bevy::winit::WinitSettings {
        focused_mode: bevy::winit::UpdateMode::reactive(super::REST),
        unfocused_mode: bevy::winit::UpdateMode::reactive_low_power(super::REST),
    })
    .add_systems(
        PreUpdate,
        super::drop_unchanged_modifiers
            .after(bevy_egui::EguiPreUpdateSet::ProcessInput)
            .before(bevy_egui::EguiPreUpdateSet::BeginPass),
    );
    app.run();
}
