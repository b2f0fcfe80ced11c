//! The commands that make a student act rather than watch: `quiz` (predict, then see), `talk`
//! (be the mail program) and `diff` (what if: two runs side by side).

use std::io::{self, Write};
use std::process::ExitCode;

use mailsim::{Scenario, Sim, check, report, scenario};

/// `mailsim quiz`: the run up to each question (without TCP's control segments), the question,
/// the answer (asked on stdin, or from `answers`), then whether it is right and why.
pub fn quiz(s: &Scenario, file: &str, seed: Option<u64>, answers: Option<&str>) -> ExitCode {
    use mailsim::quiz;
    use scenario::QuestionKind;
    let mut sim = Sim::new(s, seed);
    sim.run_to_end();
    let t = sim.trace();
    let (mut posed, unasked) = quiz::pose(s, t);
    for u in &unasked {
        eprintln!(
            "{file}:{}: this question is never asked: {}",
            s.questions[u.index].line, u.why
        );
    }
    if posed.is_empty() {
        if unasked.is_empty() {
            eprintln!(
                "mailsim quiz: {file} has no questions (see [[question]] in docs/scenarios.md)"
            );
        }
        return ExitCode::from(2);
    }
    posed.sort_by_key(|p| (p.after.map_or(0, |a| a.index() + 1), p.index));
    let given: Option<Vec<&str>> = answers.map(|a| a.split(',').collect());
    if let Some(g) = &given
        && g.len() != posed.len()
    {
        eprintln!(
            "mailsim quiz: --answers gives {} answers, and this quiz asks {} questions",
            g.len(),
            posed.len()
        );
        return ExitCode::from(2);
    }
    let mut out = io::stdout().lock();
    let mut lines = io::stdin().lines();
    let mut ask = |out: &mut io::StdoutLock, k: usize, again: bool| -> Option<String> {
        match &given {
            Some(g) => {
                let a = g[k].trim().to_string();
                writeln!(out, "  your answer: {a}").ok()?;
                (!again).then_some(a)
            }
            None => {
                write!(
                    out,
                    "  {}: ",
                    if again { "try again" } else { "your answer" }
                )
                .ok()?;
                out.flush().ok()?;
                lines.next()?.ok()
            }
        }
    };
    let mut shown = 0;
    let mut right = 0;
    let _ = writeln!(
        out,
        "mailsim quiz — {} (seed {})",
        s.title,
        seed.unwrap_or(s.seed)
    );
    for (k, p) in posed.iter().enumerate() {
        let q = &s.questions[p.index];
        let upto = p.after.map_or(0, |a| a.index() + 1).max(shown);
        for ev in t.range(mailsim::EventId(shown), mailsim::EventId(upto)) {
            if !report::is_tcp_control(ev) {
                let _ = report::write_event(&mut out, t, ev, true);
            }
        }
        shown = upto;
        let _ = writeln!(
            out,
            "
  Question {} of {}: {}",
            k + 1,
            posed.len(),
            q.ask
        );
        let numbered = |out: &mut io::StdoutLock, xs: &[String]| {
            for (i, x) in xs.iter().enumerate() {
                let _ = writeln!(out, "    {}. {x}", i + 1);
            }
        };
        match &q.kind {
            QuestionKind::Choice { choices, .. } => numbered(&mut out, choices),
            QuestionKind::Order { items } => {
                numbered(&mut out, items);
                let _ = writeln!(out, "    (answer with their numbers in order, e.g. 2134)");
            }
            QuestionKind::NextHost { .. } => {
                let names: Vec<&str> = s.hosts.iter().map(|h| h.name.as_str()).collect();
                let _ = writeln!(out, "    (a host: {})", names.join(", "));
            }
            QuestionKind::NextReply { .. } => {
                let _ = writeln!(out, "    (a reply code: 250, 354, +OK, -ERR, OK, NO...)");
            }
            QuestionKind::Count { .. } => {
                let _ = writeln!(out, "    (a number)");
            }
        }
        let mut ok = ask(&mut out, k, false).is_some_and(|a| quiz::grade(s, q, p, &a));
        if !ok && given.is_none() {
            ok = ask(&mut out, k, true).is_some_and(|a| quiz::grade(s, q, p, &a));
        }
        if ok {
            right += 1;
            let _ = writeln!(out, "  ✓ right: {}", p.answer);
        } else {
            let _ = writeln!(out, "  ✗ the answer is {}", p.answer);
        }
        match (&q.why, p.answered_by.and_then(|i| t.get(i))) {
            (Some(why), _) => {
                let _ = writeln!(out, "    {why}");
            }
            (None, Some(ev)) => {
                let _ = writeln!(out, "    {}", report::with_note(t, ev));
            }
            (None, None) => {}
        }
    }
    let _ = writeln!(out, "\nScore: {right} of {}", posed.len());
    if right == posed.len() && unasked.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `HOST:PORT`, or `HOST PORT`.
fn host_port(s: &str) -> Result<(&str, u16), String> {
    let (h, p) = s
        .trim()
        .rsplit_once([':', ' '])
        .ok_or_else(|| format!("`{s}` is not HOST:PORT (for example mx.b.example:25)"))?;
    let p = p
        .trim()
        .parse()
        .map_err(|_| format!("`{p}` is not a port number (25, 110, 143, 587, 80)"))?;
    Ok((h.trim(), p))
}

/// `mailsim talk`: the student is the mail program.
pub fn talk(s: &Scenario, to: Option<&str>, seed: Option<u64>) -> ExitCode {
    use mailsim::console::{Console, Reply};
    let show = |out: &mut io::StdoutLock, replies: &[Reply], c: &Console| {
        for r in replies {
            for line in r.text.lines() {
                let _ = writeln!(out, "S: {line}");
            }
            let _ = writeln!(out, "   — {}", r.note);
            if let Some(h) = &r.hint {
                let _ = writeln!(out, "   hint: {h}");
            }
        }
        // What to type next, once per reply (the lines of a message get none).
        if let Some(n) = c.next_step().filter(|_| !replies.is_empty()) {
            let _ = writeln!(out, "   next: {n}");
        }
    };
    let exercise = s.talk.map(|(h, p)| format!("{}:{p}", s.hosts[h].name));
    let Some(to) = to.or(exercise.as_deref()) else {
        eprintln!(
            "mailsim talk: name the server to talk to, HOST:PORT (for example mx.b.example:25); \
             this scenario has no `talk` of its own"
        );
        return ExitCode::from(2);
    };
    let opened = host_port(to).and_then(|(h, p)| Console::open(s, seed, h, p));
    let (mut c, greeting) = match opened {
        Ok(x) => x,
        Err(e) => {
            eprintln!("mailsim talk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = io::stdout().lock();
    let _ = writeln!(
        out,
        "mailsim talk — {}: you are a mail program on you.example (198.18.0.1), connected to {}.\n\
         Type a line and Enter to send it; /connect HOST PORT for another server; Ctrl-D to end.",
        s.title, c.server
    );
    show(&mut out, &greeting, &c);
    for line in io::stdin().lines() {
        let Ok(line) = line else { break };
        if let Some(rest) = line.strip_prefix("/connect ") {
            match host_port(rest).and_then(|(h, p)| c.connect(h, p)) {
                Ok(g) => {
                    let _ = writeln!(out, "── connected to {} ──", c.server);
                    show(&mut out, &g, &c);
                }
                Err(e) => {
                    let _ = writeln!(out, "   {e}");
                }
            }
            continue;
        }
        if c.closed {
            let _ = writeln!(
                out,
                "   the connection to {} is closed: /connect HOST PORT to open another",
                c.server
            );
            continue;
        }
        let replies = c.send(&line);
        show(&mut out, &replies, &c);
        if c.closed {
            let _ = writeln!(out, "── {} closed the connection ──", c.server);
        }
    }
    c.close();
    let checked = check::check(c.sim());
    let _ = report::write_expectations(&mut out, &checked);
    if checked.iter().all(|e| e.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `mailsim diff`: the first event where two runs part, the events around it in each, and how
/// each run ends.
pub fn diff(a: (&Scenario, &str), b: (&Scenario, &str), seed: Option<u64>) -> ExitCode {
    let run = |s: &Scenario| {
        let mut sim = Sim::new(s, seed);
        sim.run_to_end();
        sim
    };
    let (ra, rb) = (run(a.0), run(b.0));
    let (ta, tb) = (ra.trace(), rb.trace());
    let mut out = io::stdout().lock();
    let Some(part) = mailsim::diff::first_difference(ta, tb) else {
        let _ = writeln!(
            out,
            "The runs are the same: {} events, event for event.",
            ta.events.len()
        );
        return ExitCode::SUCCESS;
    };
    let _ = writeln!(
        out,
        "The runs agree for {part} events{}; they part at event #{part}.",
        part.index()
            .checked_sub(1)
            .and_then(|p| ta.get(mailsim::EventId(p)))
            .map(|e| format!(" (until {})", e.time))
            .unwrap_or_default()
    );
    for (name, t) in [(a.1, ta), (b.1, tb)] {
        let _ = writeln!(out, "\n{name}:");
        // The shared event before, then a few of this run's own (TCP's control segments left out).
        let from = mailsim::EventId(part.index().saturating_sub(1));
        let shown = t
            .range(from, t.next_id())
            .iter()
            .filter(|e| e.id < part || !report::is_tcp_control(e))
            .take(6);
        for e in shown {
            if e.id == part {
                let _ = writeln!(out, "{:>14}  ── here the runs part ──", "");
            }
            let _ = report::write_event(&mut out, t, e, true);
        }
        if part >= t.next_id() {
            let _ = writeln!(out, "          (the run ends here)");
        }
    }
    for (name, sim) in [(a.1, &ra), (b.1, &rb)] {
        let _ = writeln!(out, "\nHow {name} ends:");
        for line in mailsim::diff::outcome(sim) {
            let _ = writeln!(out, "  {line}");
        }
    }
    ExitCode::from(1)
}
