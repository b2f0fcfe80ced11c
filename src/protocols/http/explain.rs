//! Plain-language notes and RFC sections for HTTP requests and responses.

use crate::protocols::{Explanation, ex};

/// Explains a segment the browser sent.
pub fn client_bytes(bytes: &[u8]) -> &'static Explanation {
    let line = bytes.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    match (method, target) {
        ("POST", "/login") => ex!(
            "sends the login form: user name and password as form fields, readable by anyone on the path without HTTPS",
            "RFC 9110 §9.3.3; HTML form submission",
        ),
        ("POST", "/send") => ex!(
            "sends the filled-in compose form; the webmail server will turn it into an email",
            "RFC 9110 §9.3.3",
        ),
        ("POST", "/logout") => ex!(
            "presses Log out: a form, so it carries the session's token; a mere link could be followed from any page",
            "RFC 9110 §9.3.3",
        ),
        ("POST", _) => ex!("sends a form to the server", "RFC 9110 §9.3.3"),
        ("GET", t) if t.starts_with("/compose") => ex!(
            "asks for the compose page, a form with To, Subject and the text",
            "RFC 9110 §9.3.1",
        ),
        ("GET", t) if t.starts_with("/inbox") => ex!(
            "asks for the inbox page; the cookie tells the server who is logged in",
            "RFC 9110 §9.3.1; RFC 6265 §5.4",
        ),
        ("GET", _) => ex!(
            "asks for a page: the browser's request line, Host and header fields",
            "RFC 9110 §9.3.1; RFC 9112 §3",
        ),
        _ if line.is_empty() => ex!("request data", "RFC 9112 §6"),
        _ => ex!("an HTTP request", "RFC 9112 §3"),
    }
}

/// Explains a segment the server sent.
pub fn server_bytes(bytes: &[u8]) -> &'static Explanation {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .unwrap_or("");
    let cookie = text.contains("\r\nSet-Cookie:");
    match status {
        "200" => ex!(
            "200 OK: here is the page, HTML with its Content-Type and Content-Length",
            "RFC 9110 §15.3.1",
        ),
        "303" if text.contains("\r\nSet-Cookie: session=;") => ex!(
            "303 See Other with an empty, expired session cookie: logged out; the browser forgets the cookie and GETs the page named by Location",
            "RFC 9110 §15.4.4; RFC 6265 §5.3",
        ),
        "303" if cookie => ex!(
            "303 See Other with Set-Cookie: logged in; the browser keeps the session cookie and GETs the page named by Location",
            "RFC 9110 §15.4.4; RFC 6265 §4.1",
        ),
        "303" => ex!(
            "303 See Other: the form was handled; the browser now GETs the page named by Location",
            "RFC 9110 §15.4.4",
        ),
        "400" => ex!(
            "400 Bad Request: the request was not valid HTTP",
            "RFC 9110 §15.5.1",
        ),
        "401" => ex!("401: not logged in", "RFC 9110 §15.5.2"),
        "403" => ex!(
            "403 Forbidden: the form came from another site's page or without this session's token (cross-site request forgery); nothing was done",
            "RFC 9110 §15.5.4",
        ),
        "404" => ex!("404 Not Found: no page at this address", "RFC 9110 §15.5.5"),
        "405" => ex!(
            "405 Method Not Allowed: this page takes another method (see Allow)",
            "RFC 9110 §15.5.6",
        ),
        "413" | "431" => ex!("the request is too large", "RFC 9110 §15.5.14; RFC 6585 §5"),
        "502" => ex!(
            "502 Bad Gateway: the webmail server could not reach the mail server behind it",
            "RFC 9110 §15.6.3",
        ),
        s if s.starts_with('5') => ex!("a server error", "RFC 9110 §15.6"),
        _ if status.is_empty() => ex!("the rest of the response body", "RFC 9112 §6"),
        _ => ex!("an HTTP response", "RFC 9110 §15"),
    }
}
