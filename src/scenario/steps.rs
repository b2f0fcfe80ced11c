//! Validation of `[[step]]`: when each step begins (`at` or `on`), and, for each action
//! (narrate, send, check, web, read, delete), the keys it needs and the keys it does not use.

use std::ops::Range;

use toml::Spanned;

use super::raw::RawStep;
use super::validate::Validator;
use super::{HostDef, HostKind, IncomingProtocol, Service, StepAction, StepDef, words};
use crate::engine::ids::HostId;
use crate::engine::time::SimTime;
use crate::protocols::smtp::wire::Address;

impl Validator<'_> {
    pub(super) fn step(
        &mut self,
        whole: &Spanned<RawStep>,
        names: &[String],
        hosts: &[HostDef],
    ) -> Option<StepDef> {
        let s = whole.get_ref();
        let Some(anchor) = s.at.as_ref().or(s.on.as_ref()).map(|x| x.span()) else {
            self.err(
                whole.span(),
                "a step needs `at` (when it begins) or `on` (the event it waits for)",
                Some("for example at = \"4s\", or on = \"mx.b.example stores a mail\"".into()),
            );
            return None;
        };
        let at =
            s.at.as_ref()
                .map_or(SimTime::ZERO, |a| SimTime::ZERO + self.duration(a));
        let on = s.on.as_ref().and_then(|o| self.trigger(o, names));
        let action_name = s
            .action
            .as_ref()
            .map(|a| a.get_ref().as_str())
            .unwrap_or("narrate");
        let span = s
            .action
            .as_ref()
            .map(|a| a.span())
            .unwrap_or(anchor.clone());
        let host = s
            .host
            .as_ref()
            .and_then(|h| self.host_ref(names, h, "host"));
        let narration = s.narration.clone().unwrap_or_default();
        let unused = |v: &mut Self, what: &str, sp: Option<Range<usize>>| {
            if let Some(sp) = sp {
                v.err(
                    sp,
                    format!("`{what}` is not used by a `{action_name}` step"),
                    None,
                );
            }
        };
        if action_name != "web" {
            unused(self, "server", s.server.as_ref().map(|t| t.span()));
            unused(self, "method", s.method.as_ref().map(|t| t.span()));
            unused(self, "path", s.path.as_ref().map(|t| t.span()));
            unused(self, "form", s.form.as_ref().map(|t| t.span()));
        }
        let action = match action_name {
            "narrate" => {
                unused(self, "to", s.to.as_ref().map(|t| t.span()));
                unused(self, "cc", s.cc.as_ref().map(|t| t.span()));
                unused(self, "bcc", s.bcc.as_ref().map(|t| t.span()));
                unused(self, "subject", s.subject.as_ref().map(|t| t.span()));
                unused(self, "body", s.body.as_ref().map(|t| t.span()));
                if narration.is_empty() {
                    self.err(span, "a `narrate` step needs `narration`", None);
                }
                StepAction::Narrate
            }
            "send" => {
                let Some(to) = &s.to else {
                    self.err(
                        span,
                        "a `send` step needs `to`: the recipients' addresses",
                        Some("expected to = [\"bob@b.example\"]".into()),
                    );
                    return None;
                };
                if to.get_ref().is_empty() {
                    self.err(to.span(), "`to` needs at least one address", None);
                }
                let to: Vec<Address> = to
                    .get_ref()
                    .iter()
                    .filter_map(|a| self.address(a))
                    .collect();
                let mut copies = |list: &Option<Spanned<Vec<Spanned<String>>>>| -> Vec<Address> {
                    list.iter()
                        .flat_map(|l| l.get_ref())
                        .filter_map(|a| self.address(a))
                        .collect()
                };
                let cc = copies(&s.cc);
                let bcc = copies(&s.bcc);
                self.needs_client(s, host, hosts, span.clone(), "send")?;
                StepAction::Send {
                    to,
                    cc,
                    bcc,
                    subject: s
                        .subject
                        .as_ref()
                        .map(|x| x.get_ref().clone())
                        .unwrap_or_default(),
                    body: s
                        .body
                        .as_ref()
                        .map(|x| x.get_ref().clone())
                        .unwrap_or_default(),
                }
            }
            "check" => {
                unused(self, "to", s.to.as_ref().map(|t| t.span()));
                unused(self, "cc", s.cc.as_ref().map(|t| t.span()));
                unused(self, "bcc", s.bcc.as_ref().map(|t| t.span()));
                unused(self, "subject", s.subject.as_ref().map(|t| t.span()));
                unused(self, "body", s.body.as_ref().map(|t| t.span()));
                let h = self.needs_client(s, host, hosts, span.clone(), "check")?;
                if hosts[h]
                    .client
                    .as_ref()
                    .is_some_and(|c| c.incoming.is_none())
                {
                    self.err(
                        span,
                        format!(
                            "`{}`'s mail program has no `incoming` server to check",
                            hosts[h].name
                        ),
                        None,
                    );
                }
                StepAction::Check
            }
            "web" => {
                unused(self, "to", s.to.as_ref().map(|t| t.span()));
                unused(self, "cc", s.cc.as_ref().map(|t| t.span()));
                unused(self, "bcc", s.bcc.as_ref().map(|t| t.span()));
                unused(self, "subject", s.subject.as_ref().map(|t| t.span()));
                unused(self, "body", s.body.as_ref().map(|t| t.span()));
                let Some(h) = host else {
                    self.err(
                        span,
                        "a `web` step needs `host`: the computer whose browser asks",
                        None,
                    );
                    return None;
                };
                if hosts[h].kind != HostKind::Computer {
                    let sp = s.host.as_ref().map_or(span.clone(), |x| x.span());
                    self.err(
                        sp,
                        format!(
                            "`{}` is a server, not a computer with a browser",
                            hosts[h].name
                        ),
                        None,
                    );
                }
                let Some(sv) = &s.server else {
                    self.err(
                        span,
                        "a `web` step needs `server`: the web server's host name",
                        None,
                    );
                    return None;
                };
                let server = self.host_ref(names, sv, "web server")?;
                if !hosts[server].has(Service::Http) {
                    self.err(
                        sv.span(),
                        format!("`{}` has no web server", hosts[server].name),
                        Some("give that host services = [\"http\"]".into()),
                    );
                }
                let method = s
                    .method
                    .as_ref()
                    .map_or("GET".to_string(), |m| m.get_ref().to_ascii_uppercase());
                if method != "GET" && method != "POST" {
                    let sp = s.method.as_ref().map_or(span.clone(), |m| m.span());
                    self.err(
                        sp,
                        format!("`{method}` is not a method a browser sends for a page or a form"),
                        Some("expected \"GET\" or \"POST\"".into()),
                    );
                }
                let path = s
                    .path
                    .as_ref()
                    .map_or("/".to_string(), |p| p.get_ref().clone());
                if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b >= 0x7f) {
                    let sp = s.path.as_ref().map_or(span.clone(), |p| p.span());
                    self.err(
                        sp,
                        "a path starts with `/` and has no spaces or control characters",
                        Some("expected e.g. path = \"/compose\"".into()),
                    );
                }
                let form: Vec<(String, String)> = s
                    .form
                    .as_ref()
                    .map(|f| {
                        f.get_ref()
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                if !form.is_empty() && method != "POST" {
                    let sp = s.form.as_ref().map_or(span.clone(), |f| f.span());
                    self.err(sp, "a `form` is sent with method = \"POST\"", None);
                }
                StepAction::Web {
                    server,
                    method,
                    path,
                    form,
                }
            }
            verb @ ("read" | "delete") => {
                unused(self, "to", s.to.as_ref().map(|t| t.span()));
                unused(self, "cc", s.cc.as_ref().map(|t| t.span()));
                unused(self, "bcc", s.bcc.as_ref().map(|t| t.span()));
                unused(self, "body", s.body.as_ref().map(|t| t.span()));
                let h = self.needs_client(s, host, hosts, span.clone(), verb)?;
                if hosts[h].client.as_ref().is_some_and(|c| {
                    c.incoming.is_none() || c.incoming_protocol != IncomingProtocol::Imap
                }) {
                    self.err(
                        span.clone(),
                        format!(
                            "a `{verb}` step needs a mail program that uses IMAP; `{}`'s does not",
                            hosts[h].name
                        ),
                        Some(
                            "give its client incoming_protocol = \"imap\" and an incoming server"
                                .into(),
                        ),
                    );
                }
                let Some(subject) = &s.subject else {
                    self.err(
                        span,
                        format!("a `{verb}` step needs `subject`: which message to {verb}"),
                        None,
                    );
                    return None;
                };
                let subject = subject.get_ref().clone();
                if verb == "read" {
                    StepAction::Read { subject }
                } else {
                    StepAction::Delete { subject }
                }
            }
            other => {
                self.err(
                    span,
                    format!("`{other}` is not a step action"),
                    Some(words::suggest(
                        other,
                        &["narrate", "send", "check", "read", "delete", "web"],
                        "the actions are",
                    )),
                );
                return None;
            }
        };
        Some(StepDef {
            at,
            host,
            action,
            narration,
            line: self.line_of(anchor.start),
            on,
        })
    }

    fn needs_client(
        &mut self,
        s: &RawStep,
        host: Option<HostId>,
        hosts: &[HostDef],
        span: Range<usize>,
        what: &str,
    ) -> Option<HostId> {
        let Some(h) = host else {
            if s.host.is_none() {
                self.err(
                    span,
                    format!("a `{what}` step needs `host`: the computer whose user acts"),
                    None,
                );
            }
            return None;
        };
        if hosts[h].client.is_none() {
            let sp = s.host.as_ref().map(|x| x.span()).unwrap_or(span);
            self.err(
                sp,
                format!("`{}` has no mail program", hosts[h].name),
                Some("add a [host.client] table to that host".into()),
            );
            return None;
        }
        Some(h)
    }
}
