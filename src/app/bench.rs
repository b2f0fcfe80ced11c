//! `mailsim bench-window`: the frame-time figure. Plays a scenario for N frames, then prints the
//! time to the first frame and the p50 / p95 / max frame times, and quits. Not a timed test.

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
        }
    }
}

/// Starts playing from the busiest moment (the event with the most packets in flight).
fn start(model: Res<Model>, mut cursor: ResMut<Cursor>) {
    // Where packets are does not matter for counting them.
    let layout = crate::layout::Layout::default();
    let n = model.trace.events.len();
    let busiest = (0..n)
        .step_by((n / 2000).max(1))
        .max_by_key(|&i| {
            packets_in_flight(
                &model,
                &layout,
                &Cursor {
                    index: Some(i),
                    ..Cursor::default()
                },
            )
            .len()
        })
        .unwrap_or(0);
    // Start a little before it, so the measured frames cover it.
    cursor.index = Some(busiest.saturating_sub(40));
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
    let now = Instant::now();
    if bench.first_frame.is_none() {
        bench.first_frame = Some(now - bench.started);
    } else if let Some(last) = bench.last {
        let ms = (now - last).as_secs_f32() * 1000.0;
        bench.times.push(ms);
        let k = packets_in_flight(&model, &layout.0, &cursor).len();
        bench.in_flight.push(k);
    }
    bench.last = Some(now);
    if bench.times.len() as u32 >= bench.frames {
        let mut t = bench.times.clone();
        t.sort_by(f32::total_cmp);
        let pct = |p: f32| t[((t.len() as f32 - 1.0) * p).round() as usize];
        let flying_max = bench.in_flight.iter().copied().max().unwrap_or(0);
        let flying_mean =
            bench.in_flight.iter().sum::<usize>() as f32 / bench.in_flight.len().max(1) as f32;
        println!(
            "{}: {} hosts, {} events; first frame after {:.0} ms; {} frames: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; packets in flight: mean {:.0}, max {}",
            model.scenario.title,
            model.scenario.hosts.len(),
            model.trace.events.len(),
            bench.first_frame.unwrap_or_default().as_secs_f64() * 1000.0,
            t.len(),
            pct(0.5),
            pct(0.95),
            t[t.len() - 1],
            flying_mean,
            flying_max
        );
        exit.write(AppExit::Success);
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, start.run_if(resource_exists::<FrameBench>))
        .add_systems(Last, record.run_if(resource_exists::<FrameBench>));
}
