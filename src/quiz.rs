//! Questions (`[[question]]`) answered by the run: where each is asked, what the right answer is
//! (worked out from the trace, not typed), which event answers it, and grading a student's answer.
//! `mailsim quiz` and the window ask them; `mailsim check` holds a typed answer against the run.

use crate::engine::ids::{EventId, HostId};
use crate::engine::trace::{Direction, EventKind, Trace, TraceEvent};
use crate::protocols::Protocol;
use crate::scenario::{QuestionDef, QuestionKind, Scenario, ScenarioError};

/// A question placed in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posed {
    /// Its index in the scenario's questions.
    pub index: usize,
    /// It is asked once the cursor has passed this event (`None`: before the first event).
    pub after: Option<EventId>,
    /// The right answer, as it is shown.
    pub answer: String,
    /// The event that answers it (shown, with its note, after the student answered).
    pub answered_by: Option<EventId>,
}

/// Why a question cannot be asked in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unasked {
    /// Its index in the scenario's questions.
    pub index: usize,
    /// Why, in a teacher's words.
    pub why: String,
}

/// The reply a segment carries, as a student would name it: an SMTP or HTTP code (`250`), POP3's
/// `+OK` or `-ERR`, IMAP's tagged `OK`, `NO` or `BAD`. `None` for what is not a reply (a command,
/// an IMAP untagged line, the bytes of a message).
pub fn reply_code(ev: &TraceEvent) -> Option<String> {
    let EventKind::Segment(s) = &ev.kind else {
        return None;
    };
    if s.direction != Direction::ServerToClient || s.attempt > 0 || s.payload.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&s.payload);
    let first = text.lines().next().unwrap_or("");
    match s.protocol {
        Protocol::Smtp => {
            let code = first.get(..3)?;
            code.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| code.into())
        }
        Protocol::Http => {
            let code = first.strip_prefix("HTTP/1.1 ")?.get(..3)?;
            Some(code.into())
        }
        Protocol::Pop3 => ["+OK", "-ERR"]
            .into_iter()
            .find(|p| first.starts_with(p))
            .map(str::to_string),
        Protocol::Imap => {
            // The tagged status line (the last line of the segment).
            let last = text.lines().last().unwrap_or("");
            let mut w = last.split(' ');
            let tag = w.next()?;
            let status = w.next()?;
            (tag != "*" && tag != "+" && ["OK", "NO", "BAD"].contains(&status))
                .then(|| status.into())
        }
        Protocol::Tcp | Protocol::Dns => None,
    }
}

/// Where `q` is asked: after this event (`Some`), before every event (`None`), or never (`Err`).
fn moment(q: &QuestionDef, t: &Trace) -> Result<Option<EventId>, String> {
    if let Some(b) = q.before {
        return match b {
            _ if b >= t.next_id().index() => Err(format!(
                "`before = {b}`, but the run's events are numbered 0 to {}",
                t.next_id().index().saturating_sub(1)
            )),
            0 => Ok(None),
            _ => Ok(Some(EventId(b - 1))),
        };
    }
    match &q.on {
        Some(on) => t
            .events
            .iter()
            .find(|e| e.time >= q.at && on.matches(e))
            .map(|e| Some(e.id))
            .ok_or_else(|| format!("nothing in the run matched `on = \"{}\"`", on.text)),
        None => Ok(t
            .events
            .iter()
            .take_while(|e| e.time < q.at)
            .last()
            .map(|e| e.id)),
    }
}

/// The packets with content a student would call "the next packet": a mail protocol's message
/// or a DNS datagram, sent for the first time.
fn packet_to(ev: &TraceEvent) -> Option<(HostId, HostId)> {
    match &ev.kind {
        EventKind::Segment(s) if !s.payload.is_empty() && s.attempt == 0 => {
            Some((s.from.host, s.to.host))
        }
        EventKind::Datagram(d) if d.attempt == 0 => Some((d.from.host, d.to.host)),
        _ => None,
    }
}

/// Works out each question's answer from the run `t` of `s`.
pub fn pose(s: &Scenario, t: &Trace) -> (Vec<Posed>, Vec<Unasked>) {
    let mut posed = Vec::new();
    let mut unasked = Vec::new();
    for (index, q) in s.questions.iter().enumerate() {
        match answer(s, t, q) {
            Ok((after, answer, answered_by)) => posed.push(Posed {
                index,
                after,
                answer,
                answered_by,
            }),
            Err(why) => unasked.push(Unasked { index, why }),
        }
    }
    (posed, unasked)
}

type Answer = (Option<EventId>, String, Option<EventId>);

fn answer(s: &Scenario, t: &Trace, q: &QuestionDef) -> Result<Answer, String> {
    let after = moment(q, t)?;
    let rest = t.since(after.map_or(EventId(0), |a| a.plus(1)));
    let name = |h: HostId| s.hosts[h].name.clone();
    match &q.kind {
        QuestionKind::Choice { choices, answer } => Ok((after, choices[*answer].clone(), None)),
        QuestionKind::NextReply { host } => rest
            .iter()
            .filter(|e| match (&e.kind, host) {
                (EventKind::Segment(seg), Some(h)) => seg.from.host == *h,
                _ => true,
            })
            .find_map(|e| reply_code(e).map(|c| (after, c, Some(e.id))))
            .ok_or_else(|| {
                let who = host.map_or("any server".into(), name);
                format!("{who} sends no reply after this point")
            }),
        QuestionKind::NextHost { host } => rest
            .iter()
            .find_map(|e| {
                let (from, to) = packet_to(e)?;
                host.is_none_or(|h| h == from)
                    .then(|| (after, name(to), Some(e.id)))
            })
            .ok_or_else(|| "no packet is sent after this point".into()),
        QuestionKind::Count { count, until } => {
            let end = match until {
                Some(u) => rest.iter().position(|e| u.matches(e)).ok_or_else(|| {
                    format!("nothing after this point matched `until = \"{}\"`", u.text)
                })?,
                None => rest.len(),
            };
            let counted: Vec<EventId> = rest[..end]
                .iter()
                .filter(|e| count.matches(e))
                .map(|e| e.id)
                .collect();
            // The last one counted shows where the count ends.
            Ok((after, counted.len().to_string(), counted.last().copied()))
        }
        QuestionKind::Order { items } => {
            let mut firsts = Vec::new();
            for item in items {
                let sent = rest.iter().find(|e| match &e.kind {
                    EventKind::Segment(seg) => {
                        seg.attempt == 0
                            && seg.payload.len() >= item.len()
                            && seg.payload[..item.len()].eq_ignore_ascii_case(item.as_bytes())
                    }
                    _ => false,
                });
                match sent {
                    Some(e) => firsts.push((e.id, item.clone())),
                    None => return Err(format!("`{item}` is never sent after this point")),
                }
            }
            firsts.sort();
            let last = firsts.last().map(|f| f.0);
            let order: Vec<String> = firsts.into_iter().map(|f| f.1).collect();
            Ok((after, order.join(" > "), last))
        }
    }
}

/// Lower case, single spaces, no quotes or brackets at the ends.
fn norm(s: &str) -> String {
    s.trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '<' | '>' | '`'))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Whether `given` is the right answer to question `q` posed as `p`. A choice may be given by its
/// number (1 = the first) or its text; a host by its name or its label; an order by the items'
/// numbers in order (`3142` or `3 1 4 2`) or their texts separated by `>`.
pub fn grade(s: &Scenario, q: &QuestionDef, p: &Posed, given: &str) -> bool {
    let g = norm(given);
    match &q.kind {
        QuestionKind::Choice { choices, answer } => {
            g == norm(&choices[*answer]) || g.parse::<usize>().ok() == Some(answer + 1)
        }
        QuestionKind::NextReply { .. } => {
            // `250`, `250 ok` and `+ok` all name the reply by its first word.
            g.split(' ').next() == Some(norm(&p.answer).as_str())
        }
        QuestionKind::NextHost { .. } => s.hosts.iter().any(|h| {
            norm(&h.name) == norm(&p.answer)
                && (g == norm(&h.name) || (!h.label.is_empty() && norm(&h.label) == g))
        }),
        QuestionKind::Count { .. } => g.parse::<usize>().ok() == p.answer.parse().ok(),
        QuestionKind::Order { items } => {
            let want: Vec<String> = p.answer.split(" > ").map(norm).collect();
            let digits: String = g
                .chars()
                .filter(|c| !c.is_whitespace() && *c != ',')
                .collect();
            let by_number = digits.len() == items.len()
                && digits.chars().all(|c| c.is_ascii_digit())
                && digits
                    .chars()
                    .map(|c| c as usize - '1' as usize)
                    .map(|i| items.get(i).map(|x| norm(x)))
                    .collect::<Option<Vec<_>>>()
                    .is_some_and(|v| v == want);
            let by_text = g.split('>').map(norm).collect::<Vec<_>>() == want;
            by_number || by_text
        }
    }
}

/// What `mailsim check` says about the questions, having run the scenario: a question the run
/// never reaches, and a typed answer the run contradicts, each at its place in the file.
pub fn check_questions(s: &Scenario, t: &Trace) -> Vec<ScenarioError> {
    let (posed, unasked) = pose(s, t);
    let mut out = Vec::new();
    for u in unasked {
        let mut e = s.questions[u.index].site.clone();
        e.message = format!("this question is never asked: {}", u.why);
        e.hint = Some(format!(
            "with seed {}: `mailsim run FILE --brief --no-tcp` shows what does happen",
            s.seed
        ));
        out.push(e);
    }
    for p in posed {
        let q = &s.questions[p.index];
        if let (Some(typed), Some(site)) = (&q.typed, &q.typed_site)
            && !matches!(q.kind, QuestionKind::Choice { .. })
            && !grade(s, q, &p, typed)
        {
            let mut e: ScenarioError = site.clone();
            // An order typed as the items' numbers is said back in their words.
            let typed = match &q.kind {
                QuestionKind::Order { items } if typed.chars().all(|c| c.is_ascii_digit()) => typed
                    .chars()
                    .filter_map(|c| items.get((c as usize).wrapping_sub('1' as usize)))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" > "),
                _ => typed.clone(),
            };
            e.message = format!("the run answers `{}`, not `{typed}`", p.answer);
            e.hint = Some(
                "leave `answer` out and mailsim works it out from the run, so it stays right \
                 when the scenario changes"
                    .into(),
            );
            out.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walkthrough with one question of the teacher's added at the end.
    fn with_question(q: &str) -> (Scenario, Trace) {
        let text = format!("{}\n[[question]]\n{q}\n", crate::WALKTHROUGH);
        let s = crate::scenario::parse("w", &text).unwrap();
        let mut sim = crate::Sim::new(&s, None);
        sim.run_to_end();
        let t = sim.trace().clone();
        (s, t)
    }

    #[test]
    fn a_question_before_an_event_is_asked_right_before_it_and_that_event_answers() {
        let (s, t) = with_question(
            "before = 12\nask = \"What does A's server answer?\"\nkind = \"next_reply\"\nhost = \"smtp.a.example\"",
        );
        let (posed, _) = pose(&s, &t);
        let p = posed.last().unwrap();
        assert_eq!(p.index, s.questions.len() - 1);
        assert_eq!(p.after, Some(EventId(11)));
        assert_eq!(p.answered_by, Some(EventId(12)));
        assert_eq!(p.answer, reply_code(&t.events[12]).unwrap());
        // `#0` and "#12" are read too; before the first event there is nothing to wait for.
        let (s, t) = with_question("before = \"#0\"\nask = \"?\"\nkind = \"next_host\"");
        let (posed, _) = pose(&s, &t);
        assert_eq!(posed.last().unwrap().after, None);
    }

    #[test]
    fn a_question_before_an_event_the_run_never_has_is_never_asked() {
        let (s, t) = with_question("before = 100000\nask = \"?\"\nkind = \"next_host\"");
        let (_, unasked) = pose(&s, &t);
        let u = unasked.last().unwrap();
        assert_eq!(u.index, s.questions.len() - 1);
        assert_eq!(
            u.why,
            format!(
                "`before = 100000`, but the run's events are numbered 0 to {}",
                t.events.len() - 1
            )
        );
    }
}
