//! The protocols, as sans-IO state machines: bytes in, bytes and events out, no sockets, no clock.
//!
//! Each protocol keeps its wire types (parse and emit) apart from its client and server machines,
//! and has an `explain` module that says in one sentence what a command or reply does and which RFC
//! section defines it.

pub mod dns;
pub mod line;
pub mod pop3;
pub mod smtp;

use serde::Serialize;

/// A one-sentence plain-language note and the RFC section behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// What the bytes do, for a student.
    pub note: &'static str,
    /// Where the standard says so, e.g. `RFC 5321 §4.1.1.2`.
    pub rfc: &'static str,
}

/// The protocols a segment can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP control segments (handshake, FIN, RST) with no payload.
    Tcp,
    /// Simple Mail Transfer Protocol.
    Smtp,
    /// Post Office Protocol version 3.
    Pop3,
    /// Domain Name System.
    Dns,
}

impl Protocol {
    /// The protocol's usual name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Smtp => "SMTP",
            Protocol::Pop3 => "POP3",
            Protocol::Dns => "DNS",
        }
    }
}
