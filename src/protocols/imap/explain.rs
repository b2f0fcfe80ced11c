//! Plain-language notes and RFC sections for IMAP commands and responses.

use crate::protocols::{Explanation, ex};

const VERBS: [&str; 27] = [
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "LOGIN",
    "AUTHENTICATE",
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "STATUS",
    "APPEND",
    "CHECK",
    "CLOSE",
    "EXPUNGE",
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "UID",
    "IDLE",
    "UNSELECT",
    "DONE",
];

/// The command a client's bytes carry: the word after the tag (`DONE` ends IDLE and has no tag);
/// for `UID`, the word after it decides the note. `""` for literal data and other bytes.
pub fn client_verb(bytes: &[u8]) -> &'static str {
    let line = bytes.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut words = line.split(|&b| b == b' ');
    let first = words.next().unwrap_or_default();
    if first.eq_ignore_ascii_case(b"DONE") {
        return "DONE";
    }
    let Some(verb) = words.next() else { return "" };
    VERBS
        .iter()
        .copied()
        .find(|v| v.as_bytes().eq_ignore_ascii_case(verb))
        .unwrap_or("")
}

/// Explains a segment the client sent.
pub fn client_bytes(bytes: &[u8]) -> &'static Explanation {
    let line = bytes.split(|&b| b == b'\r').next().unwrap_or_default();
    let upper = String::from_utf8_lossy(line).to_ascii_uppercase();
    let has = |w: &str| upper.contains(w);
    match client_verb(bytes) {
        "CAPABILITY" => ex!("asks what this server can do", "RFC 3501 §6.1.1"),
        "NOOP" => ex!(
            "does nothing, but lets the server report news (new mail, flags) with its reply",
            "RFC 3501 §6.1.2",
        ),
        "LOGOUT" => ex!(
            "ends the session; the mail stays on the server",
            "RFC 3501 §6.1.3",
        ),
        "LOGIN" => ex!(
            "logs in with user name and password, in clear text: without TLS IMAP hides nothing",
            "RFC 3501 §6.2.3",
        ),
        "AUTHENTICATE" => ex!(
            "logs in with a SASL mechanism (PLAIN: user and password in base64, not encrypted)",
            "RFC 3501 §6.2.2; RFC 4616",
        ),
        "SELECT" => ex!(
            "opens a mailbox for reading and changing; the server answers with how many messages it holds",
            "RFC 3501 §6.3.1",
        ),
        "EXAMINE" => ex!("opens a mailbox read-only", "RFC 3501 §6.3.2"),
        "CREATE" => ex!(
            "creates a mailbox (a folder) on the server",
            "RFC 3501 §6.3.3",
        ),
        "DELETE" => ex!("deletes a mailbox", "RFC 3501 §6.3.4"),
        "RENAME" => ex!("renames a mailbox", "RFC 3501 §6.3.5"),
        "SUBSCRIBE" | "UNSUBSCRIBE" => ex!(
            "adds or removes a mailbox from the list the client shows",
            "RFC 3501 §6.3.6, §6.3.7",
        ),
        "LIST" => ex!("asks which mailboxes (folders) exist", "RFC 3501 §6.3.8"),
        "LSUB" => ex!("asks which mailboxes are subscribed", "RFC 3501 §6.3.9"),
        "STATUS" => ex!(
            "asks how many messages, unseen ones etc. a mailbox has, without opening it",
            "RFC 3501 §6.3.10",
        ),
        "APPEND" => ex!(
            "stores a message in a mailbox (a client saving its sent mail does this)",
            "RFC 3501 §6.3.11",
        ),
        "CHECK" => ex!("asks the server to save its state", "RFC 3501 §6.4.1"),
        "CLOSE" => ex!(
            "closes the mailbox; messages marked \\Deleted are removed for good",
            "RFC 3501 §6.4.2",
        ),
        "UNSELECT" => ex!(
            "closes the mailbox without removing anything",
            "RFC 3189 §2",
        ),
        "EXPUNGE" => ex!(
            "removes for good the messages marked \\Deleted: on every computer that looks",
            "RFC 3501 §6.4.3",
        ),
        "SEARCH" => ex!("asks the server which messages match", "RFC 3501 §6.4.4"),
        "FETCH" | "UID" if has(" FETCH ") || has("FETCH ") => {
            if has("BODY[]") || has("BODY[TEXT]") || has("RFC822 ") || has("RFC822)") {
                ex!(
                    "downloads a message's text; reading it sets \\Seen on the server, for every computer",
                    "RFC 3501 §6.4.5, §6.4.8",
                )
            } else {
                ex!(
                    "asks for parts of messages (flags, headers) without marking them read",
                    "RFC 3501 §6.4.5, §6.4.8",
                )
            }
        }
        "STORE" | "UID" if has("STORE") => {
            if has("\\DELETED") {
                ex!(
                    "marks a message \\Deleted; it stays until EXPUNGE",
                    "RFC 3501 §6.4.6, §2.3.2",
                )
            } else {
                ex!("changes a message's flags on the server", "RFC 3501 §6.4.6")
            }
        }
        "COPY" | "UID" if has("COPY") => {
            ex!("copies messages to another mailbox", "RFC 3501 §6.4.7")
        }
        "UID" => ex!(
            "a command that names messages by UID, which never change, not by position",
            "RFC 3501 §6.4.8",
        ),
        "IDLE" => ex!(
            "waits on an open connection: the server will report new mail and changes at once",
            "RFC 2177 §3",
        ),
        "DONE" => ex!(
            "ends IDLE, so that the client can send commands again",
            "RFC 2177 §3",
        ),
        _ if line.is_empty() || bytes.len() > line.len() + 2 => ex!(
            "literal data: the bytes announced by {size}, sent after the server's +",
            "RFC 3501 §4.3, §7.5",
        ),
        _ => ex!("a command this server does not know", "RFC 3501 §6"),
    }
}

/// Explains a segment the server sent, given the command it answers.
pub fn server_bytes(bytes: &[u8], answering: &str) -> &'static Explanation {
    let line = bytes.split(|&b| b == b'\r').next().unwrap_or_default();
    let text = String::from_utf8_lossy(line).to_ascii_uppercase();
    let starts = |p: &str| text.starts_with(p);
    if starts("* OK [CAPABILITY") && answering.is_empty() {
        return ex!(
            "the greeting: the server is ready and lists what it can do",
            "RFC 3501 §7.1.1, §7.2.1",
        );
    }
    if starts("+") {
        return match answering {
            "IDLE" => ex!(
                "the server agrees to IDLE: from now on it speaks when something changes",
                "RFC 2177 §3",
            ),
            "AUTHENTICATE" => ex!("the server waits for the credentials", "RFC 3501 §7.5"),
            _ => ex!("go ahead: send the literal you announced", "RFC 3501 §7.5"),
        };
    }
    if starts("* BYE") {
        return ex!("the server is closing the connection", "RFC 3501 §7.1.5");
    }
    if starts("* ") {
        let word = |w: &str| text.split(' ').nth(2) == Some(w);
        if word("EXPUNGE") {
            return ex!(
                "a message was removed for good; the numbers of the ones after it go down by one",
                "RFC 3501 §7.4.1",
            );
        }
        if word("EXISTS") {
            return if answering == "SELECT" || answering == "EXAMINE" {
                ex!(
                    "the mailbox is open: how many messages, their flags, UIDVALIDITY and UIDNEXT",
                    "RFC 3501 §6.3.1, §7.3.1",
                )
            } else {
                ex!(
                    "news: the mailbox now has this many messages (new mail arrived)",
                    "RFC 3501 §7.3.1",
                )
            };
        }
        if starts("* FLAGS") && (answering == "SELECT" || answering == "EXAMINE") {
            return ex!(
                "the mailbox is open: how many messages, their flags, UIDVALIDITY and UIDNEXT",
                "RFC 3501 §6.3.1, §7.3.1",
            );
        }
        if word("FETCH") {
            return if answering == "FETCH" || answering == "UID" {
                if text.contains("BODY[") || text.contains("RFC822") {
                    ex!(
                        "the message data asked for; {size} announces how many bytes follow",
                        "RFC 3501 §7.4.2",
                    )
                } else {
                    ex!("the flags and data asked for", "RFC 3501 §7.4.2")
                }
            } else if answering == "STORE" {
                ex!("the message's flags after the change", "RFC 3501 §6.4.6")
            } else {
                ex!(
                    "news: a message's flags changed (another computer read or marked it)",
                    "RFC 3501 §7.4.2",
                )
            };
        }
        if starts("* SEARCH") {
            return ex!("the numbers of the messages that match", "RFC 3501 §7.2.5");
        }
        if starts("* LIST") || starts("* LSUB") {
            return ex!("one mailbox (folder) per line", "RFC 3501 §7.2.2");
        }
        if starts("* STATUS") {
            return ex!("the counts asked for", "RFC 3501 §7.2.4");
        }
        if starts("* CAPABILITY") {
            return ex!("what this server can do", "RFC 3501 §7.2.1");
        }
    }
    let status = text.split(' ').nth(1).unwrap_or_default();
    match (status, answering) {
        ("NO", "LOGIN" | "AUTHENTICATE") => ex!(
            "NO: the login failed (wrong user name or password)",
            "RFC 3501 §6.2.3, §7.1.2",
        ),
        ("NO", _) => ex!(
            "NO: the command failed; the text and the [code] say why",
            "RFC 3501 §7.1.2",
        ),
        ("BAD", _) => ex!(
            "BAD: the command was not understood or not allowed now",
            "RFC 3501 §7.1.3",
        ),
        ("OK", "LOGIN" | "AUTHENTICATE") => ex!(
            "logged in: the session is in the authenticated state",
            "RFC 3501 §6.2.3, §3.2",
        ),
        ("OK", "SELECT" | "EXAMINE") => ex!(
            "the mailbox is selected: commands on its messages can follow",
            "RFC 3501 §6.3.1, §3.3",
        ),
        ("OK", "DONE") => ex!("IDLE ended", "RFC 2177 §3"),
        ("OK", "LOGOUT") => ex!(
            "logged out; the mail stays on the server",
            "RFC 3501 §6.1.3",
        ),
        ("OK", _) => ex!(
            "OK: the command with this tag is done (a tag pairs each reply with its command)",
            "RFC 3501 §2.2.2, §7.1.1",
        ),
        _ => ex!("a server response", "RFC 3501 §7"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_and_notes() {
        assert_eq!(client_verb(b"a1 LOGIN bob pw\r\n"), "LOGIN");
        assert_eq!(client_verb(b"DONE\r\n"), "DONE");
        assert_eq!(client_verb(b"a3 uid fetch 1:* (FLAGS)\r\n"), "UID");
        assert_eq!(client_verb(b"hello"), "");
        assert_eq!(
            client_bytes(b"a4 UID FETCH 2 (BODY[])\r\n").rfc,
            "RFC 3501 §6.4.5, §6.4.8"
        );
        assert!(
            server_bytes(b"* 1 FETCH (FLAGS (\\Seen))\r\n", "DONE")
                .note
                .starts_with("news")
        );
        assert!(
            server_bytes(b"* 3 EXPUNGE\r\n", "")
                .note
                .contains("removed")
        );
        assert!(
            server_bytes(b"a1 NO [AUTHENTICATIONFAILED] x\r\n", "LOGIN")
                .note
                .contains("login failed")
        );
    }
}
