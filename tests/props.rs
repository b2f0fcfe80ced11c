//! Property tests: chunk splits never change a session's result; random bytes never panic a
//! server nor grow its buffers without bound.

mod common;

use mailsim::protocols::Session;
use mailsim::protocols::dns;
use mailsim::protocols::smtp::server::Role;
use proptest::prelude::*;

const SMTP_SESSION: &[u8] = b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bob@b.example>\r\nRCPT TO:<x@b.example>\r\nDATA\r\nSubject: hi\r\n\r\n..dot\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n";
const POP3_SESSION: &[u8] = b"CAPA\r\nUSER bob\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nTOP 2 1\r\nDELE 1\r\nQUIT\r\n";

fn splits(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    cuts.sort();
    let mut out = Vec::new();
    let mut last = 0;
    for c in cuts.into_iter().chain([data.len()]) {
        out.push(data[last..c].to_vec());
        last = c;
    }
    out
}

fn smtp_run(chunks: &[Vec<u8>]) -> (Vec<u8>, usize) {
    let mut s = common::smtp_server(Role::Mx);
    let mut out = Vec::new();
    for c in chunks {
        s.handle_input(c);
        if let Some(b) = s.poll_transmit() {
            out.extend(b);
        }
    }
    let events = std::iter::from_fn(|| s.poll_event()).count();
    (out, events)
}

fn pop_run(chunks: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<String>>) {
    let mut h = common::PopHarness::new();
    for c in chunks {
        h.input(c);
    }
    (h.out, h.committed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn smtp_chunk_splits_do_not_matter(cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        let whole = smtp_run(&[SMTP_SESSION.to_vec()]);
        prop_assert_eq!(whole.1, 1);
        prop_assert_eq!(smtp_run(&splits(SMTP_SESSION, &cuts)), whole);
    }

    #[test]
    fn pop3_chunk_splits_do_not_matter(cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        let whole = pop_run(&[POP3_SESSION.to_vec()]);
        prop_assert_eq!(&whole.1, &vec![vec!["1".to_string()]]);
        prop_assert_eq!(pop_run(&splits(POP3_SESSION, &cuts)), whole);
    }

    #[test]
    fn smtp_survives_random_bytes(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..700), 0..12)) {
        for prefix in [&b""[..], b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n"] {
            let mut s = common::smtp_server(Role::Mx);
            s.handle_input(prefix);
            for c in &chunks {
                s.handle_input(c);
                prop_assert!(s.buffered() <= 1000 + c.len());
                if let Some(out) = s.poll_transmit() {
                    // Every reply line is `ddd` + space or hyphen + text + CRLF.
                    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                        prop_assert!(line.len() >= 4 && line[..3].iter().all(u8::is_ascii_digit) && line.ends_with(b"\r"));
                    }
                }
            }
        }
    }

    #[test]
    fn pop3_survives_random_bytes(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..400), 0..12)) {
        for prefix in [&b""[..], b"USER bob\r\nPASS secret\r\n"] {
            let mut h = common::PopHarness::new();
            h.input(prefix);
            for c in &chunks {
                h.input(c);
                prop_assert!(h.server.buffered() <= 255 + c.len());
            }
        }
    }

    #[test]
    fn dns_server_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let zone = dns::Zone::default();
        if let Some(answer) = dns::answer(&zone, &bytes) {
            prop_assert!(dns::parse_response(&answer).is_ok());
        }
    }
}

const IMAP_SESSION: &[u8] = b"a1 LOGIN bob secret\r\na2 SELECT INBOX\r\na3 FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\na4 APPEND INBOX (\\Seen) {16}\r\nSubject: x\r\n\r\nhi\r\na5 UID FETCH 1 (BODY[])\r\na6 STORE 2 +FLAGS (\\Deleted)\r\na7 EXPUNGE\r\na8 SEARCH ALL\r\na9 LOGOUT\r\n";

fn imap_run(chunks: &[Vec<u8>]) -> (Vec<u8>, Vec<u32>) {
    let mut h = common::ImapHarness::new(1);
    let mut out = h.take(0);
    for c in chunks {
        h.input(0, c);
        out.extend(h.take(0));
    }
    use mailsim::protocols::imap::server::MailStore;
    let uids = h
        .store
        .folder("bob", "INBOX")
        .unwrap()
        .messages
        .iter()
        .map(|m| m.uid)
        .collect();
    (out, uids)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn imap_chunk_splits_do_not_matter(cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        let whole = imap_run(&[IMAP_SESSION.to_vec()]);
        prop_assert_eq!(&whole.1, &vec![1, 3]);
        prop_assert!(common::imap_well_formed(&whole.0).is_ok(), "{:?}", common::imap_well_formed(&whole.0));
        prop_assert_eq!(imap_run(&splits(IMAP_SESSION, &cuts)), whole);
    }

    #[test]
    fn imap_survives_random_bytes_in_every_state(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..700), 0..12),
        state in 0usize..4,
    ) {
        let prefix: &[u8] = match state {
            0 => b"",
            1 => b"a1 LOGIN bob secret\r\n",
            2 => b"a1 LOGIN bob secret\r\na2 SELECT INBOX\r\n",
            _ => b"a1 LOGIN bob secret\r\na2 SELECT INBOX\r\na3 IDLE\r\n",
        };
        let mut h = common::ImapHarness::new(1);
        let mut out = h.take(0);
        h.input(0, prefix);
        out.extend(h.take(0));
        for c in &chunks {
            h.input(0, c);
            out.extend(h.take(0));
            prop_assert!(h.sessions[0].buffered() <= mailsim::protocols::imap::server::MAX_MESSAGE as usize);
        }
        prop_assert!(common::imap_well_formed(&out).is_ok(), "{:?}", common::imap_well_formed(&out));
    }

    #[test]
    fn imap_survives_grammar_shaped_garbage(
        words in proptest::collection::vec(prop_oneof![
            Just("a1".to_string()), Just("*".to_string()), Just("UID".to_string()), Just("FETCH".to_string()),
            Just("STORE".to_string()), Just("SEARCH".to_string()), Just("1:*".to_string()), Just("(".to_string()),
            Just(")".to_string()), Just("BODY[".to_string()), Just("]".to_string()), Just("{5}\r\n".to_string()),
            Just("\"q\\\"".to_string()), Just("+FLAGS".to_string()), Just("\\Seen".to_string()), Just("\r\n".to_string()),
            Just("SELECT".to_string()), Just("INBOX".to_string()), Just("APPEND".to_string()), Just("LOGIN bob secret".to_string()),
            "[a-zA-Z0-9]{1,6}",
        ], 0..60),
    ) {
        let input = words.join(" ");
        let mut h = common::ImapHarness::new(1);
        let mut out = h.take(0);
        h.input(0, input.as_bytes());
        h.input(0, b"\r\n");
        out.extend(h.take(0));
        prop_assert!(common::imap_well_formed(&out).is_ok(), "{:?} for {:?}", common::imap_well_formed(&out), input);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn imap_client_survives_random_server_bytes(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..700), 0..12)) {
        use mailsim::protocols::imap::client::{ClientConfig, ImapClient, Job};
        let mut c = ImapClient::new(
            ClientConfig { user: "bob".into(), pass: "secret".into(), idle: true, ask_capability: false, cached: Vec::new(), habits: Default::default() },
            vec![Job::Read { subject: "x".into() }],
        );
        c.handle_input(b"* OK ready\r\n");
        for ch in &chunks {
            c.handle_input(ch);
            while c.poll_transmit().is_some() {}
            while c.poll_event().is_some() {}
        }
    }
}

const HTTP_REQUESTS: &[u8] = b"GET / HTTP/1.1\r\nHost: w\r\n\r\nPOST /login HTTP/1.1\r\nHost: w\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 31\r\n\r\nuser=bob%40b.example&password=xGET /inbox HTTP/1.1\r\nHost: w\r\nCookie: session=1\r\nConnection: close\r\n\r\n";

/// Runs an HTTP server that answers every request with its method, target and body.
fn http_run(chunks: &[Vec<u8>]) -> Vec<u8> {
    use mailsim::protocols::http::{Response, server::HttpServer};
    let mut s = HttpServer::new("t");
    let mut out = Vec::new();
    for c in chunks {
        s.handle_input(c);
        while let Some(r) = s.poll_event() {
            let body = format!(
                "{} {} {}",
                r.method,
                r.target,
                String::from_utf8_lossy(&r.body)
            );
            s.respond(Response::html(200, body));
        }
        while let Some(b) = s.poll_transmit() {
            out.extend(b);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn http_chunk_splits_do_not_matter(cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        let whole = http_run(&[HTTP_REQUESTS.to_vec()]);
        prop_assert_eq!(common::http_well_formed(&whole), Ok(3));
        prop_assert!(String::from_utf8_lossy(&whole).contains("POST /login user=bob%40b.example&password=x"));
        prop_assert_eq!(http_run(&splits(HTTP_REQUESTS, &cuts)), whole);
    }

    #[test]
    fn http_survives_random_bytes(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 0..12),
        prefix in 0usize..3,
    ) {
        let p: &[u8] = [&b""[..], b"GET / HTTP/1.1\r\nHost: w\r\n", b"POST / HTTP/1.1\r\nHost: w\r\nContent-Length: 10\r\n\r\n"][prefix];
        let mut all = vec![p.to_vec()];
        all.extend(chunks);
        let out = http_run(&all);
        prop_assert!(common::http_well_formed(&out).is_ok(), "{:?}", common::http_well_formed(&out));
    }

    #[test]
    fn browser_survives_random_bytes(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..2000), 0..12)) {
        use mailsim::protocols::http::{Request, client::HttpClient};
        let mut c = HttpClient::new("w", Vec::new(), Request::new("GET", "/"));
        c.handle_input(b"HTTP/1.1 303 See Other\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n");
        for ch in &chunks {
            c.handle_input(ch);
            while c.poll_transmit().is_some() {}
            while c.poll_event().is_some() {}
        }
    }
}
