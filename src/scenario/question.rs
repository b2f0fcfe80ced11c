//! `[[question]]`: predict, then see. A question is asked at a moment of the run (`on` an event,
//! as a step can begin, or `at` a time) about what happens next; wherever it can be, its answer
//! is worked out from the run, so it stays right when the scenario changes.
//!
//! ```toml
//! [[question]]
//! on = "smtp.a.example sends RCPT TO"
//! ask = "What does A's server answer?"
//! kind = "next_reply"
//! host = "smtp.a.example"
//! ```

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::on::{self, Trigger};
use super::{ScenarioError, Validator, words};
use crate::engine::ids::HostId;
use crate::engine::time::SimTime;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuestion {
    at: Option<Spanned<String>>,
    on: Option<Spanned<String>>,
    before: Option<Spanned<toml::Value>>,
    ask: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    choices: Option<Spanned<Vec<String>>>,
    items: Option<Spanned<Vec<String>>>,
    answer: Option<Spanned<toml::Value>>,
    host: Option<Spanned<String>>,
    count: Option<Spanned<String>>,
    until: Option<Spanned<String>>,
    why: Option<String>,
}

/// What a question asks, and how its answer is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    /// One of `choices`; the teacher's `answer` (its text) is the right one.
    Choice { choices: Vec<String>, answer: usize },
    /// The next reply (SMTP/HTTP code, POP3 `+OK`/`-ERR`, IMAP `OK`/`NO`/`BAD`) sent by `host`,
    /// or by any server.
    NextReply { host: Option<HostId> },
    /// The host that receives the next packet with content (a message of a mail protocol or a
    /// DNS datagram), of those `host` sends when given.
    NextHost { host: Option<HostId> },
    /// How many events like `count` happen from here until the first like `until` (or the end).
    Count {
        count: Trigger,
        until: Option<Trigger>,
    },
    /// In which order these are sent (each, the text a message begins with).
    Order { items: Vec<String> },
}

/// The kinds, as written.
pub const KINDS: &[&str] = &["choice", "next_reply", "next_host", "count", "order"];

/// A question of the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionDef {
    /// The moment: asked right after the first event this matches...
    pub on: Option<Trigger>,
    /// ...at or after this time (without `on`: right before the first event at or after it).
    pub at: SimTime,
    /// Or right before the event with this id (`before = 41`, as the event list numbers them).
    pub before: Option<usize>,
    /// The question's text.
    pub ask: String,
    /// What it asks.
    pub kind: QuestionKind,
    /// The answer the teacher typed, for a question the run answers: it must agree with the run.
    pub typed: Option<String>,
    /// Where the typed answer is written (its message left to fill), for `mailsim check`.
    pub typed_site: Option<ScenarioError>,
    /// Why the answer is right, in the teacher's words (else the note of the event that answers).
    pub why: Option<String>,
    /// The line of the file it begins on (1-based).
    pub line: usize,
    /// Where its `on` (or `at`) is written (its message left to fill), for `mailsim check`.
    pub site: ScenarioError,
}

/// A typed answer as text: a string, a number, or a list (for `order`).
fn answer_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(n) => Some(n.to_string()),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(" > ")),
        _ => None,
    }
}

impl Validator<'_> {
    /// An `on` text (of a step, or a question's `on`, `count`, `until`); an error points inside
    /// the quotes, at the word it is about.
    pub(super) fn trigger(&mut self, s: &Spanned<String>, names: &[String]) -> Option<Trigger> {
        match on::parse(s.get_ref(), names) {
            Ok(t) => Some(t),
            Err((message, hint, part)) => {
                let span = match part {
                    Some(p) => s.span().start + 1 + p.start..s.span().start + 1 + p.end,
                    None => s.span(),
                };
                self.err(span, message, Some(hint));
                None
            }
        }
    }

    fn unused_key(&mut self, kind: &str, key: &str, span: Option<Range<usize>>) {
        if let Some(span) = span {
            self.err(
                span,
                format!("`{key}` is not used by a question of kind \"{kind}\""),
                None,
            );
        }
    }

    pub(super) fn question(
        &mut self,
        whole: &Spanned<RawQuestion>,
        names: &[String],
    ) -> Option<QuestionDef> {
        let q = whole.get_ref();
        let Some(ask) = &q.ask else {
            self.err(
                whole.span(),
                "a question needs `ask`: what the student is asked",
                Some("for example ask = \"What does the server answer?\"".into()),
            );
            return None;
        };
        let before = match &q.before {
            Some(b) => {
                let id = match b.get_ref() {
                    toml::Value::Integer(n) => usize::try_from(*n).ok(),
                    toml::Value::String(s) => s.trim().trim_start_matches('#').parse().ok(),
                    _ => None,
                };
                let Some(id) = id else {
                    self.err(
                        b.span(),
                        "`before` needs an event's number, as the event list shows it",
                        Some("for example before = 41 (asked right before event #41)".into()),
                    );
                    return None;
                };
                if let Some(other) = q.on.as_ref().or(q.at.as_ref()) {
                    self.err(
                        other.span(),
                        "a question is placed by `before` or by `on`/`at`, not both",
                        Some("keep one of them".into()),
                    );
                    return None;
                }
                Some(id)
            }
            None => None,
        };
        let Some(anchor) =
            q.on.as_ref()
                .or(q.at.as_ref())
                .map(|x| x.span())
                .or(q.before.as_ref().map(|b| b.span()))
        else {
            self.err(
                ask.span(),
                "a question needs `on` (the event after which it is asked), `at` (a time) or `before` (an event's number)",
                Some("for example on = \"smtp.a.example sends RCPT TO\"".into()),
            );
            return None;
        };
        let at =
            q.at.as_ref()
                .map_or(SimTime::ZERO, |a| SimTime::ZERO + self.duration(a));
        let on = q.on.as_ref().and_then(|o| self.trigger(o, names));
        let kind_name = q
            .kind
            .as_ref()
            .map(|k| k.get_ref().as_str())
            .unwrap_or(if q.choices.is_some() { "choice" } else { "" });
        let kind_span = q.kind.as_ref().map(|k| k.span()).unwrap_or(anchor.clone());
        let host = q
            .host
            .as_ref()
            .and_then(|h| self.host_ref(names, h, "host"));
        let span_of = |x: &Option<Spanned<String>>| x.as_ref().map(|s| s.span());
        let typed = match &q.answer {
            Some(a) => match answer_text(a.get_ref()) {
                Some(t) => Some(t),
                None => {
                    self.err(
                        a.span(),
                        "`answer` needs text in quotes, a number, or (for `order`) a list",
                        Some("for example answer = \"250\"".into()),
                    );
                    return None;
                }
            },
            None => None,
        };
        let kind = match kind_name {
            "choice" => {
                self.unused_key(kind_name, "host", span_of(&q.host));
                self.unused_key(kind_name, "count", span_of(&q.count));
                self.unused_key(kind_name, "until", span_of(&q.until));
                let Some(choices) = &q.choices else {
                    self.err(
                        kind_span,
                        "a question of kind \"choice\" needs `choices`",
                        Some("for example choices = [\"A\", \"MX\", \"PTR\"]".into()),
                    );
                    return None;
                };
                if choices.get_ref().len() < 2 {
                    self.err(choices.span(), "`choices` needs two or more", None);
                    return None;
                }
                let Some(t) = &typed else {
                    self.err(
                        choices.span(),
                        "a question of kind \"choice\" needs `answer`: the right choice",
                        None,
                    );
                    return None;
                };
                let Some(answer) = choices.get_ref().iter().position(|c| c == t) else {
                    let span = q.answer.as_ref().map_or(choices.span(), |a| a.span());
                    self.err(
                        span,
                        format!("the answer `{t}` is not one of the `choices`"),
                        Some(format!("the choices are: {}", choices.get_ref().join(", "))),
                    );
                    return None;
                };
                QuestionKind::Choice {
                    choices: choices.get_ref().clone(),
                    answer,
                }
            }
            "next_reply" | "next_host" => {
                self.unused_key(kind_name, "count", span_of(&q.count));
                self.unused_key(kind_name, "until", span_of(&q.until));
                if kind_name == "next_reply" {
                    QuestionKind::NextReply { host }
                } else {
                    QuestionKind::NextHost { host }
                }
            }
            "count" => {
                self.unused_key(kind_name, "host", span_of(&q.host));
                let Some(c) = &q.count else {
                    self.err(
                        kind_span,
                        "a question of kind \"count\" needs `count`: the event to count",
                        Some("for example count = \"smtp.a.example queries DNS\"".into()),
                    );
                    return None;
                };
                let count = self.trigger(c, names)?;
                let until = match &q.until {
                    Some(u) => Some(self.trigger(u, names)?),
                    None => None,
                };
                QuestionKind::Count { count, until }
            }
            "order" => {
                self.unused_key(kind_name, "host", span_of(&q.host));
                let Some(items) = &q.items else {
                    self.err(
                        kind_span,
                        "a question of kind \"order\" needs `items`: what the student puts in order",
                        Some("for example items = [\"DATA\", \"MAIL FROM\", \"RCPT TO\"]".into()),
                    );
                    return None;
                };
                if !(2..=9).contains(&items.get_ref().len()) {
                    self.err(items.span(), "`items` needs two to nine entries", None);
                    return None;
                }
                QuestionKind::Order {
                    items: items.get_ref().clone(),
                }
            }
            "" => {
                self.err(
                    anchor,
                    "a question needs `kind` (or `choices`)",
                    Some(format!("the kinds are: {}", KINDS.join(", "))),
                );
                return None;
            }
            other => {
                self.err(
                    kind_span,
                    format!("`{other}` is not a kind of question"),
                    Some(words::suggest(other, KINDS, "the kinds are")),
                );
                return None;
            }
        };
        if !matches!(kind, QuestionKind::Choice { .. }) {
            self.unused_key(kind_name, "choices", q.choices.as_ref().map(|c| c.span()));
        }
        if !matches!(kind, QuestionKind::Order { .. }) {
            self.unused_key(kind_name, "items", q.items.as_ref().map(|c| c.span()));
        }
        let typed_site = q
            .answer
            .as_ref()
            .map(|a| ScenarioError::at(self.file, self.source, a.span(), "", None));
        Some(QuestionDef {
            on,
            at,
            before,
            ask: ask.get_ref().clone(),
            kind,
            typed: if typed_site.is_some() { typed } else { None },
            typed_site,
            why: q.why.clone(),
            line: self.line_of(anchor.start),
            site: ScenarioError::at(self.file, self.source, anchor, "", None),
        })
    }
}
