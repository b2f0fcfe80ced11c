//! Plain-language notes and RFC sections for SMTP commands, replies and message data.

use crate::protocols::{Explanation, ex};

/// Explains a segment the client sent: its first command, by its verb as
/// [`crate::protocols::known_verb`] reads it (the caller has it already), or the message data
/// after 354.
pub fn client_bytes(verb: &str, sending_data: bool) -> &'static Explanation {
    if sending_data {
        return ex!(
            "the message itself: header lines, a blank line, the body; lines starting with a dot get a second dot, and a line with only a dot ends it",
            "RFC 5321 §4.1.1.4, §4.5.2; RFC 5322 §2.1",
        );
    }
    match verb {
        "EHLO" => ex!(
            "the client says hello with its name and asks which extensions the server supports (Extended SMTP)",
            "RFC 5321 §4.1.1.1",
        ),
        "HELO" => ex!(
            "the client says hello with its name, the old way: no extensions",
            "RFC 5321 §4.1.1.1",
        ),
        "MAIL" => ex!(
            "starts a mail transaction and names the envelope sender, where bounces go",
            "RFC 5321 §4.1.1.2",
        ),
        "RCPT" => ex!(
            "names one recipient of the envelope; the server answers for each",
            "RFC 5321 §4.1.1.3",
        ),
        "DATA" => ex!(
            "asks to send the message itself; the server answers 354 when ready",
            "RFC 5321 §4.1.1.4",
        ),
        "RSET" => ex!("aborts the current mail transaction", "RFC 5321 §4.1.1.5"),
        "VRFY" => ex!("asks whether a user exists", "RFC 5321 §4.1.1.6"),
        "HELP" => ex!("asks the server for help text", "RFC 5321 §4.1.1.8"),
        "NOOP" => ex!(
            "does nothing but get an OK: checks the line is alive",
            "RFC 5321 §4.1.1.9",
        ),
        "AUTH" => ex!(
            "logs in: AUTH PLAIN carries user and password in base64, which hides nothing without TLS",
            "RFC 4954 §4; RFC 4616",
        ),
        "QUIT" => ex!(
            "says goodbye: the server answers 221 and closes",
            "RFC 5321 §4.1.1.10",
        ),
        _ => ex!("a command this server does not know", "RFC 5321 §4.2.4"),
    }
}

/// Explains a segment the server sent, by the code of its first reply and the command it answers
/// (`"DATA-END"` for the reply to the final dot).
pub fn server_bytes(bytes: &[u8], answering: &str) -> &'static Explanation {
    let code = match bytes.get(..3) {
        Some(d) if d.iter().all(u8::is_ascii_digit) => {
            d.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'))
        }
        _ => 0,
    };
    let multi = bytes.get(3) == Some(&b'-');
    if let Some(e) = enhanced(bytes).and_then(|(c, s, d)| by_enhanced_code(code, c, s, d)) {
        return e;
    }
    match code {
        220 => ex!(
            "the server's greeting: it is ready, and the client speaks next",
            "RFC 5321 §4.2, §3.1",
        ),
        235 => ex!(
            "logged in: this submission server will now take mail from this user",
            "RFC 4954 §6",
        ),
        334 => ex!(
            "go on with AUTH: send the next credentials line, in base64",
            "RFC 4954 §4",
        ),
        530 => ex!(
            "authentication required: a submission server takes mail only from its logged-in users (no open relay)",
            "RFC 4954 §6; RFC 6409 §4.3",
        ),
        535 => ex!(
            "the login failed: wrong user name or password",
            "RFC 4954 §6",
        ),
        250 if multi => ex!(
            "OK, with the server's name and one extension per line (SIZE, 8BITMIME, PIPELINING...)",
            "RFC 5321 §4.1.1.1; RFC 1870; RFC 2920",
        ),
        250 if answering == "DATA-END" => ex!(
            "the message is accepted: from now on this server is responsible for delivering it",
            "RFC 5321 §4.1.1.4, §6.1",
        ),
        250 if answering == "MAIL" => ex!("OK: the sender is accepted", "RFC 5321 §4.1.1.2"),
        250 if answering == "RCPT" => ex!("OK: this recipient is accepted", "RFC 5321 §4.1.1.3"),
        250 => ex!(
            "OK: the requested action was done (2xx means success)",
            "RFC 5321 §4.2.1, §4.2.2",
        ),
        221 => ex!(
            "goodbye: the server closes the connection",
            "RFC 5321 §4.1.1.10",
        ),
        214 => ex!("help text", "RFC 5321 §4.1.1.8"),
        252 => ex!(
            "cannot verify the user, but will try to deliver (servers hide who exists)",
            "RFC 5321 §3.5.3",
        ),
        354 => ex!(
            "go ahead: send the message and end it with a line holding only a dot (3xx means 'go on')",
            "RFC 5321 §4.1.1.4",
        ),
        421 => ex!(
            "the service is closing the connection (4xx means 'try again later')",
            "RFC 5321 §4.2.3",
        ),
        450..=452 => ex!(
            "a temporary failure: the sender should keep the mail and try again later",
            "RFC 5321 §4.2.3, §4.5.4.1",
        ),
        500 => ex!(
            "syntax error: the command was not recognized or its line was malformed",
            "RFC 5321 §4.2.4",
        ),
        501 => ex!("syntax error in the command's arguments", "RFC 5321 §4.2.4"),
        502 => ex!("command not implemented", "RFC 5321 §4.2.4"),
        503 => ex!(
            "bad sequence of commands: SMTP has an order (HELO, MAIL, RCPT, DATA)",
            "RFC 5321 §4.1.4",
        ),
        550 => ex!(
            "refused for good: e.g. no such user here (5xx means 'do not retry')",
            "RFC 5321 §4.2.3; RFC 3463 §3.2",
        ),
        552 => ex!(
            "the message is larger than the server accepts",
            "RFC 5321 §4.5.3.1.10; RFC 1870",
        ),
        553 => ex!(
            "this sender address is not allowed: a logged-in user sends as their own address only",
            "RFC 5321 §4.2.2; RFC 3463 §3.8 (X.7.1)",
        ),
        554 => ex!(
            "the transaction failed for good (e.g. relaying denied, or a malformed message)",
            "RFC 5321 §4.2.3, §3.6.2",
        ),
        555 => ex!(
            "a MAIL or RCPT parameter is not supported",
            "RFC 5321 §4.2.3",
        ),
        _ => ex!(
            "a reply: the first digit says success (2), go on (3), try later (4) or failure (5)",
            "RFC 5321 §4.2.1",
        ),
    }
}

/// The enhanced status code after the reply code (`552 5.2.2 ...`: class, subject, detail;
/// RFC 3463, RFC 2034), if the reply has one.
fn enhanced(bytes: &[u8]) -> Option<(u8, u16, u16)> {
    // Read in place: this runs for every segment a server sends.
    let rest = bytes.get(4..)?;
    let word = &rest[..memchr::memchr(b' ', rest).unwrap_or(rest.len())];
    let word = word.trim_ascii_end();
    let mut parts = word.split(|&b| b == b'.');
    let mut number = || -> Option<u16> {
        let p = parts.next()?;
        (!p.is_empty() && p.len() <= 4 && p.iter().all(u8::is_ascii_digit))
            .then(|| p.iter().fold(0, |n, d| n * 10 + u16::from(d - b'0')))
    };
    let class = number()?;
    let subject = number()?;
    let detail = number()?;
    (parts.next().is_none() && matches!(class, 2 | 4 | 5)).then_some((class as u8, subject, detail))
}

/// The note for a reply whose code has variants, chosen by its enhanced status code: a `552` is
/// a full mailbox (5.2.2) or a message too big (5.3.4), and says which. `None` where the reply
/// code alone says it.
fn by_enhanced_code(
    code: u16,
    class: u8,
    subject: u16,
    detail: u16,
) -> Option<&'static Explanation> {
    let later = class == 4;
    Some(match (subject, detail) {
        (1, 1) => ex!(
            "no such user here: the recipient's mailbox does not exist (refused for good)",
            "RFC 5321 §4.2.3; RFC 3463 §3.2 (X.1.1)",
        ),
        (2, 2) if later => ex!(
            "the recipient's mailbox is full for now: the sender keeps the mail and tries again later",
            "RFC 5321 §4.2.3, §4.5.4.1; RFC 3463 §3.3 (X.2.2)",
        ),
        (2, 2) => ex!(
            "the recipient's mailbox is full: over its storage allowance, so this mail is refused",
            "RFC 5321 §4.2.3; RFC 3463 §3.3 (X.2.2)",
        ),
        (3, 4) => ex!(
            "the message is larger than the server accepts (its SIZE limit)",
            "RFC 5321 §4.5.3.1.10; RFC 1870; RFC 3463 §3.4 (X.3.4)",
        ),
        (4, 4) => ex!(
            "the recipient's domain cannot be found: DNS has no mail server for it",
            "RFC 5321 §5.1; RFC 3463 §3.5 (X.4.4)",
        ),
        (4, 7) => ex!(
            "the server gave up: it could not deliver the mail before its time ran out",
            "RFC 5321 §4.5.4.1; RFC 3463 §3.5 (X.4.7)",
        ),
        (5, 3) => ex!(
            "too many recipients in one transaction: send the rest in another",
            "RFC 5321 §4.5.3.1.8; RFC 3463 §3.6 (X.5.3)",
        ),
        (5, 1) if code != 503 => ex!(
            "the command is not allowed here: SMTP has an order (EHLO, MAIL, RCPT, DATA)",
            "RFC 5321 §4.1.4; RFC 3463 §3.6 (X.5.1)",
        ),
        (5, 2) if code != 500 => ex!(
            "a syntax error: the line breaks SMTP's rules",
            "RFC 5321 §4.2.4; RFC 3463 §3.6 (X.5.2)",
        ),
        (6, 0) => ex!(
            "the message breaks the rules of a message's format (line length or line ends)",
            "RFC 5321 §4.5.3.1.6, §2.3.8; RFC 3463 §3.7 (X.6.0)",
        ),
        (7, 0) if code == 530 => return None,
        (7, 1) if later => ex!(
            "not now: the server asks to be tried again later (greylisting: real senders retry, most spam programs do not)",
            "RFC 5321 §4.5.4.1; RFC 6647; RFC 3463 §3.8 (X.7.1)",
        ),
        (7, 1) if code == 553 => ex!(
            "this sender address is not allowed: a logged-in user sends as their own address only",
            "RFC 5321 §4.2.2; RFC 3463 §3.8 (X.7.1)",
        ),
        (7, 1) => ex!(
            "relaying denied: this server takes mail only for its own domains, or from its logged-in users",
            "RFC 5321 §3.6.2; RFC 3463 §3.8 (X.7.1)",
        ),
        (7, 0) if later => ex!(
            "the server closes the connection: too many errors",
            "RFC 5321 §4.2.3; RFC 3463 §3.8 (X.7.0)",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_codes_variants_are_told_apart_by_the_enhanced_code() {
        let note = |reply: &str| server_bytes(reply.as_bytes(), "RCPT").note;
        let full = note("552 5.2.2 <bob@b.example>: Mailbox full: over its storage allocation\r\n");
        let big = note("552 5.3.4 Message size exceeds fixed maximum message size\r\n");
        assert!(full.contains("mailbox is full"), "{full}");
        assert!(big.contains("larger"), "{big}");
        assert!(
            note("452 4.2.2 <b@b.example>: Mailbox full, try again later\r\n").contains("for now")
        );
        assert!(note("550 5.1.1 <x@b.example>: User unknown\r\n").contains("no such user"));
        assert!(note("554 5.7.1 <x@c.example>: Relay access denied\r\n").contains("relaying"));
        assert!(note("450 4.7.1 <x@b.example>: Greylisted\r\n").contains("greylisting"));
        // Without an enhanced code, or one that adds nothing: the reply code's own note.
        assert_eq!(
            note("552 Too much\r\n"),
            server_bytes(b"552 x\r\n", "RCPT").note
        );
        assert!(note("530 5.7.0 Authentication required\r\n").contains("authentication required"));
        assert_eq!(enhanced(b"250 2.1.5 Ok\r\n"), Some((2, 1, 5)));
        assert_eq!(enhanced(b"250 Ok\r\n"), None);
        assert_eq!(enhanced(b"552 9.2.2 x"), None);
        assert_eq!(enhanced(b"55"), None);
    }
}
