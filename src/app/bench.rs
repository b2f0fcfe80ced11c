//! `mailsim bench-window`: the frame-time figure. Plays a scenario for N frames, then prints the
//! time to the first frame, the p50 / p95 / max frame times and, on Linux, the CPU time a frame
//! took outside the software rasterizer's threads and in them; then quits. Not a timed test.

use std::time::{Duration, Instant};

use bevy::prelude::*;

use super::diagram::packets_in_flight;
use super::model::{Cursor, Model};

/// What to measure.
#[derive(Resource, Debug)]
pub struct FrameBench {
    /// Frames to record.
    pub frames: u32,
    /// When the process started (for the time to the first frame).
    pub started: Instant,
    last: Option<Instant>,
    first_frame: Option<Duration>,
    times: Vec<f32>,
    in_flight: Vec<usize>,
    /// The threads' CPU time at the first frame (see [`thread_cpu`]).
    cpu_at_first: Option<ThreadCpu>,
}

/// CPU time used so far by this process's threads, split in two: the software rasterizer's
/// worker threads (Mesa's llvmpipe, under lavapipe too, names them `llvmpipe-N`) and all the
/// others (our systems, bevy, egui, and the driver's vertex and triangle set-up work, which runs
/// on the thread that submits). With a GPU the first is zero.
#[derive(Debug, Clone, Copy, Default)]
struct ThreadCpu {
    rasterizer: Duration,
    rest: Duration,
}

/// This process's threads' CPU time from Linux's `/proc/self/task/*/schedstat` (nanoseconds on
/// a CPU); `None` where that cannot be read (another system). A thread that ended is not counted.
fn thread_cpu() -> Option<ThreadCpu> {
    let mut cpu = ThreadCpu::default();
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let dir = entry.path();
        // A thread that ends while this reads it is skipped.
        let (Ok(name), Ok(sched)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("schedstat")),
        ) else {
            continue;
        };
        let Some(Ok(ns)) = sched.split_whitespace().next().map(str::parse::<u64>) else {
            continue;
        };
        if name.starts_with("llvmpipe-") {
            cpu.rasterizer += Duration::from_nanos(ns);
        } else {
            cpu.rest += Duration::from_nanos(ns);
        }
    }
    Some(cpu)
}

impl FrameBench {
    /// A bench of `frames` frames.
    pub fn new(frames: u32, started: Instant) -> Self {
        FrameBench {
            frames,
            started,
            last: None,
            first_frame: None,
            times: Vec::new(),
            in_flight: Vec::new(),
            cpu_at_first: None,
        }
    }
}

/// Starts playing from the busiest moment (the event with the most packets in flight).
fn start(model: Res<Model>, mut cursor: ResMut<Cursor>) {
    // Where packets are does not matter for counting them.
    let layout = crate::layout::Layout::default();
    let events = &model.trace.events;
    let busiest = (0..events.len())
        .step_by((events.len() / 2000).max(1))
        .max_by_key(|&i| {
            packets_in_flight(
                &model,
                &layout,
                &Cursor {
                    event: Some(events[i].id),
                    ..Cursor::default()
                },
            )
            .len()
        })
        .unwrap_or(0);
    // Start a little before it, so the measured frames cover it.
    cursor.event = events.get(busiest.saturating_sub(40)).map(|e| e.id);
    cursor.playing = true;
    cursor.speed = 4.0;
}

fn record(
    mut bench: ResMut<FrameBench>,
    model: Res<Model>,
    layout: Res<super::diagram::DiagramLayout>,
    cursor: Res<Cursor>,
    mut exit: MessageWriter<AppExit>,
) {
    bench.tick();
    if bench.last.is_some() && bench.times.len() > bench.in_flight.len() {
        let k = packets_in_flight(&model, &layout.0, &cursor).len();
        bench.in_flight.push(k);
    }
    if bench.times.len() as u32 >= bench.frames {
        let flying_max = bench.in_flight.iter().copied().max().unwrap_or(0);
        let flying_mean =
            bench.in_flight.iter().sum::<usize>() as f32 / bench.in_flight.len().max(1) as f32;
        let what = format!(
            "{}: {} hosts, {} events",
            model.scenario.title,
            model.scenario.hosts.len(),
            model.trace.events.len()
        );
        bench.report(
            &what,
            &format!("; packets in flight: mean {flying_mean:.0}, max {flying_max}"),
        );
        exit.write(AppExit::Success);
    }
}

impl FrameBench {
    /// Prints the figures: lines for people, and `frame-times p50 P p95 Q` and (where the
    /// threads' CPU time could be read) `frame-cpu rest R rasterizer S` lines for
    /// `bench-window --vs-bare`, which runs this twice and compares.
    fn report(&self, what: &str, more: &str) {
        let mut t = self.times.clone();
        t.sort_by(f32::total_cmp);
        let pct = |p: f32| t[((t.len() as f32 - 1.0) * p).round() as usize];
        println!(
            "{what}; first frame after {:.0} ms; {} frames: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms{more}",
            self.first_frame.unwrap_or_default().as_secs_f64() * 1000.0,
            t.len(),
            pct(0.5),
            pct(0.95),
            t[t.len() - 1],
        );
        println!("frame-times p50 {:.3} p95 {:.3}", pct(0.5), pct(0.95));
        if let (Some(a), Some(b)) = (self.cpu_at_first, thread_cpu()) {
            let per_frame = |x: Duration, y: Duration| {
                (y.saturating_sub(x)).as_secs_f64() * 1000.0 / t.len() as f64
            };
            let (raster, rest) = (
                per_frame(a.rasterizer, b.rasterizer),
                per_frame(a.rest, b.rest),
            );
            println!(
                "CPU per frame: {rest:.1} ms outside the software rasterizer (our systems, bevy, egui, the driver's set-up), {raster:.1} ms in its threads"
            );
            println!("frame-cpu rest {rest:.3} rasterizer {raster:.3}");
        }
    }

    /// One more frame: its time since the last.
    fn tick(&mut self) {
        let now = Instant::now();
        if self.first_frame.is_none() {
            self.first_frame = Some(now - self.started);
            self.cpu_at_first = thread_cpu();
        } else if let Some(last) = self.last {
            self.times.push((now - last).as_secs_f32() * 1000.0);
        }
        self.last = Some(now);
    }
}

/// The baseline (`bench-window --bare`): the same window, renderer and egui setup as ours (one
/// egui camera with the same settings, an egui pass each frame), drawing nothing of ours. What
/// our frames cost beyond it is ours.
pub(crate) fn run_bare(size: (u32, u32), frames: u32, started: Instant) -> AppExit {
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "mailsim — bare bevy + egui window".into(),
            resolution: bevy::window::WindowResolution::new(size.0, size.1),
            present_mode: bevy::window::PresentMode::AutoNoVsync,
            ..default()
        }),
        ..default()
    }))
    .add_plugins(bevy_egui::EguiPlugin::default())
    .insert_resource(bevy_egui::EguiGlobalSettings {
        auto_create_primary_context: false,
        ..default()
    })
    .insert_resource(FrameBench::new(frames, started))
    .add_systems(Startup, |mut commands: Commands| {
        commands.spawn((
            Camera2d,
            bevy_egui::PrimaryEguiContext,
            Msaa::Off,
            bevy::core_pipeline::tonemapping::Tonemapping::None,
            bevy::core_pipeline::tonemapping::DebandDither::Disabled,
        ));
    })
    .add_systems(
        bevy_egui::EguiPrimaryContextPass,
        |mut contexts: bevy_egui::EguiContexts| {
            // A root area as ours has, with nothing in it.
            if let Ok(ctx) = contexts.ctx_mut() {
                use bevy_egui::egui;
                let _root = egui::Ui::new(
                    ctx.clone(),
                    "root".into(),
                    egui::UiBuilder::new()
                        .layer_id(egui::LayerId::background())
                        .max_rect(ctx.viewport_rect()),
                );
            }
        },
    )
    .add_systems(
        Last,
        |mut bench: ResMut<FrameBench>, mut exit: MessageWriter<AppExit>| {
            bench.tick();
            if bench.times.len() as u32 >= bench.frames {
                bench.report("bare bevy + egui window", "");
                exit.write(AppExit::Success);
            }
        },
    );
    app.run()
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, start.run_if(resource_exists::<FrameBench>))
        .add_systems(Last, record.run_if(resource_exists::<FrameBench>));
}
