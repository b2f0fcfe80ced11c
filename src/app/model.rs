//! What the window shows, as resources: the loaded scenario and its trace, the cursor, the
//! selection and the settings; and the commands panels send. One system applies the commands, so
//! panels never change the simulation or the cursor themselves.

use std::path::PathBuf;
use std::time::SystemTime;

use bevy::prelude::*;

use crate::view::{ViewCache, WorldView};
use crate::{EventId, EventKind, HostId, Scenario, Sim, Trace};

/// The scenarios that come with mailsim, for the menu (name, file name, source): the lessons of
/// scenarios/, then from [`EXERCISES_FROM`] on the exercises of exercises/ (the student types).
pub const BUNDLED: &[(&str, &str, &str)] = &[
    (
        "How email works",
        "walkthrough.toml",
        include_str!("../../scenarios/walkthrough.toml"),
    ),
    (
        "POP3, leaving mail on the server",
        "pop3-keep.toml",
        include_str!("../../scenarios/pop3-keep.toml"),
    ),
    (
        "IMAP: two computers in sync",
        "imap-two-computers.toml",
        include_str!("../../scenarios/imap-two-computers.toml"),
    ),
    (
        "POP3 with two computers: the mail is gone",
        "pop3-vs-imap.toml",
        include_str!("../../scenarios/pop3-vs-imap.toml"),
    ),
    (
        "Webmail: a web page in front of SMTP and IMAP",
        "webmail.toml",
        include_str!("../../scenarios/webmail.toml"),
    ),
    (
        "Standards: different mail programs, one conversation",
        "standards.toml",
        include_str!("../../scenarios/standards.toml"),
    ),
    (
        "A bounce: the user does not exist",
        "bounce-unknown-user.toml",
        include_str!("../../scenarios/bounce-unknown-user.toml"),
    ),
    (
        "Cc and Bcc",
        "cc-and-bcc.toml",
        include_str!("../../scenarios/cc-and-bcc.toml"),
    ),
    (
        "B's server is down: the mail waits and is retried",
        "server-down-retry.toml",
        include_str!("../../scenarios/server-down-retry.toml"),
    ),
    (
        "Greylisting: try again later",
        "greylisting.toml",
        include_str!("../../scenarios/greylisting.toml"),
    ),
    (
        "A lossy link: TCP sends it again",
        "packet-loss.toml",
        include_str!("../../scenarios/packet-loss.toml"),
    ),
    (
        "Classroom: two providers",
        "classroom.toml",
        include_str!("../../scenarios/classroom.toml"),
    ),
    (
        "Talk SMTP yourself",
        "talk-smtp-yourself.toml",
        include_str!("../../exercises/talk-smtp-yourself.toml"),
    ),
];

/// Where the exercises begin in [`BUNDLED`].
pub const EXERCISES_FROM: usize = 12;

/// The loaded scenario and everything derived from it.
#[derive(Resource)]
pub struct Model {
    /// The checked scenario.
    pub scenario: Scenario,
    /// Its whole run.
    pub trace: Trace,
    /// The file it came from, if any (for hot reload).
    pub path: Option<PathBuf>,
    /// The file's modification time when loaded.
    pub modified: Option<SystemTime>,
    /// A name to show.
    pub name: String,
    /// The first event of each step, by step index (the first event kept for a step that has
    /// not begun).
    pub step_starts: Vec<EventId>,
    /// Pairs of hosts that exchange packets (drawn as links), lower index first.
    pub links: Vec<(usize, usize)>,
    /// The longest flight of any packet, in microseconds (bounds the in-flight search).
    pub max_flight: u64,
    /// The last load error (the previous scenario stays).
    pub error: Option<String>,
    /// The file's text when it was given as text (in the browser), for What if…'s Save.
    pub source: Option<String>,
    /// Each fault as the events it spans (the first, and the one after the last) and words for
    /// it.
    pub fault_spans: Vec<(EventId, EventId, String)>,
    /// A live classroom's computers, drawn together (`open --serve`).
    pub room: Option<crate::layout::Room>,
    /// Real connections open now, by server host (a live run's badges).
    pub open_by_server: Vec<(usize, usize)>,
    /// Which model this is: a new one for every trace that does not only grow (another file, a
    /// reload, What if…, a live run that forgot events). The view's cache keeps to one.
    pub generation: u64,
}

/// The generation of the next model made.
static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Model {
    /// Runs `scenario` to the end and prepares it for display.
    pub fn new(scenario: Scenario, name: String, path: Option<PathBuf>) -> Model {
        let mut sim = Sim::new(&scenario, None);
        sim.run_to_end();
        let trace = sim.trace().clone();
        Model::with_trace(scenario, trace, name, path)
    }

    /// A model of a trace made elsewhere (the bridge's live run, which may have forgotten its
    /// first events: the model keeps their ids). The scenario's hosts must be the trace's hosts.
    pub fn with_trace(
        scenario: Scenario,
        trace: crate::Trace,
        name: String,
        path: Option<PathBuf>,
    ) -> Model {
        let mut trace = trace;
        let events = std::mem::take(&mut trace.events);
        let mut m = Model {
            step_starts: vec![trace.first_id(); scenario.steps.len()],
            scenario,
            trace,
            path,
            modified: None,
            name,
            links: Vec::new(),
            max_flight: 0,
            error: None,
            source: None,
            fault_spans: Vec::new(),
            room: None,
            open_by_server: Vec::new(),
            generation: GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        m.modified = m
            .path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok()?.modified().ok());
        m.extend(events);
        m
    }

    /// The trace grew (a live run): `events` follow the last one it has, numbered on from it.
    pub fn extend(&mut self, events: Vec<crate::TraceEvent>) {
        debug_assert!(
            events.first().is_none_or(|e| e.id == self.trace.next_id()),
            "events taken out of order"
        );
        for e in &events {
            let ends = match &e.kind {
                EventKind::Step { index, .. } => {
                    if let Some(s) = self.step_starts.get_mut(*index) {
                        *s = e.id;
                    }
                    continue;
                }
                EventKind::Segment(s) => {
                    self.max_flight = self.max_flight.max(s.arrive.0 - e.time.0);
                    (s.from.host.index(), s.to.host.index())
                }
                EventKind::Datagram(d) => {
                    self.max_flight = self.max_flight.max(d.arrive.0 - e.time.0);
                    (d.from.host.index(), d.to.host.index())
                }
                _ => continue,
            };
            let pair = (ends.0.min(ends.1), ends.0.max(ends.1));
            if let Err(at) = self.links.binary_search(&pair) {
                self.links.insert(at, pair);
            }
        }
        self.trace.events.extend(events);
        let trace = &self.trace;
        // The first kept event at or after `t` (the next id when none is).
        let id_at = |t: crate::SimTime| {
            trace
                .first_id()
                .plus(trace.events.partition_point(|e| e.time < t))
        };
        self.fault_spans = self
            .scenario
            .faults
            .iter()
            .map(|f| {
                let end = f.until.map_or(trace.next_id(), id_at);
                (id_at(f.from), end, f.describe(&self.scenario.hosts))
            })
            .collect();
    }

    /// Reads and checks a file.
    pub fn load(path: &std::path::Path) -> Result<Model, String> {
        let name = path.display().to_string();
        let source = std::fs::read(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        let scenario = crate::scenario::parse_bytes(&name, &source).map_err(|e| e.to_string())?;
        Ok(Model::new(scenario, name, Some(path.to_path_buf())))
    }

    /// The built-in walkthrough.
    pub fn walkthrough() -> Model {
        let (title, file, source) = BUNDLED[0];
        let s = crate::scenario::parse(file, source).expect("the bundled walkthrough is valid");
        Model::new(s, title.to_string(), None)
    }
}

/// Where the student is in the run.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct Cursor {
    /// The current event, by id (`None`: before the first kept event).
    pub event: Option<EventId>,
    /// Playing or paused.
    pub playing: bool,
    /// Playback speed, 0.1 to 10.
    pub speed: f32,
    /// How far the current event's packet has travelled, 0 to 1 (animation only).
    pub progress: f32,
    /// Seconds still to wait at a narrated step before playing on (presenter mode).
    pub hold: f32,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            event: None,
            playing: false,
            speed: 1.0,
            progress: 1.0,
            hold: 0.0,
        }
    }
}

/// What is selected; every view shows the same selection.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// The selected event, by id: a long live run may forget it while it is selected (the
    /// inspector then says so).
    pub event: Option<EventId>,
    /// The selected host.
    pub host: Option<HostId>,
    /// The mail being followed, if any: its journey.
    pub journey: Option<crate::follow::Journey>,
}

/// The world at the cursor, recomputed when the cursor moves.
#[derive(Resource, Default)]
pub struct AtCursor(pub WorldView);

/// What the middle of the window shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The network diagram.
    #[default]
    Diagram,
    /// The ladder (sequence diagram).
    Ladder,
    /// The diagram above the ladder.
    Both,
}

impl View {
    /// The next one (the L key).
    pub fn next(self) -> View {
        match self {
            View::Diagram => View::Ladder,
            View::Ladder => View::Both,
            View::Both => View::Diagram,
        }
    }
}

/// Display settings.
#[derive(Resource, Debug, Clone)]
pub struct Settings {
    /// Larger text for projectors.
    pub large_text: bool,
    /// Diagram, ladder or both.
    pub view: View,
    /// Protocol filters of the event list: SMTP, POP3, IMAP, HTTP, DNS, TCP, host events.
    pub show: [bool; 7],
    /// The event list's search text.
    pub search: String,
    /// Serving real programs (`open --serve`): the live run's toolbar has the password toggle.
    pub live: bool,
    /// Show the credentials real programs send (live runs hide them: the projector is public).
    pub show_passwords: bool,
    /// Stop at the scenario's questions and ask them (off for screenshots unless asked for).
    pub ask_questions: bool,
    /// Presenter mode: the diagram or ladder fills the window, the narration is a caption, text
    /// at projector size, and playing pauses at each narrated step.
    pub presenter: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            large_text: false,
            view: View::Diagram,
            show: [true, true, true, true, true, false, true],
            search: String::new(),
            live: false,
            show_passwords: false,
            ask_questions: true,
            presenter: false,
        }
    }
}

/// The event list's filters, in [`Settings::show`] order.
pub const FILTERS: [&str; 7] = ["SMTP", "POP3", "IMAP", "HTTP", "DNS", "TCP", "hosts"];

/// Which filter an event falls under, and its protocol (for colours).
pub fn filter_of(kind: &EventKind) -> (usize, Option<crate::protocols::Protocol>) {
    use crate::protocols::Protocol;
    match kind {
        EventKind::Segment(s) => (
            match s.protocol {
                Protocol::Smtp => 0,
                Protocol::Pop3 => 1,
                Protocol::Imap => 2,
                Protocol::Http => 3,
                Protocol::Dns => 4,
                Protocol::Tcp => 5,
            },
            Some(s.protocol),
        ),
        EventKind::Datagram(_) => (4, Some(Protocol::Dns)),
        _ => (6, None),
    }
}

/// The events the list shows, by id: those whose filter is on (steps always), matching the
/// search (case-insensitive, in the one-line summary and the host names).
pub fn visible_rows(trace: &Trace, settings: &Settings) -> Vec<EventId> {
    let search = settings.search.to_lowercase();
    trace
        .events
        .iter()
        .filter(|e| settings.show[filter_of(&e.kind).0] || matches!(e.kind, EventKind::Step { .. }))
        .filter(|e| {
            search.is_empty() || {
                let (a, b) = match &e.kind {
                    EventKind::Segment(s) => (s.from.host, s.to.host),
                    EventKind::Datagram(d) => (d.from.host, d.to.host),
                    EventKind::Mailbox { host, .. }
                    | EventKind::Queue { host, .. }
                    | EventKind::Downloaded { host, .. }
                    | EventKind::Listed { host, .. }
                    | EventKind::Page { host, .. }
                    | EventKind::Note { host, .. } => (*host, *host),
                    EventKind::Step { .. } => (HostId(u32::MAX), HostId(u32::MAX)),
                };
                let name = |h: HostId| {
                    trace
                        .hosts
                        .get(h.index())
                        .map(|x| x.name.to_lowercase())
                        .unwrap_or_default()
                };
                crate::report::summary(trace, e)
                    .to_lowercase()
                    .contains(&search)
                    || name(a).contains(&search)
                    || name(b).contains(&search)
            }
        })
        .map(|e| e.id)
        .collect()
}

/// Seconds one event takes at 1× speed.
pub const EVENT_SECS: f32 = 0.9;

/// What panels and keys ask for.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum UiCommand {
    /// Start or stop playing.
    TogglePlay,
    /// One event forward.
    StepForward,
    /// One event back.
    StepBack,
    /// To the first event.
    Start,
    /// To the last event.
    End,
    /// To this event.
    Seek(EventId),
    /// Select this event (and move the cursor to it).
    SelectEvent(EventId),
    /// Select this host.
    SelectHost(Option<HostId>),
    /// Playback speed.
    Speed(f32),
    /// The first event of the previous / next narrated step.
    PrevStep,
    /// See [`UiCommand::PrevStep`].
    NextStep,
    /// Open a scenario file.
    Open(PathBuf),
    /// Open a bundled scenario by index.
    OpenBundled(usize),
    /// Open a scenario given as text (in the browser: a file picked or dropped, or fetched from
    /// `?scenario=URL`), named for its errors.
    OpenText { name: String, text: String },
    /// Close the load-error window.
    DismissError,
    /// Follow the mail with this subject: highlight its journey.
    Follow(String),
    /// Follow the mail a server queued under this id.
    FollowQueued(String),
    /// Stop following.
    Unfollow,
    /// To the first event of the followed mail's next (`true`) or previous hop.
    Hop(bool),
}

/// Applies every command of this frame, in order.
pub fn apply_commands(
    mut commands: MessageReader<UiCommand>,
    mut model: ResMut<Model>,
    mut cursor: ResMut<Cursor>,
    mut selection: ResMut<Selection>,
) {
    for c in commands.read() {
        let (first, last) = (model.trace.first_id(), model.trace.last_id());
        // To a kept event: past the last, the last; a forgotten one, before the first kept.
        let seek = |cursor: &mut Cursor, i: Option<EventId>| {
            cursor.event = i.filter(|&i| i >= first).and_then(|i| Some(i.min(last?)));
            cursor.progress = 0.0;
        };
        match c {
            UiCommand::TogglePlay => {
                if !cursor.playing && cursor.event == last {
                    seek(&mut cursor, None);
                }
                cursor.playing = !cursor.playing;
            }
            UiCommand::StepForward => {
                cursor.playing = false;
                let next = cursor.event.map_or(first, |i| i.plus(1).max(first));
                if model.trace.get(next).is_some() {
                    seek(&mut cursor, Some(next));
                }
            }
            UiCommand::StepBack => {
                cursor.playing = false;
                let prev = cursor.event.and_then(|i| i.index().checked_sub(1));
                seek(&mut cursor, prev.map(EventId));
                cursor.progress = 1.0;
            }
            UiCommand::Start => {
                cursor.playing = false;
                seek(&mut cursor, None);
                cursor.progress = 1.0;
            }
            UiCommand::End => {
                cursor.playing = false;
                seek(&mut cursor, last);
                cursor.progress = 1.0;
            }
            UiCommand::Seek(i) => {
                seek(&mut cursor, Some(*i));
                cursor.progress = 1.0;
            }
            UiCommand::SelectEvent(i) => {
                cursor.playing = false;
                seek(&mut cursor, Some(*i));
                cursor.progress = 1.0;
                selection.event = Some(*i);
            }
            UiCommand::SelectHost(h) => selection.host = *h,
            UiCommand::Speed(s) => cursor.speed = s.clamp(0.1, 10.0),
            UiCommand::PrevStep | UiCommand::NextStep => {
                cursor.playing = false;
                let at = cursor.event;
                // In the order the steps began (an `on` step may begin before one above it).
                let mut starts = model.step_starts.clone();
                starts.sort_unstable();
                let starts = &starts;
                let target = if *c == UiCommand::NextStep {
                    starts.iter().copied().find(|&s| at.is_none_or(|a| s > a))
                } else {
                    starts
                        .iter()
                        .copied()
                        .rev()
                        .find(|&s| at.is_some_and(|a| s < a))
                };
                if let Some(t) = target {
                    seek(&mut cursor, Some(t));
                    cursor.progress = 1.0;
                }
            }
            UiCommand::Open(path) => match Model::load(path) {
                Ok(m) => {
                    info!("opened {}", path.display());
                    *model = m;
                    *cursor = Cursor {
                        speed: cursor.speed,
                        ..Cursor::default()
                    };
                    *selection = Selection::default();
                }
                Err(e) => {
                    warn!(
                        "{}: not loaded, the previous scenario stays",
                        path.display()
                    );
                    model.error = Some(e);
                }
            },
            UiCommand::OpenText { name, text } => {
                match crate::scenario::parse_bytes(name, text.as_bytes()) {
                    Ok(s) => {
                        *model = Model::new(s, name.clone(), None);
                        model.source = Some(text.clone());
                        *cursor = Cursor {
                            speed: cursor.speed,
                            ..Cursor::default()
                        };
                        *selection = Selection::default();
                    }
                    Err(e) => {
                        warn!("{name}: not loaded, the previous scenario stays");
                        model.error = Some(e.to_string());
                    }
                }
            }
            UiCommand::DismissError => model.error = None,
            UiCommand::Follow(_) | UiCommand::FollowQueued(_) => {
                let subject = match c {
                    UiCommand::FollowQueued(id) => {
                        crate::follow::subject_queued_as(&model.trace, id).unwrap_or_default()
                    }
                    UiCommand::Follow(s) => s.clone(),
                    _ => String::new(),
                };
                selection.journey = crate::follow::follow(&model.trace, &subject);
                if let Some(h) = selection.journey.as_ref().and_then(|j| j.hops.first()) {
                    cursor.playing = false;
                    seek(&mut cursor, Some(h.first));
                    cursor.progress = 1.0;
                }
            }
            UiCommand::Unfollow => selection.journey = None,
            UiCommand::Hop(next) => {
                let at = cursor.event;
                let firsts: Vec<EventId> = selection
                    .journey
                    .iter()
                    .flat_map(|j| j.hops.iter().map(|h| h.first))
                    .collect();
                let target = if *next {
                    firsts.iter().copied().find(|&f| at.is_none_or(|a| f > a))
                } else {
                    firsts
                        .iter()
                        .copied()
                        .rev()
                        .find(|&f| at.is_some_and(|a| f < a))
                };
                if let Some(t) = target {
                    cursor.playing = false;
                    seek(&mut cursor, Some(t));
                    cursor.progress = 1.0;
                }
            }
            UiCommand::OpenBundled(i) => {
                if let Some((title, file, source)) = BUNDLED.get(*i) {
                    match crate::scenario::parse(file, source) {
                        Ok(s) => {
                            *model = Model::new(s, title.to_string(), None);
                            *cursor = Cursor {
                                speed: cursor.speed,
                                ..Cursor::default()
                            };
                            *selection = Selection::default();
                        }
                        Err(e) => model.error = Some(e.to_string()),
                    }
                }
            }
        }
        // The selection follows the cursor, so every view shows the same message.
        if !matches!(
            c,
            UiCommand::SelectHost(_)
                | UiCommand::Speed(_)
                | UiCommand::TogglePlay
                | UiCommand::DismissError
                | UiCommand::Unfollow
        ) {
            selection.event = cursor.event;
        }
    }
}

/// Moves the cursor while playing: each event's packet travels for [`EVENT_SECS`] / speed.
pub fn advance(
    time: Res<Time>,
    model: Res<Model>,
    settings: Res<Settings>,
    mut cursor: ResMut<Cursor>,
    mut selection: ResMut<Selection>,
) {
    if !cursor.playing {
        cursor.hold = 0.0;
        if cursor.progress < 1.0 {
            cursor.progress = (cursor.progress + time.delta_secs() * 4.0).min(1.0);
        }
        return;
    }
    // Presenting, a narrated step is read before the run plays on.
    if cursor.hold > 0.0 {
        cursor.hold = (cursor.hold - time.delta_secs()).max(0.0);
        return;
    }
    let t = &model.trace;
    let quick = cursor.event.and_then(|i| t.get(i)).is_some_and(|e| {
        !matches!(
            e.kind,
            EventKind::Segment(_) | EventKind::Datagram(_) | EventKind::Step { .. }
        )
    });
    let secs = if quick { EVENT_SECS * 0.4 } else { EVENT_SECS };
    cursor.progress += time.delta_secs() * cursor.speed / secs;
    if cursor.event.is_none() || cursor.progress >= 1.0 {
        let next = cursor
            .event
            .map_or(t.first_id(), |i| i.plus(1).max(t.first_id()));
        match t.get(next) {
            None => {
                cursor.playing = false;
                cursor.progress = 1.0;
            }
            Some(e) => {
                cursor.event = Some(next);
                cursor.progress = 0.0;
                selection.event = Some(next);
                if settings.presenter
                    && let EventKind::Step { text, .. } = &e.kind
                {
                    cursor.hold = step_pause(text);
                }
            }
        }
    }
}

/// How long presenter mode waits at a narrated step: time to read it aloud (about 15 characters
/// a second), from 3 to 20 seconds.
pub fn step_pause(text: &str) -> f32 {
    (text.chars().count() as f32 / 15.0).clamp(3.0, 20.0)
}

/// Recomputes the world at the cursor when the cursor or the scenario changes, from the replays
/// the cache keeps (a few milliseconds at most, however long the trace).
pub fn update_view(
    model: Res<Model>,
    cursor: Res<Cursor>,
    mut at: ResMut<AtCursor>,
    mut last: Local<Option<(Option<EventId>, usize)>>,
    mut cache: Local<(u64, ViewCache)>,
) {
    let key = (cursor.event, model.trace.events.len());
    if model.is_changed() || *last != Some(key) {
        if cache.0 != model.generation {
            *cache = (model.generation, ViewCache::default());
        }
        at.0 = cache.1.view_at(&model.scenario, &model.trace, cursor.event);
        *last = Some(key);
    }
}

/// The model, cursor and command machinery (no window needed).
pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Cursor>()
        .init_resource::<Selection>()
        .init_resource::<Settings>()
        .init_resource::<AtCursor>()
        .add_message::<UiCommand>()
        .add_systems(Update, (apply_commands, advance, update_view).chain());
}
