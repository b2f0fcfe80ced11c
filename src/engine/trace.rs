//! The trace: every segment, datagram, step and mailbox change of a run, with stable ids.
//!
//! The trace is the product's spine: the CLI prints it, the window animates it. An event's id
//! counts the events before it in the whole run and never changes for the same scenario and
//! seed; it is its index in [`Trace::events`] unless a long live run forgot its first events
//! (then [`Trace::get`] and [`Trace::position`] find it).

use std::net::Ipv4Addr;

use super::ids::{ConnId, EventId, HostId};
use super::time::SimTime;
use crate::protocols::{Explanation, Protocol};

/// A host as the trace names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// DNS name.
    pub name: String,
    /// Role in words.
    pub label: String,
    /// Address.
    pub ip: Ipv4Addr,
}

/// A host and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The host.
    pub host: HostId,
    /// Port.
    pub port: u16,
}

/// TCP flags, as bits (RFC 9293 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: u8 = 0x01;
    /// Synchronize sequence numbers (opening).
    pub const SYN: u8 = 0x02;
    /// Reset: refused or aborted.
    pub const RST: u8 = 0x04;
    /// Push: deliver the data now.
    pub const PSH: u8 = 0x08;
    /// The acknowledgment number is valid.
    pub const ACK: u8 = 0x10;

    /// Whether every bit of `f` is set.
    pub fn has(self, f: u8) -> bool {
        self.0 & f == f
    }

    /// `SYN, ACK` style names.
    pub fn names(self) -> String {
        let mut v = Vec::new();
        for (bit, name) in [
            (Self::SYN, "SYN"),
            (Self::RST, "RST"),
            (Self::FIN, "FIN"),
            (Self::PSH, "PSH"),
            (Self::ACK, "ACK"),
        ] {
            if self.has(bit) {
                v.push(name);
            }
        }
        v.join(", ")
    }
}

/// Which way a segment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the side that opened the connection.
    ClientToServer,
    /// Back to it.
    ServerToClient,
}

impl Direction {
    /// `C` or `S`, as in transcripts.
    pub fn letter(self) -> char {
        match self {
            Direction::ClientToServer => 'C',
            Direction::ServerToClient => 'S',
        }
    }
}

/// A TCP segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The connection's id.
    pub conn: ConnId,
    /// Sender.
    pub from: Endpoint,
    /// Receiver.
    pub to: Endpoint,
    /// Flags.
    pub flags: TcpFlags,
    /// Sequence number of the first byte (or of the SYN/FIN).
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// The real bytes.
    pub payload: Vec<u8>,
    /// When it reaches the receiver.
    pub arrive: SimTime,
    /// What it carries: TCP for control segments, else the connection's protocol.
    pub protocol: Protocol,
    /// Which way.
    pub direction: Direction,
    /// What it means and where the RFC says so.
    pub explain: &'static Explanation,
    /// The sender's protocol state before it sent this.
    pub state_before: &'static str,
    /// And after.
    pub state_after: &'static str,
    /// Lost on the way (a `loss` fault): it never arrives; `arrive` is when it would have.
    pub lost: bool,
    /// Which sending of these bytes this is: 0 the first, 1 the first retransmission, ...
    pub attempt: u8,
    /// Bytes it carried that the trace no longer keeps (a long live run's [`Budget`]): the
    /// payload is then only their first part.
    pub elided: u32,
}

impl Segment {
    /// The bytes it carried on the wire, kept or not.
    pub fn wire_len(&self) -> usize {
        self.payload.len() + self.elided as usize
    }
}

/// A UDP datagram (DNS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Sender.
    pub from: Endpoint,
    /// Receiver.
    pub to: Endpoint,
    /// The real bytes.
    pub payload: Vec<u8>,
    /// When it arrives.
    pub arrive: SimTime,
    /// What it carries.
    pub protocol: Protocol,
    /// Query or response.
    pub direction: Direction,
    /// What it means.
    pub explain: &'static Explanation,
    /// Lost on the way (a `loss` fault): it never arrives; `arrive` is when it would have.
    pub lost: bool,
    /// Which sending of this query this is: 0 the first, 1 the resolver's first retry, ...
    pub attempt: u8,
}

/// A change to a mailbox on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxChange {
    /// A message was stored.
    Stored {
        uid: u32,
        subject: String,
        size: usize,
    },
    /// A message was deleted.
    Deleted { uid: u32, subject: String },
    /// A message's IMAP flags changed (space-separated, e.g. `\Seen \Deleted`).
    Flags {
        uid: u32,
        subject: String,
        flags: String,
    },
}

/// A change to the list of messages a computer's IMAP mail program shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListChange {
    /// The program lists a message (its flags as the server said).
    Listed { flags: String },
    /// The server told it the message's flags changed.
    Flags { flags: String },
    /// The server told it the message is gone.
    Removed,
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A narrated step began.
    Step {
        /// Its index in the scenario's steps.
        index: usize,
        /// The how-manyth step to begin (1-based): steps that wait for an event (`on`) may
        /// begin in another order than the file's.
        number: usize,
        total: usize,
        text: String,
    },
    /// A TCP segment was sent.
    Segment(Segment),
    /// A UDP datagram was sent.
    Datagram(Datagram),
    /// A mailbox changed.
    Mailbox {
        host: HostId,
        user: String,
        change: MailboxChange,
    },
    /// A server's outgoing queue changed.
    Queue {
        host: HostId,
        id: String,
        added: bool,
        text: String,
    },
    /// A computer's mail program downloaded a message into its inbox.
    Downloaded {
        host: HostId,
        uid: String,
        subject: String,
    },
    /// A computer's IMAP mail program changed what it shows; the mail itself stays on the server.
    Listed {
        host: HostId,
        uid: String,
        subject: String,
        change: ListChange,
    },
    /// A browser received a page.
    Page {
        host: HostId,
        /// `http://server/path`.
        url: String,
        status: u16,
        /// The page's HTML.
        html: String,
    },
    /// A host did something worth saying (a mail program shows new mail, a server gives up...).
    Note { host: HostId, text: String },
}

/// One entry of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    /// Its id: its index in the whole trace, forgotten events included.
    pub id: EventId,
    /// When it happened (for segments: when sent).
    pub time: SimTime,
    /// What happened.
    pub kind: EventKind,
}

/// How much a long live run's trace keeps (`mailsim serve` sets it; a scenario run keeps all).
/// What it no longer keeps is summarised: a segment's dropped bytes in [`Segment::elided`], the
/// oldest events in [`Trace::forgotten`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Payload bytes kept per connection each way; past them a segment keeps its first `head`.
    pub per_conn: usize,
    /// Payload bytes kept in all; past them the oldest delivered segments are cut to `head`.
    pub total: usize,
    /// What a cut segment keeps of its payload (enough to see what it was).
    pub head: usize,
    /// Events kept; past them the oldest quarter is forgotten (never one still on its way).
    pub events: usize,
}

impl Budget {
    /// For `mailsim serve`: about 64 MB of payload and 400,000 events (under 200 MB in all).
    pub const LIVE: Budget = Budget {
        per_conn: 1 << 20,
        total: 64 << 20,
        head: 64,
        events: 400_000,
    };
}

/// What a trace has forgotten of its beginning (a long live run under a [`Budget`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// Events forgotten: the first kept event's id.
    pub events: usize,
    /// TCP segments among them.
    pub segments: usize,
    /// Bytes those segments carried.
    pub bytes: u64,
    /// Mails stored in a mailbox among them.
    pub stored: usize,
    /// When the last forgotten event happened.
    pub until: SimTime,
}

/// The record of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// The hosts, by index.
    pub hosts: Vec<HostInfo>,
    /// The events kept, in the order they happened: all of them but in a long live run, where
    /// the first has id [`Trace::first_id`].
    pub events: Vec<TraceEvent>,
    /// What was forgotten before `events` (nothing, but in a long live run).
    pub forgotten: Forgotten,
}

impl Trace {
    /// Appends an event; returns its id.
    #[inline]
    pub fn push(&mut self, time: SimTime, kind: EventKind) -> EventId {
        let id = self.next_id();
        self.events.push(TraceEvent { id, time, kind });
        id
    }

    /// The id the next event will have: how many there have been.
    pub fn next_id(&self) -> EventId {
        EventId(self.forgotten.events + self.events.len())
    }

    /// The id of the oldest event kept (0 unless some were forgotten).
    pub fn first_id(&self) -> EventId {
        EventId(self.forgotten.events)
    }

    /// The id of the last event kept (`None` while none is).
    pub fn last_id(&self) -> Option<EventId> {
        self.events.last().map(|e| e.id)
    }

    /// Where event `id` is in [`Trace::events`], if it is kept: what a view that draws rows or
    /// slices needs; everything else names events by id.
    pub fn position(&self, id: EventId) -> Option<usize> {
        let k = id.0.checked_sub(self.forgotten.events)?;
        (k < self.events.len()).then_some(k)
    }

    /// Event `id`, if it is kept.
    pub fn get(&self, id: EventId) -> Option<&TraceEvent> {
        self.events.get(self.position(id)?)
    }

    /// Event `id`, if it is kept.
    pub fn get_mut(&mut self, id: EventId) -> Option<&mut TraceEvent> {
        let k = self.position(id)?;
        self.events.get_mut(k)
    }

    /// Where an event with id `id` is or would be among the kept events: 0 for a forgotten
    /// one, their count for one still to come.
    fn bound(&self, id: EventId) -> usize {
        id.0.saturating_sub(self.forgotten.events)
            .min(self.events.len())
    }

    /// The kept events with ids from `from` up to, not with, `to`.
    pub fn range(&self, from: EventId, to: EventId) -> &[TraceEvent] {
        let (a, b) = (self.bound(from), self.bound(to));
        &self.events[a.min(b)..b]
    }

    /// The kept events before id `id` (all of them if it is past the last).
    pub fn before(&self, id: EventId) -> &[TraceEvent] {
        &self.events[..self.bound(id)]
    }

    /// The kept events from id `id` on.
    pub fn since(&self, id: EventId) -> &[TraceEvent] {
        &self.events[self.bound(id)..]
    }

    /// Forgets the oldest `n` kept events, adding them to the summary.
    pub fn forget(&mut self, n: usize) {
        let n = n.min(self.events.len());
        for e in self.events.drain(..n) {
            let f = &mut self.forgotten;
            f.events += 1;
            f.until = e.time;
            match &e.kind {
                EventKind::Segment(s) => {
                    f.segments += 1;
                    f.bytes += s.wire_len() as u64;
                }
                EventKind::Mailbox {
                    change: MailboxChange::Stored { .. },
                    ..
                } => f.stored += 1,
                _ => {}
            }
        }
    }

    /// The host's name.
    pub fn host_name(&self, h: HostId) -> &str {
        &self.hosts[h].name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Once a long run forgot its first events, the kept events before an id are found by id,
    /// not by position (which would run past the end).
    #[test]
    fn before_and_since_count_forgotten_events() {
        let mut t = Trace::default();
        for i in 0..10 {
            let text = format!("n{i}");
            t.push(
                SimTime(i),
                EventKind::Note {
                    host: HostId(0),
                    text,
                },
            );
        }
        t.forget(4);
        let ids = |evs: &[TraceEvent]| evs.iter().map(|e| e.id.0).collect::<Vec<_>>();
        assert_eq!(ids(t.before(EventId(7))), vec![4, 5, 6]);
        assert_eq!(ids(t.before(EventId(2))), Vec::<usize>::new());
        assert_eq!(ids(t.before(EventId(99))), (4..10).collect::<Vec<_>>());
        assert_eq!(ids(t.since(EventId(8))), vec![8, 9]);
        assert_eq!(ids(t.range(EventId(2), EventId(6))), vec![4, 5]);
        assert_eq!(ids(t.range(EventId(7), EventId(99))), vec![7, 8, 9]);
        assert_eq!(ids(t.range(EventId(8), EventId(6))), Vec::<usize>::new());
    }

    /// An event is found by its id, not its position, once the first were forgotten: the same
    /// event (its text) before and after, and a forgotten or future id is no event.
    #[test]
    fn an_id_names_the_same_event_after_forgetting() {
        let mut t = Trace::default();
        for i in 0..10 {
            t.push(
                SimTime(i),
                EventKind::Note {
                    host: HostId(0),
                    text: format!("n{i}"),
                },
            );
        }
        let text = |t: &Trace, id: usize| match &t.get(EventId(id))?.kind {
            EventKind::Note { text, .. } => Some(text.clone()),
            _ => None,
        };
        assert_eq!(t.position(EventId(6)), Some(6));
        t.forget(4);
        assert_eq!(text(&t, 6).as_deref(), Some("n6"));
        assert_eq!(t.position(EventId(6)), Some(2));
        assert_eq!(t.position(EventId(3)), None, "forgotten");
        assert_eq!(t.position(EventId(10)), None, "still to come");
        assert_eq!(text(&t, 3), None);
        assert_eq!(t.last_id(), Some(EventId(9)));
        t.forget(99);
        assert_eq!((t.last_id(), t.first_id()), (None, EventId(10)));
    }
}
