//! Plain-language notes and RFC sections for POP3 commands and responses.

use crate::protocols::{Explanation, ex};

/// Explains a segment the client sent, by its first command's verb as
/// [`crate::protocols::known_verb`] reads it (the caller has it already).
pub fn client_bytes(verb: &str) -> &'static Explanation {
    match verb {
        "USER" => ex!(
            "names the mailbox to log in to (AUTHORIZATION state)",
            "RFC 1939 §7",
        ),
        "PASS" => ex!(
            "sends the password, in clear text: POP3 without TLS hides nothing",
            "RFC 1939 §7, §13",
        ),
        "STAT" => ex!(
            "asks how many messages there are and their total size",
            "RFC 1939 §5",
        ),
        "LIST" => ex!("asks for each message's number and size", "RFC 1939 §5"),
        "UIDL" => ex!(
            "asks for each message's unique id, so the client knows which it has already seen",
            "RFC 1939 §7",
        ),
        "RETR" => ex!("downloads one whole message", "RFC 1939 §5"),
        "DELE" => ex!(
            "marks a message for deletion; it goes only when the session ends with QUIT",
            "RFC 1939 §5, §6",
        ),
        "TOP" => ex!(
            "asks for a message's header and the first lines of its body",
            "RFC 1939 §7",
        ),
        "RSET" => ex!("un-marks every message marked for deletion", "RFC 1939 §5"),
        "NOOP" => ex!("does nothing but get +OK", "RFC 1939 §5"),
        "CAPA" => ex!("asks which extensions the server supports", "RFC 2449 §5"),
        "QUIT" => ex!(
            "ends the session: the server enters UPDATE and really deletes the marked messages",
            "RFC 1939 §6",
        ),
        _ => ex!("a command this server does not know", "RFC 1939 §3"),
    }
}

/// Explains a segment the server sent, given the verb of the command it answers (empty for the greeting).
pub fn server_bytes(bytes: &[u8], answering: &str) -> &'static Explanation {
    if bytes.starts_with(b"-ERR") {
        return match answering {
            "PASS" if bytes.windows(6).any(|w| w == b"[AUTH]") => ex!(
                "the login failed: wrong user name or password",
                "RFC 1939 §7; RFC 3206 §4",
            ),
            "PASS" => ex!(
                "PASS refused: it must come right after a USER the server accepted",
                "RFC 1939 §7",
            ),
            _ => ex!("-ERR: the command failed; the text says why", "RFC 1939 §3"),
        };
    }
    match answering {
        "" => ex!(
            "the server's greeting: the session is in the AUTHORIZATION state",
            "RFC 1939 §4",
        ),
        "USER" => ex!("the server waits for the password", "RFC 1939 §7"),
        "PASS" => ex!(
            "logged in: the maildrop is locked for this session (TRANSACTION state)",
            "RFC 1939 §4, §7",
        ),
        "STAT" => ex!(
            "the number of messages and their total size in octets",
            "RFC 1939 §5",
        ),
        "LIST" => ex!(
            "one line per message: number and size; a line with a dot ends the list",
            "RFC 1939 §5",
        ),
        "UIDL" => ex!("one line per message: number and unique id", "RFC 1939 §7"),
        "RETR" => ex!(
            "the whole message, lines starting with a dot doubled, ended by a line with a dot",
            "RFC 1939 §3, §5",
        ),
        "TOP" => ex!(
            "the message's header and the first lines of its body",
            "RFC 1939 §7",
        ),
        "DELE" => ex!("marked for deletion (not gone until QUIT)", "RFC 1939 §5"),
        "QUIT" => ex!(
            "UPDATE: marked messages are now deleted from the server; goodbye",
            "RFC 1939 §6",
        ),
        "CAPA" => ex!("the list of supported extensions", "RFC 2449 §5"),
        _ => ex!("+OK: the command succeeded", "RFC 1939 §3"),
    }
}
