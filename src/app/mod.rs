//! The window: an animated diagram of the run, a timeline to step through it forwards and
//! backwards, and panels to inspect every message (bevy + egui). Built with the `gui` feature.
//!
//! Everything on screen is derived from the trace and the cursor ([`model`]); panels and keys
//! only send [`model::UiCommand`]s, which one system applies.

#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "the window runs in real time: frame times, hot reload, play speed"
)]

#[cfg(not(target_arch = "wasm32"))]
mod bench;
pub mod console;
mod diagram;
mod files;
mod input;
mod inspector;
mod ladder;
#[cfg(not(target_arch = "wasm32"))]
mod live;
pub mod model;
mod overlay;
mod panels;
pub mod quiz;
#[cfg(not(target_arch = "wasm32"))]
mod screenshot;
mod toolbar;
#[cfg(target_arch = "wasm32")]
pub mod web;
pub mod whatif;

#[cfg(not(target_arch = "wasm32"))]
use std::path::PathBuf;

use bevy::prelude::*;
#[cfg(not(target_arch = "wasm32"))]
use bevy::window::{PresentMode, WindowResolution};

pub use diagram::{DiagramLayout, PacketView, packets_in_flight, world_of};
#[cfg(not(target_arch = "wasm32"))]
pub use live::LiveTrace;
pub use model::{AtCursor, Cursor, Model, Selection, Settings, UiCommand, visible_rows};
pub use quiz::{Quiz, QuizCommand};

/// How to open the window.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone)]
pub struct Options {
    /// The scenario file; `None` for the built-in walkthrough.
    pub file: Option<PathBuf>,
    /// Window size in logical pixels.
    pub size: (u32, u32),
    /// Take a screenshot at this event (its id) into this file, then quit.
    pub screenshot: Option<(usize, PathBuf)>,
    /// With `screenshot`: the host to select, so that its panel shows.
    pub screenshot_host: Option<String>,
    /// Play for this many frames, print frame times, then quit.
    pub bench_frames: Option<u32>,
    /// With `bench_frames`: the bare bevy + egui window instead of ours (the baseline).
    pub bench_bare: bool,
    /// A scenario given as text instead of a file (generated ones), with its name.
    pub source: Option<(String, String)>,
    /// When the process started (for the time to the first frame).
    pub started: std::time::Instant,
    /// Serve the scenario's servers on real ports and show the live run.
    pub serve: Option<crate::bridge::Options>,
    /// Start with the larger text on.
    pub large_text: bool,
    /// Start showing the ladder (or both) rather than the diagram.
    pub view: model::View,
    /// Start following the mail with this subject.
    pub follow: Option<String>,
    /// With `screenshot`: stop at the scenario's questions as a student's window does (the first
    /// one before the event is then shown, asked).
    pub ask: bool,
    /// Start in presenter mode.
    pub present: bool,
    /// Open the What if… comparison for this change (its number in the menu, from 1).
    pub what_if: Option<usize>,
    /// Open the console at this server (`host:port`) and type these lines, one a frame.
    pub talk: Option<(String, Vec<String>)>,
}

/// The window-free part: the model, the cursor and the commands (what tests drive headless).
pub fn logic_plugin(app: &mut App) {
    model::plugin(app);
    quiz::plugin(app);
    console::plugin(app);
    whatif::plugin(app);
}

/// egui (its camera is spawned by the diagram, with PrimaryEguiContext), the run to show, and the
/// window-free logic: what the native window and the web page share.
pub(crate) fn egui_and_logic(app: &mut App, model: Model) {
    app.add_plugins(bevy_egui::EguiPlugin::default())
        .insert_resource(bevy_egui::EguiGlobalSettings {
            auto_create_primary_context: false,
            ..default()
        })
        .insert_resource(model);
    logic_plugin(app);
}

/// bevy_egui 0.42 tells egui the modifier keys every frame, changed or not, and egui repaints on
/// any input event, so a reactive window never rests. Drop the report when nothing changed.
pub(crate) fn drop_unchanged_modifiers(
    mut inputs: Query<&mut bevy_egui::EguiInput>,
    mut last: Local<Option<bevy_egui::egui::Modifiers>>,
) {
    for mut input in &mut inputs {
        input.0.events.retain(|e| match e {
            bevy_egui::egui::Event::ModifiersChanged(m) => {
                let changed = *last != Some(*m);
                *last = Some(*m);
                changed
            }
            _ => true,
        });
    }
}

/// The longest a paused window sleeps when nothing wakes it (input, the file watcher, the web
/// page asking for something).
const REST: std::time::Duration = std::time::Duration::from_secs(60);

/// Asks for the next frame while something moves.
pub(crate) fn keep_animating(
    cursor: Res<Cursor>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    if cursor.playing || cursor.progress < 1.0 {
        redraw.write(bevy::window::RequestRedraw);
    }
}

/// Opens the window; returns when it closes. A bad file is an error before anything opens.
#[cfg(not(target_arch = "wasm32"))]
pub fn run(opts: Options) -> Result<AppExit, String> {
    if let (true, Some(frames)) = (opts.bench_bare, opts.bench_frames) {
        return Ok(bench::run_bare(opts.size, frames, opts.started));
    }
    let model = match (&opts.source, &opts.file) {
        (Some((name, text)), _) => {
            let s = crate::scenario::parse(name, text).map_err(|e| e.to_string())?;
            Model::new(s, name.clone(), None)
        }
        (None, Some(p)) => Model::load(p)?,
        (None, None) => Model::walkthrough(),
    };
    let mut live = None;
    let model = match &opts.serve {
        Some(o) => {
            let (bridge, ports) =
                crate::bridge::Bridge::new(&model.scenario, None, o).map_err(|e| e.to_string())?;
            println!(
                "mailsim: serving {} (the window shows the live run)",
                model.scenario.title
            );
            print!(
                "{}",
                crate::bridge::welcome(&model.scenario, &ports, o, &bridge.students)
                    .map_err(|e| e.to_string())?
            );
            let mut scenario = model.scenario.clone();
            scenario.hosts.push(crate::bridge::outside_host());
            // No events yet: the first poll hands them over, passwords hidden.
            let empty = crate::Trace {
                hosts: bridge.sim().trace().hosts.clone(),
                ..Default::default()
            };
            let m = Model::with_trace(scenario, empty, model.name.clone(), model.path.clone());
            live = Some(live::Live::new(bridge));
            m
        }
        None => model,
    };
    let title = format!("mailsim — {}", model.scenario.title);
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title,
            resolution: WindowResolution::new(opts.size.0, opts.size.1),
            // Vsync when rendering for people; as fast as it goes when measuring frame cost.
            present_mode: if opts.bench_frames.is_some() {
                PresentMode::AutoNoVsync
            } else {
                PresentMode::AutoVsync
            },
            ..default()
        }),
        ..default()
    }));
    egui_and_logic(&mut app, model);
    {
        let mut settings = app.world_mut().resource_mut::<Settings>();
        settings.large_text = opts.large_text;
        settings.live = opts.serve.is_some();
        settings.view = opts.view;
        settings.ask_questions = opts.screenshot.is_none() || opts.ask;
        settings.presenter = opts.present;
    }
    if let Some(k) = opts.what_if {
        let changes = {
            let m = app.world().resource::<Model>();
            crate::whatif::Change::offered(&m.scenario, crate::SimTime::ZERO)
        };
        let Some(c) = k.checked_sub(1).and_then(|i| changes.get(i)).cloned() else {
            return Err(format!(
                "mailsim: there is no change {k} in What if…: this scenario offers 1 to {}",
                changes.len()
            ));
        };
        app.world_mut()
            .resource_mut::<whatif::WhatIf>()
            .ask_compare(c);
    }
    if let Some((target, lines)) = opts.talk.clone() {
        let name = app.world().resource::<Model>().name.clone();
        app.world_mut()
            .resource_mut::<console::ConsoleUi>()
            .script(&name, &target, lines);
    }
    if let Some(subject) = &opts.follow {
        app.world_mut()
            .write_message(UiCommand::Follow(subject.clone()));
    }
    app.add_plugins((
        diagram::plugin,
        panels::plugin,
        files::plugin,
        input::plugin,
        screenshot::plugin,
        bench::plugin,
        live::plugin,
    ));
    let serving = live.is_some();
    if let Some(l) = live {
        app.insert_resource(l);
    }
    // Redraw only when something changes (input, playback, a packet still moving, the open file
    // changed on disk: the file watcher wakes the window): a paused window costs a classroom
    // laptop nothing. Screenshots and the frame bench run continuously.
    if opts.bench_frames.is_none() && opts.screenshot.is_none() {
        // Serving, the bridge is polled every 10 ms even when nothing moves on screen.
        let rest = if serving {
            std::time::Duration::from_millis(10)
        } else {
            REST
        };
        app.insert_resource(bevy::winit::WinitSettings {
            focused_mode: bevy::winit::UpdateMode::reactive(rest),
            unfocused_mode: if serving {
                bevy::winit::UpdateMode::reactive(rest)
            } else {
                bevy::winit::UpdateMode::reactive_low_power(rest)
            },
        })
        .add_systems(Last, keep_animating)
        .add_systems(
            PreUpdate,
            drop_unchanged_modifiers
                .after(bevy_egui::EguiPreUpdateSet::ProcessInput)
                .before(bevy_egui::EguiPreUpdateSet::BeginPass),
        );
    }
    if let Some(frames) = opts.bench_frames {
        app.insert_resource(bench::FrameBench::new(frames, opts.started));
    }
    if let Some((event, out)) = opts.screenshot {
        app.insert_resource(screenshot::Plan::new(
            crate::EventId(event),
            out,
            opts.screenshot_host.clone(),
        ));
    }
    Ok(app.run())
}
