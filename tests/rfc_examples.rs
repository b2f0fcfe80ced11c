//! The RFCs' own example sessions (RFC 5321 Appendix D.1, RFC 1939 §10, RFC 3501 §8), replayed
//! against our servers. The transcripts (tests/transcripts/rfc/) are the RFCs' text, not our
//! output, so the server lines are checked for what they mean (codes, status, numbers the RFC
//! defines, response kinds), never for our wording; each file's header says how.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mailsim::SimTime;
use mailsim::protocols::Session;
use mailsim::protocols::imap::memstore::MemoryStore;
use mailsim::protocols::imap::server::{ImapServer, ServerConfig as ImapConfig};
use mailsim::protocols::pop3::server::{
    Pop3Server, PopMessage, ServerConfig as PopConfig, ServerEvent as PopEvent,
};
use mailsim::protocols::smtp::server::{Role, ServerConfig, SmtpServer};

/// A transcript as exchanges: a client line (none for the greeting) and the server lines after it.
fn exchanges(text: &str) -> Vec<(Option<String>, Vec<String>)> {
    let mut out: Vec<(Option<String>, Vec<String>)> = vec![(None, Vec::new())];
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("C: ") {
            out.push((Some(c.to_string()), Vec::new()));
        } else if let Some(s) = line.strip_prefix("S: ") {
            out.last_mut().unwrap().1.push(s.to_string());
        } else {
            assert!(line.starts_with('#') || line.is_empty(), "{line}");
        }
    }
    out
}

/// Replays `text`: each client line (CRLF added) into `feed`, and what the server said since the
/// last client line, with the RFC's lines for it, into `agree`.
fn replay(
    text: &str,
    mut feed: impl FnMut(&[u8]),
    mut take: impl FnMut() -> Vec<u8>,
    mut agree: impl FnMut(Option<&str>, &[String], &str) -> Result<(), String>,
) {
    let mut last: Option<String> = None;
    let mut pending: Vec<String> = Vec::new();
    for (client, server) in exchanges(text) {
        // The RFC's lines for the previous command are complete once the next one comes.
        if let Some(c) = client {
            let ours = String::from_utf8(take()).unwrap();
            agree(last.as_deref(), &pending, &ours).unwrap_or_else(|e| {
                panic!("after {last:?}: {e}\nours: {ours:?}\nRFC: {pending:?}")
            });
            feed(format!("{c}\r\n").as_bytes());
            last = Some(c);
            pending = server;
        } else {
            pending = server;
        }
    }
    let ours = String::from_utf8(take()).unwrap();
    agree(last.as_deref(), &pending, &ours)
        .unwrap_or_else(|e| panic!("after {last:?}: {e}\nours: {ours:?}\nRFC: {pending:?}"));
}

/// SMTP replies as (code, multi-line): RFC 5321 §4.2, a hyphen after the code continues.
fn smtp_replies(lines: &[&str]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut multi = false;
    for l in lines {
        if l.as_bytes().get(3) == Some(&b'-') {
            multi = true;
        } else {
            out.push((l.get(..3).unwrap_or("").to_string(), multi));
            multi = false;
        }
    }
    out
}

#[test]
fn rfc5321_appendix_d1_a_typical_smtp_transaction() {
    let cfg = ServerConfig {
        hostname: "foo.com".into(),
        role: Role::Mx,
        local_domains: vec!["foo.com".into()],
        users: BTreeSet::from(["jones@foo.com".to_string(), "brown@foo.com".to_string()]),
        max_size: 10_000,
        max_recipients: 10,
        accounts: BTreeMap::new(),
        require_auth: false,
        greylist: false,
        full: Default::default(),
    };
    let server = std::cell::RefCell::new(SmtpServer::new(Arc::new(cfg), "Q".into()));
    // The RFC's message is two lines and the dot, with no reply between them.
    let mut replies = 0;
    replay(
        include_str!("transcripts/rfc/rfc5321-d1.txt"),
        |b| server.borrow_mut().handle_input(b),
        || server.borrow_mut().poll_transmit().unwrap_or_default(),
        |_, rfc, ours| {
            let want = smtp_replies(&rfc.iter().map(String::as_str).collect::<Vec<_>>());
            let got = smtp_replies(&ours.lines().collect::<Vec<_>>());
            replies += got.len();
            (want == got)
                .then_some(())
                .ok_or(format!("RFC {want:?}, ours {got:?}"))
        },
    );
    assert_eq!(replies, 9);
    let mut s = server.into_inner();
    let Some(mailsim::protocols::smtp::server::ServerEvent::Accepted(env)) = s.poll_event() else {
        panic!("the message was not taken");
    };
    let rcpts: Vec<String> = env.rcpts.iter().map(|r| r.to_string()).collect();
    assert_eq!(rcpts, ["Jones@foo.com", "Brown@foo.com"]);
    // The RFC's second line begins with a dot and is not byte-stuffed there, so the server takes
    // its first dot away (§4.5.2): a client must double it to keep it.
    assert_eq!(
        env.data,
        b"Blah blah blah...\r\n..etc. etc. etc.\r\n".as_slice()
    );
}

/// A message of exactly `size` octets (CRLF lines), as the RFC's maildrop has.
fn message(subject: &str, size: usize) -> Vec<u8> {
    let head = format!("Subject: {subject}\r\n\r\n");
    let body = "x".repeat(size - head.len() - 2);
    format!("{head}{body}\r\n").into_bytes()
}

#[test]
fn rfc1939_section10_an_example_pop3_session() {
    let cfg = PopConfig {
        hostname: "dbc.mtview.ca.us".into(),
        accounts: BTreeMap::from([("mrose".to_string(), "tanstaaf".to_string())]),
    };
    let msgs = [message("one", 120), message("two", 200)];
    let maildrop: Vec<PopMessage> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| PopMessage {
            uid: (i + 1).to_string(),
            data: Arc::new(m.clone()),
        })
        .collect();
    struct H {
        s: Pop3Server,
        out: Vec<u8>,
        committed: Vec<Vec<String>>,
        maildrop: Vec<PopMessage>,
    }
    impl H {
        fn drain(&mut self) {
            loop {
                let mut any = false;
                while let Some(e) = self.s.poll_event() {
                    any = true;
                    match e {
                        PopEvent::LockMaildrop { .. } => {
                            self.s.handle_maildrop(Some(self.maildrop.clone()))
                        }
                        PopEvent::Commit { deleted, .. } => self.committed.push(deleted),
                        PopEvent::Release { .. } => {}
                    }
                }
                if let Some(b) = self.s.poll_transmit() {
                    self.out.extend_from_slice(&b);
                    any = true;
                }
                if !any {
                    break;
                }
            }
        }
    }
    let h = std::cell::RefCell::new(H {
        s: Pop3Server::new(Arc::new(cfg)),
        out: Vec::new(),
        committed: Vec::new(),
        maildrop,
    });
    h.borrow_mut().drain();
    replay(
        include_str!("transcripts/rfc/rfc1939-10.txt"),
        |b| {
            let mut h = h.borrow_mut();
            h.s.handle_input(b);
            h.drain();
        },
        || std::mem::take(&mut h.borrow_mut().out),
        |command, rfc, ours| {
            let ours: Vec<&str> = ours.lines().collect();
            let (Some(want), Some(got)) = (rfc.first(), ours.first()) else {
                return Err("no status line".into());
            };
            let status = |l: &str| l.split(' ').next().unwrap_or("").to_string();
            if status(want) != status(got) {
                return Err(format!("status {} for {}", status(got), status(want)));
            }
            // STAT's answer is defined to the number (§5): "+OK nn mm".
            if command == Some("STAT") {
                let nums = |l: &str| l.split(' ').skip(1).take(2).collect::<Vec<_>>().join(" ");
                if nums(want) != nums(got) {
                    return Err(format!("STAT says {}, the RFC {}", nums(got), nums(want)));
                }
            }
            if rfc.len() == 1 {
                return (ours.len() == 1)
                    .then_some(())
                    .ok_or("more than one line".into());
            }
            // A multi-line answer: its lines (dot-unstuffed) and the dot.
            if ours.last() != Some(&".") {
                return Err("a multi-line answer without its dot".into());
            }
            let data: Vec<&str> = ours[1..ours.len() - 1]
                .iter()
                .map(|l| l.strip_prefix('.').unwrap_or(l))
                .collect();
            match rfc[1].strip_prefix("<the POP3 server sends message ") {
                Some(n) => {
                    let n: usize = n.trim_end_matches('>').parse().unwrap();
                    let bytes = data.iter().map(|l| format!("{l}\r\n")).collect::<String>();
                    (bytes.as_bytes() == msgs[n - 1].as_slice())
                        .then_some(())
                        .ok_or(format!("message {n} is not what was stored"))
                }
                None => {
                    let want: Vec<&str> =
                        rfc[1..rfc.len() - 1].iter().map(String::as_str).collect();
                    (want == data)
                        .then_some(())
                        .ok_or(format!("the listing is {data:?}, the RFC's {want:?}"))
                }
            }
        },
    );
    // "signing off (maildrop empty)": both messages really go at QUIT.
    assert_eq!(
        h.borrow().committed,
        vec![vec!["1".to_string(), "2".to_string()]]
    );
}

/// Our IMAP output as whole responses: a line ending in a literal `{n}` goes on after its n
/// octets (RFC 3501 §4.3).
fn imap_responses(out: &str) -> Vec<String> {
    let b = out.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while let Some(p) = b[i..].windows(2).position(|w| w == b"\r\n") {
        let end = i + p;
        let line = &out_str(b)[i..end];
        let literal = line
            .strip_suffix('}')
            .and_then(|l| l.rsplit_once('{'))
            .and_then(|(_, n)| n.parse::<usize>().ok());
        i = end + 2;
        match literal {
            Some(n) => i += n,
            None => {
                out.push(out_str(b)[start..end].to_string());
                start = i;
            }
        }
    }
    out
}

fn out_str(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

/// The flags in `FLAGS (...)` of a response, upper case.
fn flags_of(r: &str) -> Option<BTreeSet<String>> {
    let at = r.find("FLAGS (")? + 7;
    let end = at + r[at..].find(')')?;
    Some(
        r[at..end]
            .split_whitespace()
            .map(|f| f.to_ascii_uppercase())
            .collect(),
    )
}

/// Whether our responses mean what the RFC's line says (see the transcript's header).
fn imap_agrees(want: &str, ours: &[String]) -> Result<(), String> {
    let w: Vec<&str> = want.split_whitespace().collect();
    let code = |r: &str| {
        r.split_once('[')
            .and_then(|(_, c)| c.split(']').next())
            .map(|c| c.to_string())
    };
    let found = if w[0] != "*" {
        // Tagged: the tag, the status and the response code.
        ours.iter().find(|r| {
            r.starts_with(&format!("{} {} ", w[0], w[1]))
                && code(want).is_none_or(|c| code(r) == Some(c))
        })
    } else if w[1].chars().all(|c| c.is_ascii_digit()) {
        // "* 18 EXISTS", "* 12 FETCH (...)": the number and the kind; a FETCH's items and flags.
        let items: Vec<&str> = [
            "FLAGS",
            "INTERNALDATE",
            "RFC822.SIZE",
            "ENVELOPE",
            "BODY ",
            "BODY[HEADER]",
        ]
        .into_iter()
        .filter(|i| want.contains(&format!("({i}")) || want.contains(&format!(" {i}")))
        .collect();
        ours.iter().find(|r| {
            r.starts_with(&format!("* {} {}", w[1], w[2]))
                && items.iter().all(|i| r.contains(i))
                && (flags_of(want).is_none() || flags_of(want) == flags_of(r))
        })
    } else {
        // "* OK [UNSEEN 17] ...", "* FLAGS (...)", "* BYE": the kind, a response code with its
        // number (but the UIDVALIDITY the server chooses), the flags.
        ours.iter().find(|r| {
            r.starts_with(&format!("* {} ", w[1]))
                && match code(want) {
                    Some(c) if c.starts_with("UIDVALIDITY") => {
                        code(r).is_some_and(|x| x.starts_with("UIDVALIDITY "))
                    }
                    Some(c) => code(r) == Some(c),
                    None => true,
                }
                && (flags_of(want).is_none() || flags_of(want) == flags_of(r))
        })
    };
    found
        .map(|_| ())
        .ok_or(format!("nothing of ours means {want:?}"))
}

#[test]
fn rfc3501_section8_a_sample_imap4rev1_connection() {
    let mut store = MemoryStore::new(&["mrc"]);
    for i in 1..=18 {
        store.now = SimTime(i * 1_000_000);
        store.deliver(
            "mrc",
            format!("From: Terry Gray <gray@cac.washington.edu>\r\nTo: imap@cac.washington.edu\r\nSubject: message {i}\r\nDate: Wed, 17 Jul 1996 02:23:25 -0700\r\n\r\nText {i}.\r\n").as_bytes(),
        );
    }
    {
        let inbox = store
            .folders
            .get_mut(&("mrc".to_string(), "INBOX".to_string()))
            .unwrap();
        // Read the first 16; the last 2 came since the last session (\Recent).
        for m in &mut inbox.messages[..16] {
            m.flags = vec!["\\Seen".to_string()];
        }
        inbox.recent_from = inbox.messages[16].uid;
    }
    let cfg = Arc::new(ImapConfig {
        hostname: "cac.washington.edu".into(),
        accounts: BTreeMap::from([("mrc".to_string(), "secret".to_string())]),
    });
    let s = std::cell::RefCell::new((ImapServer::new(cfg), store, Vec::new()));
    let drain = |x: &mut (ImapServer, MemoryStore, Vec<u8>)| {
        while let Some(b) = x.0.poll_transmit() {
            x.2.extend_from_slice(&b);
        }
    };
    drain(&mut s.borrow_mut());
    replay(
        include_str!("transcripts/rfc/rfc3501-8.txt"),
        |b| {
            let mut x = s.borrow_mut();
            let (server, store, _) = &mut *x;
            server.handle_input(b);
            server.serve(store);
            drain(&mut x);
        },
        || std::mem::take(&mut s.borrow_mut().2),
        |_, rfc, ours| {
            // Every line of the RFC's has its meaning among ours; ours may say more untagged
            // (UIDNEXT and PERMANENTFLAGS, which §6.3.1 asks of SELECT and the example leaves
            // out), but no other command completion.
            let ours = imap_responses(ours);
            let tagged = |v: Vec<&str>| v.into_iter().filter(|r| !r.starts_with("* ")).count();
            let (a, b) = (
                tagged(rfc.iter().map(String::as_str).collect()),
                tagged(ours.iter().map(String::as_str).collect()),
            );
            if a != b {
                return Err(format!("{b} tagged responses, the RFC has {a}"));
            }
            rfc.iter().try_for_each(|w| imap_agrees(w, &ours))
        },
    );
    // The STORE really set \Deleted on message 12.
    let x = s.borrow();
    let inbox = &x.1.folders[&("mrc".to_string(), "INBOX".to_string())];
    assert!(inbox.messages[11].has_flag("\\Deleted"));
}
