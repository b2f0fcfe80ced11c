//! The webmail's pages are small real HTML; this escapes text into them and reads a page back as
//! the window shows it (title, text, form fields) and as a browser submits it (forms and their
//! hidden fields).

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// A whole page around `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n<h1>{}</h1>\n{body}\n</body></html>\n",
        escape(title),
        escape(title)
    )
}

/// A page as a simple browser view shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The `<title>`.
    pub title: String,
    /// The visible text, a line per block.
    pub lines: Vec<String>,
    /// Form fields: (kind, name, value).
    pub fields: Vec<(String, String, String)>,
    /// Link targets.
    pub links: Vec<String>,
}

/// Reads HTML the simple way: tags dropped, block tags start lines, entities decoded, form
/// fields and links collected. Never fails; bounded by the input.
pub fn render(html: &str) -> Rendered {
    let mut r = Rendered::default();
    let mut line = String::new();
    let mut in_title = false;
    let mut skip_text = false;
    let mut rest = html;
    let flush = |line: &mut String, r: &mut Rendered| {
        let t = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if !t.is_empty() {
            r.lines.push(t);
        }
        line.clear();
    };
    while !rest.is_empty() {
        match rest.find('<') {
            Some(0) => {
                let (tag, end) = match rest.find('>') {
                    Some(e) => (&rest[1..e], e + 1),
                    None => (&rest[1..], rest.len()),
                };
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let closing = tag.starts_with('/');
                match name.as_str() {
                    "title" => in_title = !closing,
                    "head" | "style" | "script" => skip_text = !closing,
                    "input" | "textarea" | "select" if !closing => {
                        let kind = attr(tag, "type").unwrap_or_else(|| name.clone());
                        if kind != "hidden" {
                            r.fields.push((
                                kind,
                                attr(tag, "name").unwrap_or_default(),
                                attr(tag, "value").unwrap_or_default(),
                            ));
                        }
                    }
                    "a" if !closing => {
                        if let Some(h) = attr(tag, "href") {
                            r.links.push(h);
                        }
                    }
                    "p" | "br" | "h1" | "h2" | "li" | "tr" | "div" | "form" | "pre" | "table"
                    | "ul" => flush(&mut line, &mut r),
                    _ => {}
                }
                rest = &rest[end..];
            }
            found => {
                let end = found.unwrap_or(rest.len());
                let text = unescape(&rest[..end]);
                if in_title {
                    r.title.push_str(text.trim());
                } else if !skip_text {
                    line.push_str(&text);
                    line.push(' ');
                }
                rest = &rest[end..];
            }
        }
    }
    flush(&mut line, &mut r);
    r
}

/// A form on a page, as a browser submits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    /// Where it goes (`action`), e.g. `/send`.
    pub action: String,
    /// `get` or `post`, in lower case (`get` when the page does not say).
    pub method: String,
    /// Its hidden fields (name, value), e.g. the server's form token: the browser sends them back
    /// with what the user typed.
    pub hidden: Vec<(String, String)>,
}

/// The forms of a page with their hidden fields. Never fails; bounded by the input.
pub fn forms(html: &str) -> Vec<Form> {
    let mut out: Vec<Form> = Vec::new();
    let mut open = false;
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        rest = &rest[end..];
        let name: String = tag
            .chars()
            .take_while(|c| *c == '/' || c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match name.as_str() {
            "form" => {
                out.push(Form {
                    action: attr(tag, "action").unwrap_or_default(),
                    method: attr(tag, "method")
                        .unwrap_or_else(|| "get".into())
                        .to_ascii_lowercase(),
                    hidden: Vec::new(),
                });
                open = true;
            }
            "/form" => open = false,
            "input"
                if open && attr(tag, "type").is_some_and(|t| t.eq_ignore_ascii_case("hidden")) =>
            {
                if let (Some(f), Some(n)) = (out.last_mut(), attr(tag, "name")) {
                    f.hidden.push((n, attr(tag, "value").unwrap_or_default()));
                }
            }
            _ => {}
        }
    }
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let key = format!("{name}=\"");
    let mut from = 0;
    while let Some(i) = lower[from..].find(&key) {
        let at = from + i;
        let before = lower[..at].chars().last();
        if before.is_none_or(|c| c.is_whitespace()) {
            let start = at + key.len();
            let end = tag[start..].find('"').map_or(tag.len(), |e| start + e);
            return Some(unescape(&tag[start..end]));
        }
        from = at + key.len();
    }
    None
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_back() {
        let p = page(
            "Inbox <bob>",
            "<p>2 messages</p><ul><li><a href=\"/message?uid=1\">Lunch &amp; more</a></li></ul><form method=\"post\" action=\"/send\"><input type=\"text\" name=\"to\" value=\"a&quot;b\"><textarea name=\"body\"></textarea><input type=\"submit\" value=\"Send\"></form>",
        );
        let r = render(&p);
        assert_eq!(r.title, "Inbox <bob>");
        assert!(
            r.lines.contains(&"Lunch & more".to_string()),
            "{:?}",
            r.lines
        );
        assert_eq!(r.links, ["/message?uid=1"]);
        assert_eq!(r.fields[0], ("text".into(), "to".into(), "a\"b".into()));
        assert_eq!(r.fields[1].0, "textarea");
        let p = page(
            "Inbox",
            "<form method=\"post\" action=\"/logout\">\n<input type=\"hidden\" name=\"token\" value=\"a&amp;b\">\n<input type=\"submit\" value=\"Log out\">\n</form><input type=\"hidden\" name=\"stray\" value=\"x\"><form action=\"/find\"><input type=\"text\" name=\"q\"></form>",
        );
        assert_eq!(
            forms(&p),
            [
                Form {
                    action: "/logout".into(),
                    method: "post".into(),
                    hidden: vec![("token".into(), "a&b".into())],
                },
                Form {
                    action: "/find".into(),
                    method: "get".into(),
                    hidden: vec![],
                },
            ]
        );
        for junk in [
            "<",
            "<<a href=",
            "<a href=\"x",
            "&amp",
            ">",
            "<é",
            "<input name=\"é",
        ] {
            let _ = render(junk);
            let _ = forms(junk);
        }
    }
}
