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
}
