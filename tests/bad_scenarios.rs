//! Bad scenario files: each names, on its first line, the file:line:col and message it must give;
//! a `# hint:` line after it, words the hint must hold; `# errors: N`, how many errors in all.
//! None of them may speak the TOML reader's jargon.

use std::path::Path;

/// What a teacher should never have to decode.
const JARGON: &[&str] = &[
    "invalid type",
    "expected a sequence",
    "expected a string",
    "unknown variant",
    "unknown field",
    "missing field",
    "TOML datetime",
    "expected one of",
    "invalid basic string",
];

#[test]
fn bad_scenarios_point_at_the_problem() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 60);
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        let mut lines = source.lines();
        let want = lines
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("first line: # expect: L:C: message");
        let mut hint = None;
        let mut count = None;
        for l in lines.take(2) {
            if let Some(h) = l.strip_prefix("# hint: ") {
                hint = Some(h);
            } else if let Some(n) = l.strip_prefix("# errors: ") {
                count = Some(n.parse::<usize>().unwrap());
            }
        }
        let (pos, message) = want.split_at(want.find(": ").unwrap());
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let errors = mailsim::scenario::parse(&name, &source).expect_err(&name).0;
        let first = &errors[0];
        assert_eq!(
            format!("{}:{}", first.line, first.col),
            pos,
            "{name}: {}",
            first.short()
        );
        assert!(
            first.message.contains(message[2..].trim_end()),
            "{name}: got {:?}",
            first.message
        );
        if let Some(h) = hint {
            let got = first.hint.as_deref().unwrap_or("");
            assert!(got.contains(h), "{name}: hint {got:?} lacks {h:?}");
        }
        if let Some(n) = count {
            assert_eq!(errors.len(), n, "{name}: {errors:?}");
        }
        for e in &errors {
            let said = format!("{} {}", e.message, e.hint.as_deref().unwrap_or(""));
            for j in JARGON {
                assert!(!said.contains(j), "{name}: {j:?} in {said:?}");
            }
        }
        // The rendered error shows the line and a caret.
        let shown = first.to_string();
        assert!(
            shown.contains(&format!("--> {name}:{pos}")) && shown.contains('^'),
            "{shown}"
        );
    }
}

#[test]
fn a_file_that_is_not_text_says_so_before_anything_else() {
    // A PNG picture and a word processor's UTF-16 file, opened as scenarios by mistake.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let e = mailsim::scenario::parse_bytes("lesson.toml", png)
        .expect_err("a picture")
        .0;
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("not a text file"), "{}", e[0]);
    let utf16: Vec<u8> = "format = 1\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let e = mailsim::scenario::parse_bytes("lesson.toml", &utf16)
        .expect_err("UTF-16")
        .0;
    assert!(e[0].message.contains("not a text file"), "{}", e[0]);
    assert!(e[0].hint.as_deref().unwrap_or("").contains("plain text"));
    // A real scenario's bytes are read as before.
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/walkthrough.toml"
    ))
    .unwrap();
    assert!(mailsim::scenario::parse_bytes("walkthrough.toml", &text).is_ok());
}

#[test]
fn every_misspelled_setting_is_reported_in_one_round() {
    // Each bundled scenario with a slip in every host: all of them are reported at once, in the
    // file's order, each at its own line (serde alone stops at the first).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        let mut slipped = String::new();
        let mut want = Vec::new();
        for line in source.lines() {
            slipped.push_str(line);
            slipped.push('\n');
            if line.trim() == "[[host]]" {
                want.push(slipped.lines().count() + 1);
                slipped.push_str("colour = \"red\"\n");
            }
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(want.len() >= 3, "{name}: {} hosts", want.len());
        let errors = mailsim::scenario::parse(&name, &slipped)
            .expect_err(&name)
            .0;
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, want, "{name}: {errors:?}");
        assert!(
            errors
                .iter()
                .all(|e| e.message == "`colour` is not a setting of `[[host]]`"),
            "{name}: {errors:?}"
        );
    }
}
