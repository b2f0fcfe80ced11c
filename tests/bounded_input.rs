//! Bounded input: a client that sends megabytes without a line end (in 64 KiB chunks) makes no
//! server hold more than its limit. Past the limit the server says so at once with the protocol's
//! error, drops the rest of that line (or request), and goes on with what follows.

mod common;

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
