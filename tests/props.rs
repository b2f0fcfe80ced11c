//! Property tests: chunk splits never change a session's result; random bytes never panic a
//! server nor grow its buffers without bound.

mod common;

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
