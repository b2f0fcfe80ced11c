//! HTTP and webmail: the browser's conversation with the webmail server, byte for byte, and the
//! webmail's work behind it (IMAP to read, SMTP to send).

use mailsim::protocols::Protocol;
use mailsim::{Direction, EventKind, Sim, check, scenario};

fn webmail() -> Sim {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/webmail.toml");
    let s = scenario::parse(path, &std::fs::read_to_string(path).unwrap()).unwrap();
    let mut sim = Sim::new(&s, None);
    sim.run_to_end();
    sim
}

/// The HTTP bytes between `host` and the web server, as C:/S: lines.
fn http_transcript(sim: &Sim, host: &str) -> String {
    let t = sim.trace();
    let mut out = String::new();
    for ev in &t.events {
        let EventKind::Segment(s) = &ev.kind else {
            continue;
        };
        if s.protocol != Protocol::Http || s.payload.is_empty() {
            continue;
        }
        let (client, who) = match s.direction {
            Direction::ClientToServer => (s.from, "C"),
            Direction::ServerToClient => (s.to, "S"),
        };
        if t.host_name(client.host) != host {
            continue;
        }
        for line in String::from_utf8_lossy(&s.payload).split_inclusive('\n') {
            out.push_str(&format!("{who}: {}\n", line.trim_end_matches(['\r', '\n'])));
        }
    }
    out
}

#[test]
fn the_browser_conversation_is_byte_exact() {
    let sim = webmail();
    let got = http_transcript(&sim, "alice-pc.a.example");
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/transcripts/http-webmail.txt"
    );
    if std::env::var_os("MAILSIM_BLESS").is_some() {
        // Rewrites the expected bytes after an intended change; read the diff before committing.
        let head = "# User A's browser and the webmail server: log in, compose, send (scenarios/webmail.toml).\n";
        std::fs::write(file, format!("{head}{got}")).unwrap();
    }
    let want = std::fs::read_to_string(file).unwrap();
    assert_eq!(
        got,
        want.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
}

#[test]
fn webmail_sends_with_smtp_and_reads_with_imap() {
    let sim = webmail();
    for c in check::check(&sim) {
        assert!(c.ok, "{} / {}", c.text, c.found);
    }
    let t = sim.trace();
    let webmail = (0..t.hosts.len())
        .find(|&i| t.host_name(i) == "webmail.example")
        .unwrap();
    let mut smtp_from_webmail = 0;
    let mut imap_from_webmail = 0;
    for ev in &t.events {
        if let EventKind::Segment(s) = &ev.kind
            && s.from.host == webmail
            && !s.payload.is_empty()
        {
            match s.protocol {
                Protocol::Smtp => smtp_from_webmail += 1,
                Protocol::Imap => imap_from_webmail += 1,
                _ => {}
            }
        }
    }
    assert!(
        smtp_from_webmail >= 6,
        "EHLO, MAIL, RCPT, DATA, message, QUIT"
    );
    assert!(
        imap_from_webmail >= 8,
        "LOGIN, SELECT, FETCH, LOGOUT, several times"
    );
    // The browser ends on the message page, which shows the text.
    let last_page = t
        .events
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::Page { url, html, .. } => Some((url.clone(), html.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(last_page.0, "http://webmail.example/message?uid=1");
    assert!(
        last_page.1.contains("Are we still on for lunch on Friday?"),
        "{}",
        last_page.1
    );
}

#[test]
fn wrong_password_and_unknown_pages() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/webmail.toml"
    ))
    .unwrap()
    .replace(
        "password = \"bob-secret\" }\nnarration",
        "password = \"guess\" }\nnarration",
    )
    .replace("path = \"/message?uid=1\"", "path = \"/nowhere\"");
    let s = scenario::parse("variant.toml", &src).unwrap();
    let mut sim = Sim::new(&s, None);
    sim.run_to_end();
    let pages: Vec<(String, u16, String)> = sim
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Page {
                host,
                url,
                status,
                html,
            } if sim.trace().host_name(*host) == "bob-pc.b.example" => {
                Some((url.clone(), *status, html.clone()))
            }
            _ => None,
        })
        .collect();
    // The login is refused by IMAP: the login page again, with why.
    assert_eq!(pages[0].1, 200);
    assert!(
        pages[0].2.contains("Wrong address or password"),
        "{}",
        pages[0].2
    );
    // Not logged in: /nowhere is not found (404 comes before the login check).
    assert_eq!(pages[1].1, 404);
}

#[test]
fn webmail_escapes_what_mail_brings() {
    // Subject, text and sender's name come from whoever sent the mail: the pages must show them
    // as text, never as markup a browser would run.
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/webmail.toml"
    ))
    .unwrap()
    .replace(
        "subject = \"Lunch on Friday?\", body = \"Hi Bob,\\nAre we still on for lunch on Friday?\\nAlice\"",
        "subject = \"<script>alert(1)</script>\", body = \"</pre><img src=x onerror=alert(2)>\"",
    )
    .replace("subject = \"Lunch on Friday?\"\n", "subject = \"<script>alert(1)</script>\"\n")
    .replace("path = \"/message?uid=1\"", "path = \"/message?uid=2\"")
    .replace("count = 1\n", "count = 2\n")
        + r#"
[[host]]
name = "mallory-pc.a.example"
ip = "192.0.2.66"
[host.client]
address = "alice@a.example"
name = "<img src=x onerror=alert(3)>"
password = "alice-secret"
outgoing = "smtp.a.example"

[[step]]
at = "6s"
action = "send"
host = "mallory-pc.a.example"
to = ["bob@b.example"]
subject = "<b onmouseover=alert(4)>hi</b>"
body = "<iframe src=//evil.example>"

[[step]]
at = "13s"
action = "web"
host = "bob-pc.b.example"
server = "webmail.example"
path = "/message?uid=1"
"#;
    let s = scenario::parse("xss.toml", &src).unwrap();
    let mut sim = Sim::new(&s, None);
    sim.run_to_end();
    for c in check::check(&sim) {
        assert!(c.ok, "{} / {}", c.text, c.found);
    }
    let pages: Vec<(String, String)> = sim
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Page { url, html, .. } => Some((url.clone(), html.clone())),
            _ => None,
        })
        .collect();
    let shown = |url: &str| -> Vec<String> {
        pages
            .iter()
            .filter(|(u, _)| u.ends_with(url))
            .map(|(_, h)| h.clone())
            .collect()
    };
    for (url, html) in &pages {
        for markup in ["<script", "<img", "<b ", "<iframe", "</pre><"] {
            assert!(!html.contains(markup), "{url} has {markup}:\n{html}");
        }
    }
    let inbox = shown("/inbox").pop().unwrap();
    assert!(
        inbox.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            && inbox.contains("&lt;b onmouseover=alert(4)&gt;hi&lt;/b&gt;"),
        "{inbox}"
    );
    let messages = shown("/message?uid=1")
        .into_iter()
        .chain(shown("/message?uid=2"))
        .collect::<Vec<_>>()
        .join("\n");
    for text in [
        "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>",
        "&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;",
        "&lt;img src=x onerror=alert(3)&gt;",
        "&lt;iframe src=//evil.example&gt;",
    ] {
        assert!(messages.contains(text), "{text} in\n{messages}");
    }
}

/// The session ids the webmail handed out in a run, in order (from the Set-Cookie fields).
fn session_ids(sim: &Sim) -> Vec<String> {
    let mut ids = Vec::new();
    for ev in &sim.trace().events {
        if let EventKind::Segment(s) = &ev.kind
            && s.protocol == Protocol::Http
        {
            let text = String::from_utf8_lossy(&s.payload);
            for line in text.lines() {
                if let Some(v) = line.strip_prefix("Set-Cookie: session=") {
                    let id = v.split(';').next().unwrap_or_default();
                    if !id.is_empty() {
                        ids.push(id.to_string());
                    }
                }
            }
        }
    }
    ids
}

#[test]
fn session_ids_come_from_the_secret_source_when_there_is_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/webmail.toml");
    let s = scenario::parse(path, &std::fs::read_to_string(path).unwrap()).unwrap();
    let run = |fill: Option<u8>| {
        let mut sim = Sim::new(&s, Some(5));
        if let Some(b) = fill {
            // A stand-in for the OS random source: a counter, so each secret differs too.
            let mut n = b;
            sim.set_secret_source(Box::new(move |buf: &mut [u8]| {
                buf.fill(n);
                n = n.wrapping_add(1);
            }));
        }
        sim.run_to_end();
        for c in check::check(&sim) {
            assert!(c.ok, "{} / {}", c.text, c.found);
        }
        session_ids(&sim)
    };
    let hex128 = |id: &String| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    // Without a source: the seed decides, so two runs hand out the same ids (a lesson replays).
    let (seeded, again) = (run(None), run(None));
    assert_eq!(seeded.len(), 2, "Alice and Bob log in: {seeded:?}");
    assert_eq!(seeded, again);
    assert!(seeded.iter().all(hex128), "{seeded:?}");
    // With one, the same scenario and seed give other ids, each from the source.
    let (a, b) = (run(Some(0x11)), run(Some(0xa0)));
    assert_eq!(a.len(), 2);
    assert_eq!(a[0], "11".repeat(16));
    assert!(a.iter().chain(&b).all(hex128), "{a:?} {b:?}");
    assert!(a.iter().all(|id| !b.contains(id) && !seeded.contains(id)));
}

#[test]
fn a_sim_stays_send_and_sync() {
    // The window keeps the bridge, and so its Sim, in a resource: Send + Sync, secret source
    // and all.
    fn both<T: Send + Sync>() {}
    both::<Sim>();
}
