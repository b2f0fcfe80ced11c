//! Parser robustness, with figures: every server (SMTP as MX and as submission, POP3, IMAP,
//! HTTP, DNS), started in each of its states, is fed seeded random inputs — random bytes and
//! grammar-shaped garbage built from the protocol's own words, split into random chunks. After
//! every chunk its buffer stays bounded; at the end every byte it sent is read by a checker that
//! is not the project's own: SMTP by the reply grammar of RFC 5321 §4.2 written out here, POP3
//! answer by answer knowing the command each answers (multi-line or not, byte-stuffing), IMAP by
//! imap-codec, HTTP by httparse, DNS by a reader written here that holds the header, the echoed
//! question and the answer against the zone. It must not panic.
//!
//! `MAILSIM_FUZZ_INPUTS` sets the inputs per (server, state) (default 300); the test prints how
//! many inputs it tried in all and how many per second. By hand:
//! `MAILSIM_FUZZ_INPUTS=100000 cargo test --release --test robustness -- --nocapture`.

#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "prints how long the garbage took, as a figure"
)]

mod common;

use std::time::Instant;

use mailsim::protocols::Session;
use mailsim::protocols::dns;
use mailsim::protocols::smtp::server::Role;

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
    // Whole commands, so that sessions reach the multi-line answers (message 1 has a line that
    // begins with a dot: its byte-stuffing is seen).
    "RETR 1",
    "TOP 1 3",
    "LIST 1",
    "UIDL 2",
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

/// Every byte an SMTP server sent is whole replies, read by the grammar of RFC 5321 §4.2 itself
/// (not by the project's own reply parser):
///
/// ```text
/// Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
/// Reply-code = %x32-35 %x30-35 %x30-39
/// textstring = 1*(%d09 / %d32-126)
/// ```
///
/// and every line of a multi-line reply has the same code (§4.2.1); AUTH's continuation may be
/// `334 ` with an empty challenge (RFC 4954 §4).
fn smtp_well_formed(out: &[u8]) -> Result<(), String> {
    if out.is_empty() {
        return Ok(());
    }
    if !out.ends_with(b"\r\n") {
        return Err("output ends inside a line".into());
    }
    let mut open: Option<[u8; 3]> = None;
    for line in out.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r\n").ok_or("a bare LF")?;
        if line.len() > 510 {
            return Err("a reply line over 512 octets with its CRLF (RFC 5321 §4.5.3.1.5)".into());
        }
        let shown = || String::from_utf8_lossy(line).into_owned();
        let code: [u8; 3] = match line {
            [a @ b'2'..=b'5', b @ b'0'..=b'5', c @ b'0'..=b'9', ..] => [*a, *b, *c],
            _ => return Err(format!("not a reply code: {:?}", shown())),
        };
        let (last, text) = match &line[3..] {
            [] => (true, &[][..]),
            [b' ', rest @ ..] => (true, rest),
            [b'-', rest @ ..] => (false, rest),
            _ => return Err(format!("no SP or hyphen after the code: {:?}", shown())),
        };
        if !text.iter().all(|b| *b == b'\t' || (0x20..0x7f).contains(b)) {
            return Err(format!("not a textstring: {:?}", shown()));
        }
        // RFC 4954 §4: a 334 challenge is `334 SP [base64]`, so an empty one keeps its SP.
        if last && text.is_empty() && line.len() > 3 && code != *b"334" {
            return Err(format!("SP with no text after it: {:?}", shown()));
        }
        if let Some(c) = open
            && c != code
        {
            return Err(format!(
                "a multi-line reply changes its code: {:?}",
                shown()
            ));
        }
        open = (!last).then_some(code);
    }
    if open.is_some() {
        return Err("a multi-line reply never ends".into());
    }
    Ok(())
}

/// What a POP3 server said to one command line, checked knowing the command (RFC 1939): one
/// status line (`+OK`/`-ERR`, at most 512 octets with CRLF), and after `+OK` to RETR, TOP,
/// CAPA, LIST or UIDL without an argument, the lines of a multi-line response, each beginning
/// with a dot doubled (byte-stuffed, §3), ended by a line holding only a dot. Nothing else, but
/// for one `-ERR` line more when the server then closes (`closing`).
fn pop3_response(command: &[u8], out: &[u8], closing: bool) -> Result<(), String> {
    if out.is_empty() {
        return Ok(());
    }
    // A server that gives up on a client says so in one more status line as it closes.
    let out = match out[..out.len() - 2].iter().rposition(|&b| b == b'\n') {
        Some(i) if closing && out[i + 1..].starts_with(b"-ERR ") => &out[..=i],
        _ => out,
    };
    if !out.ends_with(b"\r\n") {
        return Err("output ends inside a line".into());
    }
    let lines: Vec<&[u8]> = out
        .split_inclusive(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r\n").ok_or("a bare LF"))
        .collect::<Result<_, _>>()?;
    let status = lines[0];
    if status.len() > 510 {
        return Err("a status line over 512 octets".into());
    }
    let ok = status == b"+OK" || status.starts_with(b"+OK ");
    if !(ok || status == b"-ERR" || status.starts_with(b"-ERR ")) {
        return Err(format!(
            "not a status line: {:?}",
            String::from_utf8_lossy(status)
        ));
    }
    let text = String::from_utf8_lossy(command);
    let words: Vec<String> = text
        .split([' ', '\r', '\n'])
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let multi = ok
        && match words.first().map(String::as_str) {
            Some("RETR" | "TOP" | "CAPA") => true,
            Some("LIST" | "UIDL") => words.len() == 1,
            _ => false,
        };
    if !multi {
        return match lines.len() {
            1 => Ok(()),
            _ => Err(format!("more than one line answers {text:?}")),
        };
    }
    let (end, data) = lines[1..]
        .split_last()
        .ok_or_else(|| format!("a multi-line response to {text:?} without its end"))?;
    if *end != b"." {
        return Err(format!("a multi-line response to {text:?} never ends"));
    }
    if let Some(l) = data
        .iter()
        .find(|l| l.first() == Some(&b'.') && !l.starts_with(b".."))
    {
        return Err(format!(
            "a line beginning with a dot not doubled: {:?}",
            String::from_utf8_lossy(l)
        ));
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
        // Again a line at a time (a line ends at LF, RFC 1939 §3): each answer is read knowing
        // the command it answers, and the whole is what the chunks brought.
        let mut one = common::PopHarness::new();
        one.input(prefix);
        let all: Vec<u8> = chunks.concat();
        for line in all.split_inclusive(|&b| b == b'\n') {
            let before = one.out.len();
            one.input(line);
            let closing = one.server.wants_close();
            check(
                &one.out[before..],
                pop3_response(line, &one.out[before..], closing),
            )?;
        }
        if one.out != h.out {
            return Err("a line at a time, the server said something else than in chunks".into());
        }
        Ok(())
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

/// A DNS name read from `msg` at `at` (RFC 1035 §4.1.4: labels, or a pointer to them), lower
/// case, and where the name ends in place.
fn dns_name(msg: &[u8], mut at: usize) -> Result<(String, usize), String> {
    let mut labels = Vec::new();
    let mut end = None;
    for _ in 0..64 {
        let len = *msg.get(at).ok_or("a name runs past the end")? as usize;
        match len {
            0 => {
                return Ok((labels.join("."), end.unwrap_or(at + 1)));
            }
            0xc0.. => {
                let lo = *msg.get(at + 1).ok_or("a pointer cut short")? as usize;
                end.get_or_insert(at + 2);
                at = ((len & 0x3f) << 8) | lo;
            }
            1..=63 => {
                let label = msg
                    .get(at + 1..at + 1 + len)
                    .ok_or("a label runs past the end")?;
                labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
                at += 1 + len;
            }
            _ => return Err(format!("a label length byte 0x{len:02x}")),
        }
    }
    Err("a name of more than 64 labels or pointers".into())
}

/// The zone the DNS test serves, as this checker knows it: (name, type, data).
const ZONE: &[(&str, u16, &[u8])] = &[
    ("b.example", 15, b"\x00\x0a\x02mx\x01b\x07example\x00"),
    ("mx.b.example", 1, &[198, 51, 100, 25]),
];

/// A DNS server's answer to `q`, read by hand (RFC 1035 §4.1): no answer only to a datagram too
/// short to hold a header or one that is itself a response; else the same id, QR set, the
/// query's opcode; and to a clean standard query for one name (one question of class IN, no other
/// records, nothing after it), NOERROR or NXDOMAIN as the zone has the name, the question echoed,
/// and exactly the zone's records of that type, with their data.
fn dns_checked(q: &[u8], answer: Option<&[u8]>) -> Result<(), String> {
    let Some(a) = answer else {
        return if q.len() < 12 || q[2] & 0x80 != 0 {
            Ok(())
        } else {
            Err("a query got no answer".into())
        };
    };
    if a.len() > 512 {
        return Err("over 512 octets over UDP".into());
    }
    if a.len() < 12 {
        return Err("an answer shorter than a header".into());
    }
    let u16_at = |m: &[u8], i: usize| u16::from_be_bytes([m[i], m[i + 1]]);
    if a[..2] != q[..2] {
        return Err("the answer's id is not the query's".into());
    }
    if a[2] & 0x80 == 0 {
        return Err("QR is not set in the answer".into());
    }
    let rcode = a[3] & 0x0f;
    if (a[2] >> 3) & 0x0f != (q[2] >> 3) & 0x0f && rcode != 1 {
        return Err("the answer's opcode is not the query's".into());
    }
    // Is the query a clean standard query? Then the answer is fully determined.
    let clean = (|| -> Option<(String, u16, usize)> {
        if q[2] & 0x78 != 0 || u16_at(q, 4) != 1 || q[6..12] != [0; 6] {
            return None;
        }
        let (name, end) = dns_name(q, 12).ok()?;
        if q.get(12..end)?.iter().any(|&b| b >= 0xc0) || end + 4 != q.len() {
            return None;
        }
        (u16_at(q, end + 2) == 1).then_some((name, u16_at(q, end), end))
    })();
    let Some((name, qtype, qend)) = clean else {
        return Ok(());
    };
    let known = ZONE.iter().any(|(n, _, _)| *n == name);
    let want_rcode = if known { 0 } else { 3 };
    if rcode != want_rcode {
        return Err(format!(
            "rcode {rcode} for {name:?}, the zone says {want_rcode}"
        ));
    }
    if u16_at(a, 4) != 1
        || a.get(12..qend + 4).map(|x| x.to_ascii_lowercase())
            != Some(q[12..qend + 4].to_ascii_lowercase())
    {
        return Err("the question is not echoed".into());
    }
    let want: Vec<&[u8]> = ZONE
        .iter()
        .filter(|(n, t, _)| *n == name && *t == qtype)
        .map(|(_, _, d)| *d)
        .collect();
    if u16_at(a, 6) as usize != want.len() {
        return Err(format!(
            "{} answers for {name:?} type {qtype}, the zone has {}",
            u16_at(a, 6),
            want.len()
        ));
    }
    let mut at = qend + 4;
    for w in want {
        let (owner, end) = dns_name(a, at)?;
        let rr = a.get(end..end + 10).ok_or("an answer record cut short")?;
        let (rtype, rlen) = (u16_at(rr, 0), u16_at(rr, 8) as usize);
        let data = a
            .get(end + 10..end + 10 + rlen)
            .ok_or("record data cut short")?;
        // An MX's exchange may be written with a pointer: compare it as a name.
        let same = if rtype == 15 {
            data.len() >= 3
                && data[..2] == w[..2]
                && dns_name(a, end + 12).map(|x| x.0) == dns_name(w, 2).map(|x| x.0)
        } else {
            data == w
        };
        if owner != name || rtype != qtype || !same {
            return Err(format!(
                "a wrong record for {name:?}: {owner:?} type {rtype}"
            ));
        }
        at = end + 10 + rlen;
    }
    Ok(())
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
        if let Err(e) = dns_checked(&q, dns::answer(&zone, &q).as_deref()) {
            panic!("dns #{i} (seed {seed}): {e}; query {q:02x?}");
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
