//! The browser's side of HTTP/1.1: send a request, read the response (Content-Length framed),
//! keep cookies, follow `303 See Other` with a GET on the same connection.

use std::collections::VecDeque;

use super::{Request, Response};
use crate::protocols::Session;

/// Responses are at most this long; more is a broken server.
const MAX_RESPONSE: usize = 4 * 1024 * 1024;
/// Redirects followed for one request at most.
const MAX_REDIRECTS: u32 = 5;

/// What the browser tells its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// A complete response to `target`.
    Page {
        target: String,
        status: u16,
        body: Vec<u8>,
    },
    /// A cookie the server set (name, value).
    Cookie(String, String),
    /// Something went wrong (one line).
    Error(String),
}

/// One browser connection.
pub struct HttpClient {
    host: String,
    cookies: Vec<(String, String)>,
    queue: VecDeque<Request>,
    waiting: Option<Request>,
    buf: Vec<u8>,
    out: Vec<u8>,
    events: VecDeque<ClientEvent>,
    redirects: u32,
    closed: bool,
}

impl HttpClient {
    /// A connection to `host` (the Host header) that sends `req` with the browser's cookies.
    pub fn new(host: &str, cookies: Vec<(String, String)>, req: Request) -> Self {
        let mut c = HttpClient {
            host: host.to_string(),
            cookies,
            queue: VecDeque::from([req]),
            waiting: None,
            buf: Vec::new(),
            out: Vec::with_capacity(crate::protocols::session::OUT_ROOM),
            events: VecDeque::new(),
            redirects: 0,
            closed: false,
        };
        c.next();
        c
    }

    fn next(&mut self) {
        match self.queue.pop_front() {
            Some(mut req) => {
                req.headers.insert(0, ("Host".into(), self.host.clone()));
                req.headers
                    .push(("User-Agent".into(), "mailsim browser/1.0".into()));
                if req.method == "POST" {
                    // Which site's page sends the form, as browsers say (RFC 6454 section 7):
                    // servers refuse forms from other sites' pages.
                    req.headers
                        .push(("Origin".into(), format!("http://{}", self.host)));
                }
                if !self.cookies.is_empty() {
                    let c: Vec<String> = self
                        .cookies
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    req.headers.push(("Cookie".into(), c.join("; ")));
                }
                if !req.body.is_empty() || req.method == "POST" {
                    req.headers.push((
                        "Content-Type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ));
                    req.headers
                        .push(("Content-Length".into(), req.body.len().to_string()));
                }
                self.out.extend(req.to_bytes());
                self.waiting = Some(req);
            }
            None => self.closed = true,
        }
    }
}

impl Session for HttpClient {
    type Event = ClientEvent;

    /// The connection's state, for the inspector.
    fn state_name(&self) -> &'static str {
        if self.closed {
            "done"
        } else if self.waiting.is_some() {
            "waiting for the response"
        } else {
            "idle"
        }
    }

    /// Whether the browser is done with the connection.
    fn wants_close(&self) -> bool {
        self.closed
    }

    /// Bytes to send, if any.
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        crate::protocols::session::take_output(&mut self.out)
    }

    /// The next event for the host.
    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The connection ended.
    fn handle_closed(&mut self, why: &str) {
        if self.waiting.is_some() {
            self.events.push_back(ClientEvent::Error(format!(
                "the connection ended before the response: {why}"
            )));
        }
        self.waiting = None;
        self.closed = true;
    }

    /// Bytes from the server.
    fn handle_input(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > MAX_RESPONSE {
            self.events
                .push_back(ClientEvent::Error("the response is too long".into()));
            self.closed = true;
            return;
        }
        let mut headers = [httparse::EMPTY_HEADER; 48];
        let mut resp = httparse::Response::new(&mut headers);
        let head = match resp.parse(&self.buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return,
            Err(e) => {
                self.events.push_back(ClientEvent::Error(format!(
                    "the server's answer is not HTTP: {e}"
                )));
                self.closed = true;
                return;
            }
        };
        let status = resp.code.unwrap_or(0);
        let fields = super::owned_fields(resp.headers);
        let response = Response {
            status,
            headers: fields,
            body: Vec::new(),
        };
        let length: usize = response
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if self.buf.len() < head + length {
            return;
        }
        let body = self.buf[head..head + length].to_vec();
        self.buf.drain(..head + length);
        for (n, v) in &response.headers {
            if n.eq_ignore_ascii_case("set-cookie")
                && let Some((k, val)) = v.split(';').next().and_then(|c| c.split_once('='))
            {
                let (k, val) = (k.trim().to_string(), val.trim().to_string());
                self.cookies.retain(|(x, _)| *x != k);
                self.cookies.push((k.clone(), val.clone()));
                self.events.push_back(ClientEvent::Cookie(k, val));
            }
        }
        let target = self.waiting.take().map(|r| r.target).unwrap_or_default();
        let close = response
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        self.events.push_back(ClientEvent::Page {
            target,
            status,
            body,
        });
        if matches!(status, 301 | 302 | 303 | 307 | 308)
            && self.redirects < MAX_REDIRECTS
            && !close
            && let Some(loc) = response.header("location")
        {
            self.redirects += 1;
            self.queue.push_front(Request::new("GET", loc));
        }
        if close {
            self.closed = true;
        } else {
            self.next();
        }
    }
}
