//! Line framing for the text protocols (SMTP, POP3): bytes in, complete lines out.
//!
//! A line ends with CRLF. A bare LF also ends a line but is reported as such, so a strict server
//! can refuse it (RFC 5321 §2.3.8). Incomplete input is buffered, never an error. A line longer than
//! the limit is reported as [`Framed::TooLong`] as soon as it is known to be too long (its end need
//! not have come), once; the rest of it, up to its LF, is dropped as it arrives and never buffered.
//! So the buffer holds at most the limit between calls (plus the chunk being read, during one).

/// One unit of framed input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    /// A line that ended with CRLF; the CRLF is not included.
    Line(Vec<u8>),
    /// A line that ended with a LF not preceded by CR; the LF is not included.
    BareLf(Vec<u8>),
    /// A line longer than the limit (counting its CRLF); its bytes were dropped, and so will be
    /// the rest of it, up to its LF.
    TooLong,
}

/// How a lent line ended (see [`LineReader::with_next_line`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// CRLF.
    Crlf,
    /// A bare LF.
    BareLf,
    /// The line was too long and dropped (the bytes given are empty); so will be its rest.
    TooLong,
}

/// What a reader makes room for at its first bytes: about a TCP segment (the network's MSS).
const FIRST_ROOM: usize = 1460;

/// Buffers bytes and yields complete lines.
#[derive(Debug, Clone)]
pub struct LineReader {
    buf: Vec<u8>,
    pos: usize,
    max_line: usize,
    /// A too-long line was reported: drop input up to its LF.
    skipping: bool,
}

impl LineReader {
    /// A reader that accepts lines of at most `max_line` bytes including the CRLF.
    pub fn new(max_line: usize) -> Self {
        Self {
            buf: Vec::new(),
            pos: 0,
            max_line,
            skipping: false,
        }
    }

    /// Changes the line limit (SMTP allows longer text lines in DATA than command lines).
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line;
    }

    /// Appends received bytes (less the rest of a too-long line, which is dropped).
    pub fn push(&mut self, bytes: &[u8]) {
        let Some(bytes) = past_skipped(&mut self.skipping, bytes) else {
            return;
        };
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            // Room for a segment's worth from the first bytes on, rather than growing to it
            // through a copy per size (a session's replies and commands come a few at a time).
            if self.buf.capacity() == 0 {
                self.buf
                    .reserve(bytes.len().max(FIRST_ROOM.min(self.max_line)));
            }
        } else if self.pos > 4096 && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Drops everything buffered (the session is over; nothing more will be read).
    pub fn clear(&mut self) {
        self.buf = Vec::new();
        self.pos = 0;
        self.skipping = false;
    }

    /// Bytes buffered that do not yet form a line.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Like [`LineReader::next_line`], but lends the line instead of copying it: `f` gets the
    /// line's bytes (without its line end) and how it ended. Hot paths (message bodies) use this.
    #[inline]
    pub fn with_next_line<R>(&mut self, f: impl FnOnce(LineEnd, &[u8]) -> R) -> Option<R> {
        let rest = &self.buf[self.pos..];
        match memchr::memchr(b'\n', rest) {
            Some(i) => {
                let bare = i == 0 || rest[i - 1] != b'\r';
                let start = self.pos;
                let end = if bare { start + i } else { start + i - 1 };
                let too_long = i + 1 > self.max_line;
                self.pos += i + 1;
                Some(if too_long {
                    f(LineEnd::TooLong, &[])
                } else if bare {
                    f(LineEnd::BareLf, &self.buf[start..end])
                } else {
                    f(LineEnd::Crlf, &self.buf[start..end])
                })
            }
            None => self.start_skipping().then(|| f(LineEnd::TooLong, &[])),
        }
    }

    /// With no LF buffered: if what is buffered is already too long to be a line, drops it and
    /// the rest of the line to come, and says so.
    fn start_skipping(&mut self) -> bool {
        // A line of `max_line` bytes without its LF yet can only end longer than `max_line`.
        if self.buf.len() - self.pos < self.max_line {
            return false;
        }
        self.buf.clear();
        self.pos = 0;
        self.skipping = true;
        true
    }

    /// The next complete line, or `None` when more input is needed.
    pub fn next_line(&mut self) -> Option<Framed> {
        let rest = &self.buf[self.pos..];
        match memchr::memchr(b'\n', rest) {
            Some(i) => {
                let bare = i == 0 || rest[i - 1] != b'\r';
                let content = if bare { &rest[..i] } else { &rest[..i - 1] };
                let too_long = i + 1 > self.max_line;
                let line = (!too_long).then(|| content.to_vec());
                self.pos += i + 1;
                Some(match line {
                    None => Framed::TooLong,
                    Some(l) if bare => Framed::BareLf(l),
                    Some(l) => Framed::Line(l),
                })
            }
            None => self.start_skipping().then_some(Framed::TooLong),
        }
    }
}

/// What of `bytes` is left once the rest of a line being skipped (one too long) is dropped:
/// all of it when not `skipping`, what follows the line's LF (skipping ends), or `None`.
pub fn past_skipped<'a>(skipping: &mut bool, bytes: &'a [u8]) -> Option<&'a [u8]> {
    if !*skipping {
        return Some(bytes);
    }
    let i = memchr::memchr(b'\n', bytes)?;
    *skipping = false;
    Some(&bytes[i + 1..])
}

/// Copies `data` with dot-stuffing (RFC 5321 §4.5.2, and POP3's byte-stuffing, RFC 1939 §3): a line starting with `.` gets another `.`.
/// Makes sure the data ends with CRLF, so the terminating `.` stands on its own line.
pub fn dot_stuff_into(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len() + 8);
    if data.first() == Some(&b'.') {
        out.push(b'.');
    }
    // Copied in runs between the dots to double: each `.` that follows a LF.
    let mut start = 0;
    for lf in memchr::memmem::find_iter(data, b"\n.") {
        out.extend_from_slice(&data[start..=lf]);
        out.push(b'.');
        start = lf + 1;
    }
    out.extend_from_slice(&data[start..]);
    if !data.is_empty() && !data.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
}

/// Makes CR and LF visible, for transcripts and the inspector: `EHLO x␍␊`.
pub fn visible_crlf(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push('␍'),
            '\n' => out.push('␊'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(r: &mut LineReader) -> Vec<Framed> {
        std::iter::from_fn(|| r.next_line()).collect()
    }

    #[test]
    fn lines_split_across_chunks() {
        let mut r = LineReader::new(100);
        r.push(b"EHLO a.exa");
        assert_eq!(r.next_line(), None);
        r.push(b"mple\r");
        assert_eq!(r.next_line(), None);
        r.push(b"\nQUIT\r\n");
        assert_eq!(
            all(&mut r),
            vec![
                Framed::Line(b"EHLO a.example".to_vec()),
                Framed::Line(b"QUIT".to_vec())
            ]
        );
    }

    #[test]
    fn bare_lf_is_reported() {
        let mut r = LineReader::new(100);
        r.push(b"NOOP\nQUIT\r\n");
        assert_eq!(
            all(&mut r),
            vec![
                Framed::BareLf(b"NOOP".to_vec()),
                Framed::Line(b"QUIT".to_vec())
            ]
        );
    }

    #[test]
    fn long_lines_are_dropped_and_buffer_stays_bounded() {
        let mut r = LineReader::new(10);
        // Reported once, as soon as it is too long, before its end has come.
        r.push(b"xxxxxxxxxxxxxxxxxxxx");
        assert_eq!(r.next_line(), Some(Framed::TooLong));
        assert_eq!(r.buffered(), 0);
        for _ in 0..100 {
            r.push(b"xxxxxxxxxxxxxxxxxxxx");
            assert_eq!(r.next_line(), None);
            assert_eq!(r.buffered(), 0, "the rest of the line is not kept");
        }
        r.push(b"\r\nok\r\n");
        assert_eq!(all(&mut r), vec![Framed::Line(b"ok".to_vec())]);
        // A whole line in one piece is reported at its end.
        r.push(b"0123456789\r\n");
        assert_eq!(r.next_line(), Some(Framed::TooLong));
        r.push(b"01234567\r\n");
        assert_eq!(r.next_line(), Some(Framed::Line(b"01234567".to_vec())));
        // Ten bytes without their LF cannot end as a line of ten; nine (with a CR) still can.
        r.push(b"01234567\r");
        assert_eq!(r.next_line(), None);
        r.push(b"\n0123456789");
        assert_eq!(
            all(&mut r),
            vec![Framed::Line(b"01234567".to_vec()), Framed::TooLong]
        );
        r.push(b"abc\nok\r\n");
        assert_eq!(all(&mut r), vec![Framed::Line(b"ok".to_vec())]);
    }

    #[test]
    fn lent_lines_match_copied_lines() {
        let input = b"a\r\nbb\nxxxxxxxxxxxxxxxxxxxx\r\n\r\n";
        let mut a = LineReader::new(10);
        let mut b = LineReader::new(10);
        a.push(input);
        b.push(input);
        while let Some(framed) = a.next_line() {
            let lent = b.with_next_line(|end, l| match end {
                LineEnd::Crlf => Framed::Line(l.to_vec()),
                LineEnd::BareLf => Framed::BareLf(l.to_vec()),
                LineEnd::TooLong => Framed::TooLong,
            });
            assert_eq!(lent, Some(framed));
        }
        assert_eq!(b.with_next_line(|_, _| ()), None);
    }

    #[test]
    fn dot_stuffing() {
        let mut out = Vec::new();
        dot_stuff_into(b".hidden\r\nok\r\n..two\r\n", &mut out);
        assert_eq!(out, b"..hidden\r\nok\r\n...two\r\n");
        let mut out = Vec::new();
        dot_stuff_into(b"no newline", &mut out);
        assert_eq!(out, b"no newline\r\n");
    }

    #[test]
    fn visible() {
        assert_eq!(visible_crlf(b"a\r\n"), "a␍␊");
    }
}
