//! `mailsim open FILE --serve`: the window on a live run. The bridge serves real ports and the
//! diagram follows the newest event, so a real mail program's conversation animates as it happens.

use bevy::prelude::*;

use super::model::{Cursor, Model};
use crate::EventId;
use crate::bridge::Bridge;
use crate::layout::Room;

/// The live bridge, polled every frame.
#[derive(Resource)]
pub struct Live {
    /// The bridge.
    pub bridge: Bridge,
    /// What the model holds of the bridge's trace.
    taken: LiveTrace,
    /// Whether the trace grew since the model last took it, and when it last did.
    pending: bool,
    updated: Option<std::time::Instant>,
}

impl Live {
    /// The window on `bridge`, whose model holds none of its events yet.
    pub fn new(bridge: Bridge) -> Live {
        Live {
            bridge,
            taken: LiveTrace::default(),
            pending: true,
            updated: None,
        }
    }
}

/// What the window's model holds of a live run's trace, which grows and, past its
/// [`crate::Budget`], forgets its oldest events. The model keeps the trace's event ids, so the
/// cursor and the selection go on naming the same event however many are forgotten.
pub struct LiveTrace {
    /// The id of the first event the model holds.
    first: EventId,
    /// The id of the next event the model is to take.
    next: EventId,
    /// Whether the model's trace has its passwords hidden.
    masked: bool,
    /// Hides passwords in what the model takes, carrying over from take to take.
    masker: crate::secrets::Masker,
    /// Who logged in from where, read as the trace grows.
    logins: crate::logins::Logins,
}

impl Default for LiveTrace {
    /// Nothing taken yet; passwords hidden.
    fn default() -> Self {
        LiveTrace {
            first: EventId(0),
            next: EventId(0),
            masked: true,
            masker: Default::default(),
            logins: Default::default(),
        }
    }
}

impl LiveTrace {
    /// Whether the model shows the passwords otherwise than `show_passwords` asks.
    pub fn toggled(&self, show_passwords: bool) -> bool {
        self.masked == show_passwords
    }

    /// Brings `model` up to `trace`, whose last hosts are `added` (the room's computers): the
    /// events it does not have, or all those kept again, in a new model, when the trace forgot
    /// some or the passwords are shown or hidden again. A cursor at the newest event follows
    /// it; one on an event now forgotten moves to the first kept. The selection keeps its event
    /// (the inspector says when it was forgotten). The room's computers are drawn as a
    /// [`Room`]: the most recently active first, each named by the student who logged in from
    /// it.
    pub fn take(
        &mut self,
        trace: &crate::Trace,
        added: &[crate::scenario::HostDef],
        show_passwords: bool,
        model: &mut Model,
        cursor: &mut Cursor,
    ) {
        let at_end = cursor
            .event
            .is_none_or(|i| model.trace.last_id().is_none_or(|last| i >= last));
        let first = trace.first_id();
        if self.toggled(show_passwords) || first != self.first {
            // Again from the first event kept, under the same ids.
            *self = LiveTrace {
                first,
                next: first,
                masked: !show_passwords,
                ..LiveTrace::default()
            };
            let empty = crate::Trace {
                hosts: trace.hosts.clone(),
                forgotten: trace.forgotten.clone(),
                ..Default::default()
            };
            *model = Model::with_trace(
                model.scenario.clone(),
                empty,
                model.name.clone(),
                model.path.clone(),
            );
        }
        let mut new: Vec<crate::TraceEvent> = trace.since(self.next).to_vec();
        self.next = trace.next_id();
        self.logins.read(&new);
        if self.masked {
            self.masker.mask(&mut new);
        }
        // A computer of the room connecting for the first time: a host of its own.
        let base = trace.hosts.len() - added.len();
        model.trace.hosts = trace.hosts.clone();
        model.scenario.hosts.truncate(base);
        model.scenario.hosts.extend_from_slice(added);
        // `real-client` (this computer's programs) first, then the room's computers.
        let members: Vec<usize> = (base + 1..trace.hosts.len()).collect();
        for &i in &members {
            if let Some(user) = self.logins.found.get(&crate::HostId::new(i)) {
                let user = user.split('@').next().unwrap_or(user);
                model.scenario.hosts[i].label = format!("{user} · {}", added[i - base].label);
            }
        }
        model.extend(new);
        model.room = room(&model.trace, members);
        if cursor.event.is_some_and(|c| c < model.trace.first_id()) {
            cursor.event = model.trace.events.first().map(|e| e.id);
        }
        if at_end && let Some(last) = model.trace.last_id() {
            cursor.event = Some(last);
            cursor.progress = 0.0;
        }
    }
}

/// How many of a room's computers keep an icon of their own (the most recently active).
const ROOM_SHOWN: usize = 4;

/// How often at most the model takes the newest events: a busy classroom adds some every frame,
/// and each take lays the diagram out again.
const TAKE_EVERY: std::time::Duration = std::time::Duration::from_millis(150);

/// Takes what the bridge has; when the trace grew, the model follows it (see
/// [`LiveTrace::take`]), and so do the badges of the connections open now.
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
    let toggled = live.taken.toggled(settings.show_passwords);
    let due = live.updated.is_none_or(|t| t.elapsed() >= TAKE_EVERY);
    if !(toggled || live.pending && due) {
        return;
    }
    live.pending = false;
    live.updated = Some(std::time::Instant::now());
    let live = &mut *live;
    live.taken.take(
        live.bridge.sim().trace(),
        live.bridge.outside_hosts(),
        settings.show_passwords,
        &mut model,
        &mut cursor,
    );
    let mut open: std::collections::BTreeMap<usize, usize> = Default::default();
    for (_, server) in live.bridge.open_pairs() {
        *open.entry(server.index()).or_default() += 1;
    }
    model.open_by_server = open.into_iter().collect();
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
