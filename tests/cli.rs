//! The `mailsim` command as a user runs it: exit codes, output formats, no-display fallback.

use std::process::Command;

fn mailsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mailsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn run_prints_the_transcript_and_exits_0_when_expectations_hold() {
    let out = mailsim()
        .args(["run", "scenarios/walkthrough.toml", "--brief"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "alice-pc.a.example:49152 → smtp.a.example:587  SMTP  C: MAIL FROM:<alice@a.example>"
        ),
        "{text}"
    );
    assert!(text.contains(
        "✓ the mail program on bob-pc.b.example has downloaded 1 message, \"Lunch on Friday?\""
    ));
    // --brief: exactly one line per event.
    assert!(!text.contains('│'));
}

#[test]
fn a_failing_expectation_exits_1_and_a_bad_file_exits_2() {
    let dir = std::env::temp_dir().join(format!("mailsim-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("wrong.toml");
    std::fs::write(
        &f,
        mailsim::WALKTHROUGH.replace(
            "inbox = \"bob-pc.b.example\"\ncount = 1",
            "inbox = \"bob-pc.b.example\"\ncount = 2",
        ),
    )
    .unwrap();
    let out = mailsim().arg("run").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("✗ the mail program on bob-pc.b.example has downloaded 2 messages")
    );
    // On stderr, where it is written (the line naming the inbox), for the teacher's editor.
    let line = mailsim::WALKTHROUGH
        .lines()
        .position(|l| l == "inbox = \"bob-pc.b.example\"")
        .unwrap()
        + 1;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "wrong.toml:{line}: this expectation does not hold: the mail program on \
             bob-pc.b.example has downloaded 2 messages"
        )),
        "{err}"
    );
    let out = mailsim()
        .args(["check", "tests/bad/unknown-host.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--> tests/bad/unknown-host.toml:9:12"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn json_is_one_object_per_line() {
    let out = mailsim()
        .args(["run", "scenarios/pop3-keep.toml", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut segments = 0;
    for line in text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if v["type"] == "segment" {
            segments += 1;
            for key in [
                "time",
                "from",
                "to",
                "protocol",
                "direction",
                "text",
                "note",
                "rfc",
            ] {
                assert!(!v[key].is_null(), "{key} missing in {line}");
            }
        }
    }
    assert!(segments > 40);
    assert!(
        text.lines()
            .last()
            .unwrap()
            .contains("\"type\":\"expectation\"")
    );
}

#[test]
fn without_a_display_it_says_so_in_one_line_and_prints_the_walkthrough() {
    let out = mailsim()
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    if cfg!(feature = "gui") {
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("no display"), "{err}");
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("── Step 1 of 7"));
}

#[test]
fn follow_prints_one_mails_journey_hop_by_hop() {
    let out = mailsim()
        .args([
            "run",
            "scenarios/walkthrough.toml",
            "--follow",
            "lunch on friday?",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // Submission, queue, the MX lookup, the relay, storing, the download: in that order.
    let order = [
        "alice-pc.a.example hands it to smtp.a.example (SMTP submission)",
        "smtp.a.example queued as",
        "smtp.a.example asks ns.example where the recipient's domain takes mail",
        "smtp.a.example relays it to mx.b.example (SMTP)",
        "mx.b.example stored in bob's mailbox as uid 1",
        "bob-pc.b.example fetches it from mx.b.example (POP3)",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|s| {
            text.find(s)
                .unwrap_or_else(|| panic!("{s:?} not in\n{text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    // The envelope beside the header, and each Received line at the hop whose server wrote it.
    assert!(text.contains("envelope: MAIL FROM:<alice@a.example>  RCPT TO:<bob@b.example>"));
    assert!(
        text.contains("header:   From: \"Alice (User A)\" <alice@a.example>  To: <bob@b.example>")
    );
    let by_a = text.find("by smtp.a.example (mailsim)").unwrap();
    let by_b = text.find("by mx.b.example (mailsim)").unwrap();
    assert!(
        at[0] < by_a && by_a < at[1] && at[3] < by_b && by_b < at[4],
        "{text}"
    );
    // No such mail: exit 1 and a sentence.
    let none = mailsim()
        .args([
            "run",
            "scenarios/walkthrough.toml",
            "--follow",
            "no such thing",
        ])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no mail with the subject"));
}

#[test]
fn follow_links_a_bounce_to_the_mail_it_reports_on() {
    let out = mailsim()
        .args([
            "run",
            "scenarios/bounce-unknown-user.toml",
            "--follow",
            "Lunch on Friday?",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("which refuses every recipient for good"),
        "{text}"
    );
    assert!(text.contains("(refused: 550 5.1.1"), "{text}");
    assert!(
        text.contains("writes a bounce (DSN) to alice@a.example"),
        "{text}"
    );
    assert!(
        text.contains("alice-pc.a.example fetches the bounce about it from smtp.a.example"),
        "{text}"
    );
}

#[test]
fn layout_prints_json_for_the_window_size() {
    let out = mailsim()
        .args([
            "layout",
            "scenarios/walkthrough.toml",
            "--size",
            "1920x1080",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["window"][0], 1920.0);
    assert_eq!(v["hosts"].as_array().unwrap().len(), 5);
    assert_eq!(v["regions"][0]["title"], "a.example — Alice's provider");
    let bad = mailsim()
        .args(["layout", "tests/bad/bad-domain.toml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn check_warns_of_what_would_only_fail_when_run_and_still_exits_0() {
    let dir = std::env::temp_dir().join(format!("mailsim-cli-warn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("typo.toml");
    let text = std::fs::read_to_string("scenarios/cc-and-bcc.toml")
        .unwrap()
        .replace(
            "inbox = \"dave-pc.c.example\"\ncount = 1\nsubject = \"Team lunch\"",
            "inbox = \"dave-pc.c.example\"\ncount = 1\nsubject = \"Team lnuch\"",
        );
    std::fs::write(&f, &text).unwrap();
    let out = mailsim().arg("check").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    // The line that names Dave's inbox.
    let line = text
        .lines()
        .position(|l| l == "inbox = \"dave-pc.c.example\"")
        .unwrap()
        + 1;
    assert_eq!(
        err.trim_end(),
        format!(
            "{}:{line}: warning: no step sends a mail \"Team lnuch\", so this expectation \
             cannot hold (the subjects sent are \"Team lunch\")",
            f.display()
        )
    );
    // The bundled scenarios give no warning.
    let out = mailsim()
        .arg("check")
        .args(
            std::fs::read_dir("scenarios")
                .unwrap()
                .map(|e| e.unwrap().path()),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn no_tcp_leaves_out_control_segments_and_ids_stay() {
    let full = mailsim()
        .args(["run", "scenarios/walkthrough.toml", "--brief"])
        .output()
        .unwrap();
    let short = mailsim()
        .args(["run", "scenarios/walkthrough.toml", "--brief", "--no-tcp"])
        .output()
        .unwrap();
    assert_eq!(short.status.code(), Some(0));
    let (full, short) = (
        String::from_utf8(full.stdout).unwrap(),
        String::from_utf8(short.stdout).unwrap(),
    );
    assert!(full.contains("  TCP   [SYN]"));
    assert!(!short.contains("  TCP   "), "{short}");
    // All but TCP's lines, and every line it keeps is the full transcript's, id and all.
    let events = |t: &str| t.lines().filter(|l| l.contains(" #")).count();
    let tcp = full.lines().filter(|l| l.contains("  TCP   [")).count();
    assert!(tcp >= 12, "{tcp}");
    assert_eq!(events(&short), events(&full) - tcp);
    for l in short.lines().filter(|l| l.contains(" #")) {
        assert!(full.lines().any(|f| f == l), "{l}");
    }
    // Ids count up from #0 with gaps where TCP was.
    assert!(full.contains("  0.000s #0     ── Step 1 of 7"));
    // The same in JSON: no segment without payload, the ids of the others kept.
    let json = mailsim()
        .args([
            "run",
            "scenarios/walkthrough.toml",
            "--format",
            "json",
            "--no-tcp",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(json.stdout).unwrap();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(!(v["type"] == "segment" && v["len"] == 0), "{line}");
    }
    let brief_json = mailsim()
        .args([
            "run",
            "scenarios/walkthrough.toml",
            "--format",
            "json",
            "--brief",
        ])
        .output()
        .unwrap();
    assert_eq!(brief_json.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&brief_json.stderr).contains("--brief is for the text format"));
}

#[cfg(feature = "gui")]
#[test]
fn screenshot_and_open_say_what_is_wrong_before_any_window() {
    let out = mailsim()
        .args([
            "screenshot",
            "scenarios/walkthrough.toml",
            "--event",
            "100000",
            "--out",
        ])
        .arg(std::env::temp_dir().join("never.png"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(
            "mailsim screenshot: there is no event 100000: this run's events are #0 to #"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = mailsim()
        .args([
            "screenshot",
            "scenarios/walkthrough.toml",
            "--event",
            "3",
            "--host",
            "bob-pc",
            "--out",
        ])
        .arg(std::env::temp_dir().join("never.png"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`bob-pc` is not a host of this scenario; the hosts are "),
        "{err}"
    );
    assert!(
        err.contains("bob-pc.b.example") && !err.contains('\x1b'),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A missing file comes first, with or without a display.
    for display in [None, Some(":9")] {
        let mut c = mailsim();
        c.args(["open", "no-such-file.toml"]);
        match display {
            Some(d) => c.env("DISPLAY", d),
            None => c.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY"),
        };
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: cannot read no-such-file.toml"),
            "{err}"
        );
    }
}

#[test]
fn quiz_grades_answers_worked_out_from_the_run() {
    let quiz = |file: &str, answers: &str| {
        mailsim()
            .args(["quiz", file, "--answers", answers])
            .output()
            .unwrap()
    };
    let out = quiz("scenarios/walkthrough.toml", "250,ns.example,2,4312,2");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\nScore: 5 of 5"), "{text}");
    // The run up to each question is shown, and not past it: question 1 comes right after the
    // RCPT TO, before the reply that answers it.
    let q1 = text.find("Question 1 of 5").unwrap();
    assert!(text[..q1].contains("C: RCPT TO:<bob@b.example>"));
    assert!(!text[..q1].contains("S: 250 2.1.5"));
    assert!(
        text[q1..].contains("#12: S: 250 2.1.5 Ok, will relay — OK: this recipient is accepted")
    );
    // Other forms of the same answers: a choice by its text, a host by its label, an order by
    // its items.
    let out = quiz(
        "scenarios/walkthrough.toml",
        "250 Ok,a.example's DNS server,2,MAIL FROM > RCPT TO > DATA > QUIT,when the program says QUIT",
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let label = mailsim::scenario::parse("w", mailsim::WALKTHROUGH)
        .unwrap()
        .hosts[2]
        .label
        .clone();
    if label == "a.example's DNS server" {
        assert!(text.contains("Score: 5 of 5"), "{text}");
    } else {
        assert!(text.contains("Score: 4 of 5"), "{label}: {text}");
    }
    // Wrong ones: exit 1, and the right answer said.
    let out = quiz("scenarios/walkthrough.toml", "550,mx.b.example,1,1234,1");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Score: 0 of 5"), "{text}");
    assert!(text.contains("✗ the answer is 250") && text.contains("✗ the answer is ns.example"));
    assert!(text.contains("✗ the answer is MAIL FROM > RCPT TO > DATA > QUIT"));
    // As many answers as questions.
    let out = quiz("scenarios/walkthrough.toml", "250");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gives 1 answers, and this quiz asks 5"));
    for (file, answers) in [
        ("scenarios/bounce-unknown-user.toml", "250,550,2,2"),
        (
            "scenarios/imap-two-computers.toml",
            "OK,2,bob-home.b.example,2",
        ),
    ] {
        let out = quiz(file, answers);
        assert_eq!(out.status.code(), Some(0), "{file}");
    }
}

#[test]
fn check_holds_typed_answers_against_the_run() {
    let dir = std::env::temp_dir().join(format!("mailsim-cli-quiz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("typed.toml");
    // A teacher types 550 where the run answers 250, and asks about a reply that never comes.
    let text = mailsim::WALKTHROUGH.replace(
        "kind = \"next_reply\"\nhost = \"smtp.a.example\"",
        "kind = \"next_reply\"\nhost = \"smtp.a.example\"\nanswer = \"550\"",
    ) + "\n[[question]]\non = \"mx.b.example sends 421\"\nask = \"?\"\nkind = \"next_reply\"\n";
    std::fs::write(&f, &text).unwrap();
    let out = mailsim().arg("check").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().position(|l| l == "answer = \"550\"").unwrap() + 1;
    assert!(
        err.contains("error: the run answers `250`, not `550`"),
        "{err}"
    );
    assert!(
        err.contains(&format!("--> {}:{line}:10", f.display())),
        "{err}"
    );
    let on = text
        .lines()
        .position(|l| l == "on = \"mx.b.example sends 421\"")
        .unwrap()
        + 1;
    assert!(
        err.contains(
            "error: this question is never asked: nothing in the run matched \
             `on = \"mx.b.example sends 421\"`"
        ),
        "{err}"
    );
    assert!(
        err.contains(&format!("--> {}:{on}:6", f.display())),
        "{err}"
    );
    // No "ok" for a file that fails.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    // The right typed answer passes.
    std::fs::write(&f, text.replace("answer = \"550\"", "answer = \"250\"").replace("\n[[question]]\non = \"mx.b.example sends 421\"\nask = \"?\"\nkind = \"next_reply\"\n", "")).unwrap();
    let out = mailsim().arg("check").arg(&f).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "gui")]
#[test]
fn a_display_that_cannot_be_reached_is_one_plain_line_then_the_transcript() {
    let out = mailsim()
        .env("DISPLAY", ":4242")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        "mailsim: no window could be opened (the display DISPLAY=:4242 could not be reached), \
         so here is the transcript instead"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("── Step 1 of 7"));
}

#[test]
fn diff_finds_where_two_runs_part_and_how_each_ends() {
    let dir = std::env::temp_dir().join(format!("mailsim-cli-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("typo.toml");
    std::fs::write(
        &f,
        mailsim::WALKTHROUGH.replace("to = [\"bob@b.example\"]", "to = [\"bobb@b.example\"]"),
    )
    .unwrap();
    let out = mailsim()
        .args(["diff", "scenarios/walkthrough.toml"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("The runs agree for 2 events (until 0.000s); they part at event #2."),
        "{text}"
    );
    let (a, b) = text.split_once(&format!("\n{}:\n", f.display())).unwrap();
    let after = |t: &str| {
        t.split("── here the runs part ──\n")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert!(after(a).contains("to bob@b.example through"), "{a}");
    assert!(after(b).contains("to bobb@b.example through"), "{b}");
    assert!(text.contains("How scenarios/walkthrough.toml ends:\n  0.763s: stored \"Lunch on Friday?\" for bob on mx.b.example"), "{text}");
    assert!(
        text.contains(
            "a bounce \"Undelivered Mail Returned to Sender\" for alice on smtp.a.example"
        )
    );
    // The same file twice: the same run, exit 0.
    let out = mailsim()
        .args([
            "diff",
            "scenarios/walkthrough.toml",
            "scenarios/walkthrough.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("The runs are the same: 79 events"));
    // --seed runs both with that seed: still the same run.
    let out = mailsim()
        .args([
            "diff",
            "scenarios/walkthrough.toml",
            "scenarios/walkthrough.toml",
            "--seed",
            "3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).ok();
}

/// Be the client: a student's typed SMTP, then POP3, through `mailsim talk`; the exercise's
/// expectations hold only once the student has done it.
#[test]
fn talk_carries_typed_commands_to_the_server_and_checks_the_exercise() {
    use std::io::Write as _;
    let session = "RCPT TO:<bob@b.example>\nEHLO me.example\nMAIL FROM:<you@you.example>\n\
                   RCPT TO:<bob@b.example>\nDATA\nSubject: Hello by hand\n\nI typed this.\n.\n\
                   QUIT\n/connect mx.b.example 110\nUSER bob\nPASS bob-secret\nRETR 1\nQUIT\n";
    // The exercise names its own server (`talk = "mx.b.example:25"`).
    let mut child = mailsim()
        .args(["talk", "exercises/talk-smtp-yourself.toml"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(session.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    // The mistake: the server's real answer, its note and a hint.
    assert!(
        text.contains("S: 503 5.5.1 Bad sequence of commands"),
        "{text}"
    );
    assert!(text.contains(
        "   hint: RCPT TO names a recipient of a mail transaction: start one first with MAIL FROM"
    ));
    assert!(text.contains("S: 250 2.0.0 Ok: queued as"));
    assert!(text.contains("── connected to mx.b.example:110 ──\nS: +OK POP3 server ready"));
    // RETR brings back what was typed, with the Received: line the server added.
    assert!(
        text.contains("S: Received: from me.example (you.example [198.18.0.1])"),
        "{text}"
    );
    assert!(text.contains("S: I typed this."));
    assert!(text.contains("✓ bob@b.example has 1 message, \"Hello by hand\" on mx.b.example"));
    assert!(text.contains("✓ someone sent `RETR`\n"), "{text}");
    // A guide: what to type next, after each reply (and none after the message's own lines).
    assert!(text.contains("S: 220 mx.b.example ESMTP mailsim ready\n   — "));
    assert!(
        text.contains("   next: say who you are: EHLO me.example\n"),
        "{text}"
    );
    assert!(text.contains("   next: log in: USER bob\n"), "{text}");
    assert_eq!(
        text.matches("   next: type the message").count(),
        1,
        "{text}"
    );
    // Without the student, the exercise is not done.
    let out = mailsim()
        .args(["run", "exercises/talk-smtp-yourself.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("✗ someone sent `RETR`  (found it never happened)"),
        "{text}"
    );
    // A scenario that is not an exercise needs the server named.
    let out = mailsim()
        .args(["talk", "scenarios/walkthrough.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("name the server to talk to, HOST:PORT"));
    // A server that does not offer the port: one plain line.
    let out = mailsim()
        .args([
            "talk",
            "exercises/talk-smtp-yourself.toml",
            "mx.b.example:587",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "mailsim talk: mx.b.example has no service on port 587; it offers 25 (smtp), 110 (pop3), 143 (imap)"
    );
}
