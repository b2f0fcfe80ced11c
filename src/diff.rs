//! What if? Two runs side by side: where they part (the first event that differs) and how each
//! ends (where every mail is, what bounced, what is still queued). `mailsim diff A B` prints it.

use crate::Sim;
use crate::engine::trace::{EventKind, MailboxChange, Trace, TraceEvent};
use crate::mail::BOUNCE_SUBJECT;

/// An event as it is compared: its time and what it says, not its id.
fn said(t: &Trace, e: &TraceEvent) -> String {
    format!("{} {}", e.time, crate::report::summary(t, e))
}

/// The first event (its index, the same in both) where runs `a` and `b` differ; `None` when they
/// are the same event for event. A run that is a beginning of the other differs where it ends.
pub fn first_difference(a: &Trace, b: &Trace) -> Option<usize> {
    let n = a.events.len().min(b.events.len());
    (0..n)
        .find(|&i| said(a, &a.events[i]) != said(b, &b.events[i]))
        .or((a.events.len() != b.events.len()).then_some(n))
}

/// How a run ends, a line each: every mail stored in a server's mailbox (and bounces among
/// them), what each computer's mail program has, and what is still in a queue.
pub fn outcome(sim: &Sim) -> Vec<String> {
    let mut out = Vec::new();
    let t = sim.trace();
    // Stored, over the whole run (a POP3 download may have emptied the mailbox since).
    for e in &t.events {
        if let EventKind::Mailbox {
            host,
            user,
            change: MailboxChange::Stored { subject, .. },
        } = &e.kind
        {
            let what = if subject == BOUNCE_SUBJECT {
                "a bounce"
            } else {
                "stored"
            };
            out.push(format!(
                "{}: {what} \"{subject}\" for {user} on {}",
                e.time,
                t.host_name(*host)
            ));
        }
    }
    for h in sim.hosts() {
        if h.def.client.is_some() {
            let subjects: Vec<String> = h
                .program
                .inbox
                .iter()
                .map(|m| format!("\"{}\"", m.subject))
                .collect();
            out.push(format!(
                "at the end, {}'s mail program has {}",
                h.def.name,
                if subjects.is_empty() {
                    "nothing".into()
                } else {
                    subjects.join(", ")
                }
            ));
        }
        for q in &h.mta.queue {
            let rcpts: Vec<String> = q.rcpts.iter().map(ToString::to_string).collect();
            out.push(format!(
                "at the end, still queued on {}: {} for {} ({})",
                h.def.name,
                q.id,
                rcpts.join(", "),
                q.status
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Sim {
        let s = crate::scenario::parse("t.toml", text).unwrap();
        let mut sim = Sim::new(&s, None);
        sim.run_to_end();
        sim
    }

    #[test]
    fn the_same_run_has_no_difference_and_a_mistyped_address_parts_at_its_rcpt() {
        let a = run(crate::WALKTHROUGH);
        assert_eq!(first_difference(a.trace(), a.trace()), None);
        let b =
            run(&crate::WALKTHROUGH
                .replace("to = [\"bob@b.example\"]", "to = [\"bobb@b.example\"]"));
        let i = first_difference(a.trace(), b.trace()).unwrap();
        // The runs agree until the mail program names its recipient (the sending note first).
        let before = &a.trace().events[..i];
        assert!(
            before
                .iter()
                .all(|e| said(a.trace(), e) == said(b.trace(), &b.trace().events[e.id.index()]))
        );
        let (ea, eb) = (&a.trace().events[i], &b.trace().events[i]);
        assert!(
            said(a.trace(), ea).contains("bob@b.example"),
            "{}",
            said(a.trace(), ea)
        );
        assert!(
            said(b.trace(), eb).contains("bobb@b.example"),
            "{}",
            said(b.trace(), eb)
        );
        let (oa, ob) = (outcome(&a), outcome(&b));
        assert!(
            oa.iter()
                .any(|l| l.contains("stored \"Lunch on Friday?\" for bob on mx.b.example")),
            "{oa:?}"
        );
        assert!(
            ob.iter()
                .any(|l| l.contains("a bounce \"Undelivered Mail Returned to Sender\" for alice")),
            "{ob:?}"
        );
    }
}
