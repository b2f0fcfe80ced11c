//! Expectations: what a scenario says must hold at the end of the run, checked against the world.

use serde::Serialize;

use crate::engine::sim::Sim;
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
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn describe(count: Option<usize>, subject: &Option<String>) -> String {
    match (count, subject) {
        (Some(n), Some(s)) => format!("{} \"{s}\"", plural(n, "message")),
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
            } => {
                let subjects: Vec<&str> = hosts[*host]
                    .mailboxes
                    .get(user)
                    .map(|mb| mb.messages.iter().map(|m| m.subject.as_str()).collect())
                    .unwrap_or_default();
                Checked {
                    text: format!(
                        "{address} has {} on {}",
                        describe(*count, subject),
                        hosts[*host].def.name
                    ),
                    ok: holds(&subjects, *count, subject),
                    found: found(&subjects),
                }
            }
            ExpectDef::Inbox {
                host,
                count,
                subject,
            } => {
                let subjects: Vec<&str> = hosts[*host]
                    .inbox
                    .iter()
                    .map(|m| m.subject.as_str())
                    .collect();
                Checked {
                    text: format!(
                        "the mail program on {} has downloaded {}",
                        hosts[*host].def.name,
                        describe(*count, subject)
                    ),
                    ok: holds(&subjects, *count, subject),
                    found: found(&subjects),
                }
            }
            ExpectDef::Queue { host, count } => {
                let q = &hosts[*host].queue;
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
                }
            }
        })
        .collect()
}
