//! Bounded input: a client that sends megabytes without a line end (in 64 KiB chunks) makes no
//! server hold more than its limit. Past the limit the server says so at once with the protocol's
//! error, drops the rest of that line (or request), and goes on with what follows.

mod common;

use mailsim::protocols::Session;
use mailsim::protocols::http::{Response, server as http};
use mailsim::protocols::imap::server::MAX_LINE as IMAP_MAX_LINE;
use mailsim::protocols::pop3::server::MAX_COMMAND_LINE as POP3_MAX_LINE;
use mailsim::protocols::smtp::server::{MAX_COMMAND_LINE, MAX_TEXT_LINE, Role, ServerEvent};

const CHUNK: usize = 64 * 1024;
const FLOOD: usize = 2 * 1024 * 1024;

/// Feeds [`FLOOD`] bytes of `b` in [`CHUNK`]s; after each, what `buffered` says must be at most
/// `bound`.
fn flood(b: u8, bound: usize, mut feed: impl FnMut(&[u8]), buffered: impl Fn() -> usize) {
    let chunk = vec![b; CHUNK];
    for i in 0..FLOOD / CHUNK {
        feed(&chunk);
        let n = buffered();
        assert!(
            n <= bound,
            "after chunk {i}: {n} bytes buffered, bound {bound}"
        );
    }
}

fn text(b: Option<Vec<u8>>) -> String {
    String::from_utf8(b.unwrap_or_default()).unwrap()
}

#[test]
fn smtp_command_line() {
    let s = std::cell::RefCell::new(common::smtp_server(Role::Mx));
    s.borrow_mut().poll_transmit();
    flood(
        b'N',
        MAX_COMMAND_LINE,
        |c| s.borrow_mut().handle_input(c),
        || s.borrow().buffered(),
    );
    let mut s = s.into_inner();
    assert_eq!(
        text(s.poll_transmit()),
        "500 5.5.2 Line too long: commands are at most 512 octets (RFC 5321 4.5.3.1.4)\r\n",
        "one reply, before the line ends"
    );
    // The end of the long line is dropped quietly; the next command is read as usual.
    s.handle_input(b"\r\nNOOP\r\n");
    assert_eq!(text(s.poll_transmit()), "250 2.0.0 Ok\r\n");
}

#[test]
fn smtp_data_line() {
    let mut s = common::smtp_server(Role::Mx);
    s.handle_input(
        b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n",
    );
    assert!(text(s.poll_transmit()).ends_with("354 End data with <CR><LF>.<CR><LF>\r\n"));
    let s = std::cell::RefCell::new(s);
    flood(
        b'x',
        MAX_TEXT_LINE,
        |c| s.borrow_mut().handle_input(c),
        || s.borrow().buffered(),
    );
    let mut s = s.into_inner();
    assert_eq!(text(s.poll_transmit()), "", "DATA is answered at its end");
    s.handle_input(b"\r\n.\r\nNOOP\r\n");
    assert_eq!(
        text(s.poll_transmit()),
        "554 5.6.0 Message refused: a line is longer than 1000 octets (RFC 5321 4.5.3.1.6)\r\n250 2.0.0 Ok\r\n"
    );
    assert_eq!(s.poll_event(), None::<ServerEvent>);
}

#[test]
fn smtp_auth_line() {
    let mut s = common::smtp_server_auth(Role::Submission, true);
    s.handle_input(b"EHLO a.example\r\nAUTH PLAIN\r\n");
    assert!(text(s.poll_transmit()).ends_with("334 \r\n"));
    let s = std::cell::RefCell::new(s);
    flood(
        b'A',
        MAX_COMMAND_LINE,
        |c| s.borrow_mut().handle_input(c),
        || s.borrow().buffered(),
    );
    let mut s = s.into_inner();
    // RFC 4954 §6.
    assert_eq!(
        text(s.poll_transmit()),
        "500 5.5.6 Authentication Exchange line is too long\r\n"
    );
    s.handle_input(b"\r\nNOOP\r\n");
    assert_eq!(text(s.poll_transmit()), "250 2.0.0 Ok\r\n");
}

#[test]
fn pop3_command_line() {
    let h = std::cell::RefCell::new(common::PopHarness::new());
    h.borrow_mut().out.clear();
    flood(
        b'U',
        POP3_MAX_LINE,
        |c| h.borrow_mut().input(c),
        || h.borrow().server.buffered(),
    );
    let mut h = h.into_inner();
    assert_eq!(
        String::from_utf8(std::mem::take(&mut h.out)).unwrap(),
        "-ERR line too long: commands are at most 255 octets (RFC 2449 4)\r\n"
    );
    h.input(b"\r\nUSER bob\r\n");
    assert_eq!(String::from_utf8(h.out).unwrap(), "+OK send PASS\r\n");
}

#[test]
fn imap_command_line() {
    let h = std::cell::RefCell::new(common::ImapHarness::new(1));
    h.borrow_mut().take(0);
    h.borrow_mut().input(0, b"a1 LOGIN bob ");
    flood(
        b'x',
        IMAP_MAX_LINE,
        |c| h.borrow_mut().input(0, c),
        || h.borrow().sessions[0].buffered(),
    );
    let mut h = h.into_inner();
    let out = String::from_utf8(h.take(0)).unwrap();
    assert_eq!(
        out,
        "a1 BAD [LIMIT] command line too long: at most 65536 octets with its CRLF, literals aside (RFC 7162 section 4)\r\n"
    );
    h.input(0, b"\r\na2 LOGIN bob secret\r\n");
    assert!(
        String::from_utf8(h.take(0))
            .unwrap()
            .starts_with("a2 OK [CAPABILITY"),
        "the session goes on"
    );
    // While AUTHENTICATE waits for its line, that line is bounded too.
    let mut h = common::ImapHarness::new(1);
    h.take(0);
    h.input(0, b"b1 AUTHENTICATE PLAIN\r\n");
    assert_eq!(h.take(0), b"+ \r\n");
    let h = std::cell::RefCell::new(h);
    flood(
        b'A',
        IMAP_MAX_LINE,
        |c| h.borrow_mut().input(0, c),
        || h.borrow().sessions[0].buffered(),
    );
    let mut h = h.into_inner();
    let out = String::from_utf8(h.take(0)).unwrap();
    assert!(
        out.starts_with("b1 BAD [LIMIT] command line too long"),
        "{out}"
    );
    h.input(0, b"\r\nb2 NOOP\r\n");
    assert_eq!(h.take(0), b"b2 OK NOOP completed\r\n");
}

#[test]
fn imap_literals_are_not_lines() {
    // An APPEND literal of 2 MB is data, bounded by MAX_MESSAGE, not by the line limit.
    let mut h = common::ImapHarness::new(1);
    h.input(0, b"a1 LOGIN bob secret\r\n");
    h.take(0);
    let mut msg = b"Subject: big\r\n\r\n".to_vec();
    msg.resize(FLOOD, b'x');
    msg.extend_from_slice(b"\r\n");
    h.input(
        0,
        format!("a2 APPEND INBOX {{{}}}\r\n", msg.len()).as_bytes(),
    );
    assert_eq!(h.take(0), b"+ Ready for literal data\r\n");
    for c in msg.chunks(CHUNK) {
        h.input(0, c);
    }
    h.input(0, b"\r\n");
    assert_eq!(
        String::from_utf8(h.take(0)).unwrap(),
        "a2 OK APPEND completed\r\n"
    );
    use mailsim::protocols::imap::server::MailStore;
    assert_eq!(
        h.store.folder("bob", "INBOX").unwrap().messages[2]
            .data
            .as_slice(),
        msg
    );
}

#[test]
fn http_head() {
    let s = std::cell::RefCell::new(http::HttpServer::new("w"));
    s.borrow_mut()
        .handle_input(b"GET / HTTP/1.1\r\nHost: w\r\nX-Long: ");
    flood(
        b'h',
        http::MAX_HEAD + CHUNK,
        |c| s.borrow_mut().handle_input(c),
        || s.borrow().buffered(),
    );
    let mut s = s.into_inner();
    let out = text(s.poll_transmit());
    assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
    assert_eq!(s.buffered(), 0);
    assert!(s.wants_close());
}

#[test]
fn http_body() {
    let mut s = http::HttpServer::new("w");
    s.handle_input(
        format!(
            "POST /send HTTP/1.1\r\nHost: w\r\nContent-Length: {}\r\n\r\n",
            http::MAX_BODY + 1
        )
        .as_bytes(),
    );
    let out = text(s.poll_transmit());
    assert!(
        out.starts_with("HTTP/1.1 413 "),
        "refused before the body: {out}"
    );
    let s = std::cell::RefCell::new(s);
    flood(
        b'b',
        0,
        |c| s.borrow_mut().handle_input(c),
        || s.borrow().buffered(),
    );
}

#[test]
fn http_pipelined_while_the_host_works() {
    // A request is with the host (the webmail is logging in to IMAP); the browser keeps sending.
    let mut s = http::HttpServer::new("w");
    s.handle_input(b"GET / HTTP/1.1\r\nHost: w\r\n\r\n");
    assert!(s.poll_event().is_some());
    let s = std::cell::RefCell::new(s);
    flood(
        b'p',
        http::MAX_HEAD + http::MAX_BODY,
        |c| s.borrow_mut().handle_input(c),
        || s.borrow().buffered(),
    );
    let mut s = s.into_inner();
    // The request is answered, and the connection then closes: what came after it was dropped.
    s.respond(Response::html(200, "hi".into()));
    let out = text(s.poll_transmit());
    assert!(out.starts_with("HTTP/1.1 200 "), "{out}");
    assert!(out.contains("Connection: close\r\n"), "{out}");
    assert!(s.wants_close());
    assert_eq!(s.buffered(), 0);
    assert!(s.poll_event().is_none());
}

#[test]
fn http_closing_request_keeps_nothing_after_it() {
    let mut s = http::HttpServer::new("w");
    s.handle_input(b"GET / HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n");
    assert!(s.poll_event().is_some());
    let s = std::cell::RefCell::new(s);
    flood(
        b'p',
        0,
        |c| s.borrow_mut().handle_input(c),
        || s.borrow().buffered(),
    );
}
