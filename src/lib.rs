//! mailsim: an educational network simulator that shows how email really works.
//!
//! Hosts (users' computers, SMTP servers, POP3/IMAP mail stores, a webmail server and a browser,
//! a DNS server) exchange real SMTP, POP3, IMAP, HTTP and DNS bytes over a simulated network. A
//! run is deterministic: the same scenario and seed give the same bytes. The pieces, from the
//! bottom up:
//!
//! - the engine (private): simulated time, the event queue, seeded randomness and the [`Trace`];
//! - [`protocols`]: sans-IO SMTP, POP3, IMAP, HTTP and DNS machines with plain-language
//!   explanations and RFC references; [`mail`]: messages and mailboxes;
//! - [`net`]: TCP connections, UDP datagrams, links and the scenario's faults;
//! - [`Sim`]: the world (hosts and what they do, over the network) that runs a scenario;
//! - [`scenario`]: the TOML files teachers write, checked with file:line:col errors;
//! - [`view`]: the world at any point of a trace; [`report`]: text and JSON transcripts;
//!   [`check`]: the scenario's expectations; [`pcap`]: the packets for Wireshark;
//! - `app` (feature `gui`): the window; `bridge`: real programs on real ports; `allocator`: the
//!   command's allocator (mimalloc), not in the browser build.

#[cfg(not(target_arch = "wasm32"))]
pub mod allocator;
#[cfg(feature = "gui")]
pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod bridge;
pub mod check;
pub mod console;
pub mod diff;
mod engine;
pub mod follow;
pub mod generate;
pub mod inspect;
pub mod ladder;
pub mod layout;
pub mod logins;
pub mod mail;
pub mod net;
mod nodes;
pub mod pcap;
pub mod protocols;
pub mod quiz;
pub mod report;
pub mod scenario;
pub mod secrets;
pub mod view;
pub mod whatif;

pub use engine::ids::{ConnId, EventId, HostId};
pub use engine::rng::{SimRng, fork, stable_hash};
pub use engine::time::{SimDuration, SimTime, parse_duration, rfc5322_date};
pub use engine::trace::{
    Budget, Datagram, Direction, Endpoint, EventKind, HostInfo, ListChange, MailboxChange, Segment,
    TcpFlags, Trace, TraceEvent,
};
pub use nodes::{HostState, LocalMessage, MailProgram, MailQueue, Mta, QueuedMail, Sim, Store};
pub use scenario::{Scenario, ScenarioError, ScenarioErrors};

/// The built-in walkthrough, the tutorial's story (also `scenarios/walkthrough.toml`).
pub const WALKTHROUGH: &str = include_str!("../scenarios/walkthrough.toml");
