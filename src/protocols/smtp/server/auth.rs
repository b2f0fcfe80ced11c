//! AUTH on submission (RFC 4954): PLAIN (RFC 4616) and LOGIN, the credentials as base64 lines.

use super::{Reply, SmtpServer};

/// Where an AUTH exchange stands (RFC 4954 §4: `334` asks for the next line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AuthWait {
    None,
    Plain,
    LoginUser,
    LoginPass(String),
}

impl SmtpServer {
    /// A line of an AUTH exchange: base64 of the credentials (or `*` to cancel).
    pub(super) fn auth_line(&mut self, line: String) {
        use base64::Engine;
        let wait = std::mem::replace(&mut self.auth_wait, AuthWait::None);
        let wait = if wait == AuthWait::None {
            AuthWait::Plain
        } else {
            wait
        };
        if line.trim() == "*" {
            return self.error(Reply::new(501, "5.0.0 Authentication cancelled"));
        }
        let raw = if line.trim() == "=" {
            Ok(Vec::new())
        } else {
            base64::engine::general_purpose::STANDARD.decode(line.trim())
        };
        let Ok(raw) = raw else {
            return self.error(Reply::new(
                501,
                "5.5.2 Cannot decode the response: it must be base64",
            ));
        };
        let check = |s: &mut Self, user: &str, pass: &[u8]| {
            let account = s.account_name(user).filter(|u| {
                s.config
                    .accounts
                    .get(*u)
                    .is_some_and(|p| p.as_bytes() == pass)
            });
            if let Some(user) = account {
                s.authed = Some(user.to_string());
                s.line("235 2.7.0 Authentication successful");
            } else {
                s.error(Reply::new(535, "5.7.8 Authentication credentials invalid"));
            }
        };
        match wait {
            AuthWait::Plain => {
                let parts: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
                match parts.as_slice() {
                    [_, user, pass] => {
                        let user = String::from_utf8_lossy(user).to_string();
                        check(self, &user, pass);
                    }
                    _ => self.error(Reply::new(
                        501,
                        "5.5.2 PLAIN credentials are authzid NUL user NUL password (RFC 4616)",
                    )),
                }
            }
            AuthWait::LoginUser => {
                // A user name of another domain is refused only after the password, like a
                // wrong one: the reply does not tell which part was wrong.
                let user = String::from_utf8_lossy(&raw).to_string();
                // "Password:" in base64.
                self.line("334 UGFzc3dvcmQ6");
                self.auth_wait = AuthWait::LoginPass(user);
            }
            AuthWait::LoginPass(user) => check(self, &user, &raw),
            AuthWait::None => {}
        }
    }

    /// The account a SASL user name names: `alice`, or `alice@` one of this server's domains
    /// (any case). A name in another domain names no account here (`None`).
    fn account_name<'u>(&self, user: &'u str) -> Option<&'u str> {
        match user.rsplit_once('@') {
            None => Some(user),
            Some((local, domain)) if self.config.is_local(domain) => Some(local),
            Some(_) => None,
        }
    }
}
