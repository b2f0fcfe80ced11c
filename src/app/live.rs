//! `mailsim open FILE --serve`: the window on a live run. The bridge serves real ports and the
//! diagram follows the newest event, so a real mail program's conversation animates as it happens.

use bevy::prelude::*;

use super::model::{Cursor, Model};
use crate::bridge::Bridge;

/// The live bridge, polled every frame.
#[derive(Resource)]
pub struct Live {
    /// The bridge.
    pub bridge: Bridge,
    /// The id of the first event the model holds (a long run forgets its oldest events; the
    /// model numbers what is kept from 0).
    pub first: usize,
    /// Whether the model's trace has its passwords hidden.
    pub masked: bool,
}

/// Takes what the bridge has; when the trace grew, the model follows it and, if the cursor was
/// at the newest event, so does the cursor.
fn poll(
    mut live: ResMut<Live>,
    mut model: ResMut<Model>,
    mut cursor: ResMut<Cursor>,
    settings: Res<super::model::Settings>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    let toggled = live.masked == settings.show_passwords;
    match live.bridge.poll().map(|grew| grew || toggled) {
        Ok(true) => {
            let at_end = cursor
                .index
                .is_none_or(|i| i + 1 >= model.trace.events.len());
            let first = live.bridge.sim().trace().first_id();
            let shift = first - live.first;
            live.first = first;
            if let Some(i) = cursor.index {
                cursor.index = Some(i.saturating_sub(shift));
            }
            let mut trace = live.bridge.sim().trace().renumbered();
            live.masked = !settings.show_passwords;
            if live.masked {
                crate::secrets::mask(&mut trace);
            }
            // A computer of the room connecting for the first time: a host of its own.
            let mut scenario = model.scenario.clone();
            let added = live.bridge.outside_hosts();
            let base = trace.hosts.len() - added.len();
            if scenario.hosts.len() < trace.hosts.len() {
                let have = scenario.hosts.len() - base;
                scenario.hosts.extend_from_slice(&added[have..]);
            }
            let fresh = Model::with_trace(scenario, trace, model.name.clone(), model.path.clone());
            *model = fresh;
            if at_end && !model.trace.events.is_empty() {
                cursor.index = Some(model.trace.events.len() - 1);
                cursor.progress = 0.0;
            }
            redraw.write(bevy::window::RequestRedraw);
        }
        Ok(false) => {}
        Err(e) => model.error = Some(format!("the bridge stopped: {e}")),
    }
    for n in live.bridge.notes.drain(..) {
        info!("{n}");
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        poll.run_if(resource_exists::<Live>)
            .before(super::model::update_view),
    );
}
