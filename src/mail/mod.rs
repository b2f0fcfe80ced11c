//! RFC 5322 messages and the mailboxes that hold them.
//!
//! Messages are built with `mail-builder`, with the Date and Message-ID given by the simulation
//! (never the wall clock), so two runs of a scenario produce the same bytes. Mailboxes number their
//! messages with unique ids that only ever grow, as POP3's UIDL and IMAP's UID need.

use std::sync::Arc;

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address as HeaderAddress;
use mail_builder::headers::date::Date;
use mail_builder::headers::text::Text;

use crate::engine::time::{SimTime, rfc5322_date};

/// What a mail program puts into a new message.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    /// The author's name and address.
    pub from: (&'a str, &'a str),
    /// The recipients' addresses.
    pub to: &'a [String],
    /// The copies' addresses (`Cc:`); blind copies are in no header.
    pub cc: &'a [String],
    /// The subject line.
    pub subject: &'a str,
    /// The text body.
    pub body: &'a str,
    /// Seconds since 1970 for the Date header.
    pub date: i64,
    /// The Message-ID, without angle brackets.
    pub message_id: String,
    /// The mail program's name, for the User-Agent header.
    pub user_agent: &'a str,
}

/// Builds the RFC 5322 bytes of a draft (CRLF line ends).
pub fn build_message(d: &Draft<'_>) -> Vec<u8> {
    let (name, addr) = d.from;
    let from = if name.is_empty() {
        HeaderAddress::new_address(None::<&str>, addr)
    } else {
        HeaderAddress::new_address(Some(name), addr)
    };
    let to: Vec<HeaderAddress> =
        d.to.iter()
            .map(|a| HeaderAddress::new_address(None::<&str>, a.as_str()))
            .collect();
    let mut b = MessageBuilder::new()
        .from(from)
        .to(HeaderAddress::new_list(to));
    if !d.cc.is_empty() {
        let cc: Vec<HeaderAddress> =
            d.cc.iter()
                .map(|a| HeaderAddress::new_address(None::<&str>, a.as_str()))
                .collect();
        b = b.cc(HeaderAddress::new_list(cc));
    }
    b.subject(d.subject)
        .date(Date::new(d.date))
        .message_id(d.message_id.as_str())
        .header("User-Agent", Text::new(d.user_agent))
        .text_body(d.body)
        .write_to_vec()
        .unwrap_or_default()
}

/// The subject of the delivery status notification a sender gets when mail cannot be delivered
/// (the words Postfix uses).
pub const BOUNCE_SUBJECT: &str = "Undelivered Mail Returned to Sender";

/// The decoded Subject of a message, or an empty string.
///
/// Only the Subject field (with its folded lines) is handed to `mail-parser`, which decodes RFC 2047
/// encoded words; parsing every header (Received lines included) just for this costs too much.
pub fn subject_of(data: &[u8]) -> String {
    // One pass over the header's lines, which ends at the first CRLF CRLF (the whole message
    // when there is none).
    let mut start = None;
    let mut at = 0;
    let mut after_crlf = false;
    while at < data.len() {
        let end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i + 1);
        let line = &data[at..end];
        if after_crlf && line == b"\r\n" {
            break;
        }
        match start {
            None if line.len() >= 8 && line[..8].eq_ignore_ascii_case(b"subject:") => {
                start = Some(at)
            }
            Some(s) if !line.starts_with(b" ") && !line.starts_with(b"\t") => {
                return decode_subject(&data[s..at]);
            }
            _ => {}
        }
        after_crlf = line.ends_with(b"\r\n");
        at = end;
    }
    start
        .map(|s| decode_subject(&data[s..at]))
        .unwrap_or_default()
}

fn decode_subject(field: &[u8]) -> String {
    if let Some(plain) = plain_subject(field) {
        return plain.to_string();
    }
    parsed_subject(field)
}

/// The value of a Subject field (`Subject: ...` and its line end) that needs no decoding, as
/// mail-parser gives it, without building a parser: one line of printable ASCII and spaces, with
/// none of what unstructured text may hold to be decoded (encoded words
/// begin with `=`; quotes, parentheses and backslashes are left to the parser too). Most
/// subjects are such; the others go to [`parsed_subject`].
fn plain_subject(field: &[u8]) -> Option<&str> {
    let value = field.get(8..)?.strip_suffix(b"\r\n")?;
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |i| i + 1);
    let value = &value[start..end];
    for &b in value {
        let ok = match b {
            b'=' | b'"' | b'(' | b')' | b'\\' => false,
            b' ' | 0x21..=0x7e => true,
            _ => false,
        };
        if !ok {
            return None;
        }
    }
    std::str::from_utf8(value).ok()
}

/// The value of a Subject field, decoded by mail-parser (RFC 2047 encoded words, folding).
fn parsed_subject(field: &[u8]) -> String {
    let mut one = field.to_vec();
    one.extend_from_slice(b"\r\n");
    mail_parser::MessageParser::default()
        .parse_headers(&one)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default()
}

/// One hop of a message's journey, written as a `Received:` header.
#[derive(Debug, Clone)]
pub struct Hop<'a> {
    /// The name the sending client gave in HELO/EHLO.
    pub helo: &'a str,
    /// The sending host's real name and address.
    pub peer: (&'a str, &'a str),
    /// The receiving server.
    pub by: &'a str,
    /// `ESMTP` or `SMTP`.
    pub with: &'a str,
    /// The receiving server's queue id.
    pub id: &'a str,
    /// The recipient, for the `for` clause.
    pub rcpt: &'a str,
    /// Seconds since 1970.
    pub date: i64,
}

/// A `Received:` trace header (RFC 5321 §4.4), folded over lines, ending in CRLF.
pub fn received_header(h: &Hop<'_>) -> String {
    // Joined rather than formatted: one is written for every mail each server takes.
    [
        "Received: from ",
        h.helo,
        " (",
        h.peer.0,
        " [",
        h.peer.1,
        "])\r\n\tby ",
        h.by,
        " (mailsim) with ",
        h.with,
        " id ",
        h.id,
        "\r\n\tfor <",
        h.rcpt,
        ">; ",
        &rfc5322_date(h.date),
        "\r\n",
    ]
    .concat()
}

/// One message in a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its unique id in the mailbox; never reused.
    pub uid: u32,
    /// The message bytes.
    pub data: Arc<Vec<u8>>,
    /// Its Subject, decoded, for lists.
    pub subject: String,
    /// When it arrived.
    pub arrived: SimTime,
    /// IMAP flags (`\Seen`, `\Deleted`, keywords), sorted.
    pub flags: Vec<String>,
}

impl StoredMessage {
    /// Whether it has `flag` (compared without regard to case, RFC 3501 §2.3.2).
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }
}

/// A user's mailbox on a mail store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Changes only if uids are reset (IMAP's UIDVALIDITY).
    pub uid_validity: u32,
    /// The uid the next message gets.
    pub uid_next: u32,
    /// The messages, oldest first.
    pub messages: Vec<StoredMessage>,
    /// Messages from this uid on are `\Recent`: no session has selected the mailbox since they came.
    pub recent_from: u32,
}

impl Mailbox {
    /// An empty mailbox.
    pub fn new(uid_validity: u32) -> Self {
        Mailbox {
            uid_validity,
            uid_next: 1,
            messages: Vec::new(),
            recent_from: 1,
        }
    }

    /// Stores a message; returns its uid.
    pub fn append(&mut self, data: Vec<u8>, now: SimTime) -> u32 {
        let uid = self.uid_next;
        self.uid_next += 1;
        let subject = subject_of(&data);
        self.messages.push(StoredMessage {
            uid,
            data: Arc::new(data),
            subject,
            arrived: now,
            flags: Vec::new(),
        });
        uid
    }

    /// Removes the message with `uid`; returns it if it was there.
    pub fn remove(&mut self, uid: u32) -> Option<StoredMessage> {
        let i = self.messages.iter().position(|m| m.uid == uid)?;
        Some(self.messages.remove(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Where the quick path takes a subject, it reads it as mail-parser does: spaces, tabs,
        /// encoded words, quotes, comments, backslashes and non-ASCII bytes in any order.
        #[test]
        fn a_plain_subject_reads_as_the_parser_reads_it(
            value in proptest::collection::vec(
                prop_oneof![
                    Just(b' '), Just(b' '), Just(b'\t'), Just(b'='), Just(b'?'), Just(b'"'),
                    Just(b'('), Just(b')'), Just(b'\\'), Just(b'Q'), Just(b'_'), Just(0xc3),
                    Just(0xa9), Just(b':'), Just(b'a'), Just(b'b'), Just(b'.'), Just(b','),
                ],
                0..24,
            )
        ) {
            let mut field = b"Subject:".to_vec();
            field.extend_from_slice(&value);
            field.extend_from_slice(b"\r\n");
            if let Some(quick) = plain_subject(&field) {
                prop_assert_eq!(quick, parsed_subject(&field));
            }
        }
    }

    /// How the subject was found before: the header cut at the first CRLF CRLF, then its lines.
    fn subject_of_as_before(data: &[u8]) -> String {
        let header_end = data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(data.len(), |p| p + 2);
        let header = &data[..header_end];
        let mut start = None;
        let mut at = 0;
        for line in header.split_inclusive(|&b| b == b'\n') {
            match start {
                None if line.len() >= 8 && line[..8].eq_ignore_ascii_case(b"subject:") => {
                    start = Some(at)
                }
                Some(s) if !line.starts_with(b" ") && !line.starts_with(b"\t") => {
                    return parsed_subject(&header[s..at]);
                }
                _ => {}
            }
            at += line.len();
        }
        start
            .map(|s| parsed_subject(&header[s..]))
            .unwrap_or_default()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// The one-pass header scan finds what the two-pass one found, in messages made of
        /// subject lines, folded lines, blank lines, CRLF and bare LF.
        #[test]
        fn the_subject_is_found_as_before(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Subject: hi", "subject:a b", "To: x", " more", "\tfold", "\r\n", "\n", "\r",
                    "", "Body",
                ]),
                0..14,
            )
        ) {
            let data: Vec<u8> = parts.concat().into_bytes();
            prop_assert_eq!(subject_of(&data), subject_of_as_before(&data));
        }
    }

    #[test]
    fn most_subjects_take_the_quick_path() {
        for s in [
            "Lunch on Friday?",
            "Re: [class] notes, week 3",
            "  spaced  out ",
            "a",
        ] {
            let field = format!("Subject: {s}\r\n");
            let quick = plain_subject(field.as_bytes());
            assert_eq!(
                quick,
                Some(parsed_subject(field.as_bytes()).as_str()),
                "{s}"
            );
        }
        assert_eq!(plain_subject(b"Subject: =?utf-8?q?caf=C3=A9?=\r\n"), None);
        assert_eq!(plain_subject(b"Subject: folded\r\n more\r\n"), None);
    }

    #[test]
    fn built_message_is_deterministic_and_parses() {
        let to = vec!["bob@b.example".to_string()];
        let d = Draft {
            from: ("Alice", "alice@a.example"),
            to: &to,
            cc: &[],
            subject: "Lunch on Friday?",
            body: "Hi Bob,\n.see you\n",
            date: 1_795_770_000,
            message_id: "1.abc@a.example".into(),
            user_agent: "mailsim",
        };
        let a = build_message(&d);
        assert_eq!(a, build_message(&d));
        let text = String::from_utf8(a.clone()).unwrap();
        assert!(text.contains("Message-ID: <1.abc@a.example>\r\n"), "{text}");
        assert!(text.contains("Date: "));
        assert_eq!(subject_of(&a), "Lunch on Friday?");
        assert_eq!(subject_of(b"Received: x\r\nsubject: =?utf-8?q?caf=C3=A9?=\r\n more\r\nTo: b\r\n\r\nSubject: no"), "café more");
        assert_eq!(subject_of(b"To: b\r\n\r\nSubject: body"), "");
        let mut mb = Mailbox::new(1);
        assert_eq!(mb.append(a.clone(), SimTime(5)), 1);
        assert_eq!(mb.append(a, SimTime(6)), 2);
        assert!(mb.remove(1).is_some());
        assert_eq!(mb.messages[0].uid, 2);
        assert_eq!(mb.uid_next, 3);
    }
}

/// One recipient a delivery status notification reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecipient {
    /// The address, as in RCPT TO.
    pub address: String,
    /// The enhanced status code, e.g. `5.1.1`.
    pub status: String,
    /// The remote server's reply, e.g. `550 5.1.1 <x@b.example>: ...`.
    pub diagnostic: String,
}

/// A bounce: a delivery status notification (RFC 3464) in a multipart/report (RFC 6522), from
/// `MAILER-DAEMON@reporter` to `to`, with the original message's header attached.
pub fn build_dsn(
    reporter: &str,
    remote_mta: &str,
    to: &str,
    original: &[u8],
    failed: &[FailedRecipient],
    date: i64,
    boundary: &str,
) -> Vec<u8> {
    let head_end = original
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(original.len(), |i| i + 2);
    let headers = String::from_utf8_lossy(&original[..head_end]);
    let list: Vec<String> = failed
        .iter()
        .map(|f| format!("<{}>: {}", f.address, f.diagnostic))
        .collect();
    // No remote MTA when the failure was found before any server was reached (DNS).
    let remote = if remote_mta.is_empty() {
        String::new()
    } else {
        format!("Remote-MTA: dns; {remote_mta}\r\n")
    };
    let mut per_rcpt = String::new();
    for f in failed {
        per_rcpt.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\nAction: failed\r\nStatus: {}\r\n{remote}Diagnostic-Code: smtp; {}\r\n",
            f.address, f.status, f.diagnostic
        ));
    }
    let who = if remote_mta.is_empty() {
        "The mail system found:".to_string()
    } else {
        format!("The mail server {remote_mta} answered:")
    };
    let text = format!(
        "Return-Path: <>\r\n\
From: Mail Delivery System <MAILER-DAEMON@{reporter}>\r\n\
To: <{to}>\r\n\
Subject: {BOUNCE_SUBJECT}\r\n\
Date: {}\r\n\
Auto-Submitted: auto-replied\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\
\r\n\
This is a delivery status notification (RFC 3464).\r\n\
\r\n\
--{boundary}\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
This is the mail system at {reporter}.\r\n\
\r\n\
Your message could not be delivered to one or more recipients.\r\n\
{who}\r\n\
\r\n\
{}\r\n\
\r\n\
--{boundary}\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; {reporter}\r\n\
{per_rcpt}\r\n\
--{boundary}\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
{headers}\r\n\
--{boundary}--\r\n",
        crate::engine::time::rfc5322_date(date),
        list.join("\r\n"),
    );
    text.into_bytes()
}
