//! The trace: every segment, datagram, step and mailbox change of a run, with stable ids.
//!
//! The trace is the product's spine: the CLI prints it, the window animates it. Event ids are
//! indexes into [`Trace::events`] and never change for the same scenario and seed.

use std::net::Ipv4Addr;

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
    /// Host index.
    pub host: usize,
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
    pub conn: u32,
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
    pub explain: Explanation,
    /// The sender's protocol state before it sent this.
    pub state_before: &'static str,
    /// And after.
    pub state_after: &'static str,
    /// Lost on the way (a `loss` fault): it never arrives; `arrive` is when it would have.
    pub lost: bool,
    /// Which sending of these bytes this is: 0 the first, 1 the first retransmission, ...
    pub attempt: u8,
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
    pub explain: Explanation,
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
        index: usize,
        total: usize,
        text: String,
    },
    /// A TCP segment was sent.
    Segment(Segment),
    /// A UDP datagram was sent.
    Datagram(Datagram),
    /// A mailbox changed.
    Mailbox {
        host: usize,
        user: String,
        change: MailboxChange,
    },
    /// A server's outgoing queue changed.
    Queue {
        host: usize,
        id: String,
        added: bool,
        text: String,
    },
    /// A computer's mail program downloaded a message into its inbox.
    Downloaded {
        host: usize,
        uid: String,
        subject: String,
    },
    /// A computer's IMAP mail program changed what it shows; the mail itself stays on the server.
    Listed {
        host: usize,
        uid: String,
        subject: String,
        change: ListChange,
    },
    /// A browser received a page.
    Page {
        host: usize,
        /// `http://server/path`.
        url: String,
        status: u16,
        /// The page's HTML.
        html: String,
    },
    /// A host did something worth saying (a mail program shows new mail, a server gives up...).
    Note { host: usize, text: String },
}

/// One entry of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    /// Its id: its index in the trace.
    pub id: usize,
    /// When it happened (for segments: when sent).
    pub time: SimTime,
    /// What happened.
    pub kind: EventKind,
}

/// The record of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// The hosts, by index.
    pub hosts: Vec<HostInfo>,
    /// The events, in the order they happened.
    pub events: Vec<TraceEvent>,
}

impl Trace {
    /// Appends an event; returns its id.
    pub fn push(&mut self, time: SimTime, kind: EventKind) -> usize {
        let id = self.events.len();
        self.events.push(TraceEvent { id, time, kind });
        id
    }

    /// The host's name.
    pub fn host_name(&self, i: usize) -> &str {
        &self.hosts[i].name
    }
}
