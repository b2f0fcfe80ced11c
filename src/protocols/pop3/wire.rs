//! POP3 wire types (RFC 1939 §5–7, RFC 2449 CAPA): commands, status lines, multi-line bodies.

/// A POP3 command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `USER name` (RFC 1939 §7).
    User(String),
    /// `PASS secret` (RFC 1939 §7).
    Pass(String),
    /// `STAT` (§5).
    Stat,
    /// `LIST [n]` (§5).
    List(Option<u32>),
    /// `RETR n` (§5).
    Retr(u32),
    /// `DELE n` (§5).
    Dele(u32),
    /// `NOOP` (§5).
    Noop,
    /// `RSET` (§5).
    Rset,
    /// `QUIT` (§4, §6).
    Quit,
    /// `UIDL [n]` (§7).
    Uidl(Option<u32>),
    /// `TOP n lines` (§7).
    Top(u32, u32),
    /// `CAPA` (RFC 2449 §5).
    Capa,
}

/// Why a command line could not be parsed; the text goes after `-ERR `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError(pub String);

fn number(arg: Option<&str>, what: &str) -> Result<u32, CommandError> {
    let a = arg.ok_or_else(|| CommandError(format!("{what} needs a message number")))?;
    match a.parse::<u32>() {
        Ok(n) if n > 0 && !a.starts_with('+') => Ok(n),
        _ => Err(CommandError(format!("{a:?} is not a message number"))),
    }
}

impl Command {
    /// Parses a command line (without CRLF). Keywords are case-insensitive (RFC 1939 §3).
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        let line =
            std::str::from_utf8(line).map_err(|_| CommandError("commands must be text".into()))?;
        let mut parts = line.split(' ');
        let verb = parts.next().unwrap_or("").to_ascii_uppercase();
        let args: Vec<&str> = parts.collect();
        let first = args.first().copied();
        let arity = |n: usize| -> Result<(), CommandError> {
            if args.len() > n || args.iter().any(|a| a.is_empty()) {
                Err(CommandError(format!("{verb} takes {n} argument(s)")))
            } else {
                Ok(())
            }
        };
        match verb.as_str() {
            "USER" => {
                arity(1)?;
                first
                    .map(|u| Command::User(u.to_string()))
                    .ok_or_else(|| CommandError("USER needs a name".into()))
            }
            // A password may contain spaces (RFC 1939 §7): take the rest of the line.
            "PASS" => match line.get(5..) {
                Some(p) if !p.is_empty() && line.as_bytes()[4] == b' ' => {
                    Ok(Command::Pass(p.to_string()))
                }
                _ => Err(CommandError("PASS needs a password".into())),
            },
            "STAT" => arity(0).map(|_| Command::Stat),
            "LIST" => {
                arity(1)?;
                first
                    .map(|a| number(Some(a), "LIST"))
                    .transpose()
                    .map(Command::List)
            }
            "RETR" => {
                arity(1)?;
                number(first, "RETR").map(Command::Retr)
            }
            "DELE" => {
                arity(1)?;
                number(first, "DELE").map(Command::Dele)
            }
            "NOOP" => arity(0).map(|_| Command::Noop),
            "RSET" => arity(0).map(|_| Command::Rset),
            "QUIT" => arity(0).map(|_| Command::Quit),
            "UIDL" => {
                arity(1)?;
                first
                    .map(|a| number(Some(a), "UIDL"))
                    .transpose()
                    .map(Command::Uidl)
            }
            "TOP" => {
                arity(2)?;
                let n = number(first, "TOP")?;
                let lines = args
                    .get(1)
                    .and_then(|a| a.parse::<u32>().ok())
                    .ok_or_else(|| {
                        CommandError("TOP needs a message number and a line count".into())
                    })?;
                Ok(Command::Top(n, lines))
            }
            "CAPA" => arity(0).map(|_| Command::Capa),
            _ => Err(CommandError("unknown command".into())),
        }
    }

    /// Writes the command line with CRLF, straight into `out` (a client sends one per message).
    pub fn emit(&self, out: &mut Vec<u8>) {
        use std::io::Write as _;
        // Writing into a Vec cannot fail.
        let _ = match self {
            Command::User(u) => write!(out, "USER {u}"),
            Command::Pass(p) => write!(out, "PASS {p}"),
            Command::Stat => out.write_all(b"STAT"),
            Command::List(None) => out.write_all(b"LIST"),
            Command::List(Some(n)) => write!(out, "LIST {n}"),
            Command::Retr(n) => write!(out, "RETR {n}"),
            Command::Dele(n) => write!(out, "DELE {n}"),
            Command::Noop => out.write_all(b"NOOP"),
            Command::Rset => out.write_all(b"RSET"),
            Command::Quit => out.write_all(b"QUIT"),
            Command::Uidl(None) => out.write_all(b"UIDL"),
            Command::Uidl(Some(n)) => write!(out, "UIDL {n}"),
            Command::Top(n, l) => write!(out, "TOP {n} {l}"),
            Command::Capa => out.write_all(b"CAPA"),
        };
        out.extend_from_slice(b"\r\n");
    }
}

/// Writes `+OK text` or `-ERR text` with CRLF.
pub fn emit_status(ok: bool, text: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(if ok { b"+OK" } else { b"-ERR" });
    if !text.is_empty() {
        out.push(b' ');
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// Parses a status line: `Some((true, text))` for `+OK`, `Some((false, text))` for `-ERR`.
pub fn parse_status(line: &[u8]) -> Option<(bool, String)> {
    let text = String::from_utf8_lossy(line);
    let (ok, rest) = if let Some(r) = text.strip_prefix("+OK") {
        (true, r)
    } else if let Some(r) = text.strip_prefix("-ERR") {
        (false, r)
    } else {
        return None;
    };
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((ok, rest.trim_start().to_string()))
}

/// Writes a multi-line body byte-stuffed (RFC 1939 §3) and ends it with `.` CRLF.
pub fn emit_multiline(body: &[u8], out: &mut Vec<u8>) {
    crate::protocols::line::dot_stuff_into(body, out);
    out.extend_from_slice(b".\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip() {
        for line in [
            "USER bob",
            "PASS secret word",
            "STAT",
            "LIST",
            "LIST 2",
            "RETR 1",
            "DELE 3",
            "NOOP",
            "RSET",
            "QUIT",
            "UIDL",
            "UIDL 1",
            "TOP 1 10",
            "CAPA",
        ] {
            let cmd = Command::parse(line.as_bytes()).unwrap();
            let mut out = Vec::new();
            cmd.emit(&mut out);
            assert_eq!(out, format!("{line}\r\n").into_bytes(), "{line}");
        }
    }

    #[test]
    fn bad_commands() {
        assert!(Command::parse(b"RETR").is_err());
        assert!(Command::parse(b"RETR 0").is_err());
        assert!(Command::parse(b"RETR x").is_err());
        assert!(Command::parse(b"LIST 1 2").is_err());
        assert!(Command::parse(b"PASS").is_err());
        assert!(Command::parse(b"XYZZY").is_err());
        assert_eq!(Command::parse(b"retr 2"), Ok(Command::Retr(2)));
    }

    #[test]
    fn statuses() {
        assert_eq!(parse_status(b"+OK 2 320"), Some((true, "2 320".into())));
        assert_eq!(parse_status(b"-ERR no"), Some((false, "no".into())));
        assert_eq!(parse_status(b"+OK"), Some((true, String::new())));
        assert_eq!(parse_status(b"+OKAY"), None);
        assert_eq!(parse_status(b"hello"), None);
    }
}
