//! The IMAP server's input, with bounded memory: imap-codec's `Fragmentizer` splits the bytes into
//! lines and literals and bounds a whole command with its literals (an APPENDed message is one);
//! this bounds each command line on its own, literals aside, as servers do (RFC 7162 §4 asks them
//! to take at least 8192 octets). A line past the limit is reported at once, before its end has
//! come; the command is dropped and so is the rest of the line, as it arrives.

use imap_codec::fragmentizer::{FragmentInfo, Fragmentizer};

/// What [`Reader::progress`] found.
pub(super) enum Read {
    /// A line or literal of the command being read.
    Fragment(FragmentInfo),
    /// The command line being read is longer than the limit: the command is dropped. `tag`: its
    /// tag, if one could be read.
    TooLong { tag: Option<String> },
}

/// The text of the BAD that answers a line too long (`[LIMIT]`: RFC 5530 §3).
pub(super) fn too_long(max_line: usize) -> String {
    format!(
        "[LIMIT] command line too long: at most {max_line} octets with its CRLF, literals aside \
         (RFC 7162 §4)"
    )
}

/// A `Fragmentizer` that also bounds each line.
pub(super) struct Reader {
    frag: Fragmentizer,
    max_line: usize,
    /// Where the line being read starts among the command's bytes (after its literals).
    line_start: usize,
    /// The fragment being read is a literal.
    in_literal: bool,
    /// A line too long was reported: input is dropped up to its LF.
    skipping: bool,
}

impl Reader {
    /// Commands of at most `max_message` octets with their literals; lines of at most `max_line`
    /// with their CRLF.
    pub(super) fn new(max_message: u32, max_line: usize) -> Self {
        Reader {
            frag: Fragmentizer::new(max_message),
            max_line,
            line_start: 0,
            in_literal: false,
            skipping: false,
        }
    }

    /// Takes received bytes, less the rest of a line too long.
    pub(super) fn enqueue(&mut self, bytes: &[u8]) {
        let Some(bytes) = crate::protocols::line::past_skipped(&mut self.skipping, bytes) else {
            return;
        };
        self.frag.enqueue_bytes(bytes);
    }

    /// The next fragment, or `None` when more bytes are needed.
    pub(super) fn progress(&mut self) -> Option<Read> {
        let Some(info) = self.frag.progress() else {
            // The bytes so far are all taken: a line without its LF yet, or part of a literal.
            let held = self.frag.message_bytes().len();
            if self.in_literal || held.saturating_sub(self.line_start) < self.max_line {
                return None;
            }
            let tag = self.tag();
            self.skip_message();
            self.skipping = true;
            return Some(Read::TooLong { tag });
        };
        match info {
            FragmentInfo::Line {
                start,
                end,
                announcement,
                ..
            } => {
                if end - start > self.max_line {
                    let tag = self.tag();
                    self.skip_message();
                    return Some(Read::TooLong { tag });
                }
                self.in_literal = announcement.is_some();
                self.line_start = end;
            }
            FragmentInfo::Literal { end, .. } => {
                self.in_literal = false;
                self.line_start = end;
            }
        }
        if self.frag.is_message_complete() {
            self.line_start = 0;
        }
        Some(Read::Fragment(info))
    }

    fn tag(&self) -> Option<String> {
        self.frag.decode_tag().map(|t| t.inner().to_string())
    }

    /// Drops the command being read; the next bytes start a new one.
    pub(super) fn skip_message(&mut self) {
        self.frag.skip_message();
        self.in_literal = false;
        self.line_start = 0;
    }

    /// The fragmentizer, to read the command's bytes and state.
    pub(super) fn frag(&self) -> &Fragmentizer {
        &self.frag
    }

    /// Marks the command as failed (it is still read to its end, literals and all).
    pub(super) fn poison_message(&mut self) {
        self.frag.poison_message();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(r: &mut Reader) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(x) = r.progress() {
            out.push(match x {
                Read::Fragment(i @ FragmentInfo::Line { .. }) => {
                    let b = r.frag().fragment_bytes(i);
                    format!("line {}", String::from_utf8_lossy(b))
                        .trim_end()
                        .to_string()
                }
                Read::Fragment(FragmentInfo::Literal { start, end }) => {
                    format!("literal {}", end - start)
                }
                Read::TooLong { tag } => format!("too long {tag:?}"),
            });
        }
        out
    }

    #[test]
    fn lines_are_bounded_and_literals_are_not() {
        let mut r = Reader::new(1000, 20);
        // 20 octets with the CRLF: taken, also when its LF comes apart.
        r.enqueue(b"a1 NOOP 1234567890\r\na2 NOOP 1234567890\r");
        assert_eq!(all(&mut r), ["line a1 NOOP 1234567890"]);
        r.enqueue(b"\n");
        assert_eq!(all(&mut r), ["line a2 NOOP 1234567890"]);
        // Too long before its end has come: reported at once, the rest dropped as it arrives.
        r.enqueue(b"a3 xxxxxxxxxxxxxxxxxxxx");
        assert_eq!(all(&mut r), ["too long Some(\"a3\")"]);
        assert_eq!(r.frag().message_bytes().len(), 0);
        r.enqueue(b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        assert_eq!(all(&mut r), Vec::<String>::new());
        assert_eq!(r.frag().message_bytes().len(), 0);
        r.enqueue(b"xx\r\na4 NOOP\r\n");
        assert_eq!(all(&mut r), ["line a4 NOOP"]);
        // Too long and whole in one piece: reported, nothing left to drop.
        r.enqueue(b"a5 NOOP 12345678901\r\na6 NOOP\r\n");
        assert_eq!(all(&mut r), ["too long Some(\"a5\")", "line a6 NOOP"]);
        // A literal is not a line: 40 octets pass.
        r.enqueue(b"a7 APPEND X {40}\r\n");
        assert_eq!(all(&mut r), ["line a7 APPEND X {40}"]);
        r.enqueue(&[b'm'; 40]);
        r.enqueue(b"\r\n");
        assert_eq!(all(&mut r), ["literal 40", "line"]);
        // The line after a literal is bounded on its own.
        r.enqueue(b"a8 APPEND X {2}\r\n");
        assert_eq!(all(&mut r), ["line a8 APPEND X {2}"]);
        r.enqueue(b"mm yyyyyyyyyyyyyyyyyyyyyyyy");
        assert_eq!(all(&mut r), ["literal 2", "too long Some(\"a8\")"]);
    }
}
