//! The hosts and what they do with their protocol machines, in the world that runs them.
//!
//! - the **world** (`world`): [`Sim`], the hosts, the network ([`crate::net`]), the event queue
//!   and the trace; `wire` is where the hosts meet the network, `apps` what runs on each
//!   connection, `host` a host's state;
//! - a **mail program** on a computer (`client`): composes and submits mail over SMTP, downloads
//!   it over POP3 or reads it over IMAP (`imap`);
//! - a **mail server** (`mta`): accepts mail over SMTP, stores it for local users, queues the rest
//!   and relays it, looking up the destination's MX over DNS;
//! - a **mail store** (`store`, `imap`): serves mailboxes over POP3 and IMAP;
//! - a **webmail** and a **browser** (`web`): HTTP pages and forms, the server's own SMTP and IMAP;
//! - a **DNS server**: answers from the scenario's zone (in `wire`, it is one call);
//! - the **outside** (`outside`): a real program's connection through the bridge;
//! - what a long live run's trace keeps (`keep`).

mod apps;
mod client;
mod host;
mod imap;
mod keep;
mod mta;
mod outside;
mod store;
mod web;
mod wire;
mod world;

pub(crate) use apps::{ClientApp, ServerApp, SmtpPurpose};
pub use host::{HostState, LocalMessage, MailProgram, MailQueue, Mta, QueuedMail, Store};
pub(crate) use web::{WebJob, WebSession};
pub use world::Sim;

use crate::engine::time::SimDuration;

/// The first retry of a mail that could not be delivered for now; each next one waits twice as
/// long (10 s, 20 s, 40 s, ...). RFC 5321 §4.5.4.1 asks for at least 30 minutes between tries; a
/// lesson cannot wait that long, so the simulation's clock runs this schedule compressed.
pub const RETRY_FIRST: SimDuration = SimDuration::from_secs(10);
/// A mail still queued this long after it came bounces (RFC 5321 §4.5.4.1 says 4–5 days).
pub const GIVE_UP: SimDuration = SimDuration::from_secs(300);

/// An outstanding DNS query of a mail server.
pub(crate) struct Lookup {
    pub queue_id: String,
    pub stage: LookupStage,
    /// The query, to send again if no answer comes (UDP itself never retransmits).
    pub query: Vec<u8>,
    /// The DNS server asked.
    pub server: std::net::Ipv4Addr,
    /// Sendings so far after the first.
    pub attempt: u8,
}

/// How long a resolver waits for an answer before it asks again (RFC 1035 §4.2.1 leaves the
/// interval to the resolver; stub resolvers wait a few seconds).
pub const DNS_TIMEOUT: SimDuration = SimDuration::from_secs(2);
/// How many times a resolver asks before it gives up (the mail stays queued).
pub const DNS_TRIES: u8 = 3;

pub(crate) enum LookupStage {
    Mx,
    A { exchange: String },
}
