//! What if? Two runs side by side: where they part (the first event that differs) and how each
//! ends (where every mail is, what bounced, what is still queued). `mailsim diff A B` prints it.

use crate::Sim;
use crate::engine::ids::EventId;
use crate::engine::trace::{EventKind, MailboxChange, Trace, TraceEvent};
use crate::mail::BOUNCE_SUBJECT;

/// An event as it is compared: its time and what it says, not its id.
fn said(t: &Trace, e: &TraceEvent) -> String {
    format!("{} {}", e.time, crate::report::summary(t, e))
}

/// The first event where runs `a` and `b` differ, by its id (the same in both: an id counts the
/// events before it); `None` when they are the same event for event. A run that is a beginning of
/// the other differs where it ends. Events one of them no longer keeps (a long live run forgets
/// its first ones) are not compared.
pub fn first_difference(a: &Trace, b: &Trace) -> Option<EventId> {
    let (from, end) = (a.first_id().max(b.first_id()), a.next_id().min(b.next_id()));
    (from.index()..end.index())
        .map(EventId)
        .find(|&id| match (a.get(id), b.get(id)) {
            (Some(x), Some(y)) => said(a, x) != said(b, y),
            _ => true,
        })
        .or((a.next_id() != b.next_id()).then_some(end))
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
    fn a_run_that_forgot_its_first_events_is_compared_where_both_keep_them() {
        let whole = run(crate::WALKTHROUGH);
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let mut live = Sim::new(&s, None);
        live.set_trace_budget(crate::Budget {
            events: 40,
            ..crate::Budget::LIVE
        });
        live.run_to_end();
        let first = live.trace().first_id();
        assert!(first > EventId(0), "the live run kept every event");
        // The same run: no event both keep differs, and both end at the same id.
        assert_eq!(first_difference(whole.trace(), live.trace()), None);
        assert_eq!(first_difference(live.trace(), whole.trace()), None);
        // A run that stops earlier differs where it ends, by id.
        let mut short = Sim::new(&s, None);
        short.set_trace_budget(crate::Budget {
            events: 40,
            ..crate::Budget::LIVE
        });
        while short.trace().next_id() < EventId(first.index() + 30) {
            short.step();
        }
        assert_eq!(
            first_difference(whole.trace(), short.trace()),
            Some(short.trace().next_id())
        );
    }

    #[test]
    fn the_same_run_has_no_difference_and_a_mistyped_address_parts_at_its_rcpt() {
        let a = run(crate::WALKTHROUGH);
        assert_eq!(first_difference(a.trace(), a.trace()), None);
        let b =
            run(&crate::WALKTHROUGH
                .replace("to = [\"bob@b.example\"]", "to = [\"bobb@b.example\"]"));
        let i = first_difference(a.trace(), b.trace()).unwrap().index();
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
