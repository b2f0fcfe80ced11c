//! Parser robustness, with figures: every server (SMTP as MX and as submission, POP3, IMAP,
//! HTTP, DNS), started in each of its states, is fed seeded random inputs — random bytes and
//! grammar-shaped garbage built from the protocol's own words, split into random chunks. After
//! every chunk its buffer stays bounded; at the end every byte it sent is re-parsed with a parser
//! of the protocol (the SMTP client's reply parser, imap-codec, httparse, the DNS resolver's
//! reader) and nothing may be left over. It must not panic.
//!
//! `MAILSIM_FUZZ_INPUTS` sets the inputs per (server, state) (default 300); the test prints how
//! many inputs it tried in all and how many per second. By hand:
//! `MAILSIM_FUZZ_INPUTS=100000 cargo test --release --test robustness -- --nocapture`.

mod common;

use std::time::Instant;

use mailsim::protocols::dns;
use mailsim::protocols::smtp::server::Role;
use mailsim::protocols::smtp::wire::ReplyParser;

use common::Rng;

fn pick<'a>(r: &mut Rng, words: &[&'a str]) -> &'a str {
    words[r.next(words.len() as u64) as usize]
}

const SMTP_WORDS: &[&str] = &[
    "EHLO",
    "HELO",
    "MAIL FROM:",
    "RCPT TO:",
    "DATA",
    "RSET",
    "NOOP",
    "QUIT",
    "VRFY",
    "AUTH PLAIN",
    "AUTH LOGIN",
    "STARTTLS",
    "<bob@b.example>",
    "<>",
    "<a@",
    "SIZE=99999999",
    "BODY=8BITMIME",
    "AGJvYgBzZWNyZXQ=",
    "*",
    ".",
    "..",
    "a.example",
];
const POP3_WORDS: &[&str] = &[
    "USER",
    "PASS",
    "bob",
    "secret",
    "STAT",
    "LIST",
    "UIDL",
    "RETR",
    "TOP",
    "DELE",
    "RSET",
    "NOOP",
    "QUIT",
    "CAPA",
    "APOP",
    "AUTH",
    "1",
    "2",
    "0",
    "-1",
    "99999999999",
];
const IMAP_WORDS: &[&str] = &[
    "a1",
    "*",
    "UID",
    "FETCH",
    "STORE",
    "SEARCH",
    "COPY",
    "EXPUNGE",
    "LOGIN bob secret",
    "SELECT",
    "EXAMINE",
    "INBOX",
    "APPEND",
    "IDLE",
    "DONE",
    "AUTHENTICATE PLAIN",
    "1:*",
    "(",
    ")",
    "BODY[",
    "]",
    "BODY.PEEK[HEADER.FIELDS (SUBJECT)]",
    "{5}\r\n",
    "{4294967296}\r\n",
    "\"q\\\"",
    "+FLAGS",
    "\\Seen",
    "NIL",
    "LIST \"\" *",
    "STATUS INBOX (MESSAGES)",
];
const HTTP_WORDS: &[&str] = &[
    "GET",
    "POST",
    "PUT",
    "/",
    "/login",
    "/inbox",
    "/message?uid=",
    "HTTP/1.1",
    "HTTP/1.0",
    "HTTP/9",
    "Host: w",
    "Content-Length: 5",
    "Content-Length: -1",
    "Content-Length: 99999999999",
    "Transfer-Encoding: chunked",
    "Cookie: session=",
    "Connection: close",
    ":",
    "user=bob%40b.example&password=x",
];
const SEPARATORS: &[&str] = &[" ", "\r\n", "\n", "\r", "\0", "\t", "", "\r\n\r\n"];

/// One input: grammar-shaped (protocol words, separators, now and then random bytes or a very
/// long token) or plain random bytes, cut into 1 to 12 chunks.
fn input(r: &mut Rng, words: &[&str]) -> Vec<Vec<u8>> {
    let mut bytes = Vec::new();
    if r.next(3) == 0 {
        for _ in 0..r.next(1500) {
            bytes.push(r.next(256) as u8);
        }
    } else {
        for _ in 0..r.next(40) {
            match r.next(12) {
                0 => bytes.extend((0..r.next(40)).map(|_| r.next(256) as u8)),
                1 => bytes.extend(std::iter::repeat_n(b'A', r.next(3000) as usize)),
                _ => bytes.extend_from_slice(pick(r, words).as_bytes()),
            }
            bytes.extend_from_slice(pick(r, SEPARATORS).as_bytes());
        }
        if r.next(2) == 0 {
            bytes.extend_from_slice(b"\r\n");
        }
    }
    let mut cuts: Vec<usize> = (0..r.next(12))
        .map(|_| r.next(bytes.len() as u64 + 1) as usize)
        .collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut last = 0;
    for c in cuts.into_iter().chain([bytes.len()]) {
        chunks.push(bytes[last..c].to_vec());
        last = c;
    }
    chunks
}

/// Every byte an SMTP server sent is whole replies (RFC 5321 §4.2), as its clients parse them.
fn smtp_well_formed(out: &[u8]) -> Result<(), String> {
    if out.is_empty() {
        return Ok(());
    }
    if !out.ends_with(b"\r\n") {
        return Err("output ends inside a line".into());
    }
    let mut p = ReplyParser::default();
    let mut open = false;
    for line in out.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r\n").ok_or("a bare LF")?;
        if line.len() > 512 {
            return Err("a reply line over 512 octets (RFC 5321 §4.5.3.1.5)".into());
        }
        // textstring = 1*(%d09 / %d32-126) (RFC 5321 §4.2).
        if !line.iter().all(|b| *b == b'\t' || (0x20..0x7f).contains(b)) {
            return Err(format!(
                "not 7-bit text: {:?}",
                String::from_utf8_lossy(line)
            ));
        }
        open = p.feed(line)?.is_none();
    }
    if open {
        return Err("a multi-line reply never ends".into());
    }
    Ok(())
}

/// Every byte a POP3 server sent is status lines (`+OK`/`-ERR`, RFC 1939 §3) and dot-ended
/// multi-line blocks.
fn pop3_well_formed(out: &[u8]) -> Result<(), String> {
    if out.is_empty() {
        return Ok(());
    }
    if !out.ends_with(b"\r\n") {
        return Err("output ends inside a line".into());
    }
    let lines: Vec<&[u8]> = out
        .split_inclusive(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r\n").ok_or("a bare LF"))
        .collect::<Result<_, _>>()?;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.len() > 510 {
            return Err("a status line over 512 octets".into());
        }
        let ok = line.starts_with(b"+OK");
        if !ok && !line.starts_with(b"-ERR") {
            return Err(format!(
                "not a status line: {:?}",
                String::from_utf8_lossy(line)
            ));
        }
        i += 1;
        // A multi-line response: what follows +OK and is not a status line, up to ".".
        let next_is_data = lines
            .get(i)
            .is_some_and(|l| !l.starts_with(b"+OK") && !l.starts_with(b"-ERR"));
        if ok && next_is_data {
            while i < lines.len() && lines[i] != b"." {
                i += 1;
            }
            if i == lines.len() {
                return Err("a multi-line response never ends".into());
            }
            i += 1;
        }
    }
    Ok(())
}

/// What one (server, state) run tried.
struct Figure {
    name: String,
    inputs: u64,
    bytes: u64,
}

/// Runs `n` seeded inputs through `one` (a fresh session each, fed chunk by chunk): an error it
/// returns, or a panic, names the (server, state), the input's number and the seed.
fn fuzz(
    name: &str,
    words: &[&str],
    n: u64,
    seed: u64,
    mut one: impl FnMut(&[Vec<u8>]) -> Result<(), String>,
) -> Figure {
    let mut r = Rng(seed);
    let mut bytes = 0;
    for i in 0..n {
        let chunks = input(&mut r, words);
        bytes += chunks.iter().map(|c| c.len() as u64).sum::<u64>();
        if let Err(e) = one(&chunks) {
            panic!("{name} #{i} (seed {seed}): {e}");
        }
    }
    Figure {
        name: name.into(),
        inputs: n,
        bytes,
    }
}

/// A well-formedness error with the output it was found in.
fn check(out: &[u8], well_formed: Result<(), String>) -> Result<(), String> {
    well_formed.map_err(|e| format!("{e} in {:?}", String::from_utf8_lossy(out)))
}

fn smtp(name: &str, role: Role, auth: bool, prefix: &[u8], n: u64, seed: u64) -> Figure {
    fuzz(name, SMTP_WORDS, n, seed, |chunks| {
        let mut s = common::smtp_server_auth(role, auth);
        let mut out = s.poll_transmit().unwrap_or_default();
        s.handle_input(prefix);
        for c in chunks {
            s.handle_input(c);
            if s.buffered() > 1000 + c.len() {
                return Err(format!("{} bytes buffered", s.buffered()));
            }
            while let Some(b) = s.poll_transmit() {
                out.extend(b);
            }
            while s.poll_event().is_some() {}
        }
        check(&out, smtp_well_formed(&out))
    })
}

fn pop3(name: &str, prefix: &[u8], n: u64, seed: u64) -> Figure {
    fuzz(name, POP3_WORDS, n, seed, |chunks| {
        let mut h = common::PopHarness::new();
        h.input(prefix);
        for c in chunks {
            h.input(c);
            if h.server.buffered() > 255 + c.len() {
                return Err(format!("{} bytes buffered", h.server.buffered()));
            }
        }
        check(&h.out, pop3_well_formed(&h.out))
    })
}

fn imap(name: &str, prefix: &[u8], n: u64, seed: u64) -> Figure {
    let max = mailsim::protocols::imap::server::MAX_MESSAGE as usize;
    fuzz(name, IMAP_WORDS, n, seed, |chunks| {
        let mut h = common::ImapHarness::new(1);
        let mut out = h.take(0);
        h.input(0, prefix);
        out.extend(h.take(0));
        for c in chunks {
            h.input(0, c);
            out.extend(h.take(0));
            if h.sessions[0].buffered() > max {
                return Err(format!("{} bytes buffered", h.sessions[0].buffered()));
            }
        }
        check(&out, common::imap_well_formed(&out))
    })
}

fn http(name: &str, prefix: &[u8], n: u64, seed: u64) -> Figure {
    use mailsim::protocols::http::{Response, server::HttpServer};
    fuzz(name, HTTP_WORDS, n, seed, |chunks| {
        let mut s = HttpServer::new("w");
        let mut out = Vec::new();
        for c in std::iter::once(prefix).chain(chunks.iter().map(Vec::as_slice)) {
            s.handle_input(c);
            while let Some(req) = s.poll_event() {
                s.respond(Response::html(
                    200,
                    format!("{} {}", req.method, req.target),
                ));
            }
            while let Some(b) = s.poll_transmit() {
                out.extend(b);
            }
            if s.buffered() > 64 * 1024 + c.len() {
                return Err(format!("{} bytes buffered", s.buffered()));
            }
        }
        check(&out, common::http_well_formed(&out).map(|_| ()))
    })
}

/// DNS: random datagrams, and real queries with random bytes changed, cut short or extended.
fn dns_server(n: u64, seed: u64) -> Figure {
    let mut r = Rng(seed);
    let mut zone = dns::Zone::default();
    zone.add(
        "b.example",
        dns::ZoneRecord::Mx {
            preference: 10,
            exchange: "mx.b.example".into(),
        },
    );
    zone.add(
        "mx.b.example",
        dns::ZoneRecord::A("198.51.100.25".parse().unwrap()),
    );
    let mut bytes = 0;
    for i in 0..n {
        let mut q = if r.next(3) == 0 {
            (0..r.next(600)).map(|_| r.next(256) as u8).collect()
        } else {
            let name = ["b.example", "mx.b.example", "nowhere.example", ""][r.next(4) as usize];
            let qtype = if r.next(2) == 0 {
                dns::QType::Mx
            } else {
                dns::QType::A
            };
            dns::build_query(r.next(65536) as u16, name, qtype)
        };
        for _ in 0..r.next(4) {
            if !q.is_empty() {
                let k = r.next(q.len() as u64) as usize;
                q[k] = r.next(256) as u8;
            }
        }
        match r.next(4) {
            0 => q.truncate(r.next(q.len() as u64 + 1) as usize),
            1 => q.extend((0..r.next(40)).map(|_| r.next(256) as u8)),
            _ => {}
        }
        bytes += q.len() as u64;
        if let Some(answer) = dns::answer(&zone, &q) {
            let resp = dns::parse_response(&answer)
                .unwrap_or_else(|e| panic!("dns #{i} (seed {seed}): {e}"));
            assert_eq!(resp.id, u16::from_be_bytes([q[0], q[1]]), "dns #{i}");
            assert!(answer.len() <= 512, "dns #{i}: over 512 octets over UDP");
        }
    }
    Figure {
        name: "DNS".into(),
        inputs: n,
        bytes,
    }
}

#[test]
fn every_server_in_every_state_survives_garbage_and_answers_well_formed() {
    let n: u64 = std::env::var("MAILSIM_FUZZ_INPUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let t0 = Instant::now();
    let hello = b"EHLO a.example\r\n".as_slice();
    let in_mail = b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\n".as_slice();
    let in_rcpt = b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bob@b.example>\r\n";
    let in_data =
        b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n";
    let login = b"a1 LOGIN bob secret\r\n".as_slice();
    let selected = b"a1 LOGIN bob secret\r\na2 SELECT INBOX\r\n".as_slice();
    let figures = vec![
        smtp("SMTP MX, greeting", Role::Mx, false, b"", n, 1),
        smtp("SMTP MX, after EHLO", Role::Mx, false, hello, n, 2),
        smtp("SMTP MX, after MAIL", Role::Mx, false, in_mail, n, 3),
        smtp("SMTP MX, after RCPT", Role::Mx, false, in_rcpt, n, 4),
        smtp("SMTP MX, in DATA", Role::Mx, false, in_data, n, 5),
        smtp(
            "SMTP submission, AUTH required",
            Role::Submission,
            true,
            hello,
            n,
            6,
        ),
        smtp(
            "SMTP submission, in AUTH LOGIN",
            Role::Submission,
            true,
            b"EHLO a.example\r\nAUTH LOGIN\r\n",
            n,
            7,
        ),
        pop3("POP3 AUTHORIZATION", b"", n, 8),
        pop3("POP3 after USER", b"USER bob\r\n", n, 9),
        pop3("POP3 TRANSACTION", b"USER bob\r\nPASS secret\r\n", n, 10),
        imap("IMAP not authenticated", b"", n, 11),
        imap("IMAP authenticated", login, n, 12),
        imap("IMAP selected", selected, n, 13),
        imap(
            "IMAP in IDLE",
            b"a1 LOGIN bob secret\r\na2 SELECT INBOX\r\na3 IDLE\r\n",
            n,
            14,
        ),
        imap(
            "IMAP in a literal",
            b"a1 LOGIN bob secret\r\na2 APPEND INBOX {40}\r\n",
            n,
            15,
        ),
        imap("IMAP in AUTHENTICATE", b"a1 AUTHENTICATE PLAIN\r\n", n, 16),
        http("HTTP request line", b"", n, 17),
        http(
            "HTTP in the fields",
            b"GET / HTTP/1.1\r\nHost: w\r\n",
            n,
            18,
        ),
        http(
            "HTTP in a body",
            b"POST /login HTTP/1.1\r\nHost: w\r\nContent-Length: 50\r\n\r\n",
            n,
            19,
        ),
        dns_server(n * 4, 20),
    ];
    let secs = t0.elapsed().as_secs_f64();
    let total: u64 = figures.iter().map(|f| f.inputs).sum();
    let bytes: u64 = figures.iter().map(|f| f.bytes).sum();
    for f in &figures {
        eprintln!(
            "robustness: {:<32} {:>8} inputs {:>11} bytes",
            f.name, f.inputs, f.bytes
        );
    }
    eprintln!(
        "robustness: {total} inputs ({:.1} MB) into {} (server, state) pairs in {secs:.2} s: {:.0} inputs/s",
        bytes as f64 / 1e6,
        figures.len(),
        total as f64 / secs
    );
}
