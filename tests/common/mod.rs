//! Shared helpers: servers set up as in the bundled scenarios, and a transcript replayer.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mailsim::protocols::Session;
use mailsim::protocols::pop3::server::{
    Pop3Server, PopMessage, ServerConfig as PopConfig, ServerEvent as PopEvent,
};
use mailsim::protocols::smtp::server::{Role, ServerConfig, SmtpServer};
use mailsim::{Sim, scenario};

pub fn smtp_server(role: Role) -> SmtpServer {
    smtp_server_auth(role, false)
}

/// As [`smtp_server`], with AUTH required or not.
pub fn smtp_server_auth(role: Role, require_auth: bool) -> SmtpServer {
    SmtpServer::new(Arc::new(smtp_config(role, require_auth)), "Q".into())
}

/// The settings [`smtp_server_auth`] uses, to change before making a server.
pub fn smtp_config(role: Role, require_auth: bool) -> ServerConfig {
    ServerConfig {
        hostname: "mx.b.example".into(),
        role,
        local_domains: vec!["b.example".into()],
        users: BTreeSet::from(["bob@b.example".to_string()]),
        max_size: 2000,
        max_recipients: 3,
        accounts: BTreeMap::from([("alice".to_string(), "secret".to_string())]),
        require_auth,
        greylist: false,
        full: Default::default(),
    }
}

pub fn maildrop() -> Vec<PopMessage> {
    let m1 = b"Subject: one\r\n\r\nfirst\r\n.hidden dot\r\n".to_vec();
    let m2 = b"Subject: two\r\n\r\nsecond\r\nline 2\r\nline 3\r\n".to_vec();
    vec![
        PopMessage {
            uid: "1".into(),
            data: Arc::new(m1),
        },
        PopMessage {
            uid: "2".into(),
            data: Arc::new(m2),
        },
    ]
}

/// A POP3 server and the host side: it hands over the maildrop and records commits.
pub struct PopHarness {
    pub server: Pop3Server,
    pub committed: Vec<Vec<String>>,
    pub out: Vec<u8>,
}

impl Default for PopHarness {
    fn default() -> Self {
        Self::new()
    }
}

impl PopHarness {
    pub fn new() -> Self {
        let cfg = PopConfig {
            hostname: "mx.b.example".into(),
            accounts: BTreeMap::from([("bob".to_string(), "secret".to_string())]),
        };
        let mut h = PopHarness {
            server: Pop3Server::new(Arc::new(cfg)),
            committed: Vec::new(),
            out: Vec::new(),
        };
        h.drain();
        h
    }

    pub fn input(&mut self, bytes: &[u8]) {
        self.server.handle_input(bytes);
        self.drain();
    }

    pub fn drain(&mut self) {
        loop {
            let mut any = false;
            while let Some(e) = self.server.poll_event() {
                any = true;
                match e {
                    PopEvent::LockMaildrop { .. } => self.server.handle_maildrop(Some(maildrop())),
                    PopEvent::Commit { deleted, .. } => self.committed.push(deleted),
                    PopEvent::Release { .. } => {}
                }
            }
            if let Some(b) = self.server.poll_transmit() {
                self.out.extend_from_slice(&b);
                any = true;
            }
            if !any {
                break;
            }
        }
    }
}

/// Replays a C:/S: transcript against `feed`/`take`: before each client line, what the server has
/// sent must equal the S: lines since the last client line, byte for byte (CRLF included).
pub fn replay(
    text: &str,
    mut feed: impl FnMut(&[u8]),
    mut take: impl FnMut() -> Vec<u8>,
    name: &str,
) {
    let mut expected = Vec::new();
    let mut n = 0;
    let check = |expected: &mut Vec<u8>, got: Vec<u8>, line: usize| {
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected),
            "{name}: server output before line {line} differs"
        );
        expected.clear();
    };
    for (i, line) in text.lines().enumerate() {
        if let Some(s) = line.strip_prefix("S: ").or((line == "S:").then_some("")) {
            expected.extend_from_slice(s.as_bytes());
            expected.extend_from_slice(b"\r\n");
        } else if let Some(c) = line.strip_prefix("C: ").or(line.strip_prefix("C:")) {
            check(&mut expected, take(), i + 1);
            let mut bytes = c.as_bytes().to_vec();
            bytes.extend_from_slice(b"\r\n");
            feed(&bytes);
            n += 1;
        } else if !(line.starts_with('#') || line.trim().is_empty()) {
            panic!("{name}:{}: a transcript line starts with C: or S:", i + 1);
        }
    }
    check(&mut expected, take(), text.lines().count());
    assert!(n > 0, "{name}: no client lines");
}

use mailsim::SimTime;
use mailsim::protocols::imap::memstore::MemoryStore;
use mailsim::protocols::imap::server::{ImapServer, ServerConfig as ImapConfig};

pub const IMAP_M1: &[u8] = b"From: Alice <alice@a.example>\r\nTo: bob@b.example\r\nSubject: Lunch on Friday?\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\nMessage-ID: <1@a.example>\r\n\r\nHi Bob,\r\n.see you at 12:30\r\n";
pub const IMAP_M2: &[u8] = b"From: Carol <carol@c.example>\r\nTo: bob@b.example\r\nSubject: Photos\r\n\r\nThe photos are online.\r\n";

/// A mail store with two messages for bob, and IMAP sessions on it that hear each other's
/// changes as the simulated host makes them.
pub struct ImapHarness {
    pub store: MemoryStore,
    pub sessions: Vec<ImapServer>,
    pub outs: Vec<Vec<u8>>,
}

impl ImapHarness {
    pub fn new(sessions: usize) -> Self {
        let mut store = MemoryStore::new(&["bob"]);
        store.deliver("bob", IMAP_M1);
        store.now = SimTime(60_000_000);
        store.deliver("bob", IMAP_M2);
        let cfg = Arc::new(ImapConfig {
            hostname: "mx.b.example".into(),
            accounts: BTreeMap::from([("bob".to_string(), "secret".to_string())]),
        });
        let mut h = ImapHarness {
            store,
            sessions: (0..sessions)
                .map(|_| ImapServer::new(cfg.clone()))
                .collect(),
            outs: vec![Vec::new(); sessions],
        };
        for i in 0..sessions {
            h.drain(i);
        }
        h
    }

    pub fn input(&mut self, i: usize, bytes: &[u8]) {
        let before = self.store.changes.len();
        self.sessions[i].handle_input(bytes);
        self.sessions[i].serve(&mut self.store);
        self.drain(i);
        if self.store.changes.len() > before {
            for k in 0..self.sessions.len() {
                if k != i {
                    self.sessions[k].mailbox_changed(&mut self.store);
                    self.drain(k);
                }
            }
        }
    }

    fn drain(&mut self, i: usize) {
        while let Some(b) = self.sessions[i].poll_transmit() {
            self.outs[i].extend_from_slice(&b);
        }
    }

    pub fn take(&mut self, i: usize) -> Vec<u8> {
        std::mem::take(&mut self.outs[i])
    }

    /// What session `i` has sent since the last take, after the caller poked it directly.
    pub fn take_now(&mut self, i: usize) -> String {
        self.drain(i);
        String::from_utf8(self.take(i)).unwrap()
    }
}

/// SplitMix64, seeded: the same choices every run, and no dependency.
pub struct Rng(pub u64);

impl Rng {
    /// A number below `n` (0 when `n` is 0).
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// Every byte an IMAP server sent parses as IMAP responses (greeting first), with nothing left
/// (imap-codec).
pub fn imap_well_formed(out: &[u8]) -> Result<(), String> {
    use imap_codec::decode::Decoder;
    let (mut rest, _) = imap_codec::GreetingCodec::default()
        .decode(out)
        .map_err(|e| format!("greeting: {e:?}"))?;
    while !rest.is_empty() {
        match imap_codec::ResponseCodec::default().decode(rest) {
            Ok((r, _)) => rest = r,
            Err(e) => {
                return Err(format!(
                    "{e:?} at {:?}",
                    String::from_utf8_lossy(&rest[..rest.len().min(120)])
                ));
            }
        }
    }
    Ok(())
}

/// Every byte an HTTP server sent is whole responses: status line, fields (httparse), and a
/// Content-Length body. Returns how many.
pub fn http_well_formed(mut out: &[u8]) -> Result<usize, String> {
    let mut n = 0;
    while !out.is_empty() {
        let mut h = [httparse::EMPTY_HEADER; 32];
        let mut r = httparse::Response::new(&mut h);
        let head = match r.parse(out) {
            Ok(httparse::Status::Complete(k)) => k,
            other => {
                return Err(format!(
                    "{other:?} at {:?}",
                    String::from_utf8_lossy(&out[..out.len().min(80)])
                ));
            }
        };
        let len: usize = r
            .headers
            .iter()
            .find(|x| x.name.eq_ignore_ascii_case("content-length"))
            .and_then(|x| std::str::from_utf8(x.value).ok()?.parse().ok())
            .ok_or("no Content-Length")?;
        if out.len() < head + len {
            return Err("body shorter than Content-Length".into());
        }
        out = &out[head + len..];
        n += 1;
    }
    Ok(n)
}

/// Runs a scenario's text to its end (with `seed`, or the file's own).
pub fn run(name: &str, source: &str, seed: Option<u64>) -> Sim {
    let s = scenario::parse(name, source).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Sim::new(&s, seed);
    sim.run_to_end();
    sim
}

/// The host named `name`.
pub fn host<'a>(sim: &'a Sim, name: &str) -> &'a mailsim::HostState {
    sim.hosts().iter().find(|h| h.def.name == name).unwrap()
}
