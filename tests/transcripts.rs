//! Byte transcripts (C:/S: lines with real CRLF) replayed exactly against the servers.

mod common;

use std::cell::RefCell;

use mailsim::protocols::Session;
use mailsim::protocols::smtp::server::{Role, SmtpServer};

#[test]
fn smtp_mx_session() {
    let server = RefCell::new(common::smtp_server(Role::Mx));
    common::replay(
        include_str!("transcripts/smtp-mx-session.txt"),
        |b| server.borrow_mut().handle_input(b),
        || server.borrow_mut().poll_transmit().unwrap_or_default(),
        "smtp-mx-session.txt",
    );
    let mut s = server.into_inner();
    assert!(s.wants_close());
    let Some(mailsim::protocols::smtp::server::ServerEvent::Accepted(env)) = s.poll_event() else {
        panic!("the message was not accepted");
    };
    assert_eq!(
        env.data,
        b"Subject: test\r\n\r\n.a line that starts with a dot\r\n"
    );
    assert_eq!(env.rcpts.len(), 1);
    assert_eq!(s.poll_event(), None);
}

#[test]
fn smtp_submission_relays_only_for_own_users() {
    let server = RefCell::new(common::smtp_server(Role::Submission));
    common::replay(
        include_str!("transcripts/smtp-submission.txt"),
        |b| server.borrow_mut().handle_input(b),
        || server.borrow_mut().poll_transmit().unwrap_or_default(),
        "smtp-submission.txt",
    );
}

#[test]
fn pop3_session_deletes_only_at_quit() {
    let h = RefCell::new(common::PopHarness::new());
    common::replay(
        include_str!("transcripts/pop3-session.txt"),
        |b| h.borrow_mut().input(b),
        || std::mem::take(&mut h.borrow_mut().out),
        "pop3-session.txt",
    );
    let h = h.into_inner();
    assert_eq!(h.committed, vec![vec!["2".to_string()]]);
    assert!(h.server.wants_close());
}

#[test]
fn pop3_without_quit_deletes_nothing() {
    let mut h = common::PopHarness::new();
    h.input(b"USER bob\r\nPASS secret\r\nDELE 1\r\nDELE 2\r\n");
    h.server.handle_closed("the client went away");
    h.drain();
    assert!(h.committed.is_empty());
}

#[test]
fn smtp_bare_lf_is_refused_in_commands_and_data() {
    let mut s = common::smtp_server(Role::Mx);
    s.poll_transmit();
    s.handle_input(b"EHLO x.example\n");
    let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
    assert!(
        out.starts_with("500 5.5.2 Lines must end with CRLF"),
        "{out}"
    );
    // A bare <LF>.<LF> must not end DATA (no SMTP smuggling), and the message is refused.
    s.handle_input(
        b"EHLO x.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n",
    );
    s.poll_transmit();
    s.handle_input(b"hi\n.\nMAIL FROM:<evil@x.example>\r\n.\r\n");
    let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
    assert_eq!(
        out,
        "554 5.6.0 Message refused: it has a bare LF; lines must end with CRLF (RFC 5321 2.3.8)\r\n"
    );
    assert_eq!(s.poll_event(), None);
}

#[test]
fn smtp_long_lines_and_too_many_errors() {
    let mut s = common::smtp_server(Role::Mx);
    s.poll_transmit();
    let mut long = vec![b'N'; 600];
    long.extend_from_slice(b"\r\n");
    s.handle_input(&long);
    let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
    assert!(out.starts_with("500 5.5.2 Line too long"), "{out}");
    for _ in 0..9 {
        s.handle_input(b"BAD\r\n");
    }
    let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
    assert!(
        out.ends_with("421 4.7.0 mx.b.example Too many errors, closing connection\r\n"),
        "{out}"
    );
    assert!(s.wants_close());
}

#[test]
fn smtp_submission_with_auth_required() {
    let server = RefCell::new(common::smtp_server_auth(Role::Submission, true));
    common::replay(
        include_str!("transcripts/smtp-auth.txt"),
        |b| server.borrow_mut().handle_input(b),
        || server.borrow_mut().poll_transmit().unwrap_or_default(),
        "smtp-auth.txt",
    );
}

#[test]
fn smtp_auth_takes_only_the_servers_own_domain() {
    let server = RefCell::new(common::smtp_server_auth(Role::Submission, true));
    common::replay(
        include_str!("transcripts/smtp-auth-domain.txt"),
        |b| server.borrow_mut().handle_input(b),
        || server.borrow_mut().poll_transmit().unwrap_or_default(),
        "smtp-auth-domain.txt",
    );
}

#[test]
fn smtp_sender_must_be_the_logged_in_users_address() {
    let server = RefCell::new(common::smtp_server_auth(Role::Submission, true));
    common::replay(
        include_str!("transcripts/smtp-sender-owned.txt"),
        |b| server.borrow_mut().handle_input(b),
        || server.borrow_mut().poll_transmit().unwrap_or_default(),
        "smtp-sender-owned.txt",
    );
    let mut s = server.into_inner();
    let Some(mailsim::protocols::smtp::server::ServerEvent::Accepted(env)) = s.poll_event() else {
        panic!("the corrected transaction was not accepted");
    };
    assert_eq!(env.from.unwrap().to_string(), "Alice@B.Example");
    assert_eq!(env.rcpts.len(), 1);
    assert_eq!(s.poll_event(), None);
}

#[test]
fn smtp_ten_errors_in_commands_end_the_session() {
    // Errors found while a command is carried out (not only unparsable lines) count too, and
    // the 421 is the last thing said: nothing after it is answered.
    let mut s = common::smtp_server(Role::Mx);
    s.poll_transmit();
    s.handle_input(b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\n");
    s.poll_transmit();
    for _ in 0..10 {
        s.handle_input(b"RCPT TO:<nobody@b.example>\r\n");
    }
    s.handle_input(b"RCPT TO:<bob@b.example>\r\n");
    let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
    assert_eq!(out.matches("550 5.1.1").count(), 10, "{out}");
    assert!(
        out.ends_with("421 4.7.0 mx.b.example Too many errors, closing connection\r\n"),
        "{out}"
    );
    assert!(s.wants_close());
    assert_eq!(s.state_name(), "closed");
}

fn greylisting_server() -> SmtpServer {
    let mut cfg = common::smtp_config(Role::Mx, false);
    cfg.greylist = true;
    let mut s = SmtpServer::new(std::sync::Arc::new(cfg), "Q".into());
    s.poll_transmit();
    s
}

#[test]
fn smtp_greylisting_asks_the_host_and_waits_for_the_answer() {
    use mailsim::protocols::smtp::server::ServerEvent;
    let pipelined = b"EHLO relay.a.example\r\nMAIL FROM:<alice@a.example>\r\nRCPT TO:<Bob@b.example>\r\nDATA\r\n";
    // A first try: the commands behind RCPT wait for the host, then 451 and no recipient.
    let mut s = greylisting_server();
    s.handle_input(pipelined);
    let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
    assert!(out.ends_with("250 2.1.0 Ok\r\n"), "{out}");
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Greylist {
            client: "relay.a.example".into(),
            sender: "alice@a.example".into(),
            rcpt: "bob@b.example".into(),
        })
    );
    assert_eq!(s.poll_transmit(), None, "nothing is said before the answer");
    s.answer_greylist(false);
    let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
    assert_eq!(
        out,
        "451 4.7.1 <Bob@b.example>: Recipient address rejected: Greylisted, please try again later\r\n554 5.5.1 No valid recipients\r\n"
    );
    // The retry: accepted, and DATA goes on.
    let mut s = greylisting_server();
    s.handle_input(pipelined);
    s.poll_transmit();
    assert!(matches!(s.poll_event(), Some(ServerEvent::Greylist { .. })));
    s.answer_greylist(true);
    let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
    assert_eq!(
        out,
        "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
    );
}
