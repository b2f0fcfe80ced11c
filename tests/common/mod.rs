//! Shared helpers: servers set up as in the bundled scenarios, and a transcript replayer.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mailsim::protocols::pop3::server::{
    Pop3Server, PopMessage, ServerConfig as PopConfig, ServerEvent as PopEvent,
};
use mailsim::protocols::smtp::server::{Role, ServerConfig, SmtpServer};

pub fn smtp_server(role: Role) -> SmtpServer {
    let cfg = ServerConfig {
        hostname: "mx.b.example".into(),
        role,
        local_domains: vec!["b.example".into()],
        users: BTreeSet::from(["bob@b.example".to_string()]),
        max_size: 2000,
        max_recipients: 3,
    };
    SmtpServer::new(Arc::new(cfg), "Q".into())
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
