//! Scenario errors that point at the file, line and column, with the line and a caret under it.

use std::fmt;
use std::ops::Range;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file's path as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// What is wrong, lower-case, one sentence.
    pub message: String,
    /// What was expected instead, if there is something to say.
    pub hint: Option<String>,
    source_line: String,
    caret_len: usize,
}

impl ScenarioError {
    /// An error at byte range `span` of `source`.
    pub fn at(
        file: &str,
        source: &str,
        span: Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Self {
        let start = span.start.min(source.len());
        let line_start = source[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line_end = source[start..]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(source.len());
        let line = source[..start].matches('\n').count() + 1;
        let col = source[line_start..start].chars().count() + 1;
        let source_line = source[line_start..line_end]
            .trim_end_matches('\r')
            .to_string();
        let end = span.end.clamp(start, line_end);
        let caret_len = source[start..end].chars().count().max(1);
        ScenarioError {
            file: file.to_string(),
            line,
            col,
            message: message.into(),
            hint,
            source_line,
            caret_len,
        }
    }

    /// `file:line:col: message`, the one-line form.
    pub fn short(&self) -> String {
        format!("{}:{}:{}: {}", self.file, self.line, self.col, self.message)
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let num = self.line.to_string();
        let pad = " ".repeat(num.len());
        writeln!(f, "error: {}", self.message)?;
        writeln!(f, "{pad}--> {}:{}:{}", self.file, self.line, self.col)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{num} | {}", self.source_line)?;
        let indent: String = self
            .source_line
            .chars()
            .take(self.col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad} | {indent}{}", "^".repeat(self.caret_len))?;
        if let Some(h) = &self.hint {
            write!(f, " {h}")?;
        }
        Ok(())
    }
}

/// All the problems found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_and_column() {
        let src = "a = 1\nname = \"xyz\"\n";
        let e = ScenarioError::at(
            "f.toml",
            src,
            13..18,
            "bad name",
            Some("expected abc".into()),
        );
        assert_eq!((e.line, e.col), (2, 8));
        assert_eq!(e.short(), "f.toml:2:8: bad name");
        assert_eq!(
            e.to_string(),
            "error: bad name\n --> f.toml:2:8\n  |\n2 | name = \"xyz\"\n  |        ^^^^^ expected abc"
        );
    }
}
