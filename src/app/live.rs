//! `mailsim open FILE --serve`: the window on a live run. The bridge serves real ports and the
//! diagram follows the newest event, so a real mail program's conversation animates as it happens.

use bevy::prelude::*;

use super::model::{Cursor, Model};
use crate::bridge::Bridge;
use crate::layout::Room;

/// The live bridge, polled every frame.
#[derive(Resource)]
pub struct Live {
    /// The bridge.
    pub bridge: Bridge,
    /// The id of the first event the model holds (a long run forgets its oldest events; the
    /// model numbers what is kept from 0).
    pub first: crate::EventId,
    /// Whether the model's trace has its passwords hidden.
    pub masked: bool,
    /// The id of the next event the model is to take.
    next: crate::EventId,
    /// Hides passwords in what the model takes, carrying over from poll to poll.
    masker: crate::secrets::Masker,
    /// Who logged in from where, read as the trace grows.
    logins: crate::logins::Logins,
    /// Whether the trace grew since the model last took it, and when it last did.
    pending: bool,
    updated: Option<std::time::Instant>,
}

impl Live {
    /// The window on `bridge`, whose model holds none of its events yet.
    pub fn new(bridge: Bridge) -> Live {
        Live {
            bridge,
            first: crate::EventId(0),
            masked: true,
            next: crate::EventId(0),
            masker: Default::default(),
            logins: Default::default(),
            pending: true,
            updated: None,
        }
    }
}

/// How many of a room's computers keep an icon of their own (the most recently active).
const ROOM_SHOWN: usize = 4;

/// How often at most the model takes the newest events: a busy classroom adds some every frame,
/// and each take lays the diagram out again.
const TAKE_EVERY: std::time::Duration = std::time::Duration::from_millis(150);

/// Takes what the bridge has; when the trace grew, the model follows it and, if the cursor was
/// at the newest event, so does the cursor. The model takes only the events it does not have,
/// but when the run forgot old ones or the passwords are shown or hidden again. The room's
/// computers are drawn as a [`Room`]: the most recently active first, each named by the student
/// who logged in from it.
fn poll(
    mut live: ResMut<Live>,
    mut model: ResMut<Model>,
    mut cursor: ResMut<Cursor>,
    settings: Res<super::model::Settings>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    match live.bridge.poll() {
        Ok(grew) => live.pending |= grew,
        Err(e) => model.error = Some(format!("the bridge stopped: {e}")),
    }
    for n in live.bridge.notes.drain(..) {
        info!("{n}");
    }
    let toggled = live.masked == settings.show_passwords;
    let due = live.updated.is_none_or(|t| t.elapsed() >= TAKE_EVERY);
    if !(toggled || live.pending && due) {
        return;
    }
    live.pending = false;
    live.updated = Some(std::time::Instant::now());
    let at_end = cursor
        .index
        .is_none_or(|i| i + 1 >= model.trace.events.len());
    let live = &mut *live;
    let trace = live.bridge.sim().trace();
    let first = trace.first_id();
    if toggled || first != live.first {
        // Again from the first event kept.
        if let Some(i) = cursor.index {
            cursor.index = Some(i.saturating_sub(first.0 - live.first.0));
        }
        live.first = first;
        live.next = first;
        live.masked = !settings.show_passwords;
        live.masker = Default::default();
        live.logins = Default::default();
        let empty = crate::Trace {
            hosts: trace.hosts.clone(),
            ..Default::default()
        };
        let fresh = Model::with_trace(
            model.scenario.clone(),
            empty,
            model.name.clone(),
            model.path.clone(),
        );
        *model = fresh;
    }
    let mut new: Vec<crate::TraceEvent> = trace.since(live.next).to_vec();
    live.next = trace.next_id();
    for e in &mut new {
        e.id.0 -= first.0;
    }
    live.logins.read(&new);
    if live.masked {
        live.masker.mask(&mut new);
    }
    // A computer of the room connecting for the first time: a host of its own.
    let added = live.bridge.outside_hosts();
    let base = trace.hosts.len() - added.len();
    let model = &mut *model;
    model.trace.hosts = trace.hosts.clone();
    model.scenario.hosts.truncate(base);
    model.scenario.hosts.extend_from_slice(added);
    // `real-client` (this computer's programs) first, then the room's computers.
    let members: Vec<usize> = (base + 1..trace.hosts.len()).collect();
    for &i in &members {
        if let Some(user) = live.logins.found.get(&crate::HostId::new(i)) {
            let user = user.split('@').next().unwrap_or(user);
            model.scenario.hosts[i].label = format!("{user} · {}", added[i - base].label);
        }
    }
    model.extend(new);
    model.room = room(&model.trace, members);
    let mut open: std::collections::BTreeMap<usize, usize> = Default::default();
    for (_, server) in live.bridge.open_pairs() {
        *open.entry(server.index()).or_default() += 1;
    }
    model.open_by_server = open.into_iter().collect();
    if at_end && !model.trace.events.is_empty() {
        cursor.index = Some(model.trace.events.len() - 1);
        cursor.progress = 0.0;
    }
    redraw.write(bevy::window::RequestRedraw);
}

/// The room's computers, the most recently active first (those the kept trace no longer shows
/// last, newest connected first).
fn room(trace: &crate::Trace, members: Vec<usize>) -> Option<Room> {
    let (lo, n) = (*members.first()?, members.len());
    // When each last sent or received a packet.
    let mut last: Vec<Option<usize>> = vec![None; n];
    let mut left = n;
    for e in trace.events.iter().rev() {
        let ends = match &e.kind {
            crate::EventKind::Segment(s) => [s.from.host.index(), s.to.host.index()],
            crate::EventKind::Datagram(d) => [d.from.host.index(), d.to.host.index()],
            _ => continue,
        };
        for h in ends {
            if h >= lo && h < lo + n && last[h - lo].is_none() {
                last[h - lo] = Some(e.id.index());
                left -= 1;
            }
        }
        if left == 0 {
            break;
        }
    }
    let mut order = members;
    order.sort_by_key(|&h| (std::cmp::Reverse(last[h - lo]), std::cmp::Reverse(h)));
    Some(Room {
        title: format!("the room — {n} computer{}", if n == 1 { "" } else { "s" }),
        members: order,
        shown: ROOM_SHOWN,
    })
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        poll.run_if(resource_exists::<Live>)
            .before(super::model::update_view),
    );
}
