//! What IMAP FETCH needs from a stored RFC 5322 message: its header fields, its MIME parts, the
//! ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2) and the bytes of a section (§6.4.5).
//!
//! A small reader of our own: it never fails (a message that is not well-formed MIME is one
//! text/plain part), never allocates more than the message, and recurses at most [`MAX_DEPTH`].

use crate::engine::time::{civil_from_days, month_abbrev};

const MAX_DEPTH: usize = 8;

/// A message or body part: its header block and its body.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    /// The header block, including its final CRLF (not the empty line).
    pub header: &'a [u8],
    /// The body after the empty line.
    pub body: &'a [u8],
}

impl<'a> Part<'a> {
    /// Splits `bytes` at the first empty line; no empty line means all header (RFC 5322 §2.1).
    pub fn parse(bytes: &'a [u8]) -> Part<'a> {
        if bytes.starts_with(b"\r\n") {
            return Part {
                header: &bytes[..0],
                body: &bytes[2..],
            };
        }
        match find(bytes, b"\r\n\r\n") {
            Some(i) => Part {
                header: &bytes[..i + 2],
                body: &bytes[i + 4..],
            },
            None => Part {
                header: bytes,
                body: &bytes[bytes.len()..],
            },
        }
    }

    /// The header block as sent, with the empty line that ends it (`BODY[HEADER]`).
    pub fn header_section(&self) -> Vec<u8> {
        let mut v = self.header.to_vec();
        v.extend_from_slice(b"\r\n");
        v
    }

    /// The unfolded value of the first field called `name`.
    pub fn field(&self, name: &str) -> Option<String> {
        fields(self.header)
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, raw)| unfold(raw))
    }

    /// A field's value as its bytes, unfolded and trimmed (8-bit bytes as they are).
    pub fn field_bytes(&self, name: &str) -> Option<Vec<u8>> {
        fields(self.header)
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, raw)| {
                let v: Vec<u8> = raw
                    .iter()
                    .copied()
                    .filter(|&b| b != b'\r' && b != b'\n')
                    .collect();
                v.trim_ascii().to_vec()
            })
    }

    /// `BODY[HEADER.FIELDS (...)]` (or `.NOT` with `not`): the chosen fields as sent, then CRLF.
    pub fn header_fields(&self, names: &[String], not: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = self.header;
        while !rest.is_empty() {
            let len = field_len(rest);
            let (f, r) = rest.split_at(len);
            let name = f.split(|&b| b == b':').next().unwrap_or_default();
            let name = String::from_utf8_lossy(name);
            let listed = names.iter().any(|n| n.eq_ignore_ascii_case(name.trim()));
            if listed != not {
                out.extend_from_slice(f);
            }
            rest = r;
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// The content type, lower-cased, and its parameters; text/plain when absent (RFC 2045 §5.2).
    pub fn content_type(&self) -> (String, String, Vec<(String, String)>) {
        let Some(v) = self.field("Content-Type") else {
            return (
                "text".into(),
                "plain".into(),
                vec![("charset".into(), "us-ascii".into())],
            );
        };
        let mut items = split_params(&v);
        let ty = items.remove(0).0;
        let (t, s) = ty.split_once('/').unwrap_or(("text", "plain"));
        (
            t.trim().to_ascii_lowercase(),
            s.trim().to_ascii_lowercase(),
            items,
        )
    }

    /// The parts of a multipart body (none if this is not multipart or has no boundary).
    pub fn children(&self) -> Vec<Part<'a>> {
        let (t, _, params) = self.content_type();
        if t != "multipart" {
            return Vec::new();
        }
        let Some((_, boundary)) = params.iter().find(|(k, _)| k == "boundary") else {
            return Vec::new();
        };
        let delim = format!("--{boundary}");
        let mut parts = Vec::new();
        let mut starts = Vec::new();
        let body = self.body;
        let mut i = 0;
        while let Some(off) = find(&body[i..], delim.as_bytes()) {
            let at = i + off;
            // A delimiter starts a line.
            if at == 0 || body[..at].ends_with(b"\r\n") {
                let after = at + delim.len();
                let end = body[after..].starts_with(b"--");
                starts.push((at, after, end));
                if end {
                    break;
                }
            }
            i = at + delim.len();
        }
        for w in starts.windows(2) {
            let (_, after, end) = w[0];
            if end {
                break;
            }
            let start = match find(&body[after..], b"\r\n") {
                Some(n) => after + n + 2,
                None => continue,
            };
            // The CRLF before the next delimiter belongs to the delimiter.
            let stop = w[1].0.saturating_sub(2).max(start);
            parts.push(Part::parse(&body[start..stop]));
        }
        parts
    }

    /// The part numbered `path` (1-based, RFC 3501 §6.4.5): in a message that is not multipart,
    /// part 1 is its body.
    pub fn part(&self, path: &[u32]) -> Option<Part<'a>> {
        let Some((&first, rest)) = path.split_first() else {
            return Some(*self);
        };
        let children = self.children();
        let child = if children.is_empty() {
            (first == 1).then_some(*self)?
        } else {
            *children.get(first as usize - 1)?
        };
        if rest.is_empty() {
            Some(child)
        } else {
            child.part(rest)
        }
    }
}

/// ENVELOPE (RFC 3501 §7.4.2): date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
/// message-id. The header's bytes go out as they came, 8-bit ones too (in a literal that counts
/// them): while the envelope is put together each byte is one character (Latin-1), and it is
/// turned back into those bytes at the end.
pub fn envelope(msg: &Part) -> Vec<u8> {
    let e = Enc::Bytes;
    let field = |name: &str| {
        msg.field_bytes(name)
            .map(|b| b.iter().map(|&c| char::from(c)).collect::<String>())
    };
    let s = |name: &str| nstring_in(field(name).as_deref(), e);
    let from = addresses(field("From").as_deref(), e);
    let sender = match field("Sender") {
        Some(v) => addresses(Some(&v), e),
        None => from.clone(),
    };
    let reply_to = match field("Reply-To") {
        Some(v) => addresses(Some(&v), e),
        None => from.clone(),
    };
    let text = format!(
        "({} {} {from} {sender} {reply_to} {} {} {} {} {})",
        s("Date"),
        s("Subject"),
        addresses(field("To").as_deref(), e),
        addresses(field("Cc").as_deref(), e),
        addresses(field("Bcc").as_deref(), e),
        s("In-Reply-To"),
        s("Message-ID"),
    );
    // Every character is a header byte or ASCII.
    text.chars().map(|c| c as u32 as u8).collect()
}

/// What a string's characters stand for, so that a literal counts what will be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    /// Text, sent as UTF-8.
    Utf8,
    /// Bytes, one per character (Latin-1).
    Bytes,
}

/// BODYSTRUCTURE (with `extensible`) or BODY: the MIME tree in IMAP's syntax.
pub fn body_structure(part: &Part, extensible: bool) -> String {
    structure(part, extensible, 0)
}

fn structure(part: &Part, ext: bool, depth: usize) -> String {
    let (t, sub, params) = part.content_type();
    let children = if depth < MAX_DEPTH {
        part.children()
    } else {
        Vec::new()
    };
    if !children.is_empty() {
        let mut s = String::from("(");
        for c in &children {
            s.push_str(&structure(c, ext, depth + 1));
        }
        s.push_str(&format!(" {}", quote(&sub.to_ascii_uppercase())));
        if ext {
            s.push_str(&format!(" {} NIL NIL", param_list(&params)));
        }
        s.push(')');
        return s;
    }
    let id = nstring(part.field("Content-ID").as_deref());
    let desc = nstring(part.field("Content-Description").as_deref());
    let enc = part
        .field("Content-Transfer-Encoding")
        .map(|e| e.trim().to_ascii_uppercase())
        .unwrap_or_else(|| "7BIT".into());
    let mut s = format!(
        "({} {} {} {id} {desc} {} {}",
        quote(&t.to_ascii_uppercase()),
        quote(&sub.to_ascii_uppercase()),
        param_list(&params),
        quote(&enc),
        part.body.len()
    );
    if t == "text" {
        s.push_str(&format!(" {}", lines(part.body)));
    }
    if ext {
        s.push_str(" NIL NIL NIL");
    }
    s.push(')');
    s
}

fn lines(b: &[u8]) -> usize {
    let n = b.iter().filter(|&&c| c == b'\n').count();
    if b.is_empty() || b.ends_with(b"\n") {
        n
    } else {
        n + 1
    }
}

fn param_list(params: &[(String, String)]) -> String {
    if params.is_empty() {
        return "NIL".into();
    }
    let items: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{} {}", quote(&k.to_ascii_uppercase()), quote(v)))
        .collect();
    format!("({})", items.join(" "))
}

/// `"text"` with `\` and `"` escaped, or a literal if it holds CR, LF or 8-bit bytes; `NIL` for
/// none (RFC 3501 §4.3, §4.5).
pub fn nstring(s: Option<&str>) -> String {
    nstring_in(s, Enc::Utf8)
}

fn nstring_in(s: Option<&str>, e: Enc) -> String {
    match s {
        Some(s) => quote_in(s, e),
        None => "NIL".into(),
    }
}

/// A quoted string or, where a quoted string cannot carry the text, a literal.
pub fn quote(s: &str) -> String {
    quote_in(s, Enc::Utf8)
}

fn quote_in(s: &str, e: Enc) -> String {
    if s.bytes()
        .any(|b| b == b'\r' || b == b'\n' || b >= 0x80 || b == 0)
    {
        let clean: String = s.chars().filter(|&c| c != '\0').collect();
        let n = match e {
            Enc::Utf8 => clean.len(),
            Enc::Bytes => clean.chars().count(),
        };
        return format!("{{{n}}}\r\n{clean}");
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// An address list: `((name NIL mailbox host) ...)` or NIL.
fn addresses(v: Option<&str>, e: Enc) -> String {
    let Some(v) = v else { return "NIL".into() };
    let mut out = Vec::new();
    for item in split_addresses(v) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (name, addr) = match (item.rfind('<'), item.rfind('>')) {
            (Some(a), Some(b)) if a < b => {
                let name = item[..a].trim().trim_matches('"').trim();
                ((!name.is_empty()).then_some(name), item[a + 1..b].trim())
            }
            _ => (None, item),
        };
        let (local, domain) = addr.rsplit_once('@').unwrap_or((addr, ""));
        out.push(format!(
            "({} NIL {} {})",
            nstring_in(name, e),
            quote_in(local, e),
            if domain.is_empty() {
                "NIL".into()
            } else {
                quote_in(domain, e)
            }
        ));
    }
    if out.is_empty() {
        "NIL".into()
    } else {
        format!("({})", out.concat())
    }
}

/// Splits an address list at commas outside quotes and angle brackets.
fn split_addresses(v: &str) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut angle) = (Vec::new(), 0, false, false);
    for (i, c) in v.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                parts.push(&v[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&v[start..]);
    parts
}

/// `type/sub; k=v; k="v"` → [(type/sub, ""), (k, v), ...], keys lower-cased.
fn split_params(v: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (mut cur, mut quoted) = (String::new(), false);
    let mut items = Vec::new();
    for c in v.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => items.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    items.push(cur);
    for (i, item) in items.iter().enumerate() {
        if i == 0 {
            out.push((item.trim().to_string(), String::new()));
        } else if let Some((k, val)) = item.split_once('=') {
            out.push((k.trim().to_ascii_lowercase(), val.trim().to_string()));
        }
    }
    out
}

/// The header's fields as (name, raw value with folding).
fn fields(header: &[u8]) -> impl Iterator<Item = (String, &[u8])> {
    let mut rest = header;
    std::iter::from_fn(move || {
        while !rest.is_empty() {
            let len = field_len(rest);
            let (f, r) = rest.split_at(len);
            rest = r;
            if let Some(colon) = f.iter().position(|&b| b == b':') {
                let name = String::from_utf8_lossy(&f[..colon]).trim().to_string();
                return Some((name, &f[colon + 1..]));
            }
        }
        None
    })
}

/// The length of the field at the start of `h`, with its continuation lines.
fn field_len(h: &[u8]) -> usize {
    let mut i = 0;
    loop {
        match find(&h[i..], b"\r\n") {
            Some(n) => {
                i += n + 2;
                if !matches!(h.get(i), Some(b' ' | b'\t')) {
                    return i;
                }
            }
            None => return h.len(),
        }
    }
}

fn unfold(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    s.replace("\r\n", "").trim().to_string()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// INTERNALDATE's form: `27-Nov-2026 13:09:09 +0000` (RFC 3501 §9, date-time).
pub fn internal_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let month = month_abbrev(m);
    format!(
        "{d:02}-{month}-{y} {:02}:{:02}:{:02} +0000",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: \"Alice (User A)\" <alice@a.example>\r\nTo: bob@b.example, \"Carol, C.\" <carol@c.example>\r\nSubject: Lunch\r\n on Friday?\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\nMessage-ID: <1@a.example>\r\n\r\nHi Bob,\r\nsee you\r\n";

    #[test]
    fn envelope_and_structure_of_a_plain_message() {
        let p = Part::parse(MSG);
        assert_eq!(p.field("subject").as_deref(), Some("Lunch on Friday?"));
        assert_eq!(
            String::from_utf8(envelope(&p)).unwrap(),
            "(\"Fri, 27 Nov 2026 09:00:00 +0000\" \"Lunch on Friday?\" ((\"Alice (User A)\" NIL \"alice\" \"a.example\")) ((\"Alice (User A)\" NIL \"alice\" \"a.example\")) ((\"Alice (User A)\" NIL \"alice\" \"a.example\")) ((NIL NIL \"bob\" \"b.example\")(\"Carol, C.\" NIL \"carol\" \"c.example\")) NIL NIL NIL \"<1@a.example>\")"
        );
        assert_eq!(
            body_structure(&p, false),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 18 2)"
        );
        assert_eq!(p.part(&[1]).unwrap().body, b"Hi Bob,\r\nsee you\r\n");
        assert!(p.part(&[2]).is_none());
        assert_eq!(
            p.header_fields(&["SUBJECT".into()], false),
            b"Subject: Lunch\r\n on Friday?\r\n\r\n"
        );
    }

    #[test]
    fn multipart_parts_are_numbered() {
        let m = b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\none\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>two</p>\r\n--b1--\r\n";
        let p = Part::parse(m);
        assert_eq!(p.children().len(), 2);
        assert_eq!(p.part(&[1]).unwrap().body, b"one");
        assert_eq!(p.part(&[2]).unwrap().body, b"<p>two</p>");
        let s = body_structure(&p, true);
        assert!(s.starts_with("((\"TEXT\" \"PLAIN\""), "{s}");
        assert!(
            s.contains(" \"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL)"),
            "{s}"
        );
    }

    #[test]
    fn odd_input_does_not_break_it() {
        for m in [
            &b""[..],
            b"\r\n",
            b"no colon here",
            b"A: b\r\n folded",
            b"Content-Type: multipart/x; boundary=z\r\n\r\n--z\r\n--z--",
        ] {
            let p = Part::parse(m);
            let _ = (envelope(&p), body_structure(&p, true), p.part(&[1, 1]));
        }
        assert_eq!(quote("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(quote("café"), "{5}\r\ncafé");
    }

    #[test]
    fn an_envelope_carries_8_bit_header_bytes_as_they_are() {
        // Latin-1 (not UTF-8) in the subject and a name: the literals count the bytes sent.
        let p = Part::parse(b"Subject: caf\xe9\r\nFrom: Jos\xe9 <jose@a.example>\r\n\r\nx\r\n");
        let e = envelope(&p);
        let want: &[u8] = b"(NIL {4}\r\ncaf\xe9 (({4}\r\nJos\xe9 NIL \"jose\" \"a.example\"))";
        assert!(e.starts_with(want), "{}", String::from_utf8_lossy(&e));
        // UTF-8 stays UTF-8: two bytes for the é, counted as two.
        let p = Part::parse("Subject: café\r\n\r\n".as_bytes());
        assert!(envelope(&p).starts_with("(NIL {5}\r\ncafé NIL".as_bytes()));
        assert_eq!(internal_date(1_795_770_000), "27-Nov-2026 09:00:00 +0000");
        assert_eq!(internal_date(0), "01-Jan-1970 00:00:00 +0000");
    }
}
