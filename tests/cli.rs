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
        "✓ the mail program on bob-pc.b.example has downloaded 1 message \"Lunch on Friday?\""
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
    assert!(String::from_utf8_lossy(&out.stdout).contains("── Step 1 of 6"));
}
