//! Bad scenario files: each names, on its first line, the file:line:col and message it must give.

use std::path::Path;

#[test]
fn bad_scenarios_point_at_the_problem() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        let want = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("first line: # expect: L:C: message");
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
        // The rendered error shows the line and a caret.
        let shown = first.to_string();
        assert!(
            shown.contains(&format!("--> {name}:{pos}")) && shown.contains('^'),
            "{shown}"
        );
    }
}
