//! Expectations: what a scenario says must hold at the end of the run, checked against the world.

use serde::Serialize;

use crate::Sim;
use crate::scenario::ExpectDef;

/// One checked expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// What was expected, in words: `bob@b.example has 1 message "Lunch on Friday?"`.
    pub text: String,
    /// Whether it holds.
    pub ok: bool,
    /// What was found, in words.
    pub found: String,
    /// The line of the scenario file the expectation begins on.
    pub line: usize,
}

use crate::engine::digits::count as plural;

fn describe(count: Option<usize>, subject: &Option<String>) -> String {
    match (count, subject) {
        // Not `2 messages "Old school"`, which reads as if both had that subject.
        (Some(1), Some(s)) => format!("1 message, \"{s}\""),
        (Some(n), Some(s)) => format!("{}, one of them \"{s}\"", plural(n, "message")),
        (Some(n), None) => plural(n, "message"),
        (None, Some(s)) => format!("a message \"{s}\""),
        (None, None) => "messages".into(),
    }
}

fn holds(subjects: &[&str], count: Option<usize>, subject: &Option<String>) -> bool {
    count.is_none_or(|n| subjects.len() == n)
        && subject
            .as_ref()
            .is_none_or(|s| subjects.iter().any(|x| x == s))
}

fn found(subjects: &[&str]) -> String {
    if subjects.is_empty() {
        "none".into()
    } else {
        let list: Vec<String> = subjects.iter().map(|s| format!("\"{s}\"")).collect();
        format!("{}: {}", plural(subjects.len(), "message"), list.join(", "))
    }
}

/// A mailbox or inbox expectation, with the flags of the message named by `subject` if asked.
fn with_flags(
    mut text: String,
    msgs: &[(&str, &[String])],
    count: Option<usize>,
    subject: &Option<String>,
    flags: &Option<Vec<String>>,
) -> Checked {
    let subjects: Vec<&str> = msgs.iter().map(|m| m.0).collect();
    let mut ok = holds(&subjects, count, subject);
    let mut found_text = found(&subjects);
    if let (Some(want), Some(s)) = (flags, subject) {
        let shown = |f: &[String]| format!("({})", f.join(" "));
        text.push_str(&format!(", flagged {}", shown(want)));
        let have = msgs.iter().find(|m| m.0 == s).map(|m| m.1);
        ok &= have.is_some_and(|f| f == want.as_slice());
        if let Some(f) = have {
            found_text.push_str(&format!("; \"{s}\" is flagged {}", shown(f)));
        }
    }
    Checked {
        text,
        ok,
        found: found_text,
        line: 0,
    }
}

/// `once`, `twice`, `3 times`.
fn times(n: usize) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        _ => format!("{n} times"),
    }
}

/// Checks every expectation of the simulated scenario against the world as it is now.
pub fn check(sim: &Sim) -> Vec<Checked> {
    let hosts = sim.hosts();
    sim.scenario()
        .expects
        .iter()
        .map(|e| match e {
            ExpectDef::Mailbox {
                host,
                user,
                address,
                count,
                subject,
                flags,
            } => {
                let msgs: Vec<(&str, &[String])> = hosts[*host]
                    .store
                    .mailboxes
                    .get(user)
                    .map(|mb| {
                        mb.messages
                            .iter()
                            .map(|m| (m.subject.as_str(), m.flags.as_slice()))
                            .collect()
                    })
                    .unwrap_or_default();
                with_flags(
                    format!(
                        "{address} has {} on {}",
                        describe(*count, subject),
                        hosts[*host].def.name
                    ),
                    &msgs,
                    *count,
                    subject,
                    flags,
                )
            }
            ExpectDef::Inbox {
                host,
                count,
                subject,
                flags,
            } => {
                let msgs: Vec<(&str, &[String])> = hosts[*host]
                    .program
                    .inbox
                    .iter()
                    .map(|m| (m.subject.as_str(), m.flags.as_slice()))
                    .collect();
                let imap = hosts[*host].def.client.as_ref().is_some_and(|c| {
                    c.incoming_protocol == crate::scenario::IncomingProtocol::Imap
                });
                with_flags(
                    format!(
                        "the mail program on {} {} {}",
                        hosts[*host].def.name,
                        if imap { "lists" } else { "has downloaded" },
                        describe(*count, subject)
                    ),
                    &msgs,
                    *count,
                    subject,
                    flags,
                )
            }
            ExpectDef::Queue { host, count } => {
                let q = &hosts[*host].mta.queue;
                let list: Vec<String> = q
                    .iter()
                    .map(|m| format!("{} ({})", m.id, m.status))
                    .collect();
                Checked {
                    text: format!(
                        "the queue of {} holds {}",
                        hosts[*host].def.name,
                        plural(*count, "message")
                    ),
                    ok: q.len() == *count,
                    found: if list.is_empty() {
                        "empty".into()
                    } else {
                        list.join(", ")
                    },
                    line: 0,
                }
            }
            ExpectDef::Happened { what, count } => {
                let n = sim
                    .trace()
                    .events
                    .iter()
                    .filter(|e| what.matches(e))
                    .count();
                let done = what.done(|h| hosts[h].def.name.clone());
                Checked {
                    text: match count {
                        Some(c) => format!("{done}, {}", times(*c)),
                        None => done,
                    },
                    ok: count.map_or(n > 0, |c| n == c),
                    found: if n == 0 {
                        "it never happened".into()
                    } else {
                        format!("it happened {}", times(n))
                    },
                    line: 0,
                }
            }
        })
        .zip(&sim.scenario().expect_lines)
        .map(|(c, &line)| Checked { line, ..c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn a_count_with_a_subject_does_not_give_every_message_that_subject() {
        let s = Some("Old school".to_string());
        assert_eq!(
            describe(Some(2), &s),
            "2 messages, one of them \"Old school\""
        );
        assert_eq!(describe(Some(1), &s), "1 message, \"Old school\"");
        assert_eq!(describe(None, &s), "a message \"Old school\"");
        assert_eq!(describe(Some(0), &None), "0 messages");
    }
}
