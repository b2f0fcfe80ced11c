//! The world as it was at a point of the trace: mailboxes, queues, inboxes and open sessions.
//!
//! The window never runs the simulation backwards. It derives what to show at the cursor from the
//! trace alone, by replaying the events up to it; stepping back is computing this again for an
//! earlier cursor, which is exact by construction.

use std::collections::BTreeMap;

use crate::engine::trace::{EventKind, ListChange, MailboxChange, Trace};
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
    /// The connection id.
    pub conn: u32,
    /// This end's port.
    pub port: u16,
    /// The other host and its port.
    pub peer: (usize, u16),
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
    pub mailboxes: BTreeMap<String, Vec<MessageLine>>,
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
    /// By host index.
    pub hosts: Vec<HostView>,
    /// The current step (index), if one has begun.
    pub step: Option<usize>,
    /// Its number in the order steps began ("Step n of m").
    pub step_number: Option<usize>,
}

/// The world after the events `0..=cursor` (`None`: before the first event).
pub fn view_at(scenario: &Scenario, trace: &Trace, cursor: Option<usize>) -> WorldView {
    let mut hosts: Vec<HostView> = scenario
        .hosts
        .iter()
        .map(|h| HostView {
            mailboxes: h
                .accounts
                .iter()
                .map(|a| (a.user.clone(), Vec::new()))
                .collect(),
            ..HostView::default()
        })
        .collect();
    let mut step = None;
    let mut step_number = None;
    // conn → [client end, server end] as (host, port, state, fin)
    let mut conns: BTreeMap<u32, [(usize, u16, &'static str, bool); 2]> = BTreeMap::new();
    let mut protocols: BTreeMap<u32, Protocol> = BTreeMap::new();
    let end = cursor.map_or(0, |c| (c + 1).min(trace.events.len()));
    for ev in &trace.events[..end] {
        match &ev.kind {
            EventKind::Step { index, number, .. } => {
                step = Some(*index);
                step_number = Some(*number);
            }
            EventKind::Segment(s) => {
                let side =
                    usize::from(s.direction == crate::engine::trace::Direction::ServerToClient);
                let entry = conns.entry(s.conn).or_insert_with(|| {
                    let (c, v) = if side == 0 {
                        (s.from, s.to)
                    } else {
                        (s.to, s.from)
                    };
                    [(c.host, c.port, "", false), (v.host, v.port, "", false)]
                });
                entry[side].2 = s.state_after;
                if s.flags.has(crate::engine::trace::TcpFlags::FIN) {
                    entry[side].3 = true;
                }
                if s.flags.has(crate::engine::trace::TcpFlags::RST) {
                    entry[0].3 = true;
                    entry[1].3 = true;
                }
                if !s.payload.is_empty() {
                    protocols.insert(s.conn, s.protocol);
                }
            }
            EventKind::Mailbox { host, user, change } => {
                let list = hosts[*host].mailboxes.entry(user.clone()).or_default();
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
                let q = &mut hosts[*host].queue;
                if *added {
                    q.push((id.clone(), text.clone()));
                } else {
                    q.retain(|(i, _)| i != id);
                }
            }
            EventKind::Downloaded { host, uid, subject } => {
                hosts[*host].inbox.push(MessageLine {
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
                let inbox = &mut hosts[*host].inbox;
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
            } => hosts[*host].page = Some((url.clone(), *status, html.clone())),
            EventKind::Datagram(_) | EventKind::Note { .. } => {}
        }
    }
    for (conn, ends) in conns {
        if ends[0].3 && ends[1].3 {
            continue;
        }
        let protocol = protocols.get(&conn).copied().unwrap_or(Protocol::Tcp);
        for (i, &(host, port, state, _)) in ends.iter().enumerate() {
            let other = ends[1 - i];
            hosts[host].sessions.push(SessionView {
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
        step,
        step_number,
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
        let mx = s.host_index("mx.b.example").unwrap();
        let bob_pc = s.host_index("bob-pc.b.example").unwrap();
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
        assert!(view_at(&s, t, Some(stored - 1)).hosts[mx].mailboxes["bob"].is_empty());
        let at = view_at(&s, t, Some(stored));
        assert_eq!(at.hosts[mx].mailboxes["bob"][0].subject, "Lunch on Friday?");
        let end = view_at(&s, t, Some(t.events.len() - 1));
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
        let real: Vec<(String, String)> = fresh.hosts()[mx].mailboxes["bob"]
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
        let v = view_at(&s, t, Some(mid));
        let alice = s.host_index("alice-pc.a.example").unwrap();
        assert_eq!(v.hosts[alice].sessions.len(), 1);
        assert_eq!(v.hosts[alice].sessions[0].state, "expect MAIL reply");
        // Step 0 is the opening narration ("what a protocol and an RFC are"); step 1 sends.
        assert_eq!(v.step, Some(1));
    }
}
