//! SMTP wire types (RFC 5321 §4.1): commands and replies, parsed from and emitted to bytes.

use std::borrow::Cow;
use std::fmt;

pub use super::address::{Address, is_domain};

/// An SMTP command (RFC 5321 §4.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `EHLO domain` — extended hello (§4.1.1.1).
    Ehlo(String),
    /// `HELO domain` — plain hello (§4.1.1.1).
    Helo(String),
    /// `MAIL FROM:<path> [params]` (§4.1.1.2); `None` is the null reverse-path `<>`.
    Mail {
        from: Option<Address>,
        params: Params,
    },
    /// `RCPT TO:<path> [params]` (§4.1.1.3).
    Rcpt { to: Address, params: Params },
    /// `DATA` (§4.1.1.4).
    Data,
    /// `RSET` (§4.1.1.5).
    Rset,
    /// `VRFY string` (§4.1.1.6).
    Vrfy(String),
    /// `HELP [string]` (§4.1.1.8).
    Help(Option<String>),
    /// `NOOP [string]` (§4.1.1.9).
    Noop(Option<String>),
    /// `QUIT` (§4.1.1.10).
    Quit,
    /// `AUTH mechanism [initial-response]` (RFC 4954 §4).
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
}

/// The ESMTP parameters of a MAIL or RCPT command (RFC 5321 §4.1.2 Mail-parameters): `KEY` or
/// `KEY=value`, keys upper-cased (they are case-insensitive), kept as the one string they are
/// written as, `SIZE=1234 BODY=8BITMIME`: one allocation for a MAIL's, none for none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(String);

impl Params {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each parameter in order: its key (upper-case) and its value, if it has one.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.0
            .split(' ')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (p, None),
            })
    }

    /// The value of parameter `key` (upper-case): `Some(None)` for a key without one.
    pub fn get(&self, key: &str) -> Option<Option<&str>> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Adds a parameter; its key is upper-cased.
    pub fn push(&mut self, key: &str, value: Option<&str>) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        let start = self.0.len();
        self.0.push_str(key);
        self.0[start..].make_ascii_uppercase();
        if let Some(v) = value {
            self.0.push('=');
            self.0.push_str(v);
        }
    }
}

/// Why a command line could not be parsed; each maps to a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The verb is not one this server knows: 500 5.5.2.
    Unknown(String),
    /// The verb is known but its arguments are wrong: 501 with this text.
    Syntax(&'static str),
}

impl Command {
    /// Parses one command line (without its CRLF). Verbs are case-insensitive (§2.4).
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        let line = std::str::from_utf8(line)
            .map_err(|_| CommandError::Syntax("5.5.2 commands must be text"))?;
        // A command is printable ASCII: a control character (a NUL, a bare CR) or a non-ASCII
        // one (this server offers no SMTPUTF8, RFC 6531) is refused before it can reach a reply
        // or a Received: line.
        if line
            .bytes()
            .any(|b| b != b'\t' && !(0x20..0x7f).contains(&b))
        {
            return Err(CommandError::Syntax(
                "5.5.2 commands must be printable ASCII text (no control characters; no SMTPUTF8 here)",
            ));
        }
        let (verb, rest) = match memchr::memchr(b' ', line.as_bytes()) {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, ""),
        };
        // Printable ASCII only (checked above): the ASCII trim is the whole trim.
        let arg = rest.trim_ascii();
        // Case-insensitive without allocating: the verb as one of the known ones, or "".
        let verb_up = crate::protocols::known_verb(verb.as_bytes());
        let verb_up = if verb_up.len() == verb.len() {
            verb_up
        } else {
            ""
        };
        match verb_up {
            "EHLO" | "HELO" => {
                if arg.is_empty() || arg.contains(' ') {
                    return Err(CommandError::Syntax(
                        "5.5.4 Syntax: EHLO/HELO followed by your domain name",
                    ));
                }
                // A domain has at most 255 octets (§4.5.3.1.2); the greeting echoes it.
                if arg.len() > 255 {
                    return Err(CommandError::Syntax(
                        "5.5.4 The name after EHLO/HELO is longer than a domain can be (255 octets)",
                    ));
                }
                Ok(if verb_up == "EHLO" {
                    Command::Ehlo(arg.to_string())
                } else {
                    Command::Helo(arg.to_string())
                })
            }
            "MAIL" => {
                let (path, params) = parse_path_arg(rest, "FROM:")
                    .ok_or(CommandError::Syntax("5.5.4 Syntax: MAIL FROM:<address>"))?;
                let from = if path.is_empty() {
                    None
                } else {
                    Some(
                        Address::parse(path)
                            .map_err(|_| CommandError::Syntax("5.1.7 Bad sender address syntax"))?,
                    )
                };
                Ok(Command::Mail { from, params })
            }
            "RCPT" => {
                let (path, params) = parse_path_arg(rest, "TO:")
                    .ok_or(CommandError::Syntax("5.5.4 Syntax: RCPT TO:<address>"))?;
                let to = Address::parse(path)
                    .map_err(|_| CommandError::Syntax("5.1.3 Bad recipient address syntax"))?;
                Ok(Command::Rcpt { to, params })
            }
            "DATA" | "RSET" | "QUIT" if !arg.is_empty() => {
                Err(CommandError::Syntax("5.5.4 This command takes no argument"))
            }
            "DATA" => Ok(Command::Data),
            "RSET" => Ok(Command::Rset),
            "QUIT" => Ok(Command::Quit),
            "VRFY" if arg.is_empty() => Err(CommandError::Syntax("5.5.4 Syntax: VRFY user")),
            "VRFY" => Ok(Command::Vrfy(arg.to_string())),
            "HELP" => Ok(Command::Help(non_empty(arg))),
            "AUTH" => {
                let mut words = arg.split_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (Some(m), initial, None) => Ok(Command::Auth {
                        mechanism: m.to_ascii_uppercase(),
                        initial: initial.map(str::to_string),
                    }),
                    _ => Err(CommandError::Syntax(
                        "5.5.4 Syntax: AUTH mechanism [initial-response]",
                    )),
                }
            }
            "NOOP" => Ok(Command::Noop(non_empty(arg))),
            _ => Err(CommandError::Unknown(verb.to_string())),
        }
    }

    /// Writes the command line, CRLF included.
    pub fn emit(&self, out: &mut Vec<u8>) {
        // Written straight into `out`: a client sends one of these per round trip.
        // One allocation at most: the line's length is known before it is written.
        let mut put = |parts: &[&str]| put(out, parts);
        match self {
            Command::Ehlo(d) => put(&["EHLO ", d]),
            Command::Helo(d) => put(&["HELO ", d]),
            Command::Mail { from, params } => {
                match from {
                    Some(a) => put(&["MAIL FROM:<", a.as_str(), ">"]),
                    None => put(&["MAIL FROM:<>"]),
                }
                emit_params(params, out);
            }
            Command::Rcpt { to, params } => {
                put(&["RCPT TO:<", to.as_str(), ">"]);
                emit_params(params, out);
            }
            Command::Data => put(&["DATA"]),
            Command::Rset => put(&["RSET"]),
            Command::Vrfy(s) => put(&["VRFY ", s]),
            Command::Help(None) => put(&["HELP"]),
            Command::Help(Some(s)) => put(&["HELP ", s]),
            Command::Noop(None) => put(&["NOOP"]),
            Command::Noop(Some(s)) => put(&["NOOP ", s]),
            Command::Quit => put(&["QUIT"]),
            Command::Auth {
                mechanism,
                initial: None,
            } => put(&["AUTH ", mechanism]),
            Command::Auth {
                mechanism,
                initial: Some(i),
            } => put(&["AUTH ", mechanism, " ", i]),
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The verb, upper-case.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::Mail { .. } => "MAIL",
            Command::Rcpt { .. } => "RCPT",
            Command::Data => "DATA",
            Command::Rset => "RSET",
            Command::Vrfy(_) => "VRFY",
            Command::Help(_) => "HELP",
            Command::Noop(_) => "NOOP",
            Command::Quit => "QUIT",
            Command::Auth { .. } => "AUTH",
        }
    }
}

/// Writes `EHLO name` (or `HELO name`) and CRLF, as [`Command::emit`] does, from a borrowed name.
pub fn emit_hello(ehlo: bool, name: &str, out: &mut Vec<u8>) {
    put(out, &[if ehlo { "EHLO " } else { "HELO " }, name, "\r\n"]);
}

/// Writes `MAIL FROM:<from>` with a `SIZE=` parameter when given, and CRLF, as [`Command::emit`]
/// does, without building the command (a client sends one per mail).
pub fn emit_mail(from: Option<&Address>, size: Option<usize>, out: &mut Vec<u8>) {
    match from {
        Some(a) => put(out, &["MAIL FROM:<", a.as_str(), ">"]),
        None => put(out, &["MAIL FROM:<>"]),
    }
    if let Some(n) = size {
        out.extend_from_slice(b" SIZE=");
        out.extend_from_slice(crate::engine::digits::decimal(n as u64).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes `RCPT TO:<to>` and CRLF, as [`Command::emit`] does, from a borrowed address.
pub fn emit_rcpt(to: &Address, out: &mut Vec<u8>) {
    put(out, &["RCPT TO:<", to.as_str(), ">\r\n"]);
}

/// Appends `parts` with one allocation at most.
fn put(out: &mut Vec<u8>, parts: &[&str]) {
    out.reserve(parts.iter().map(|p| p.len()).sum::<usize>() + 2);
    parts
        .iter()
        .for_each(|p| out.extend_from_slice(p.as_bytes()))
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn emit_params(params: &Params, out: &mut Vec<u8>) {
    for (k, v) in params.iter() {
        out.push(b' ');
        out.extend_from_slice(k.as_bytes());
        if let Some(v) = v {
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
        }
    }
}

/// Parses `FROM:<path> params` (the keyword case-insensitive, one optional space after the colon,
/// as many servers tolerate). Returns the path without brackets and the ESMTP parameters.
fn parse_path_arg<'a>(rest: &'a str, keyword: &str) -> Option<(&'a str, Params)> {
    if rest.len() < keyword.len() || !rest[..keyword.len()].eq_ignore_ascii_case(keyword) {
        return None;
    }
    let after = rest[keyword.len()..]
        .strip_prefix(' ')
        .unwrap_or(&rest[keyword.len()..]);
    let after = after.strip_prefix('<')?;
    let end = memchr::memchr(b'>', after.as_bytes())?;
    let path = &after[..end];
    // A source route (@a,@b:user@c) is accepted and ignored (RFC 5321 §4.1.2, appendix C).
    let path = match path.strip_prefix('@').and_then(|p| p.rfind(':')) {
        Some(i) => &path[i + 2..],
        None => path,
    };
    let tail = &after[end + 1..];
    if !tail.is_empty() && !tail.starts_with(' ') {
        return None;
    }
    Some((path, params_of(tail)))
}

/// The parameters after a path: words separated by spaces, `KEY` or `KEY=value`, as
/// [`Params`] keeps them (keys upper-cased, one space between). One pass over the characters
/// (a MAIL usually has one, SIZE; a RCPT none).
fn params_of(tail: &str) -> Params {
    // As long as the tail at most (nothing allocated for a command without parameters).
    let mut params = String::with_capacity(tail.trim_ascii().len());
    let (mut in_key, mut after_space) = (true, false);
    for c in tail.chars() {
        if c == ' ' {
            (in_key, after_space) = (true, true);
            continue;
        }
        if after_space && !params.is_empty() {
            params.push(' ');
        }
        after_space = false;
        if in_key && c == '=' {
            in_key = false;
        }
        params.push(if in_key { c.to_ascii_uppercase() } else { c });
    }
    Params(params)
}

/// An SMTP reply (RFC 5321 §4.2): a three-digit code and one or more lines of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply code, 200..=599.
    pub code: u16,
    /// The text of each line, without the code, the lines separated by `\n` (a reply line holds
    /// no line feed): one string, however many lines; borrowed when known in advance.
    text: Cow<'static, str>,
}

impl Reply {
    /// A one-line reply.
    pub fn new(code: u16, text: impl Into<Cow<'static, str>>) -> Reply {
        Reply {
            code,
            text: text.into(),
        }
    }

    /// A reply of these lines (at least one).
    pub fn multi<S: AsRef<str>>(code: u16, lines: impl IntoIterator<Item = S>) -> Reply {
        let mut text = String::new();
        for (i, line) in lines.into_iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(line.as_ref());
        }
        Reply {
            code,
            text: Cow::Owned(text),
        }
    }

    /// The text of each line, without the code.
    pub fn lines(&self) -> std::str::Split<'_, char> {
        self.text.split('\n')
    }

    /// Writes the reply: `250-first` … `250 last`, each ending in CRLF. Text that is not
    /// printable 7-bit (RFC 5321 §4.2: tab and 32–126) goes out as `?`, whatever put it there.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let code = [
            b'0' + (self.code / 100 % 10) as u8,
            b'0' + (self.code / 10 % 10) as u8,
            b'0' + (self.code % 10) as u8,
        ];
        out.reserve(self.text.len() + 6);
        let printable = |b: u8| b == b'\t' || (0x20..0x7f).contains(&b);
        // Line by line, each found with memchr (most replies are one line).
        let mut rest = self.text.as_bytes();
        loop {
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            out.extend_from_slice(&code);
            out.push(if next.is_none() { b' ' } else { b'-' });
            if line.iter().all(|&b| printable(b)) {
                out.extend_from_slice(line);
            } else {
                out.extend(line.iter().map(|&b| if printable(b) { b } else { b'?' }));
            }
            out.extend_from_slice(b"\r\n");
            match next {
                Some(r) => rest = r,
                None => break,
            }
        }
    }

    /// Whether the code is 2xx or 3xx.
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }

    /// Whether the code is 4xx: try again later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// The text of all lines joined with spaces.
    pub fn text(&self) -> String {
        self.text.replace('\n', " ")
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        for line in self.lines() {
            f.write_str(" ")?;
            f.write_str(line)?;
        }
        Ok(())
    }
}

/// A reply as the parser holds it, lent: its code and its lines (joined by `\n`), read in place
/// so that a client keeps (copies) only the replies it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyView<'a> {
    /// The reply code, 200..=599.
    pub code: u16,
    /// The lines' bytes as they came, joined by `\n`: read as text (bytes that are not UTF-8
    /// as U+FFFD) only when asked, since a client mostly needs the code alone.
    text: &'a [u8],
}

impl ReplyView<'_> {
    /// The text of each line, without the code.
    pub fn lines(&self) -> impl Iterator<Item = Cow<'_, str>> {
        self.text
            .split(|&b| b == b'\n')
            .map(String::from_utf8_lossy)
    }

    /// Whether the code is 2xx or 3xx.
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }

    /// The reply, to keep.
    pub fn to_reply(&self) -> Reply {
        Reply::new(self.code, String::from_utf8_lossy(self.text).into_owned())
    }
}

/// Assembles replies from lines, for the client side. Its text buffer is kept from reply to
/// reply: a client reads a dozen replies a session.
#[derive(Debug, Default, Clone)]
pub struct ReplyParser {
    /// The code of the reply being assembled (or just completed).
    code: Option<u16>,
    /// Its lines' bytes so far (as they came: see [`ReplyView`]), joined by `\n`.
    text: Vec<u8>,
    /// The last line fed completed it: the next line starts another.
    complete: bool,
}

impl ReplyParser {
    /// Feeds one line (without CRLF). Returns a reply when its last line arrived, or an error
    /// text when the line is not a reply line.
    pub fn feed(&mut self, line: &[u8]) -> Result<Option<Reply>, String> {
        Ok(self.feed_line(line)?.then(|| self.last().to_reply()))
    }

    /// Feeds one line (without CRLF), as [`ReplyParser::feed`] does; `true` when it completed a
    /// reply, which [`ReplyParser::last`] then lends.
    pub fn feed_line(&mut self, line: &[u8]) -> Result<bool, String> {
        if self.complete {
            self.complete = false;
            self.code = None;
            self.text.clear();
        }
        // The code and the separator are read from the bytes; the text is left as bytes until
        // someone reads it (callgrind: a UTF-8 check per line was 1.4% of a classroom run).
        let shown = || String::from_utf8_lossy(line);
        if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
            return Err(format!("not an SMTP reply line: {:?}", shown()));
        }
        let code = line[..3]
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
        if !(200..600).contains(&code) {
            return Err(format!("reply code {code} is out of range"));
        }
        let (last, body) = match line.get(3) {
            None => (true, &[][..]),
            Some(b' ') => (true, &line[4..]),
            Some(b'-') => (false, &line[4..]),
            Some(_) => return Err(format!("not an SMTP reply line: {:?}", shown())),
        };
        match self.code {
            Some(partial) if partial != code => {
                self.code = None;
                self.text.clear();
                return Err(format!("a multi-line reply changed its code to {code}"));
            }
            Some(_) => {
                self.text.push(b'\n');
                self.text.extend_from_slice(body);
            }
            None => {
                self.code = Some(code);
                if self.text.capacity() == 0 {
                    // Room for an EHLO reply's lines at once, kept for the session's replies.
                    self.text.reserve(body.len().max(256));
                }
                self.text.extend_from_slice(body);
            }
        }
        self.complete = last;
        Ok(last)
    }

    /// The reply the last line fed completed (see [`ReplyParser::feed_line`]).
    pub fn last(&self) -> ReplyView<'_> {
        ReplyView {
            code: self.code.unwrap_or_default(),
            text: &self.text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(line: &str) {
        let cmd = Command::parse(line.as_bytes()).unwrap();
        let mut out = Vec::new();
        cmd.emit(&mut out);
        assert_eq!(out, format!("{line}\r\n").into_bytes());
    }

    #[test]
    fn borrowed_writers_write_what_commands_do() {
        let a = Address::parse("alice@a.example").unwrap();
        let emitted = |c: Command| {
            let mut out = Vec::new();
            c.emit(&mut out);
            out
        };
        let written = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut out = b"before".to_vec();
            f(&mut out);
            out.split_off(6)
        };
        for ehlo in [true, false] {
            let name = "pc.a.example".to_string();
            let cmd = if ehlo {
                Command::Ehlo(name.clone())
            } else {
                Command::Helo(name.clone())
            };
            assert_eq!(written(&|o| emit_hello(ehlo, &name, o)), emitted(cmd));
        }
        for (from, size) in [
            (Some(&a), Some(1234)),
            (Some(&a), None),
            (None, Some(7)),
            (None, None),
        ] {
            let mut params = Params::default();
            if let Some(n) = size {
                params.push("SIZE", Some(&n.to_string()));
            }
            let cmd = Command::Mail {
                from: from.cloned(),
                params,
            };
            assert_eq!(written(&|o| emit_mail(from, size, o)), emitted(cmd));
        }
        let cmd = Command::Rcpt {
            to: a.clone(),
            params: Params::default(),
        };
        assert_eq!(written(&|o| emit_rcpt(&a, o)), emitted(cmd));
    }

    #[test]
    fn control_characters_are_refused_and_never_echoed() {
        for line in [
            &b"EHLO a\rb"[..],
            b"QUIT\0x",
            b"MAIL FROM:<a@b\x1b.example>",
            "EHLO f\u{3e6}".as_bytes(),
        ] {
            assert!(matches!(Command::parse(line), Err(CommandError::Syntax(_))));
        }
        assert!(Command::parse(b"EHLO a.example\t").is_ok(), "a tab is text");
        let long = format!("EHLO {}", "a".repeat(256));
        assert!(
            Command::parse(long.as_bytes()).is_err(),
            "longer than a domain"
        );
        let mut out = Vec::new();
        Reply::new(500, "5.5.2 x\0y\u{e9}").emit(&mut out);
        assert_eq!(out, b"500 5.5.2 x?y??\r\n");
    }

    #[test]
    fn commands_round_trip() {
        for line in [
            "EHLO alice-pc.a.example",
            "HELO x",
            "MAIL FROM:<alice@a.example>",
            "MAIL FROM:<>",
            "MAIL FROM:<a@b.example> SIZE=1234 BODY=8BITMIME",
            "RCPT TO:<bob@b.example>",
            "DATA",
            "RSET",
            "VRFY bob",
            "HELP",
            "NOOP",
            "QUIT",
        ] {
            round_trip(line);
        }
    }

    #[test]
    fn mail_parameters_keep_their_order_with_keys_upper_cased() {
        let Ok(Command::Mail { params, .. }) =
            Command::parse(b"MAIL FROM:<a@b.example>  size=1234 Body=8bitmime X-FLAG")
        else {
            panic!("MAIL with parameters did not parse")
        };
        assert_eq!(
            params.iter().collect::<Vec<_>>(),
            [
                ("SIZE", Some("1234")),
                ("BODY", Some("8bitmime")),
                ("X-FLAG", None)
            ]
        );
        assert_eq!(params.get("SIZE"), Some(Some("1234")));
        assert_eq!(params.get("X-FLAG"), Some(None));
        assert_eq!(params.get("size"), None);
        let mut out = Vec::new();
        Command::Mail { from: None, params }.emit(&mut out);
        assert_eq!(out, b"MAIL FROM:<> SIZE=1234 BODY=8bitmime X-FLAG\r\n");
        let Ok(Command::Rcpt { params, .. }) = Command::parse(b"RCPT TO:<a@b.example>") else {
            panic!("RCPT did not parse")
        };
        assert!(params.is_empty());
    }

    #[test]
    fn verbs_are_case_insensitive_and_space_after_colon_tolerated() {
        assert_eq!(
            Command::parse(b"mail from: <a@b.example>"),
            Ok(Command::Mail {
                from: Some(Address::parse("a@b.example").unwrap()),
                params: Params::default()
            })
        );
        assert_eq!(Command::parse(b"qUiT"), Ok(Command::Quit));
    }

    #[test]
    fn bad_commands() {
        assert_eq!(
            Command::parse(b"FOO bar"),
            Err(CommandError::Unknown("FOO".into()))
        );
        assert!(matches!(
            Command::parse(b"MAIL alice"),
            Err(CommandError::Syntax(_))
        ));
        assert!(matches!(
            Command::parse(b"RCPT TO:<bob>"),
            Err(CommandError::Syntax(_))
        ));
        assert!(matches!(
            Command::parse(b"EHLO"),
            Err(CommandError::Syntax(_))
        ));
        assert!(matches!(
            Command::parse(b"DATA now"),
            Err(CommandError::Syntax(_))
        ));
    }

    #[test]
    fn reply_bytes_that_are_not_utf8_read_as_replacement_characters() {
        let mut p = ReplyParser::default();
        assert_eq!(p.feed_line(b"250-caf\xe9"), Ok(false));
        assert_eq!(p.feed_line(b"250 ok \xff"), Ok(true));
        let v = p.last();
        assert_eq!(
            v.lines().collect::<Vec<_>>(),
            ["caf\u{fffd}", "ok \u{fffd}"]
        );
        assert_eq!(
            v.to_reply().lines().collect::<Vec<_>>(),
            ["caf\u{fffd}", "ok \u{fffd}"]
        );
        assert_eq!(
            p.feed_line(b"2x\xff"),
            Err("not an SMTP reply line: \"2x\u{fffd}\"".to_string())
        );
    }

    #[test]
    fn reply_text_that_is_not_printable_7_bit_goes_out_as_question_marks() {
        // RFC 5321 §4.2: tab and 32-126 only. Each other byte (a control character, each byte
        // of a UTF-8 letter) is written as `?`, on every line.
        let mut out = Vec::new();
        Reply::multi(250, ["caf\u{e9}\tok", "bell\x07 and \x7f"]).emit(&mut out);
        assert_eq!(out, b"250-caf??\tok\r\n250 bell? and ?\r\n");
    }

    #[test]
    fn replies_round_trip_and_parse_multiline() {
        let r = Reply::multi(250, ["mx.b.example", "SIZE 10240000", "PIPELINING"]);
        assert_eq!(
            r.lines().collect::<Vec<_>>(),
            ["mx.b.example", "SIZE 10240000", "PIPELINING"]
        );
        assert_eq!(r.to_string(), "250 mx.b.example SIZE 10240000 PIPELINING");
        let mut out = Vec::new();
        r.emit(&mut out);
        assert_eq!(
            out,
            b"250-mx.b.example\r\n250-SIZE 10240000\r\n250 PIPELINING\r\n"
        );
        let mut p = ReplyParser::default();
        let mut got = None;
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            got = p.feed(&line[..line.len() - 1]).unwrap();
        }
        assert_eq!(got, Some(r));
        assert!(p.feed(b"hello").is_err());
        assert_eq!(p.feed(b"221").unwrap(), Some(Reply::new(221, "")));
    }

    /// [`params_of`] as first written: split at spaces, then each word at its first `=`.
    fn params_by_words(tail: &str) -> Params {
        let mut params = Params(String::new());
        for p in tail.split(' ').filter(|p| !p.is_empty()) {
            match p.split_once('=') {
                Some((k, v)) => params.push(k, Some(v)),
                None => params.push(p, None),
            }
        }
        params
    }

    proptest::proptest! {
        #[test]
        fn params_in_one_pass_are_as_split_word_by_word(tail in "[ a-cA-C=\t1.]{0,16}") {
            proptest::prop_assert_eq!(params_of(&tail), params_by_words(&tail), "{:?}", tail);
        }
    }

    #[test]
    fn a_source_route_is_dropped_from_the_path() {
        let cmd = Command::parse(b"RCPT TO:<@relay.example,@b.example:bob@b.example>").unwrap();
        let Command::Rcpt { to, .. } = cmd else {
            panic!("{cmd:?}")
        };
        assert_eq!(to.as_str(), "bob@b.example");
        // A colon in a path that is not a source route is left to the address (which refuses it).
        assert!(Command::parse(b"RCPT TO:<bo:b@b.example>").is_err());
    }
}
