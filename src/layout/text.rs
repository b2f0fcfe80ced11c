//! How wide text is, without a font: an estimate of the window's default fonts (egui's Ubuntu
//! Light for labels, Hack for monospace), on the generous side, so that a label drawn in the rect
//! the layout gave it fits. The window measures the real text and shrinks it if it ever would not
//! (a test in `tests/gui.rs` compares this estimate with egui's own measure).

/// The advance of one character, in ems.
fn advance(c: char, mono: bool) -> f32 {
    if mono {
        // Hack: every glyph 1233/2048 em.
        return 0.61;
    }
    match c {
        ' ' => 0.27,
        'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | '`' | 'I' => 0.3,
        't' | 'f' | 'r' | '(' | ')' | '[' | ']' | '{' | '}' | '-' | '"' => 0.4,
        'm' | 'w' => 0.86,
        'M' | 'W' | '@' | '%' | '&' => 0.92,
        '—' | '…' => 1.0,
        'A'..='Z' => 0.7,
        '0'..='9' => 0.58,
        _ if !c.is_ascii() => 0.9,
        _ => 0.57,
    }
}

/// The width of `text` at font size `size` (points).
pub fn width(text: &str, size: f32, mono: bool) -> f32 {
    text.chars().map(|c| advance(c, mono)).sum::<f32>() * size
}

/// The height of a line of text at `size`: egui's row height with a little air.
pub fn line_height(size: f32) -> f32 {
    size * 1.3
}

/// `text` cut to at most `max` points wide at `size`, ending in `…` when cut.
pub fn elide(text: &str, size: f32, mono: bool, max: f32) -> String {
    if width(text, size, mono) <= max {
        return text.to_string();
    }
    let room = max - advance('…', mono) * size;
    let mut out = String::new();
    let mut w = 0.0;
    for c in text.chars() {
        w += advance(c, mono) * size;
        if w > room {
            break;
        }
        out.push(c);
    }
    let out = out.trim_end().to_string();
    out + "…"
}

/// `text` in at most two lines of at most `max` points: as many words on the first as fit, the
/// rest on the second, cut with `…` if it is still too long. A first word too long for a line is
/// cut too.
pub fn two_lines(text: &str, size: f32, mono: bool, max: f32) -> Vec<String> {
    if width(text, size, mono) <= max {
        return vec![text.to_string()];
    }
    let cut = text
        .char_indices()
        .filter(|&(i, c)| c == ' ' && width(&text[..i], size, mono) <= max)
        .map(|(i, _)| i)
        .next_back();
    match cut {
        Some(i) => vec![
            text[..i].to_string(),
            elide(text[i + 1..].trim_start(), size, mono, max),
        ],
        None => vec![elide(text, size, mono, max)],
    }
}

/// Host names without the ending all of them share (`.example` of `mail.a.example` and
/// `ns.example`), so that narrow columns show what tells them apart. Names stay whole when they
/// share none, when there is only one, or when a name is nothing but that ending.
pub fn without_common_ending(names: &[&str]) -> Vec<String> {
    let mut ending: Option<&str> = None;
    if names.len() > 1 {
        // The longest `.a.b` that ends every name, cut at a dot, and leaves each something.
        let first = names[0];
        for (i, _) in first.match_indices('.') {
            let tail = &first[i..];
            if names
                .iter()
                .all(|n| n.len() > tail.len() && n.ends_with(tail))
            {
                ending = Some(tail);
                break;
            }
        }
    }
    names
        .iter()
        .map(|n| match ending {
            Some(e) => n[..n.len() - e.len()].to_string(),
            None => n.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elided_text_fits_and_short_text_stays() {
        assert_eq!(elide("DNS server", 14.0, false, 200.0), "DNS server");
        let cut = elide("A's mail server (SMTP + IMAP)", 14.0, false, 90.0);
        assert!(cut.ends_with('…') && cut.len() < 29, "{cut}");
        assert!(width(&cut, 14.0, false) <= 90.0);
        assert!(width("mx.b.example", 11.0, true) > width("mx.b.example", 11.0, false) * 0.9);
    }

    #[test]
    fn a_long_label_takes_two_lines_that_fit() {
        assert_eq!(two_lines("DNS server", 12.0, false, 200.0), ["DNS server"]);
        let two = two_lines("Football club mail server", 12.0, false, 70.0);
        assert_eq!(two[0], "Football");
        assert!(
            two[1].starts_with("club") && two[1].ends_with('…'),
            "{two:?}"
        );
        for l in &two {
            assert!(width(l, 12.0, false) <= 70.0, "{l}");
        }
        assert_eq!(two_lines("Grace and Heidi", 12.0, false, 90.0).len(), 2);
        let one = two_lines("Supercalifragilistic", 12.0, false, 40.0);
        assert!(one.len() == 1 && one[0].ends_with('…'));
    }

    #[test]
    fn names_lose_only_the_ending_they_all_share() {
        let short = without_common_ending(&["mail.a.example", "ns.example", "pc.b.example"]);
        assert_eq!(short, ["mail.a", "ns", "pc.b"]);
        let short = without_common_ending(&["mail.b.example", "pc.b.example"]);
        assert_eq!(short, ["mail", "pc"]);
        // Nothing shared, a name that is only the ending, or one name: whole.
        assert_eq!(
            without_common_ending(&["a.org", "b.net"]),
            ["a.org", "b.net"]
        );
        assert_eq!(
            without_common_ending(&["example", "mx.example"]),
            ["example", "mx.example"]
        );
        assert_eq!(without_common_ending(&["mx.example"]), ["mx.example"]);
        // `b.example` is not an ending of `mail.ab.example`: cut at dots only.
        assert_eq!(
            without_common_ending(&["mail.ab.example", "pc.b.example"]),
            ["mail.ab", "pc.b"]
        );
    }
}
