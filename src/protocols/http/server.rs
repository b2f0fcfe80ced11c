//! The server side of HTTP/1.1, sans-IO: bytes in, [`Request`]s out, one at a time; the host
//! answers each with [`HttpServer::respond`], at once or after it has done some work (the webmail
//! logs in to IMAP or sends mail with SMTP first). Persistent connections (RFC 9112 §9.3): the
//! next request is read after the response; `Connection: close` or HTTP/1.0 ends it.

use std::collections::VecDeque;

use super::{Request, Response, html};
use crate::protocols::Session;

/// The request line and header fields are at most this long (431 beyond).
pub const MAX_HEAD: usize = 8 * 1024;
/// A request body is at most this long (413 beyond).
pub const MAX_BODY: usize = 256 * 1024;
const MAX_HEADERS: usize = 48;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request.
    Reading,
    /// A request is with the host; `close` says whether to close after the response.
    Waiting { close: bool },
    /// The response that ends the connection was sent.
    Closed,
}

/// One server-side HTTP connection.
#[derive(Debug)]
pub struct HttpServer {
    name: String,
    state: State,
    buf: Vec<u8>,
    out: Vec<u8>,
    events: VecDeque<Request>,
}

impl HttpServer {
    /// A connection on a server that calls itself `name` (the Server header).
    pub fn new(name: &str) -> Self {
        HttpServer {
            name: name.to_string(),
            state: State::Reading,
            buf: Vec::new(),
            out: Vec::with_capacity(crate::protocols::session::OUT_ROOM),
            events: VecDeque::new(),
        }
    }

    /// Bytes held for a request not yet complete.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Whether a request is waiting for its response.
    pub fn is_waiting(&self) -> bool {
        matches!(self.state, State::Waiting { .. })
    }

    /// The host's answer to the request it was given.
    pub fn respond(&mut self, resp: Response) {
        let State::Waiting { close } = self.state else {
            return;
        };
        self.out.extend(resp.to_bytes(&self.name, close));
        if close {
            self.state = State::Closed;
            self.buf.clear();
        } else {
            self.state = State::Reading;
            self.parse();
        }
    }

    fn fail(&mut self, status: u16, why: &str) {
        let body = html::page(
            super::reason(status),
            &format!("<p>{}</p>", html::escape(why)),
        );
        self.out
            .extend(Response::html(status, body).to_bytes(&self.name, true));
        self.state = State::Closed;
        self.buf.clear();
    }

    fn parse(&mut self) {
        if self.state != State::Reading || self.buf.is_empty() {
            return;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let head_len = match req.parse(&self.buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => {
                if self.buf.len() > MAX_HEAD {
                    self.fail(431, "the request line and header fields are too long");
                }
                return;
            }
            Err(httparse::Error::TooManyHeaders) => {
                return self.fail(431, "too many header fields");
            }
            Err(e) => {
                return self.fail(
                    400,
                    &format!("this is not an HTTP/1.1 request ({e}); a request starts with e.g. GET / HTTP/1.1 (RFC 9112 section 3)"),
                );
            }
        };
        if head_len > MAX_HEAD {
            return self.fail(431, "the request line and header fields are too long");
        }
        let version = req.version.unwrap_or(1);
        let method = req.method.unwrap_or_default().to_string();
        let target = req.path.unwrap_or_default().to_string();
        let fields = super::owned_fields(req.headers);
        let get = |n: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        if version == 1 && get("host").is_none() {
            return self.fail(
                400,
                "HTTP/1.1 requests must have a Host header field (RFC 9112 section 3.2)",
            );
        }
        if get("transfer-encoding").is_some() {
            return self.fail(
                501,
                "this server reads bodies framed by Content-Length only",
            );
        }
        let length = match content_length(&fields) {
            Ok(n) => n,
            Err(why) => return self.fail(400, why),
        };
        if length > MAX_BODY {
            return self.fail(
                413,
                &format!("a body of {length} bytes is more than this server takes"),
            );
        }
        if self.buf.len() < head_len + length {
            return;
        }
        let body = self.buf[head_len..head_len + length].to_vec();
        self.buf.drain(..head_len + length);
        let close =
            version == 0 || get("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        self.state = State::Waiting { close };
        if close {
            self.buf = Vec::new();
        }
        self.events.push_back(Request {
            method,
            target,
            headers: fields,
            body,
        });
    }
}

impl Session for HttpServer {
    type Event = Request;

    /// The connection's state, for the inspector.
    fn state_name(&self) -> &'static str {
        match self.state {
            State::Reading => "waiting for a request",
            State::Waiting { .. } => "working on a request",
            State::Closed => "closed",
        }
    }

    /// Whether the connection should be closed.
    fn wants_close(&self) -> bool {
        self.state == State::Closed
    }

    /// Bytes to send, if any.
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        crate::protocols::session::take_output(&mut self.out)
    }

    /// The next complete request for the host.
    fn poll_event(&mut self) -> Option<Request> {
        self.events.pop_front()
    }

    /// The connection ended.
    fn handle_closed(&mut self, _why: &str) {
        self.state = State::Closed;
    }

    /// Bytes from the browser.
    fn handle_input(&mut self, bytes: &[u8]) {
        match self.state {
            // After a request that ends the connection nothing more is read (RFC 9112 §9.6).
            State::Closed | State::Waiting { close: true } => return,
            // More than the next request may be, sent while the host works on this one: it is
            // dropped, and the connection ends after the response, which says so; the browser
            // sends what was not answered again (RFC 9112 §9.3.2).
            State::Waiting { close: false }
                if self.buf.len() + bytes.len() > MAX_HEAD + MAX_BODY =>
            {
                self.buf = Vec::new();
                self.state = State::Waiting { close: true };
                return;
            }
            _ => {}
        }
        self.buf.extend_from_slice(bytes);
        self.parse();
    }
}

/// The body's length from the Content-Length fields (0 when there are none). Every field line and
/// every element of a comma-separated list must be digits only, and all must say the same number:
/// `Content-Length: 5` twice, or `5, 5`, is one length (RFC 9110 section 8.6 lets a recipient take
/// it so); two different numbers, as in `5, 6`, leave the body's end unknown, and a server that
/// guessed could read the rest as a second, smuggled request (RFC 9112 section 6.3): 400.
fn content_length(fields: &[(String, String)]) -> Result<usize, &'static str> {
    let mut length = None;
    for v in fields
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .flat_map(|(_, v)| v.split(','))
    {
        let v = v.trim();
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Content-Length must be a number (RFC 9110 section 8.6)");
        }
        // Too many digits for memory is too large a body anyway (413 below).
        let n = v.parse::<usize>().unwrap_or(usize::MAX);
        match length {
            Some(m) if m != n => {
                return Err(
                    "the Content-Length fields disagree, so the body's end is unknown (RFC 9112 section 6.3)",
                );
            }
            _ => length = Some(n),
        }
    }
    Ok(length.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_a_response_and_the_next_request() {
        let mut s = HttpServer::new("webmail");
        s.handle_input(b"POST /login HTTP/1.1\r\nHost: w\r\nContent-Length: 6\r\n\r\nuser=bGET / HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n");
        let r = s.poll_event().unwrap();
        assert_eq!((r.method.as_str(), r.path()), ("POST", "/login"));
        assert_eq!(r.form(), vec![("user".into(), "b".into())]);
        assert!(s.poll_event().is_none(), "one request at a time");
        s.respond(Response::see_other("/inbox"));
        let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
        assert!(
            out.starts_with("HTTP/1.1 303 See Other\r\nServer: webmail\r\n"),
            "{out}"
        );
        assert!(out.contains("Location: /inbox\r\n"));
        assert_eq!(s.poll_event().unwrap().target, "/");
        s.respond(Response::html(200, "x".into()));
        assert!(
            String::from_utf8(s.poll_transmit().unwrap())
                .unwrap()
                .contains("Connection: close\r\n")
        );
        assert!(s.wants_close());
    }

    #[test]
    fn content_lengths_that_disagree_get_400() {
        for (input, status) in [
            (
                &b"POST /send HTTP/1.1\r\nHost: w\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nto=abGET / HTTP/1.1\r\n"[..],
                "400",
            ),
            (
                b"POST /send HTTP/1.1\r\nHost: w\r\nContent-Length: 5, 6\r\n\r\nto=ab",
                "400",
            ),
            (
                b"POST /send HTTP/1.1\r\nHost: w\r\nContent-Length: 5\r\nContent-Length: 5, 0\r\n\r\nto=ab",
                "400",
            ),
            (
                b"POST /send HTTP/1.1\r\nHost: w\r\nContent-Length: +5\r\n\r\nto=ab",
                "400",
            ),
            (
                b"POST /send HTTP/1.1\r\nHost: w\r\nContent-Length: 5,\r\n\r\nto=ab",
                "400",
            ),
            // Transfer-Encoding is refused whatever Content-Length says.
            (
                b"POST /send HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nto=ab",
                "501",
            ),
        ] {
            let mut s = HttpServer::new("w");
            s.handle_input(input);
            let out = String::from_utf8(s.poll_transmit().unwrap_or_default()).unwrap();
            let text = String::from_utf8_lossy(input);
            assert!(
                out.starts_with(&format!("HTTP/1.1 {status} ")),
                "{text}\n{out}"
            );
            assert!(s.poll_event().is_none(), "no request reaches the host: {text}");
            assert!(s.wants_close(), "{text}");
        }
        // The same number twice, on two lines or as a list, is one length (RFC 9110 section 8.6).
        for input in [
            &b"POST /send HTTP/1.1\r\nHost: w\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nto=ab"[..],
            b"POST /send HTTP/1.1\r\nHost: w\r\nContent-Length: 5, 5\r\n\r\nto=ab",
        ] {
            let mut s = HttpServer::new("w");
            s.handle_input(input);
            assert!(s.poll_transmit().is_none());
            let r = s.poll_event().unwrap();
            assert_eq!(r.body, b"to=ab");
        }
    }

    #[test]
    fn bad_requests_get_4xx_and_close() {
        for (input, status) in [
            (&b"HELLO\r\n\r\n"[..], "400"),
            (b"GET / HTTP/1.1\r\n\r\n", "400"),
            (
                b"POST / HTTP/1.1\r\nHost: w\r\nContent-Length: 99999999\r\n\r\n",
                "413",
            ),
            (
                b"POST / HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n\r\n",
                "501",
            ),
        ] {
            let mut s = HttpServer::new("w");
            s.handle_input(input);
            let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
            assert!(out.starts_with(&format!("HTTP/1.1 {status} ")), "{out}");
            assert!(s.wants_close());
        }
        let mut s = HttpServer::new("w");
        s.handle_input(&vec![b'a'; MAX_HEAD + 10]);
        assert!(
            String::from_utf8(s.poll_transmit().unwrap())
                .unwrap()
                .starts_with("HTTP/1.1 431")
        );
    }
}
