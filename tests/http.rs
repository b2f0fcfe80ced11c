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
        // Each line as sent; how it ends is written out unless it is CRLF: ` <LF>` for a bare
        // LF, ` <no end>` for bytes the segment ends with (a form body has no line end).
        for line in String::from_utf8_lossy(&s.payload).split_inclusive('\n') {
            let (text, end) = if let Some(t) = line.strip_suffix("\r\n") {
                (t, "")
            } else if let Some(t) = line.strip_suffix('\n') {
                (t, " <LF>")
            } else {
                (line, " <no end>")
            };
            out.push_str(&format!("{who}: {text}{end}\n"));
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
        // A run that wrote the file compares nothing, so it never passes.
        let head = "# User A's browser and the webmail server: log in, compose, send (scenarios/webmail.toml).\n# Captured from mailsim's own output; each line ends in CRLF unless marked <LF> or <no end>.\n";
        std::fs::write(file, format!("{head}{got}")).unwrap();
        panic!("wrote {file}; nothing was compared: run again without MAILSIM_BLESS");
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
    let webmail = mailsim::HostId::all(t.hosts.len())
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

/// The webmail scenario, run to its end, with a real-program host to send raw HTTP from.
struct Raw {
    sim: Sim,
    outside: mailsim::HostId,
    web: mailsim::HostId,
}

impl Raw {
    fn new() -> Raw {
        let mut sim = webmail();
        let outside = sim.add_outside_host(mailsim::bridge::outside_host());
        let web = mailsim::HostId::all(sim.hosts().len())
            .find(|&i| sim.hosts()[i].def.name == "webmail.example")
            .unwrap();
        Raw { sim, outside, web }
    }

    /// Sends one request (it asks to close after the answer), runs the world until nothing is
    /// left to happen (SMTP and delivery included) and returns the answer.
    fn ask(&mut self, req: &str) -> String {
        let c = self
            .sim
            .connect_external(self.outside, self.web, 80)
            .unwrap();
        self.sim.external_send(c, req.as_bytes());
        self.sim.run_to_end();
        String::from_utf8(self.sim.external_take(c).0).unwrap()
    }

    fn get(&mut self, path: &str, cookie: &str) -> String {
        self.ask(&format!(
            "GET {path} HTTP/1.1\r\nHost: webmail.example\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ))
    }

    fn post(&mut self, path: &str, cookie: &str, origin: Option<&str>, body: &str) -> String {
        let origin = origin
            .map(|o| format!("Origin: {o}\r\n"))
            .unwrap_or_default();
        self.ask(&format!(
            "POST {path} HTTP/1.1\r\nHost: webmail.example\r\n{origin}Cookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ))
    }

    /// Logs alice in; returns the Set-Cookie field's value and the cookie to send.
    fn login(&mut self) -> (String, String) {
        let r = self.post(
            "/login",
            "",
            None,
            "user=alice%40a.example&password=alice-secret",
        );
        assert!(r.starts_with("HTTP/1.1 303 "), "{r}");
        let set = r
            .lines()
            .find_map(|l| l.strip_prefix("Set-Cookie: "))
            .unwrap()
            .to_string();
        let cookie = set.split(';').next().unwrap().to_string();
        (set, cookie)
    }

    /// Mail in bob's mailbox.
    fn bobs_mail(&self) -> usize {
        self.sim
            .hosts()
            .iter()
            .find(|h| h.def.name == "mx.b.example")
            .unwrap()
            .store
            .mailboxes["bob"]
            .messages
            .len()
    }
}

/// The value of the hidden `token` field of a page.
fn token_of(page: &str) -> String {
    let at = page.find("name=\"token\" value=\"").expect(page) + 20;
    page[at..at + 32].to_string()
}

#[test]
fn a_post_without_the_sessions_token_or_from_another_site_is_refused() {
    let mut w = Raw::new();
    let before = w.bobs_mail();
    let (set_cookie, cookie) = w.login();
    // The cookie goes only with requests this site's pages start.
    assert!(
        set_cookie.contains("; HttpOnly") && set_cookie.contains("; SameSite=Strict"),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("; Path=/"), "{set_cookie}");
    let compose = w.get("/compose", &cookie);
    let token = token_of(&compose);
    assert!(
        compose.contains(&format!(
            "<form method=\"post\" action=\"/send\">\n<input type=\"hidden\" name=\"token\" value=\"{token}\">"
        )),
        "{compose}"
    );
    let mail = "to=bob%40b.example&subject=forged&body=hi";
    let wrong = format!(
        "{}{}",
        &token[..31],
        if token.ends_with('0') { '1' } else { '0' }
    );
    for (origin, body, why) in [
        (None, mail.to_string(), "no token"),
        (None, format!("{mail}&token="), "an empty token"),
        (None, format!("{mail}&token={wrong}"), "a wrong token"),
        (
            Some("http://evil.example"),
            format!("{mail}&token={token}"),
            "another site's Origin",
        ),
        (
            Some("null"),
            format!("{mail}&token={token}"),
            "an opaque Origin",
        ),
    ] {
        let r = w.post("/send", &cookie, origin, &body);
        assert!(r.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{why}: {r}");
        assert!(
            r.contains("<title>Forbidden</title>") && r.contains("Nothing was done."),
            "{why}: {r}"
        );
        assert_eq!(w.bobs_mail(), before, "{why}: no mail was sent");
    }
    // The form as the site's own page sends it goes, with or without Origin.
    for origin in [Some("http://webmail.example"), None] {
        let r = w.post("/send", &cookie, origin, &format!("{mail}&token={token}"));
        assert!(r.starts_with("HTTP/1.1 303 "), "{r}");
        assert!(r.contains("\r\nLocation: /sent\r\n"), "{r}");
    }
    assert_eq!(w.bobs_mail(), before + 2);
    // Logging in from another site's page is refused too (login CSRF).
    let r = w.post(
        "/login",
        "",
        Some("http://evil.example"),
        "user=alice%40a.example&password=alice-secret",
    );
    assert!(r.starts_with("HTTP/1.1 403 "), "{r}");
    assert!(!r.contains("Set-Cookie"), "{r}");
}

#[test]
fn logging_out_takes_the_button_not_a_link() {
    let mut w = Raw::new();
    let (_, cookie) = w.login();
    let inbox = w.get("/inbox", &cookie);
    assert!(inbox.starts_with("HTTP/1.1 200 "), "{inbox}");
    assert!(!inbox.contains("href=\"/logout\""), "{inbox}");
    let token = token_of(&inbox);
    assert!(
        inbox.contains(&format!("<form method=\"post\" action=\"/logout\">\n<input type=\"hidden\" name=\"token\" value=\"{token}\">\n<p><input type=\"submit\" value=\"Log out\"></p>\n</form>")),
        "{inbox}"
    );
    // A GET (a link, an image on another site's page) does not log out: 405, and the button.
    let r = w.get("/logout", &cookie);
    assert!(r.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{r}");
    assert!(r.contains("\r\nAllow: POST\r\n"), "{r}");
    assert!(!r.contains("Set-Cookie"), "{r}");
    assert!(r.contains("action=\"/logout\""), "{r}");
    assert!(w.get("/inbox", &cookie).starts_with("HTTP/1.1 200 "));
    // Without the token: 403, still logged in.
    let r = w.post("/logout", &cookie, None, "");
    assert!(r.starts_with("HTTP/1.1 403 "), "{r}");
    assert!(w.get("/inbox", &cookie).starts_with("HTTP/1.1 200 "));
    // The button: logged out, and the cookie is dropped.
    let r = w.post(
        "/logout",
        &cookie,
        Some("http://webmail.example"),
        &format!("token={token}"),
    );
    assert!(r.starts_with("HTTP/1.1 303 "), "{r}");
    assert!(r.contains("\r\nSet-Cookie: session=; Max-Age=0;"), "{r}");
    let r = w.get("/inbox", &cookie);
    assert!(
        r.starts_with("HTTP/1.1 303 ") && r.contains("\r\nLocation: /\r\n"),
        "{r}"
    );
}

#[test]
fn the_browser_posts_the_token_of_the_form_it_was_given() {
    // In webmail.toml A's browser GETs /compose before it POSTs /send: it sends the form's hidden
    // token back (see the transcript). Without that page it has no token, like a forged form.
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/webmail.toml"
    ))
    .unwrap()
    .replace("path = \"/compose\"", "path = \"/sent\"");
    let s = scenario::parse("no-compose.toml", &src).unwrap();
    let mut sim = Sim::new(&s, None);
    sim.run_to_end();
    let send = sim
        .trace()
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Page {
                url, status, html, ..
            } if url.ends_with("/send") => Some((*status, html.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(send.0, 403, "{}", send.1);
    assert!(send.1.contains("token is missing or wrong"), "{}", send.1);
    let bob = sim
        .hosts()
        .iter()
        .find(|h| h.def.name == "mx.b.example")
        .unwrap();
    assert!(bob.store.mailboxes["bob"].messages.is_empty());
    // The real run: the POST carries the compose page's token, and its Origin is the site's.
    let sim = webmail();
    let alice = http_transcript(&sim, "alice-pc.a.example");
    let token = token_of(&alice);
    assert!(
        alice.contains(&format!("&token={token} <no end>\n")),
        "the POST /send body ends with the token: {alice}"
    );
    assert!(alice.contains("C: Origin: http://webmail.example\n"));
}
