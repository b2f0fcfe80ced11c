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

/// An explanation of constants, as the `&'static Explanation` a segment keeps: made once, when
/// the program is built (the reference is promoted), so a trace event holds a pointer to it rather
/// than its two strings.
macro_rules! ex {
    ($note:expr, $rfc:expr $(,)?) => {
        &$crate::protocols::Explanation {
            note: $note,
            rfc: $rfc,
        }
    };
}
pub(crate) use ex;

/// The note of a segment that carries the rest of what the one before began: bytes too many for
/// one segment are cut at the MSS (1460 bytes here, what fits in an Ethernet frame).
pub const CONTINUED: &Explanation = &Explanation {
    note: "the segment before could carry only 1460 bytes (the MSS, the most one segment carries here), so this one carries the rest; the receiver joins the pieces in order",
    rfc: "RFC 9293 §3.7.1, §3.4",
};

/// The command verb at the start of a client's bytes, upper-cased, if it is one the simulation
/// knows (SMTP or POP3); `""` otherwise. No allocation: explanations are computed per segment.
pub fn known_verb(bytes: &[u8]) -> &'static str {
    // The longest verb has 8 letters: the word is upper-cased into one 64-bit number (its
    // letters, zero-padded) and matched against the verbs' keys.
    let word = &bytes[..bytes.len().min(9)];
    let end = word
        .iter()
        .position(|b| !b.is_ascii_alphabetic())
        .unwrap_or(word.len());
    if end > 8 {
        return "";
    }
    let mut up = [0u8; 8];
    for (u, b) in up.iter_mut().zip(&word[..end]) {
        *u = b.to_ascii_uppercase();
    }
    // Each verb's key is a constant: a chain of compares of one number each, not of strings.
    macro_rules! verbs {
        ($($verb:literal),* $(,)?) => {{
            match u64::from_be_bytes(up) {
                $(k if k == const { verb_key($verb) } => $verb,)*
                _ => "",
            }
        }};
    }
    verbs!(
        "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "HELP", "NOOP", "QUIT", "USER",
        "PASS", "STAT", "LIST", "UIDL", "RETR", "DELE", "TOP", "CAPA", "APOP", "AUTH", "STARTTLS",
        "STLS",
    )
}

/// A verb of at most 8 letters as [`known_verb`] matches it.
const fn verb_key(verb: &str) -> u64 {
    let b = verb.as_bytes();
    let mut up = [0u8; 8];
    let mut i = 0;
    while i < b.len() {
        up[i] = b[i];
        i += 1;
    }
    u64::from_be_bytes(up)
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// The verbs by a plain search, as [`super::known_verb`] was first written.
    fn by_search(bytes: &[u8]) -> &'static str {
        const VERBS: [&str; 23] = [
            "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "HELP", "NOOP", "QUIT", "USER",
            "PASS", "STAT", "LIST", "UIDL", "RETR", "DELE", "TOP", "CAPA", "APOP", "AUTH",
            "STARTTLS", "STLS",
        ];
        let end = bytes
            .iter()
            .position(|b| !b.is_ascii_alphabetic())
            .unwrap_or(bytes.len());
        VERBS
            .iter()
            .copied()
            .find(|v| v.as_bytes().eq_ignore_ascii_case(&bytes[..end]))
            .unwrap_or("")
    }

    #[test]
    fn a_longer_word_is_no_verb() {
        assert_eq!(super::known_verb(b"STARTTLS\r\n"), "STARTTLS");
        assert_eq!(super::known_verb(b"starttlsx\r\n"), "");
        assert_eq!(super::known_verb(b"EHLOX a"), "");
        assert_eq!(super::known_verb(b""), "");
    }

    proptest! {
        #[test]
        fn known_verb_is_the_search(
            verb in "(?i)(ehlo|helo|mail|rcpt|data|rset|vrfy|help|noop|quit|user|pass|stat|list|uidl|retr|dele|top|capa|apop|auth|starttls|stls|startt|x)",
            tail in proptest::collection::vec(any::<u8>(), 0..12),
            junk in proptest::collection::vec(any::<u8>(), 0..12),
        ) {
            let mut line = verb.into_bytes();
            line.extend_from_slice(&tail);
            prop_assert_eq!(super::known_verb(&line), by_search(&line));
            prop_assert_eq!(super::known_verb(&junk), by_search(&junk));
        }
    }
}
