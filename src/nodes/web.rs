//! Webmail and the browser. The webmail server is a web site: the browser GETs its pages and
//! POSTs its forms over HTTP. Behind the site the server is a mail program like any other: it
//! logs in to the user's mail server with IMAP to list and show mail, and hands new mail to the
//! user's SMTP server with SMTP, because SMTP is how mail travels between servers.
//!
//! Cross-site request forgery: another site's page could make the user's browser post a form
//! here, cookie and all. So the session cookie is `SameSite=Strict` (browsers leave it off
//! requests other sites start), every form of a logged-in page carries the session's secret
//! token in a hidden field, which a POST must send back (403 otherwise), a POST whose `Origin`
//! is another site's gets 403, and logging out is a POST, never a link. Logging in takes no
//! token (there is no session yet); the `Origin` check covers it.

use super::world::Sim;
use crate::engine::ids::{ConnId, HostId};
use crate::engine::trace::EventKind;
use crate::mail::subject_of;
use crate::nodes::{ClientApp, ServerApp, SmtpPurpose};
use crate::protocols::Protocol;
use crate::protocols::http::client::{ClientEvent as BrowserEvent, HttpClient};
use crate::protocols::http::html::{escape, forms, page};
use crate::protocols::http::{Request, Response, form_encode};
use crate::protocols::imap::client::{ClientConfig, ClientEvent, ImapClient, Job};
use crate::protocols::imap::mime::Part;
use crate::protocols::smtp::client::{
    ClientConfig as SmtpConfig, Job as SmtpJob, Outcome, SmtpClient,
};
use crate::protocols::smtp::wire::Address;
use crate::scenario::Service;

/// A logged-in webmail user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebSession {
    pub address: String,
    pub user: String,
    pub password: String,
    /// The secret every form of the session's pages carries (a hidden `token` field) and every
    /// POST must send back: another site's page cannot know it.
    pub token: String,
    /// What happened to the last mail sent, for the "sent" page.
    pub last_sent: Option<String>,
}

impl WebSession {
    /// The user's mail domain, which says where their mail server is.
    fn domain(&self) -> String {
        self.address
            .rsplit('@')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }
}

/// What a webmail server is doing for a browser's request on a back-end connection.
pub(crate) struct WebJob {
    /// The HTTP connection waiting for the answer.
    http: ConnId,
    kind: WebKind,
    list: Vec<(u32, String, Vec<String>)>,
    body: Option<Vec<u8>>,
    failed: Option<String>,
}

impl WebJob {
    fn new(http: ConnId, kind: WebKind) -> Self {
        WebJob {
            http,
            kind,
            list: Vec::new(),
            body: None,
            failed: None,
        }
    }
}

enum WebKind {
    Login {
        address: String,
        user: String,
        password: String,
    },
    Inbox {
        sid: String,
    },
    Message {
        uid: u32,
    },
    Send {
        sid: String,
    },
}

const LOGIN_FORM: &str = "<form method=\"post\" action=\"/login\">\n<p>Address <input type=\"text\" name=\"user\"></p>\n<p>Password <input type=\"password\" name=\"password\"></p>\n<p><input type=\"submit\" value=\"Log in\"></p>\n</form>";

/// The log-out button: a form, so that it carries the token (a link would be a GET any page
/// could make the browser follow).
fn logout_form(token: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/logout\">\n<input type=\"hidden\" name=\"token\" value=\"{}\">\n<p><input type=\"submit\" value=\"Log out\"></p>\n</form>",
        escape(token)
    )
}

/// 403 Forbidden: a POST that may have come from another site's page; nothing was done.
fn forbidden(why: &str) -> Response {
    Response::html(
        403,
        page(
            "Forbidden",
            &format!(
                "<p>{}</p>\n<p>Nothing was done. <a href=\"/inbox\">Inbox</a></p>",
                escape(why)
            ),
        ),
    )
}

/// Whether `got` is the secret `want`, compared in time that does not depend on where they
/// differ (so a real client cannot guess the token byte by byte by timing the answers).
fn same_secret(got: &str, want: &str) -> bool {
    !want.is_empty()
        && got.len() == want.len()
        && got
            .bytes()
            .zip(want.bytes())
            .fold(0u8, |d, (x, y)| d | (x ^ y))
            == 0
}

fn login_page(note: &str) -> Response {
    let note = if note.is_empty() {
        String::new()
    } else {
        format!("<p><strong>{}</strong></p>\n", escape(note))
    };
    Response::html(
        200,
        page(
            "Webmail: log in",
            &format!("{note}<p>Read and send your mail in the browser.</p>\n{LOGIN_FORM}"),
        ),
    )
}

impl Sim {
    /// The browser on `h` asks `server` for a page (a step).
    pub(crate) fn browse(
        &mut self,
        h: HostId,
        server: HostId,
        method: &str,
        path: &str,
        form: &[(String, String)],
    ) {
        let mut req = Request::new(method, path);
        if method == "POST" {
            // As a browser submits a form of the page it has: the step's fields, which the user
            // typed, and the form's hidden fields, which the page held.
            let mut form = form.to_vec();
            let action = path.split('?').next().unwrap_or_default().to_string();
            if let Some(hidden) = self.hosts[h].browser.hidden_fields.get(&(server, action)) {
                for (k, v) in hidden {
                    if !form.iter().any(|(n, _)| n == k) {
                        form.push((k.clone(), v.clone()));
                    }
                }
            }
            req.body = form_encode(&form);
        }
        let name = self.hosts[server].def.name.clone();
        let ip = self.hosts[server].def.ip;
        let cookies = self.hosts[h]
            .browser
            .cookies
            .get(&server)
            .cloned()
            .unwrap_or_default();
        self.note(
            h,
            format!("the browser asks for http://{name}{path} ({method})"),
        );
        let m = HttpClient::new(&name, cookies, req);
        self.connect(h, ip, 80, Protocol::Http, ClientApp::Http(Box::new(m)));
    }

    pub(crate) fn browser_event(&mut self, c: ConnId, ev: BrowserEvent) {
        let [me, peer] = self.net.conns[c].ends;
        let h = me.host;
        match ev {
            BrowserEvent::Cookie(k, v) => {
                let jar = self.hosts[h].browser.cookies.entry(peer.host).or_default();
                jar.retain(|(x, _)| *x != k);
                jar.push((k, v));
            }
            BrowserEvent::Page {
                target,
                status,
                body,
            } => {
                let url = format!("http://{}{target}", self.hosts[peer.host].def.name);
                let html = String::from_utf8_lossy(&body).into_owned();
                for f in forms(&html) {
                    if f.method == "post" && f.action.starts_with('/') {
                        self.hosts[h]
                            .browser
                            .hidden_fields
                            .insert((peer.host, f.action), f.hidden);
                    }
                }
                self.record(
                    self.now,
                    EventKind::Page {
                        host: h,
                        url,
                        status,
                        html,
                    },
                );
            }
            BrowserEvent::Error(e) => self.note(h, format!("browser: {e}")),
        }
    }

    fn respond(&mut self, c: ConnId, resp: Response) {
        if c.index() >= self.net.conns.len() || self.net.conns[c].closed[1] {
            return;
        }
        let before = self.app_state(c, 1);
        if let ServerApp::Http(m) = &mut self.apps[c].server {
            m.respond(resp);
        }
        self.pump(c, 1, before);
    }

    /// A browser's request reached the webmail server on connection `c`.
    pub(crate) fn webmail_request(&mut self, c: ConnId, req: Request) {
        let h = self.net.conns[c].ends[1].host;
        let sid = req
            .cookie("session")
            .filter(|s| self.hosts[h].webmail.sessions.contains_key(s));
        let path = req.path().to_string();
        let method = req.method.clone();
        let allowed = match path.as_str() {
            "/" | "/inbox" | "/message" | "/compose" | "/sent" => "GET",
            "/login" | "/send" | "/logout" => "POST",
            _ => {
                let body = page(
                    "Not found",
                    &format!(
                        "<p>There is no page {}.</p><p><a href=\"/\">Start</a></p>",
                        escape(&path)
                    ),
                );
                return self.respond(c, Response::html(404, body));
            }
        };
        if method != allowed {
            let mut text = format!("<p>{} takes {allowed}.</p>", escape(&path));
            // GET /logout does not log out (any page could make the browser GET it); the
            // button does.
            if let Some(s) = sid.as_ref().filter(|_| path == "/logout") {
                text.push_str(&format!(
                    "\n<p>Log out with the button.</p>\n{}",
                    logout_form(&self.hosts[h].webmail.sessions[s].token)
                ));
            }
            let body = page("Method not allowed", &text);
            return self.respond(c, Response::html(405, body).with("Allow", allowed));
        }
        if method == "POST"
            && let Some(origin) = req.header("origin")
        {
            // The browser says which site's page sent the form (RFC 6454 section 7).
            let own = req.header("host").map(|host| format!("http://{host}"));
            if !own
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(origin))
            {
                return self.respond(
                    c,
                    forbidden(&format!(
                        "This form was sent from a page of {origin}, not of this site ({}): another site cannot post forms here for you (cross-site request forgery).",
                        own.as_deref().unwrap_or("no Host")
                    )),
                );
            }
        }
        let needs_login = !matches!(path.as_str(), "/" | "/login");
        let sid = match sid {
            Some(s) => s,
            None if needs_login => return self.respond(c, Response::see_other("/")),
            None => String::new(),
        };
        if method == "POST"
            && path != "/login"
            && !same_secret(
                &req.form_field("token"),
                &self.hosts[h].webmail.sessions[&sid].token,
            )
        {
            return self.respond(
                c,
                forbidden(
                    "The form's token is missing or wrong. Each form of this site carries a secret token for your session, which a page of another site cannot know (cross-site request forgery). Open the page with the form again and send it from there.",
                ),
            );
        }
        match path.as_str() {
            "/" if sid.is_empty() => self.respond(c, login_page("")),
            "/" => self.respond(c, Response::see_other("/inbox")),
            "/login" => {
                let get = |k: &str| req.form_field(k);
                let (address, password) = (get("user"), get("password"));
                let Some((user, domain)) = address.split_once('@') else {
                    return self.respond(
                        c,
                        login_page("Log in with your whole address, e.g. bob@b.example."),
                    );
                };
                let (user, domain) = (user.to_ascii_lowercase(), domain.to_ascii_lowercase());
                self.webmail_imap(
                    c,
                    &domain,
                    &user,
                    &password,
                    Vec::new(),
                    WebKind::Login {
                        address: address.clone(),
                        user: user.clone(),
                        password: password.clone(),
                    },
                );
            }
            "/inbox" => {
                self.webmail_imap_as(c, &sid, Vec::new(), WebKind::Inbox { sid: sid.clone() });
            }
            "/message" => {
                let uid = req
                    .query()
                    .iter()
                    .find(|(k, _)| k == "uid")
                    .and_then(|(_, v)| v.parse::<u32>().ok());
                let Some(uid) = uid else {
                    let body = page(
                        "Bad request",
                        "<p>Which message? The address needs ?uid=N.</p>",
                    );
                    return self.respond(c, Response::html(400, body));
                };
                self.webmail_imap_as(c, &sid, vec![Job::ReadUid(uid)], WebKind::Message { uid });
            }
            "/compose" => {
                let s = &self.hosts[h].webmail.sessions[&sid];
                let body = page(
                    "Write a mail",
                    &format!(
                        "<p>From: {}</p>\n<form method=\"post\" action=\"/send\">\n<input type=\"hidden\" name=\"token\" value=\"{}\">\n<p>To <input type=\"text\" name=\"to\"></p>\n<p>Subject <input type=\"text\" name=\"subject\"></p>\n<p><textarea name=\"body\" rows=\"8\" cols=\"60\"></textarea></p>\n<p><input type=\"submit\" value=\"Send\"></p>\n</form>\n<p><a href=\"/inbox\">Inbox</a></p>",
                        escape(&s.address),
                        escape(&s.token)
                    ),
                );
                self.respond(c, Response::html(200, body));
            }
            "/send" => self.webmail_send(c, &sid, &req),
            "/sent" => {
                let text = self.hosts[h].webmail.sessions[&sid]
                    .last_sent
                    .clone()
                    .unwrap_or_else(|| "Nothing was sent yet.".into());
                let body = page(
                    "Sent",
                    &format!(
                        "<p>{}</p>\n<p><a href=\"/inbox\">Inbox</a> <a href=\"/compose\">Write another</a></p>",
                        escape(&text)
                    ),
                );
                self.respond(c, Response::html(200, body));
            }
            "/logout" => {
                self.hosts[h].webmail.sessions.remove(&sid);
                let r = Response::see_other("/").with(
                    "Set-Cookie",
                    "session=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/",
                );
                self.respond(c, r);
            }
            _ => {}
        }
    }

    /// An IMAP session for the logged-in user of session `sid`.
    fn webmail_imap_as(&mut self, c: ConnId, sid: &str, jobs: Vec<Job>, kind: WebKind) {
        let h = self.net.conns[c].ends[1].host;
        let s = self.hosts[h].webmail.sessions[sid].clone();
        self.webmail_imap(c, &s.domain(), &s.user, &s.password, jobs, kind);
    }

    /// Starts an IMAP session from the webmail server to the user's mail server.
    fn webmail_imap(
        &mut self,
        c: ConnId,
        domain: &str,
        user: &str,
        password: &str,
        jobs: Vec<Job>,
        kind: WebKind,
    ) {
        let h = self.net.conns[c].ends[1].host;
        let server = (0..self.hosts.len()).find(|&i| {
            let d = &self.hosts[i].def;
            d.domain
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(domain))
                && d.has(Service::Imap)
        });
        let Some(server) = server else {
            let resp = match kind {
                WebKind::Login { .. } => login_page(&format!(
                    "This webmail does not know a mail server for {domain}."
                )),
                _ => Response::html(
                    502,
                    page("Bad gateway", "<p>Your mail server cannot be reached.</p>"),
                ),
            };
            return self.respond(c, resp);
        };
        let ip = self.hosts[server].def.ip;
        let name = self.hosts[server].def.name.clone();
        self.note(
            h,
            format!("webmail: logs in to {name} with IMAP as {user}, for the browser"),
        );
        let m = ImapClient::new(
            ClientConfig {
                user: user.to_string(),
                pass: password.to_string(),
                idle: false,
                ask_capability: false,
                cached: Vec::new(),
                habits: Default::default(),
            },
            jobs,
        );
        if let Some(k) = self.connect(h, ip, 143, Protocol::Imap, ClientApp::Imap(Box::new(m))) {
            self.web_jobs.insert(k, WebJob::new(c, kind));
        }
    }

    pub(crate) fn webmail_imap_event(&mut self, k: ConnId, ev: ClientEvent) {
        let h = self.net.conns[k].ends[0].host;
        let Some(job) = self.web_jobs.get_mut(&k) else {
            return;
        };
        match ev {
            ClientEvent::Added {
                uid,
                subject,
                flags,
            } => job.list.push((uid, subject, flags)),
            ClientEvent::Flags { uid, flags } => {
                if let Some(m) = job.list.iter_mut().find(|m| m.0 == uid) {
                    m.2 = flags;
                }
            }
            ClientEvent::Removed { uid } => job.list.retain(|m| m.0 != uid),
            ClientEvent::Body { data, .. } => job.body = Some(data),
            ClientEvent::LoginFailed(t) => job.failed = Some(t),
            ClientEvent::Note(t) => {
                let t = t.replace("mail program (IMAP)", "webmail (IMAP)");
                self.note(h, t);
            }
            ClientEvent::Finished => {
                if let Some(job) = self.web_jobs.remove(&k) {
                    self.webmail_answer(h, job);
                }
            }
        }
    }

    /// The IMAP work is done: answer the browser.
    fn webmail_answer(&mut self, h: HostId, job: WebJob) {
        let c = job.http;
        let resp = match job.kind {
            WebKind::Login {
                address,
                user,
                password,
            } => match job.failed {
                Some(_) => {
                    login_page("Wrong address or password: the mail server said NO to LOGIN.")
                }
                None => {
                    let sid = self.secret(h);
                    let token = self.secret(h);
                    self.hosts[h].webmail.sessions.insert(
                        sid.clone(),
                        WebSession {
                            address,
                            user,
                            password,
                            token,
                            last_sent: None,
                        },
                    );
                    // SameSite=Strict: the browser sends the cookie only with requests this
                    // site's own pages start (RFC 6265bis, the SameSite attribute).
                    Response::see_other("/inbox").with(
                        "Set-Cookie",
                        &format!("session={sid}; HttpOnly; SameSite=Strict; Path=/"),
                    )
                }
            },
            WebKind::Inbox { sid } => {
                let (address, token) = self.hosts[h]
                    .webmail
                    .sessions
                    .get(&sid)
                    .map(|s| (s.address.clone(), s.token.clone()))
                    .unwrap_or_default();
                let mut rows = String::new();
                for (uid, subject, flags) in &job.list {
                    let read = flags.iter().any(|f| f == "\\Seen");
                    let subject = if subject.is_empty() {
                        "(no subject)"
                    } else {
                        subject
                    };
                    rows.push_str(&format!(
                        "<li>{}<a href=\"/message?uid={uid}\">{}</a>{}</li>\n",
                        if read { "" } else { "<b>" },
                        escape(subject),
                        if read { "" } else { "</b> (new)" }
                    ));
                }
                let list = if rows.is_empty() {
                    "<p>No mail.</p>".to_string()
                } else {
                    format!("<ul>\n{rows}</ul>")
                };
                let body = page(
                    &format!("Inbox of {address}"),
                    &format!(
                        "<p>{} message(s), kept on your mail server (read with IMAP).</p>\n{list}\n<p><a href=\"/compose\">Write a mail</a></p>\n{}",
                        job.list.len(),
                        logout_form(&token)
                    ),
                );
                if job.failed.is_some() {
                    Response::html(
                        502,
                        page("Bad gateway", "<p>Your mail server refused the login.</p>"),
                    )
                } else {
                    Response::html(200, body)
                }
            }
            WebKind::Message { uid, .. } => match job.body {
                Some(data) => {
                    let p = Part::parse(&data);
                    let f = |n: &str| escape(&p.field(n).unwrap_or_default());
                    let text = String::from_utf8_lossy(p.body).replace("\r\n", "\n");
                    let body = page(
                        &subject_of(&data),
                        &format!(
                            "<p>From: {}</p>\n<p>To: {}</p>\n<p>Date: {}</p>\n<pre>{}</pre>\n<p><a href=\"/inbox\">Inbox</a></p>",
                            f("From"),
                            f("To"),
                            f("Date"),
                            escape(&text)
                        ),
                    );
                    Response::html(200, body)
                }
                None => Response::html(
                    404,
                    page(
                        "Not found",
                        &format!(
                            "<p>There is no message {uid}.</p><p><a href=\"/inbox\">Inbox</a></p>"
                        ),
                    ),
                ),
            },
            WebKind::Send { .. } => return,
        };
        self.respond(c, resp);
    }

    /// POST /send: the form becomes a mail, handed to the user's SMTP server.
    fn webmail_send(&mut self, c: ConnId, sid: &str, req: &Request) {
        let h = self.net.conns[c].ends[1].host;
        let get = |k: &str| req.form_field(k);
        let s = self.hosts[h].webmail.sessions[sid].clone();
        let to: Vec<Address> = get("to")
            .split(',')
            .filter_map(|a| Address::parse(a.trim()).ok())
            .collect();
        let Ok(from) = Address::parse(&s.address) else {
            return;
        };
        if to.is_empty() {
            let body = page(
                "Write a mail",
                "<p><strong>The To field needs an address, e.g. bob@b.example.</strong></p><p><a href=\"/compose\">Back</a></p>",
            );
            return self.respond(c, Response::html(200, body));
        }
        let domain = from.domain_lower();
        let server = (0..self.hosts.len()).find(|&i| {
            let d = &self.hosts[i].def;
            d.domain
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(&domain))
                && d.has(Service::Submission)
        });
        let Some(server) = server else {
            return self.respond(
                c,
                Response::html(
                    502,
                    page("Bad gateway", "<p>Your SMTP server cannot be reached.</p>"),
                ),
            );
        };
        let to_text: Vec<String> = to.iter().map(ToString::to_string).collect();
        let subject = get("subject");
        let id_domain = self.hosts[h].def.name.clone();
        let data = self.compose(
            h,
            ("", &s.address),
            &id_domain,
            (&to_text, &[]),
            &subject,
            &get("body"),
            "mailsim Webmail 1.0",
        );
        let (ip, name) = (
            self.hosts[server].def.ip,
            self.hosts[server].def.name.clone(),
        );
        self.note(
            h,
            format!("webmail: hands \"{subject}\" to {name} with SMTP, as any mail program would"),
        );
        let m = SmtpClient::new(
            SmtpConfig {
                helo_name: self.hosts[h].def.name.clone(),
                use_ehlo: true,
                auth: Some((s.user.clone(), s.password.clone())),
            },
            SmtpJob {
                from: Some(from),
                rcpts: to,
                data,
            },
        );
        if let Some(k) = self.connect(
            h,
            ip,
            587,
            Protocol::Smtp,
            ClientApp::Smtp {
                m: Box::new(m),
                purpose: SmtpPurpose::Submit,
            },
        ) {
            self.web_jobs.insert(
                k,
                WebJob::new(
                    c,
                    WebKind::Send {
                        sid: sid.to_string(),
                    },
                ),
            );
        }
    }

    /// The webmail's SMTP hand-over ended: tell the browser with 303 → /sent.
    pub(crate) fn webmail_sent(&mut self, k: ConnId, o: Outcome) {
        let h = self.net.conns[k].ends[0].host;
        let Some(job) = self.web_jobs.remove(&k) else {
            return;
        };
        let WebKind::Send { sid } = job.kind else {
            return;
        };
        let reply = o.last_reply.map(|r| r.to_string()).unwrap_or_default();
        let text = if o.delivered {
            format!("Your mail was sent. The SMTP server said: {reply}")
        } else if let Some(e) = o.error {
            format!("Your mail was not sent: {e}")
        } else {
            format!("Your mail was not sent. The SMTP server said: {reply}")
        };
        self.note(h, format!("webmail: {text}"));
        if let Some(s) = self.hosts[h].webmail.sessions.get_mut(&sid) {
            s.last_sent = Some(text);
        }
        self.respond(job.http, Response::see_other("/sent"));
    }
}
