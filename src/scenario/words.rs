//! A teacher's words for what the TOML reader reports: "`colour` is not a setting of `[[host]]`;
//! did you mean `color`?" rather than "unknown field", "invalid type" or "expected a sequence".
//! Each error says what to write, with an example of the setting it is about.

use std::ops::Range;

/// What one setting holds, as an example line a teacher can copy.
const EXAMPLES: &[(&str, &str)] = &[
    ("format", "format = 1"),
    ("title", "title = \"How email travels\""),
    ("description", "description = \"Alice writes to Bob\""),
    ("seed", "seed = 7"),
    ("start", "start = 2025-03-03T08:00:00Z"),
    ("name", "name = \"mail.b.example\""),
    ("label", "label = \"Bob's provider\""),
    ("ip", "ip = \"192.0.2.20\""),
    ("kind", "kind = \"server\""),
    ("services", "services = [\"smtp\", \"pop3\"]"),
    ("domain", "domain = \"b.example\""),
    (
        "accounts",
        "accounts = [{ user = \"bob\", password = \"secret\" }]",
    ),
    ("user", "user = \"bob\""),
    ("password", "password = \"secret\""),
    ("resolver", "resolver = \"dns.example\""),
    ("position", "position = [0.3, 0.5]"),
    ("address", "address = \"alice@a.example\""),
    ("outgoing", "outgoing = \"mail.a.example\""),
    ("outgoing_port", "outgoing_port = 587"),
    ("incoming", "incoming = \"mail.a.example\""),
    ("incoming_port", "incoming_port = 110"),
    ("incoming_protocol", "incoming_protocol = \"imap\""),
    ("keep_on_server", "keep_on_server = true"),
    ("idle", "idle = true"),
    ("ehlo", "ehlo = false"),
    ("user_agent", "user_agent = \"Thunderbird 128\""),
    ("style", "style = \"thunderbird\""),
    ("type", "type = \"MX\""),
    ("preference", "preference = 10"),
    ("exchange", "exchange = \"mail.b.example\""),
    (
        "between",
        "between = [\"pc.a.example\", \"mail.a.example\"]",
    ),
    ("latency", "latency = \"20ms\""),
    ("jitter", "jitter = \"2ms\""),
    ("at", "at = \"4s\""),
    ("action", "action = \"send\""),
    ("host", "host = \"alice-pc.a.example\""),
    ("narration", "narration = \"Alice presses Send.\""),
    ("to", "to = [\"bob@b.example\"]"),
    ("cc", "cc = [\"carol@c.example\"]"),
    ("bcc", "bcc = [\"dave@d.example\"]"),
    ("subject", "subject = \"Lunch on Friday?\""),
    ("body", "body = \"See you at noon.\""),
    ("server", "server = \"mail.b.example\""),
    ("method", "method = \"POST\""),
    ("path", "path = \"/send\""),
    (
        "form",
        "form = { to = \"bob@b.example\", subject = \"Hi\" }",
    ),
    ("mailbox", "mailbox = \"bob@b.example\""),
    ("inbox", "inbox = \"bob-pc.b.example\""),
    ("queue", "queue = \"mail.a.example\""),
    ("count", "count = 2"),
    ("flags", "flags = [\"\\\\Seen\"]"),
    ("from", "from = \"10s\""),
    ("until", "until = \"40s\""),
    ("permanent", "permanent = true"),
    ("peer", "peer = \"mail.a.example\""),
    ("rate", "rate = 0.3"),
    ("on", "on = \"dns query\""),
];

/// Settings that hold a time: written in quotes with a unit.
const TIMES: &[&str] = &["at", "from", "until", "latency", "jitter"];

/// The example line for setting `key`, if there is one.
pub fn example(key: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(k, _)| *k == key).map(|(_, e)| *e)
}

/// What a teacher should write for a time that is not one: the same words whether the file says
/// `at = 4` or `at = "4"`.
pub fn not_a_time(key: &str, value: &str) -> (String, String) {
    let v = value.trim().trim_matches('"');
    let number = !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.');
    let message = if number {
        format!("`{v}` is not a time: it has no unit")
    } else {
        format!("`{v}` is not a time")
    };
    let n = if number { v } else { "4" };
    let key = if key.is_empty() { "at" } else { key };
    (
        message,
        format!("write it in quotes with a unit, like `{key} = \"{n}s\"` (or `250ms`, `2m`)"),
    )
}

/// The closest of `known` to `word`, if it is close enough to be a slip of the keyboard:
/// `keep_on_sever` → `keep_on_server`, `imap4` → `imap`.
pub fn did_you_mean<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let kl = k.to_ascii_lowercase();
        let d = if kl.starts_with(&w) || w.starts_with(&kl) {
            // A prefix (`imap4`, `keep`) is close whatever its length.
            w.len().abs_diff(kl.len()).min(2)
        } else {
            distance(&w, &kl)
        };
        let limit = (kl.chars().count().max(w.chars().count()) / 3).clamp(1, 3);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

/// Levenshtein distance with adjacent swaps counted as one edit (`recieve` → `receive`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// "did you mean `x`?" or, with no close one, the list to choose from.
pub fn suggest(word: &str, known: &[&str], what: &str) -> String {
    match did_you_mean(word, known) {
        Some(k) => format!("did you mean `{k}`? ({what}: {})", known.join(", ")),
        None => format!("{what}: {}", known.join(", ")),
    }
}

/// The setting (`key = …`) the byte at `at` belongs to: the last `key =` before it on its line,
/// or the key of the list or inline table it is inside.
pub fn key_at(source: &str, at: usize) -> String {
    let at = floor_boundary(source, at.min(source.len()));
    let line_start = source[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = &source[line_start..at];
    // The nearest `=` before the value, outside quotes: `to = ["a", 4]` → `to`.
    let mut key = None;
    let bytes = before.as_bytes();
    let mut in_str = false;
    let mut eqs = Vec::new();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'"' | b'\'' => in_str = !in_str,
            b'=' if !in_str => eqs.push(i),
            _ => {}
        }
    }
    if let Some(&eq) = eqs.last() {
        let head = before[..eq].trim_end();
        let start = head
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let k = &head[start..];
        key = Some(k.rsplit('.').next().unwrap_or(k).to_string());
    }
    key.unwrap_or_default()
}

/// The table a byte is in, as the file writes its header (`[[host]]`, `[host.client]`), or `None`
/// at the top of the file.
pub fn table_at(source: &str, at: usize) -> Option<String> {
    let at = floor_boundary(source, at.min(source.len()));
    source[..at]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| {
            let end = l.rfind(']').map(|i| i + 1).unwrap_or(l.len());
            l[..end].to_string()
        })
}

/// The table a key at byte `at` is in. A key in a table's header (`package` in `[package]`,
/// `clent` in `[host.clent]`) is in the table its header's dots name, not in the one above it.
fn table_of(source: &str, at: usize) -> Option<String> {
    let at = floor_boundary(source, at.min(source.len()));
    let line_start = source[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = source[line_start..at].trim_start();
    if !before.starts_with('[') {
        return table_at(source, at);
    }
    let parent = before
        .trim_start_matches('[')
        .trim()
        .trim_end_matches('.')
        .trim();
    if parent.is_empty() {
        None
    } else if source.contains(&format!("[[{parent}]]")) {
        Some(format!("[[{parent}]]"))
    } else {
        Some(format!("[{parent}]"))
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The names inside backquotes in a serde message: "expected one of `a`, `b`" → `["a", "b"]`.
fn quoted(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// What a value of serde's `expected` kind looks like, for the message "`key` needs …".
fn kind_words(expected: &str) -> &'static str {
    let e = expected.trim();
    if e.contains("sequence") {
        "a list in square brackets"
    } else if e.contains("datetime") {
        "a date and time, written without quotes"
    } else if e.contains("string") {
        "text in quotes"
    } else if e.contains("bool") {
        "`true` or `false`, without quotes"
    } else if e.contains("f32") || e.contains("f64") || e.contains("float") {
        "a number, without quotes"
    } else if e.contains("i64")
        || e.contains("u64")
        || e.contains("u16")
        || e.contains("u32")
        || e.contains("usize")
        || e.contains("integer")
    {
        "a whole number, without quotes"
    } else if e.contains("map") || e.contains("struct") || e.contains("table") {
        "a table (a `[section]` or `{ key = value, … }`)"
    } else {
        "a different kind of value"
    }
}

/// What each list of choices is called, by the setting that holds it.
fn choice_name(key: &str) -> &'static str {
    match key {
        "services" => "the services are",
        "incoming_protocol" => "the protocols are",
        "kind" => "the kinds of host are",
        "style" => "the styles are",
        _ => "the choices are",
    }
}

/// Rewrites an error of the TOML reader in a teacher's words: the message and a hint with what to
/// write. `span` is where the reader pointed.
pub fn rewrite(source: &str, span: &Range<usize>, message: &str) -> (String, Option<String>) {
    let m = message.trim();
    let key = key_at(source, span.start);
    let here = match table_of(source, span.start) {
        Some(t) => format!("of `{t}`"),
        None => "at the top of the file".to_string(),
    };
    if let Some(rest) = m.strip_prefix("unknown field ") {
        let names = quoted(rest);
        let word = names.first().copied().unwrap_or("");
        let known = &names[1.min(names.len())..];
        let message = format!("`{word}` is not a setting {here}");
        let hint = if known.is_empty() {
            "this table takes no settings".to_string()
        } else {
            suggest(word, known, "the settings here are")
        };
        return (message, Some(hint));
    }
    if let Some(rest) = m.strip_prefix("unknown variant ") {
        let names = quoted(rest);
        let word = names.first().copied().unwrap_or("");
        let known = &names[1.min(names.len())..];
        let what = match key.as_str() {
            "services" => "a service",
            "incoming_protocol" => "a protocol for fetching mail",
            "kind" => "a kind of host",
            "style" => "a style of mail program",
            _ => "one of the choices",
        };
        return (
            format!("`{word}` is not {what}"),
            Some(suggest(word, known, choice_name(&key))),
        );
    }
    if let Some(rest) = m.strip_prefix("missing field ") {
        let names = quoted(rest);
        let word = names.first().copied().unwrap_or("");
        let whose = match table_at(source, span.start) {
            Some(t) if span.end > span.start => format!("this `{t}`"),
            _ => "the file".to_string(),
        };
        let hint = example(word).map(|e| format!("add a line like `{e}`"));
        return (format!("{whose} needs `{word}`"), hint);
    }
    if let Some(rest) = m.strip_prefix("invalid type: ") {
        // "integer `4`, expected a string"
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let value = quoted(got).first().copied().unwrap_or("").to_string();
        if TIMES.contains(&key.as_str()) {
            let (message, hint) = not_a_time(&key, &value);
            return (message, Some(hint));
        }
        let what = if key.is_empty() {
            "this".to_string()
        } else {
            format!("`{key}`")
        };
        let message = format!("{what} needs {}", kind_words(expected));
        let hint = match example(&key) {
            Some(e) => format!("write it like `{e}`"),
            None => format!("here it is {}", got.trim()),
        };
        return (message, Some(hint));
    }
    if let Some(rest) = m.strip_prefix("invalid length ") {
        let _ = rest;
        let hint = example(&key).map(|e| format!("write it like `{e}`"));
        return (format!("`{key}` has the wrong number of values"), hint);
    }
    if m.starts_with("duplicate key") {
        let names = quoted(m);
        let word = names.first().copied().unwrap_or(&key);
        return (
            format!("`{word}` is set twice here"),
            Some("keep one of the two lines".into()),
        );
    }
    if m.starts_with("invalid basic string") || m.starts_with("invalid literal string") {
        return (
            "this text is not closed: its quote `\"` has no partner".into(),
            Some(
                "end the text with `\"` on the same line, or use `\"\"\"` for several lines".into(),
            ),
        );
    }
    if m.starts_with("invalid string") || m.contains("expected `\"`, `'`") {
        return (
            "this value needs quotes".into(),
            Some(match example(&key) {
                Some(e) => format!("write it like `{e}`"),
                None => "text goes in quotes, like `name = \"mail.b.example\"`".into(),
            }),
        );
    }
    if m.starts_with("invalid table header") || m.contains("expected `.`, `]`") {
        return (
            "this table header is not closed".into(),
            Some("headers look like `[[host]]`, `[host.client]` or `[network]`".into()),
        );
    }
    if m.contains("expected `.`, `=`") || m.starts_with("key with no value") {
        return (
            "a setting needs `=` and a value".into(),
            Some("write it like `title = \"My lesson\"`".into()),
        );
    }
    // Anything else the reader says: its words, first letter lower-case, with the TOML hint.
    (
        format!("this is not valid TOML: {}", m.lines().next().unwrap_or(m)),
        Some("see docs/scenarios.md, \"Common mistakes\"".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_of_the_keyboard_find_the_word_meant() {
        let keys = ["keep_on_server", "incoming", "idle", "ehlo"];
        assert_eq!(did_you_mean("keep_on_sever", &keys), Some("keep_on_server"));
        assert_eq!(did_you_mean("inocming", &keys), Some("incoming"));
        assert_eq!(
            did_you_mean("imap4", &["smtp", "pop3", "imap"]),
            Some("imap")
        );
        assert_eq!(did_you_mean("POP", &["smtp", "pop3", "imap"]), Some("pop3"));
        // Nothing close: no guess.
        assert_eq!(did_you_mean("colour", &keys), None);
        assert_eq!(did_you_mean("x", &["smtp", "pop3"]), None);
    }

    #[test]
    fn the_key_and_table_of_a_value_are_found() {
        let src = "title = 1\n[[host]]\nname = \"a\"\n[host.client]\nto = [\"a\", 4]\n";
        assert_eq!(key_at(src, 8), "title");
        assert_eq!(table_at(src, 8), None);
        let at = src.find('4').unwrap();
        assert_eq!(key_at(src, at), "to");
        assert_eq!(table_at(src, at).as_deref(), Some("[host.client]"));
    }

    #[test]
    fn a_number_where_a_time_goes_reads_like_a_time_without_a_unit() {
        let src = "[[step]]\nat = 4\n";
        let at = src.find('4').unwrap();
        let (m, h) = rewrite(
            src,
            &(at..at + 1),
            "invalid type: integer `4`, expected a string",
        );
        assert_eq!(
            (m.as_str(), h),
            (
                not_a_time("at", "4").0.as_str(),
                Some(not_a_time("at", "4").1)
            )
        );
        assert_eq!(m, "`4` is not a time: it has no unit");
    }
}
