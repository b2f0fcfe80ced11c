//! IMAP: a byte transcript replayed exactly, two sessions kept in sync through IDLE, and the
//! edges (AUTHENTICATE PLAIN, literals, bad input).

mod common;

use std::cell::RefCell;

use common::ImapHarness;
use mailsim::protocols::Session;
use mailsim::protocols::imap::server::MailStore;

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap()
}

#[test]
fn imap_session_transcript() {
    let h = RefCell::new(ImapHarness::new(1));
    common::replay(
        include_str!("transcripts/imap-session.txt"),
        |b| h.borrow_mut().input(0, b),
        || h.borrow_mut().take(0),
        "imap-session.txt",
    );
    let h = h.into_inner();
    assert!(h.sessions[0].wants_close());
    let inbox = h.store.folder("bob", "INBOX").unwrap();
    assert_eq!(inbox.messages.len(), 1, "message 2 was expunged");
    assert_eq!(inbox.messages[0].flags, ["\\Seen"], "reading set \\Seen");
    let archive = h.store.folder("bob", "Archive").unwrap();
    assert_eq!(archive.messages.len(), 2);
    assert_eq!(
        archive.messages[1].data.as_slice(),
        b"Subject: note\r\n\r\nhi\r\n"
    );
    assert_eq!(archive.messages[1].flags, ["\\Seen"]);
}

fn login_select(h: &mut ImapHarness, i: usize) {
    h.input(i, b"a1 LOGIN bob secret\r\na2 SELECT INBOX\r\n");
    let out = text(h.take(i));
    assert!(
        out.ends_with("a2 OK [READ-WRITE] SELECT completed\r\n"),
        "{out}"
    );
}

#[test]
fn idle_session_hears_flags_expunge_and_new_mail_at_once() {
    let mut h = ImapHarness::new(2);
    h.take(0);
    h.take(1);
    login_select(&mut h, 0);
    login_select(&mut h, 1);
    h.input(0, b"i1 IDLE\r\n");
    assert_eq!(text(h.take(0)), "+ idling\r\n");

    // The other computer reads message 1: the idle one is told at once.
    h.input(1, b"b1 FETCH 1 (BODY[TEXT])\r\n");
    assert!(text(h.take(1)).contains("FLAGS (\\Seen)"));
    assert_eq!(text(h.take(0)), "* 1 FETCH (FLAGS (\\Seen \\Recent))\r\n");

    // ... deletes message 2.
    h.input(1, b"b2 STORE 2 +FLAGS.SILENT (\\Deleted)\r\n");
    assert_eq!(text(h.take(1)), "b2 OK STORE completed\r\n");
    assert_eq!(
        text(h.take(0)),
        "* 2 FETCH (FLAGS (\\Deleted \\Recent))\r\n"
    );
    h.input(1, b"b3 EXPUNGE\r\n");
    assert_eq!(
        text(h.take(1)),
        "* 2 EXPUNGE\r\nb3 OK EXPUNGE completed\r\n"
    );
    assert_eq!(text(h.take(0)), "* 2 EXPUNGE\r\n");

    // New mail arrives (an SMTP server stores it): the host tells the sessions.
    h.store
        .deliver("bob", b"Subject: new\r\n\r\nhello\r\n")
        .unwrap();
    h.sessions[0].mailbox_changed(&mut h.store);
    h.sessions[1].mailbox_changed(&mut h.store);
    let (a, b) = (h.take_now(0), h.take_now(1));
    assert_eq!(
        a, "* 2 EXISTS\r\n",
        "the idle session hears of new mail at once"
    );
    assert_eq!(b, "", "a session not in IDLE hears with its next reply");
    h.input(1, b"b4 NOOP\r\n");
    assert_eq!(text(h.take(1)), "* 2 EXISTS\r\nb4 OK NOOP completed\r\n");

    h.input(0, b"DONE\r\n");
    assert_eq!(text(h.take(0)), "i1 OK IDLE terminated\r\n");
    // UIDs only grow: the new message got 3, after the expunged 2.
    h.input(0, b"i2 FETCH 2 (UID)\r\n");
    assert!(text(h.take(0)).starts_with("* 2 FETCH (UID 3)\r\n"));
}

#[test]
fn authenticate_plain_in_one_line_and_with_a_continuation() {
    let mut h = ImapHarness::new(2);
    h.take(0);
    h.take(1);
    // base64("\0bob\0secret")
    h.input(0, b"a1 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=\r\n");
    assert!(text(h.take(0)).starts_with("a1 OK [CAPABILITY"));
    h.input(1, b"a1 AUTHENTICATE PLAIN\r\n");
    assert_eq!(text(h.take(1)), "+ \r\n");
    // base64("\0bob\0wrong")
    h.input(1, b"AGJvYgB3cm9uZw==\r\n");
    assert_eq!(
        text(h.take(1)),
        "a1 NO [AUTHENTICATIONFAILED] Invalid user name or password\r\n"
    );
}

#[test]
fn bad_input_gets_bad_and_never_kills_the_session() {
    let mut h = ImapHarness::new(1);
    h.take(0);
    // A bare LF ends no command.
    h.input(0, b"a1 NOOP\n");
    assert_eq!(
        text(h.take(0)),
        "a1 BAD lines end with CRLF, not a bare LF (RFC 3501 section 2.2)\r\n"
    );
    // A literal too big is refused before its bytes are sent.
    h.input(0, b"a2 LOGIN {999999999}\r\n");
    assert_eq!(
        text(h.take(0)),
        "a2 NO [TOOBIG] a literal of 999999999 octets is more than this server takes\r\n"
    );
    // Garbage.
    h.input(0, b"\x00\xff\r\n");
    assert!(text(h.take(0)).starts_with("* BAD "));
    // Still alive.
    h.input(0, b"a3 LOGIN bob secret\r\n");
    assert!(text(h.take(0)).starts_with("a3 OK"));
}

#[test]
fn literals_carry_any_bytes_and_nothing_is_dot_stuffed() {
    let mut h = ImapHarness::new(1);
    h.take(0);
    h.input(0, b"a1 LOGIN bob secret\r\n");
    h.take(0);
    // A message whose text has a lone dot line and a line starting with a dot: POP3 would stuff
    // them; in IMAP a literal is counted in octets, so they travel as they are.
    let msg: &[u8] = b"Subject: dots\r\n\r\n.\r\n.leading\r\na1 LOGOUT\r\n";
    h.input(
        0,
        format!("a2 APPEND INBOX {{{}}}\r\n", msg.len()).as_bytes(),
    );
    assert_eq!(text(h.take(0)), "+ Ready for literal data\r\n");
    // The literal arrives in two pieces; the command line inside it is data, not a command.
    h.input(0, &msg[..20]);
    assert_eq!(text(h.take(0)), "");
    h.input(0, &msg[20..]);
    h.input(0, b"\r\n");
    assert_eq!(text(h.take(0)), "a2 OK APPEND completed\r\n");
    h.input(0, b"a3 SELECT INBOX\r\na4 FETCH 3 (BODY.PEEK[TEXT])\r\n");
    let out = text(h.take(0));
    assert!(
        out.contains("* 3 FETCH (BODY[TEXT] {24}\r\n.\r\n.leading\r\na1 LOGOUT\r\n)\r\n"),
        "{out}"
    );
    assert!(
        !h.sessions[0].wants_close(),
        "the LOGOUT inside the literal was data"
    );
    // A zero-length literal is a valid (empty) string.
    h.input(0, b"a5 LOGIN {0}\r\n");
    assert_eq!(text(h.take(0)), "+ Ready for literal data\r\n");
    h.input(0, b" secret\r\n");
    assert_eq!(text(h.take(0)), "a5 BAD already logged in\r\n");
}
