//! The protocols, as sans-IO state machines: bytes in, bytes and events out, no sockets, no clock.
//!
//! Every client and server machine has the same shape, the [`Session`] trait: start there.
//!
//! Each protocol keeps its wire types (parse and emit) apart from its client and server machines,
//! and has an `explain` module that says in one sentence what a command or reply does and which RFC
//! section defines it.

pub mod dns;
pub mod http;
pub mod imap;
pub mod line;
pub mod pop3;
pub mod session;
pub mod smtp;

pub use session::{Session, SessionDyn};

use serde::Serialize;

/// A one-sentence plain-language note and the RFC section behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// What the bytes do, for a student.
    pub note: &'static str,
    /// Where the standard says so, e.g. `RFC 5321 §4.1.1.2`.
    pub rfc: &'static str,
}

/// The note of a segment that carries the rest of what the one before began: bytes too many for
/// one segment are cut at the MSS (1460 bytes here, what fits in an Ethernet frame).
pub const CONTINUED: Explanation = Explanation {
    note: "the segment before could carry only 1460 bytes (the MSS, the most one segment carries here), so this one carries the rest; the receiver joins the pieces in order",
    rfc: "RFC 9293 §3.7.1, §3.4",
};

/// The command verb at the start of a client's bytes, upper-cased, if it is one the simulation
/// knows (SMTP or POP3); `""` otherwise. No allocation: explanations are computed per segment.
pub fn known_verb(bytes: &[u8]) -> &'static str {
    const VERBS: [&str; 23] = [
        "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "HELP", "NOOP", "QUIT", "USER",
        "PASS", "STAT", "LIST", "UIDL", "RETR", "DELE", "TOP", "CAPA", "APOP", "AUTH", "STARTTLS",
        "STLS",
    ];
    let end = bytes
        .iter()
        .position(|b| !b.is_ascii_alphabetic())
        .unwrap_or(bytes.len());
    let word = &bytes[..end];
    VERBS
        .iter()
        .copied()
        .find(|v| v.as_bytes().eq_ignore_ascii_case(word))
        .unwrap_or("")
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
    /// Internet Message Access Protocol.
    Imap,
    /// Hypertext Transfer Protocol (the browser and the webmail server).
    Http,
}

impl Protocol {
    /// The protocol's usual name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Smtp => "SMTP",
            Protocol::Pop3 => "POP3",
            Protocol::Dns => "DNS",
            Protocol::Imap => "IMAP",
            Protocol::Http => "HTTP",
        }
    }
}
