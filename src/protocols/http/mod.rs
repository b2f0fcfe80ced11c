//! HTTP/1.1 (RFC 9110, RFC 9112): what a browser and a webmail server say. Requests and responses
//! are parsed with `httparse`; bodies are framed by Content-Length only (no chunked coding).

pub mod client;
pub mod explain;
pub mod html;
pub mod server;

/// A request as the server understood it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target, e.g. `/message?uid=2`.
    pub target: String,
    /// Header fields as sent.
    pub headers: Vec<(String, String)>,
    /// The body (a form, for POST).
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no header fields yet.
    pub fn new(method: &str, target: &str) -> Self {
        Request {
            method: method.to_string(),
            target: target.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The first value of a header field (names compare without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query's fields.
    pub fn query(&self) -> Vec<(String, String)> {
        self.target
            .split_once('?')
            .map(|(_, q)| form_decode(q.as_bytes()))
            .unwrap_or_default()
    }

    /// A cookie sent with the request (RFC 6265 §5.4).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    pub fn form(&self) -> Vec<(String, String)> {
        form_decode(&self.body)
    }

    /// The first value of form field `name` in the body, or "" when it has none.
    pub fn form_field(&self, name: &str) -> String {
        self.form()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }

    /// The request's bytes: request line, header fields, empty line, body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        for (n, v) in &self.headers {
            s.push_str(&format!("{n}: {v}\r\n"));
        }
        s.push_str("\r\n");
        let mut b = s.into_bytes();
        b.extend_from_slice(&self.body);
        b
    }
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// Header fields (Content-Length is added when written).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A page.
    pub fn html(status: u16, body: String) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
        }
    }

    /// 303 See Other: after a POST, the browser GETs `location` (RFC 9110 §15.4.4).
    pub fn see_other(location: &str) -> Self {
        let mut r = Response::html(
            303,
            html::page(
                "See other",
                &format!("<p>Go to <a href=\"{location}\">{location}</a>.</p>"),
            ),
        );
        r.headers.push(("Location".into(), location.to_string()));
        r
    }

    /// Adds a header field.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The first value of a header field.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The response's bytes; `close` adds `Connection: close`.
    pub fn to_bytes(&self, server: &str, close: bool) -> Vec<u8> {
        let mut s = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        s.push_str(&format!("Server: {server}\r\n"));
        for (n, v) in &self.headers {
            s.push_str(&format!("{n}: {v}\r\n"));
        }
        s.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        if close {
            s.push_str("Connection: close\r\n");
        }
        s.push_str("\r\n");
        let mut b = s.into_bytes();
        b.extend_from_slice(&self.body);
        b
    }
}

/// Header fields as httparse found them, as owned (name, value) pairs, values trimmed.
pub(crate) fn owned_fields(headers: &[httparse::Header]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The reason phrase of a status code (RFC 9110 §15).
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// `application/x-www-form-urlencoded` (WHATWG URL §5): `a=1&b=x+y%21`.
pub fn form_encode(fields: &[(String, String)]) -> Vec<u8> {
    let enc = |s: &str| {
        let mut o = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    o.push(b as char)
                }
                b' ' => o.push('+'),
                _ => o.push_str(&format!("%{b:02X}")),
            }
        }
        o
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// Decodes a form or query string; bad escapes are kept as they are.
pub fn form_decode(body: &[u8]) -> Vec<(String, String)> {
    let dec = |s: &[u8]| {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < s.len() => {
                    let hex = std::str::from_utf8(&s[i + 1..i + 3]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut it = p.splitn(2, |&b| b == b'=');
            let k = dec(it.next().unwrap_or_default());
            let v = dec(it.next().unwrap_or_default());
            (k, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_round_trip() {
        let f = vec![
            ("to".to_string(), "bob@b.example".to_string()),
            ("body".to_string(), "Hi Bob,\r\n50% off & more!".to_string()),
        ];
        let b = form_encode(&f);
        assert_eq!(
            String::from_utf8(b.clone()).unwrap(),
            "to=bob%40b.example&body=Hi+Bob%2C%0D%0A50%25+off+%26+more%21"
        );
        assert_eq!(form_decode(&b), f);
        assert_eq!(
            form_decode(b"a=%zz&b=%4"),
            vec![("a".into(), "%zz".into()), ("b".into(), "%4".into())]
        );
        let mut r = Request::new("GET", "/message?uid=2");
        r.headers.push(("Cookie".into(), "x=1; session=abc".into()));
        assert_eq!(r.cookie("session").as_deref(), Some("abc"));
        assert_eq!(r.path(), "/message");
        assert_eq!(r.query(), vec![("uid".into(), "2".into())]);
    }
}
