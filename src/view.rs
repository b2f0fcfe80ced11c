//! The world as it was at a point of the trace: mailboxes, queues, inboxes and open sessions.
//!
//! The window never runs the simulation backwards. It derives what to show at the cursor from the
//! trace alone, by replaying the events up to it; stepping back is computing this again for an
//! earlier cursor, which is exact by construction.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::ids::{ConnId, EventId, HostId};
use crate::engine::trace::{
    Direction, EventKind, ListChange, MailboxChange, TcpFlags, Trace, TraceEvent,
};
use crate::protocols::Protocol;
use crate::scenario::Scenario;

/// One message as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLine {
    /// Its unique id (a mailbox uid, or the server's uid as the client knows it).
    pub uid: String,
    /// Its subject.
    pub subject: String,
    /// Its IMAP flags, space-separated ("" for none, and for POP3).
    pub flags: String,
}

/// An open TCP connection as one of its ends sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The connection.
    pub conn: ConnId,
    /// This end's port.
    pub port: u16,
    /// The other host and its port.
    pub peer: (HostId, u16),
    /// The application protocol.
    pub protocol: Protocol,
    /// Whether this end opened it.
    pub is_client: bool,
    /// This end's protocol state after the last segment it sent ("" before it sent any).
    pub state: &'static str,
}

/// One host at the cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostView {
    /// Mailboxes by user.
    pub mailboxes: BTreeMap<String, Arc<Vec<MessageLine>>>,
    /// Outgoing queue: (id, what).
    pub queue: Vec<(String, String)>,
    /// The mail program's inbox.
    pub inbox: Vec<MessageLine>,
    /// Open connections.
    pub sessions: Vec<SessionView>,
    /// The page its browser shows: (url, status, html).
    pub page: Option<(String, u16, String)>,
}

/// Every host at the cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorldView {
    /// By host (shared with the view's cache until they change).
    pub hosts: Vec<Arc<HostView>>,
    /// The current step (index), if one has begun.
    pub step: Option<usize>,
    /// Its number in the order steps began ("Step n of m").
    pub step_number: Option<usize>,
}

/// The world after the kept events up to and with `cursor` (`None`: before the first event),
/// replayed from the first kept. [`ViewCache`] gives the same answer without replaying
/// everything each time.
pub fn view_at(scenario: &Scenario, trace: &Trace, cursor: Option<EventId>) -> WorldView {
    let mut r = Replay::new(scenario);
    for ev in &trace.events[..replayed_to(trace, cursor)] {
        r.apply(ev);
    }
    r.view()
}

/// How many of the kept events the world at `cursor` has seen: those up to and with it.
fn replayed_to(trace: &Trace, cursor: Option<EventId>) -> usize {
    cursor.map_or(0, |c| trace.before(c.plus(1)).len())
}

/// One end of an open connection, as the replay knows it: host, port, its state after the last
/// segment it sent, and whether it has sent a FIN.
type End = (HostId, u16, &'static str, bool);

/// A connection that has not closed at both ends.
#[derive(Debug, Clone)]
struct OpenConn {
    /// Client end, server end.
    ends: [End; 2],
    /// The protocol of the last segment with bytes.
    protocol: Option<Protocol>,
}

/// What a replay of the trace holds between two events. Cheap to clone: hosts are shared until
/// one changes, and closed connections are one bit each.
#[derive(Debug, Clone)]
struct Replay {
    /// Each host without its sessions (those come from `conns` at the end).
    hosts: Vec<Arc<HostView>>,
    step: Option<usize>,
    step_number: Option<usize>,
    /// The connections still open at one end at least, by id.
    conns: BTreeMap<ConnId, OpenConn>,
    /// Connections closed at both ends (a bit per id): never shown again, whatever comes later.
    closed: Vec<u64>,
}

impl Replay {
    fn new(scenario: &Scenario) -> Replay {
        Replay {
            hosts: scenario
                .hosts
                .iter()
                .map(|h| {
                    Arc::new(HostView {
                        mailboxes: h
                            .accounts
                            .iter()
                            .map(|a| (a.user.clone(), Arc::default()))
                            .collect(),
                        ..HostView::default()
                    })
                })
                .collect(),
            step: None,
            step_number: None,
            conns: BTreeMap::new(),
            closed: Vec::new(),
        }
    }

    fn is_closed(&self, conn: ConnId) -> bool {
        let c = conn.index();
        self.closed
            .get(c / 64)
            .is_some_and(|w| w & (1 << (c % 64)) != 0)
    }

    fn host(&mut self, h: HostId) -> &mut HostView {
        Arc::make_mut(&mut self.hosts[h])
    }

    /// The world after one more event.
    fn apply(&mut self, ev: &TraceEvent) {
        match &ev.kind {
            EventKind::Step { index, number, .. } => {
                self.step = Some(*index);
                self.step_number = Some(*number);
            }
            EventKind::Segment(s) => {
                if self.is_closed(s.conn) {
                    return;
                }
                let side = usize::from(s.direction == Direction::ServerToClient);
                let open = self.conns.entry(s.conn).or_insert_with(|| {
                    let (c, v) = if side == 0 {
                        (s.from, s.to)
                    } else {
                        (s.to, s.from)
                    };
                    OpenConn {
                        ends: [(c.host, c.port, "", false), (v.host, v.port, "", false)],
                        protocol: None,
                    }
                });
                open.ends[side].2 = s.state_after;
                if s.flags.has(TcpFlags::FIN) {
                    open.ends[side].3 = true;
                }
                if s.flags.has(TcpFlags::RST) {
                    open.ends[0].3 = true;
                    open.ends[1].3 = true;
                }
                if !s.payload.is_empty() {
                    open.protocol = Some(s.protocol);
                }
                if open.ends[0].3 && open.ends[1].3 {
                    self.conns.remove(&s.conn);
                    let c = s.conn.index();
                    if self.closed.len() <= c / 64 {
                        self.closed.resize(c / 64 + 1, 0);
                    }
                    self.closed[c / 64] |= 1 << (c % 64);
                }
            }
            EventKind::Mailbox { host, user, change } => {
                let list =
                    Arc::make_mut(self.host(*host).mailboxes.entry(user.clone()).or_default());
                match change {
                    MailboxChange::Stored { uid, subject, .. } => list.push(MessageLine {
                        uid: uid.to_string(),
                        subject: subject.clone(),
                        flags: String::new(),
                    }),
                    MailboxChange::Deleted { uid, .. } => list.retain(|m| m.uid != uid.to_string()),
                    MailboxChange::Flags { uid, flags, .. } => {
                        let uid = uid.to_string();
                        if let Some(m) = list.iter_mut().find(|m| m.uid == uid) {
                            m.flags.clone_from(flags);
                        }
                    }
                }
            }
            EventKind::Queue {
                host,
                id,
                added,
                text,
            } => {
                let q = &mut self.host(*host).queue;
                if *added {
                    q.push((id.clone(), text.clone()));
                } else {
                    q.retain(|(i, _)| i != id);
                }
            }
            EventKind::Downloaded { host, uid, subject } => {
                self.host(*host).inbox.push(MessageLine {
                    uid: uid.clone(),
                    subject: subject.clone(),
                    flags: String::new(),
                });
            }
            EventKind::Listed {
                host,
                uid,
                subject,
                change,
            } => {
                let inbox = &mut self.host(*host).inbox;
                match change {
                    ListChange::Listed { flags } => inbox.push(MessageLine {
                        uid: uid.clone(),
                        subject: subject.clone(),
                        flags: flags.clone(),
                    }),
                    ListChange::Flags { flags } => {
                        if let Some(m) = inbox.iter_mut().find(|m| m.uid == *uid) {
                            m.flags.clone_from(flags);
                        }
                    }
                    ListChange::Removed => inbox.retain(|m| m.uid != *uid),
                }
            }
            EventKind::Page {
                host,
                url,
                status,
                html,
            } => self.host(*host).page = Some((url.clone(), *status, html.clone())),
            EventKind::Datagram(_) | EventKind::Note { .. } => {}
        }
    }

    /// The world as the replay has it now.
    fn view(&self) -> WorldView {
        let mut hosts = self.hosts.clone();
        for (&conn, open) in &self.conns {
            let protocol = open.protocol.unwrap_or(Protocol::Tcp);
            for (i, &(host, port, state, _)) in open.ends.iter().enumerate() {
                let other = open.ends[1 - i];
                Arc::make_mut(&mut hosts[host]).sessions.push(SessionView {
                    conn,
                    port,
                    peer: (other.0, other.1),
                    protocol,
                    is_client: i == 0,
                    state,
                });
            }
        }
        WorldView {
            hosts,
            step: self.step,
            step_number: self.step_number,
        }
    }
}

/// The world at any cursor of a big trace in about the same time: replays kept every
/// [`ViewCache::EVERY`] events, so a view replays at most that many (and stepping back is as
/// quick as stepping forward). Made for one trace, which may grow: for another trace (another
/// run, a trace that forgot events) make a new cache. It starts again by itself when it sees
/// another host count, another first event id, or fewer events than it has replayed.
#[derive(Debug, Default)]
pub struct ViewCache {
    /// The replay after the first `k * EVERY` kept events, for k = 0, 1, ...
    checkpoints: Vec<Replay>,
    /// The scenario's host count and the trace's first id the checkpoints were made with.
    made_of: Option<(usize, EventId)>,
}

impl ViewCache {
    /// Events between two kept replays: a view replays at most this many.
    pub const EVERY: usize = 2048;

    /// The world after the kept events up to and with `cursor`, equal to [`view_at`].
    pub fn view_at(
        &mut self,
        scenario: &Scenario,
        trace: &Trace,
        cursor: Option<EventId>,
    ) -> WorldView {
        let made_of = (scenario.hosts.len(), trace.first_id());
        let replayed = self.checkpoints.len().saturating_sub(1) * Self::EVERY;
        if self.made_of != Some(made_of) || trace.events.len() < replayed {
            self.checkpoints = vec![Replay::new(scenario)];
            self.made_of = Some(made_of);
        }
        let end = replayed_to(trace, cursor);
        while self.checkpoints.len() <= end / Self::EVERY {
            let k = self.checkpoints.len();
            let mut r = self.checkpoints[k - 1].clone();
            for ev in &trace.events[(k - 1) * Self::EVERY..k * Self::EVERY] {
                r.apply(ev);
            }
            self.checkpoints.push(r);
        }
        let k = end / Self::EVERY;
        let mut r = self.checkpoints[k].clone();
        for ev in &trace.events[k * Self::EVERY..end] {
            r.apply(ev);
        }
        r.view()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sim;

    #[test]
    fn the_view_follows_the_walkthrough_forwards_and_backwards() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let mut sim = Sim::new(&s, None);
        sim.run_to_end();
        let t = sim.trace();
        let mx = s.host_id("mx.b.example").unwrap();
        let bob_pc = s.host_id("bob-pc.b.example").unwrap();
        let stored = t
            .events
            .iter()
            .position(|e| {
                matches!(
                    e.kind,
                    EventKind::Mailbox {
                        change: MailboxChange::Stored { .. },
                        ..
                    }
                )
            })
            .unwrap();
        assert!(view_at(&s, t, Some(EventId(stored - 1))).hosts[mx].mailboxes["bob"].is_empty());
        let at = view_at(&s, t, Some(EventId(stored)));
        assert_eq!(at.hosts[mx].mailboxes["bob"][0].subject, "Lunch on Friday?");
        let end = view_at(&s, t, t.last_id());
        assert!(end.hosts[mx].mailboxes["bob"].is_empty());
        assert_eq!(end.hosts[bob_pc].inbox.len(), 1);
        assert!(
            end.hosts
                .iter()
                .all(|h| h.sessions.is_empty() && h.queue.is_empty())
        );
        // The view at the store is what the simulated world held right then (not the view
        // compared with itself): a fresh run stepped up to that event.
        let mut fresh = crate::Sim::new(&s, None);
        while fresh.trace().events.len() <= stored {
            fresh.step().expect("the run reaches the event");
        }
        let real: Vec<(String, String)> = fresh.hosts()[mx].store.mailboxes["bob"]
            .messages
            .iter()
            .map(|m| (m.uid.to_string(), m.subject.clone()))
            .collect();
        let shown: Vec<(String, String)> = at.hosts[mx].mailboxes["bob"]
            .iter()
            .map(|m| (m.uid.clone(), m.subject.clone()))
            .collect();
        assert_eq!(shown, real);
        // In the middle of the submission, both ends show their session and states.
        let mid = t
            .events
            .iter()
            .position(
                |e| matches!(&e.kind, EventKind::Segment(s) if s.payload.starts_with(b"MAIL FROM")),
            )
            .unwrap();
        let v = view_at(&s, t, Some(EventId(mid)));
        let alice = s.host_id("alice-pc.a.example").unwrap();
        assert_eq!(v.hosts[alice].sessions.len(), 1);
        assert_eq!(v.hosts[alice].sessions[0].state, "expect MAIL reply");
        // Step 0 is the opening narration ("what a protocol and an RFC are"); step 1 sends.
        assert_eq!(v.step, Some(1));
    }

    /// The cache's view is the full replay's, at every cursor (a few thousand events, crossing
    /// several kept replays), forwards, backwards, and while the trace grows; for scenarios with
    /// IMAP flags and deletions, webmail pages, lost segments and a classroom.
    #[test]
    fn the_cached_view_is_the_full_replay_at_every_cursor() {
        let mut sources: Vec<(String, String)> = [
            "walkthrough",
            "imap-two-computers",
            "webmail",
            "packet-loss",
            "server-down-retry",
        ]
        .iter()
        .map(|n| {
            let path = format!("{}/scenarios/{n}.toml", env!("CARGO_MANIFEST_DIR"));
            (path.clone(), std::fs::read_to_string(path).unwrap())
        })
        .collect();
        sources.push(("classroom".into(), crate::generate::classroom(40, 4, 3)));
        let mut longest = 0;
        for (name, text) in &sources {
            let s = crate::scenario::parse(name, text).unwrap();
            let mut sim = Sim::new(&s, None);
            sim.run_to_end();
            let t = sim.trace();
            let n = t.events.len();
            longest = longest.max(n);
            let mut cache = ViewCache::default();
            let stride = (n / 1500).max(1);
            let mut cursors: Vec<Option<EventId>> = vec![None];
            cursors.extend((0..n).step_by(stride).map(|c| Some(EventId(c))));
            // Around each kept replay, and backwards.
            for k in 1..=n / ViewCache::EVERY {
                let b = k * ViewCache::EVERY;
                cursors.extend(
                    [b - 2, b - 1, b, b + 1]
                        .iter()
                        .filter(|&&c| c < n)
                        .map(|&c| Some(EventId(c))),
                );
            }
            let backwards: Vec<_> = cursors.iter().rev().copied().collect();
            cursors.extend(backwards);
            for c in cursors {
                assert_eq!(
                    cache.view_at(&s, t, c),
                    view_at(&s, t, c),
                    "{name}: the view at {c:?}"
                );
            }
            // A growing trace (a live run): a cache made on a part of it goes on.
            let mut part = t.clone();
            part.events.truncate(n / 2);
            let mut growing = ViewCache::default();
            growing.view_at(&s, &part, part.last_id());
            for c in [n / 2, n - 1].map(EventId) {
                assert_eq!(
                    growing.view_at(&s, t, Some(c)),
                    view_at(&s, t, Some(c)),
                    "{name}"
                );
            }
            // A trace that forgot its first events (a long live run): the cache still agrees,
            // at ids past the forgotten ones, and a forgotten cursor has seen no kept event.
            let mut forgot = t.clone();
            forgot.forget(n / 3);
            let mut cache = ViewCache::default();
            for c in (n / 3..n).step_by(stride).map(EventId) {
                assert_eq!(
                    cache.view_at(&s, &forgot, Some(c)),
                    view_at(&s, &forgot, Some(c)),
                    "{name}: the view at {c} after forgetting"
                );
            }
            assert_eq!(
                view_at(&s, &forgot, Some(EventId(n / 3 - 1))),
                view_at(&s, &forgot, None)
            );
        }
        assert!(
            longest > 2 * ViewCache::EVERY,
            "a trace crosses kept replays: {longest}"
        );
    }

    /// A segment of a connection already closed at both ends (a FIN sent again on a lossy link)
    /// does not bring its session back.
    #[test]
    fn a_late_segment_does_not_reopen_a_closed_connection() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let mut sim = Sim::new(&s, None);
        sim.run_to_end();
        let mut t = sim.trace().clone();
        let fin = t
            .events
            .iter()
            .rev()
            .find(|e| matches!(&e.kind, EventKind::Segment(s) if s.flags.has(TcpFlags::FIN)))
            .unwrap()
            .clone();
        let last = t.last_id().unwrap();
        assert!(
            view_at(&s, &t, Some(last))
                .hosts
                .iter()
                .all(|h| h.sessions.is_empty())
        );
        t.push(fin.time, fin.kind);
        let end = view_at(&s, &t, Some(last.plus(1)));
        assert!(end.hosts.iter().all(|h| h.sessions.is_empty()), "{end:?}");
    }
}
