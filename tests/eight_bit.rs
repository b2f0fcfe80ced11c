//! 8-bit mail (`Content-Transfer-Encoding: 8bit`, RFC 6152) travels byte for byte: SMTP stores
//! the octets it was given, and IMAP and POP3 hand back exactly those octets. The replies are
//! checked with small parsers of their own: an IMAP literal is `{n}` CRLF and then n octets
//! (RFC 3501 §4.3), a POP3 multi-line reply ends at a lone `.` and is dot-stuffed (RFC 1939 §3).

mod common;

use std::sync::Arc;

use common::ImapHarness;
use mailsim::protocols::Session;
use mailsim::protocols::imap::server::MailStore;
use mailsim::protocols::pop3::server::{Pop3Server, PopMessage, ServerConfig as PopConfig};
use mailsim::protocols::smtp::server::{Role, ServerEvent};

/// A Latin-1 message: `é` is the single octet 0xE9, which is not UTF-8.
const LATIN1: &[u8] = b"From: alice@a.example\r\nTo: bob@b.example\r\nSubject: caf\xe9\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9\r\n.cr\xe8me br\xfbl\xe9e\r\n";

fn header_of(m: &[u8]) -> &[u8] {
    let i = m.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &m[..i + 4]
}

fn text_of(m: &[u8]) -> &[u8] {
    &m[header_of(m).len()..]
}

/// Splits one IMAP response at its first literal: the bytes before `{n}`, the n octets, and what
/// follows them. Panics when the announced count and the octets sent do not agree.
fn split_literal(resp: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let open = resp.iter().position(|&b| b == b'{').expect("a literal");
    let close = open + resp[open..].iter().position(|&b| b == b'}').unwrap();
    let n: usize = std::str::from_utf8(&resp[open + 1..close])
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(&resp[close + 1..close + 3], b"\r\n", "CRLF after {{{n}}}");
    let start = close + 3;
    assert!(
        resp.len() >= start + n,
        "{{{n}}} announced, {} octets sent",
        resp.len() - start
    );
    (&resp[..open], &resp[start..start + n], &resp[start + n..])
}

/// Logs in, selects INBOX and returns the sequence number of a newly delivered `msg`.
fn imap_with(msg: &[u8]) -> (ImapHarness, usize) {
    let mut h = ImapHarness::new(1);
    h.store.deliver("bob", msg).unwrap();
    h.input(0, b"a1 LOGIN bob secret\r\na2 SELECT INBOX\r\n");
    let out = h.take(0);
    assert!(out.ends_with(b"a2 OK [READ-WRITE] SELECT completed\r\n"));
    let n = h.store.folder("bob", "INBOX").unwrap().messages.len();
    (h, n)
}

#[test]
fn imap_fetch_sends_the_stored_octets_of_every_section() {
    let (mut h, n) = imap_with(LATIN1);
    let head = header_of(LATIN1);
    let text = text_of(LATIN1);
    // (items asked for, the name echoed before the literal, the octets that must follow)
    let cases: [(&str, String, &[u8]); 9] = [
        ("BODY.PEEK[TEXT]", "BODY[TEXT]".into(), text),
        ("BODY.PEEK[]", "BODY[]".into(), LATIN1),
        ("BODY.PEEK[1]", "BODY[1]".into(), text),
        ("BODY.PEEK[HEADER]", "BODY[HEADER]".into(), head),
        (
            "BODY.PEEK[HEADER.FIELDS (SUBJECT)]",
            "BODY[HEADER.FIELDS (SUBJECT)]".into(),
            b"Subject: caf\xe9\r\n\r\n",
        ),
        ("BODY.PEEK[TEXT]<2.3>", "BODY[TEXT]<2>".into(), &text[2..5]),
        ("RFC822.HEADER", "RFC822.HEADER".into(), head),
        ("RFC822.TEXT", "RFC822.TEXT".into(), text),
        ("RFC822", "RFC822".into(), LATIN1),
    ];
    let mut all = Vec::new();
    for (i, (items, echoed, want)) in cases.iter().enumerate() {
        let tag = format!("f{i}");
        h.input(0, format!("{tag} FETCH {n} ({items})\r\n").as_bytes());
        let out = h.take(0);
        all.extend_from_slice(&out);
        let (before, got, after) = split_literal(&out);
        assert_eq!(
            String::from_utf8_lossy(before),
            format!("* {n} FETCH ({echoed} "),
            "{items}"
        );
        assert_eq!(got, *want, "{items}: the literal's octets");
        // RFC822 and RFC822.TEXT read the text, so the new \Seen flag is reported with them.
        let flags = if i == 7 {
            " FLAGS (\\Seen \\Recent)"
        } else {
            ""
        };
        assert_eq!(
            String::from_utf8_lossy(after),
            format!("{flags})\r\n{tag} OK FETCH completed\r\n"),
            "{items}: what follows the literal"
        );
    }
    // BODY[] (not PEEK) on a message already \Seen: the literal, then `)` CRLF.
    h.input(0, format!("f9 FETCH {n} (BODY[])\r\n").as_bytes());
    let out = h.take(0);
    all.extend_from_slice(&out);
    let mut want = format!("* {n} FETCH (BODY[] {{{}}}\r\n", LATIN1.len()).into_bytes();
    want.extend_from_slice(LATIN1);
    want.extend_from_slice(b")\r\nf9 OK FETCH completed\r\n");
    assert_eq!(out, want);
    // And an IMAP parser that is not ours reads every reply whole.
    let mut greeting = b"* OK ready\r\n".to_vec();
    greeting.extend_from_slice(&all);
    common::imap_well_formed(&greeting).unwrap();
}

#[test]
fn imap_envelope_sends_the_headers_octets() {
    // The Latin-1 subject in ENVELOPE: a literal of its octets (4: c a f 0xE9), not text made
    // UTF-8 on the way.
    let (mut h, n) = imap_with(LATIN1);
    h.input(0, format!("e1 FETCH {n} (ENVELOPE)\r\n").as_bytes());
    let out = h.take(0);
    let (before, got, after) = split_literal(&out);
    assert_eq!(
        String::from_utf8_lossy(before),
        format!("* {n} FETCH (ENVELOPE (NIL ")
    );
    assert_eq!(got, b"caf\xe9");
    assert!(after.starts_with(b" ((NIL NIL \"alice\" \"a.example\"))"));
    assert!(after.ends_with(b"))\r\ne1 OK FETCH completed\r\n"));
    let mut greeting = b"* OK ready\r\n".to_vec();
    greeting.extend_from_slice(&out);
    common::imap_well_formed(&greeting).unwrap();
}

#[test]
fn an_8bit_submission_is_stored_and_fetched_unchanged() {
    let mut s = common::smtp_server(Role::Mx);
    s.poll_transmit();
    s.handle_input(b"EHLO a.example\r\nMAIL FROM:<alice@a.example> BODY=8BITMIME\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n");
    let out = s.poll_transmit().unwrap();
    assert!(out.ends_with(b"354 End data with <CR><LF>.<CR><LF>\r\n"));
    // The client dot-stuffs the line that starts with a dot (RFC 5321 §4.5.2).
    let mut data = Vec::new();
    for line in LATIN1.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b".") {
            data.push(b'.');
        }
        data.extend_from_slice(line);
    }
    data.extend_from_slice(b".\r\n");
    s.handle_input(&data);
    assert!(s.poll_transmit().unwrap().starts_with(b"250 2.0.0 Ok"));
    let Some(ServerEvent::Accepted(env)) = s.poll_event() else {
        panic!("not accepted");
    };
    assert_eq!(env.data, LATIN1, "SMTP stores the octets it was given");

    let (mut h, n) = imap_with(&env.data);
    h.input(0, format!("a3 FETCH {n} (BODY.PEEK[TEXT])\r\n").as_bytes());
    let mut want =
        format!("* {n} FETCH (BODY[TEXT] {{{}}}\r\n", text_of(LATIN1).len()).into_bytes();
    want.extend_from_slice(text_of(LATIN1));
    want.extend_from_slice(b")\r\na3 OK FETCH completed\r\n");
    assert_eq!(h.take(0), want);
}

#[test]
fn pop3_retr_and_top_send_the_stored_octets() {
    let cfg = PopConfig {
        hostname: "mx.b.example".into(),
        accounts: [("bob".to_string(), "secret".to_string())].into(),
    };
    let mut s = Pop3Server::new(Arc::new(cfg));
    s.poll_transmit();
    s.handle_input(b"USER bob\r\nPASS secret\r\n");
    while s.poll_event().is_some() {}
    s.handle_maildrop(Some(vec![PopMessage {
        uid: "1".into(),
        data: Arc::new(LATIN1.to_vec()),
    }]));
    s.poll_transmit();

    // Reads a multi-line reply: the status line, then the lines up to the lone dot, unstuffed.
    fn multiline(out: &[u8]) -> (&[u8], Vec<u8>, &[u8]) {
        let first = out.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        let mut body = Vec::new();
        let mut rest = &out[first..];
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
            let (line, r) = rest.split_at(end);
            rest = r;
            if line == b".\r\n" {
                break;
            }
            body.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        }
        (&out[..first], body, rest)
    }

    s.handle_input(b"RETR 1\r\n");
    let out = s.poll_transmit().unwrap();
    let (status, body, rest) = multiline(&out);
    assert_eq!(
        status,
        format!("+OK {} octets\r\n", LATIN1.len()).as_bytes()
    );
    assert_eq!(body, LATIN1);
    assert_eq!(rest, b"");
    // On the wire the dot line was stuffed and nothing else changed.
    assert!(
        out.windows(b"\r\n..cr\xe8me".len())
            .any(|w| w == b"\r\n..cr\xe8me")
    );

    s.handle_input(b"TOP 1 1\r\n");
    let out = s.poll_transmit().unwrap();
    let (_, body, rest) = multiline(&out);
    assert_eq!(
        body,
        &LATIN1[..header_of(LATIN1).len() + b"caf\xe9\r\n".len()]
    );
    assert_eq!(rest, b"");
}
