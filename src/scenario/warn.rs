//! What `mailsim check` warns about: a file that is valid but would tell a different story from
//! the one its teacher meant, found without running it. Each names the line it is about.

use super::{ExpectDef, Scenario, StepAction};
use crate::engine::ids::HostId;
use crate::mail::BOUNCE_SUBJECT;

/// One warning: a line of the file and what would go wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The 1-based line.
    pub line: usize,
    /// What would go wrong, and what to do.
    pub message: String,
}

/// The subjects the scenario's users send: by mail program and through webmail.
fn sent_subjects(s: &Scenario) -> Vec<&str> {
    let mut out = Vec::new();
    for st in &s.steps {
        match &st.action {
            StepAction::Send { subject, .. } => out.push(subject.as_str()),
            StepAction::Web { form, .. } => out.extend(
                form.iter()
                    .filter(|(k, _)| k == "subject")
                    .map(|(_, v)| v.as_str()),
            ),
            _ => {}
        }
    }
    out
}

fn quoted_list(subjects: &[&str]) -> String {
    if subjects.is_empty() {
        "no step sends a mail".into()
    } else {
        let q: Vec<String> = subjects.iter().map(|s| format!("\"{s}\"")).collect();
        format!("the subjects sent are {}", q.join(", "))
    }
}

/// Everything worth a warning, in line order.
pub fn warnings(s: &Scenario) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut sent = sent_subjects(s);
    sent.sort();
    sent.dedup();
    let known = |subject: &str| sent.contains(&subject) || subject == BOUNCE_SUBJECT;
    for st in &s.steps {
        if let StepAction::Read { subject } | StepAction::Delete { subject } = &st.action
            && !known(subject)
        {
            out.push(Warning {
                line: st.line,
                message: format!(
                    "no step sends a mail \"{subject}\", so this step will find nothing to open ({})",
                    quoted_list(&sent)
                ),
            });
        }
    }
    for (e, &line) in s.expects.iter().zip(&s.expect_lines) {
        let (subject, count) = match e {
            ExpectDef::Mailbox { subject, count, .. } | ExpectDef::Inbox { subject, count, .. } => {
                (subject, count)
            }
            ExpectDef::Queue { .. } | ExpectDef::Happened { .. } => continue,
        };
        if let Some(subject) = subject
            && *count != Some(0)
            && !known(subject)
        {
            out.push(Warning {
                line,
                message: format!(
                    "no step sends a mail \"{subject}\", so this expectation cannot hold ({})",
                    quoted_list(&sent)
                ),
            });
        }
    }
    // A recipient with a computer of their own whose mail nobody ever looks at.
    let mut told: Vec<String> = Vec::new();
    for st in &s.steps {
        let StepAction::Send { to, cc, bcc, .. } = &st.action else {
            continue;
        };
        for rcpt in to.iter().chain(cc).chain(bcc) {
            let Some(h) = s.hosts.iter().position(|h| {
                h.client.as_ref().is_some_and(|c| {
                    c.address
                        .to_string()
                        .eq_ignore_ascii_case(&rcpt.to_string())
                })
            }) else {
                continue;
            };
            let h = HostId::new(h);
            let looks = s.steps.iter().any(|x| {
                x.host == Some(h)
                    && matches!(
                        x.action,
                        StepAction::Check | StepAction::Read { .. } | StepAction::Web { .. }
                    )
            });
            let expected = s.expects.iter().any(|e| match e {
                ExpectDef::Inbox { host, .. } => *host == h,
                ExpectDef::Mailbox { address, .. } => {
                    address.eq_ignore_ascii_case(&rcpt.to_string())
                }
                ExpectDef::Queue { .. } | ExpectDef::Happened { .. } => false,
            });
            let name = &s.hosts[h].name;
            if !looks && !expected && !told.contains(name) {
                told.push(name.clone());
                out.push(Warning {
                    line: st.line,
                    message: format!(
                        "{rcpt} gets mail here, but no step has {name} check for it, so the \
                         walkthrough never shows it arriving (add a `check` step with \
                         host = \"{name}\", or an [[expect]] for the mailbox)"
                    ),
                });
            }
        }
    }
    // A recipient's domain that the DNS knows nothing of: its mail bounces at once.
    let mut nowhere: Vec<String> = Vec::new();
    for st in &s.steps {
        let (StepAction::Send { to, cc, bcc, .. }, Some(h)) = (&st.action, st.host) else {
            continue;
        };
        let Some(cl) = &s.hosts[h].client else {
            continue;
        };
        let server = &s.hosts[cl.outgoing];
        for rcpt in to.iter().chain(cc).chain(bcc) {
            let d = rcpt.domain_lower();
            // The sender's own server keeps that domain's mailboxes: no DNS needed.
            if server
                .domain
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(&d))
                || s.zone.get(&d).is_some()
                || nowhere.contains(&d)
            {
                continue;
            }
            nowhere.push(d.clone());
            out.push(Warning {
                line: st.line,
                message: format!(
                    "mail to {rcpt} will bounce: the DNS has no MX record for {d} and no host \
                     is called {d} (add [[dns]] name = \"{d}\", type = \"MX\", exchange = \
                     \"the host that receives its mail\")"
                ),
            });
        }
    }
    out.sort_by_key(|w| w.line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CC: &str = include_str!("../../scenarios/cc-and-bcc.toml");

    fn warned(text: &str) -> Vec<Warning> {
        warnings(&crate::scenario::parse("t.toml", text).unwrap())
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l == needle).unwrap() + 1
    }

    #[test]
    fn a_sound_file_gets_no_warning() {
        assert_eq!(warned(CC), []);
    }

    #[test]
    fn a_user_whose_mail_nobody_looks_at_is_named_once_at_the_send() {
        // Carol's check step and her expectation gone: nobody ever sees her copy arrive.
        let text = CC
            .replace(
                "[[step]]\nat = \"12s\"\naction = \"check\"\nhost = \"carol-pc.c.example\"\n",
                "[[step]]\nat = \"12s\"\n",
            )
            .replace(
                "[[expect]]\ninbox = \"carol-pc.c.example\"\ncount = 1\nsubject = \"Team lunch\"\n",
                "",
            );
        let w = warned(&text);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].line, line_of(&text, "at = \"0s\""));
        assert!(w[0].message.starts_with(
            "carol@c.example gets mail here, but no step has carol-pc.c.example check"
        ));
    }

    #[test]
    fn an_expectation_about_a_subject_nobody_sends_is_named_at_its_line() {
        // A mail that is never sent cannot be opened, nor counted; a bounce can be.
        let text = CC.replace(
            "[[expect]]\ninbox = \"dave-pc.c.example\"\ncount = 1\nsubject = \"Team lunch\"\n",
            &format!(
                "[[expect]]\ninbox = \"dave-pc.c.example\"\ncount = 1\nsubject = \"Team lunch\"\n\n\
                 [[expect]]\ninbox = \"dave-pc.c.example\"\ncount = 0\nsubject = \"Nothing\"\n\n\
                 [[expect]]\ninbox = \"dave-pc.c.example\"\ncount = 1\nsubject = \"{BOUNCE_SUBJECT}\"\n\n\
                 [[expect]]\ninbox = \"dave-pc.c.example\"\ncount = 1\nsubject = \"Team Lunch!\"\n"
            ),
        );
        let w = warned(&text);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].message.contains("\"Team Lunch!\""));
        // The line naming the inbox, two above the subject at the end.
        assert_eq!(w[0].line, text.lines().count() - 2);
    }
}
