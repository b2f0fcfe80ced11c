//! Logging in (RFC 3501 §6.2): LOGIN, and AUTHENTICATE with SASL PLAIN (RFC 4616), its credentials
//! given at once or on the continuation line that `+` asks for.

use std::borrow::Cow;

use imap_codec::imap_types::auth::AuthMechanism;
use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::secret::Secret;

use super::{CAPABILITIES, ImapServer, Mode, State};

impl ImapServer {
    /// LOGIN (§6.2.3).
    pub(super) fn cmd_login(&mut self, tag: &str, username: &AString, password: &Secret<AString>) {
        let u = String::from_utf8_lossy(username.as_ref()).to_string();
        let p = password.declassify().as_ref().to_vec();
        self.login(tag, &u, &p, "LOGIN");
    }

    /// AUTHENTICATE (§6.2.2): PLAIN only, with an initial response (RFC 4959) or after `+`.
    pub(super) fn cmd_authenticate(
        &mut self,
        tag: &str,
        mechanism: &AuthMechanism,
        initial_response: Option<Secret<Cow<'_, [u8]>>>,
    ) {
        match mechanism {
            AuthMechanism::Plain => match initial_response {
                Some(r) => {
                    let raw = r.declassify().to_vec();
                    self.auth_plain(tag, &raw)
                }
                None => {
                    self.mode = Mode::AuthData {
                        tag: tag.to_string(),
                    };
                    self.push("+ \r\n");
                }
            },
            _ => self.reply(
                tag,
                "NO",
                "this server offers AUTHENTICATE PLAIN only (see CAPABILITY)",
            ),
        }
    }

    pub(super) fn login(&mut self, tag: &str, user: &str, pass: &[u8], how: &str) {
        let ok = self
            .config
            .accounts
            .get(user)
            .is_some_and(|p| p.as_bytes() == pass);
        if ok {
            self.state = State::Authenticated {
                user: user.to_string(),
            };
            self.reply(
                tag,
                "OK",
                &format!("[CAPABILITY {CAPABILITIES}] {how} completed, welcome {user}"),
            );
        } else {
            self.reply(
                tag,
                "NO",
                "[AUTHENTICATIONFAILED] Invalid user name or password",
            );
        }
    }

    /// SASL PLAIN (RFC 4616): authzid NUL authcid NUL password, base64.
    pub(super) fn auth_plain(&mut self, tag: &str, b64: &[u8]) {
        // imap-codec has already decoded the base64 of continuation lines; an initial response
        // arrives decoded too.
        let raw = b64.to_vec();
        let parts: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
        match parts.as_slice() {
            [authz, user, pass] if authz.is_empty() || authz == user => {
                let user = String::from_utf8_lossy(user).to_string();
                self.login(tag, &user, pass, "AUTHENTICATE");
            }
            _ => self.bad(
                tag,
                "PLAIN credentials are authzid NUL user NUL password (RFC 4616 §2)",
            ),
        }
    }
}
