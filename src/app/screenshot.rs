//! `mailsim screenshot`: render the window at an event, with that message selected, save a PNG and
//! quit.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};

use super::model::UiCommand;

/// What to capture.
#[derive(Resource, Debug, Clone)]
pub struct Plan {
    /// The event to select.
    pub event: crate::EventId,
    /// Where to write the PNG.
    pub out: PathBuf,
    /// The host to select too (its panel shows), by name.
    pub host: Option<String>,
    frames: u32,
    taken: bool,
}

impl Plan {
    /// A plan to capture `event` into `out`.
    pub fn new(event: crate::EventId, out: PathBuf, host: Option<String>) -> Self {
        Plan {
            event,
            out,
            host,
            frames: 0,
            taken: false,
        }
    }
}

#[derive(Resource, Default)]
struct Saved(bool);

fn drive(
    mut commands: Commands,
    mut plan: ResMut<Plan>,
    saved: Res<Saved>,
    model: Res<super::model::Model>,
    mut out: MessageWriter<UiCommand>,
    mut exit: MessageWriter<AppExit>,
) {
    plan.frames += 1;
    if plan.frames == 2 {
        out.write(UiCommand::SelectEvent(plan.event));
    }
    if plan.frames == 3
        && let Some(name) = &plan.host
    {
        match model.scenario.host_id(name) {
            Some(i) => {
                out.write(UiCommand::SelectHost(Some(i)));
            }
            None => {
                error!("the scenario has no host {name}");
                exit.write(AppExit::error());
            }
        }
    }
    // Give egui and the renderer a few frames to lay out and load the icons.
    if plan.frames == 30 && !plan.taken {
        plan.taken = true;
        commands
            .spawn(Screenshot::primary_window())
            .observe(save_to_disk(plan.out.clone()))
            .observe(|_: On<ScreenshotCaptured>, mut saved: ResMut<Saved>| saved.0 = true);
    }
    if saved.0 && plan.frames > 32 {
        exit.write(AppExit::Success);
    }
    if plan.frames > 600 {
        error!("the screenshot was not saved after 600 frames");
        exit.write(AppExit::error());
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Saved>()
        .add_systems(Update, drive.run_if(resource_exists::<Plan>));
}
