//! Scenario files: the TOML a teacher writes (format 1), checked and turned into a [`Scenario`].
//!
//! Parsing is two passes. `toml` + serde read the file into the raw schema (`raw.rs`), rejecting
//! unknown keys and wrong types with their position, all of them at once (`read.rs`). Validation (`validate.rs`) then checks what
//! serde cannot (names that refer to hosts, duplicate IPs, addresses, times, which keys each step
//! needs) and reports every problem with its file:line:col, handing the file's parts to
//! `network.rs`, `faults.rs`, `steps.rs`, `expect.rs` and `question.rs`; what it yields is the
//! checked model (`model.rs`). The format is documented in `docs/scenarios.md`.

mod error;
mod expect;
mod faults;
mod model;
mod network;
pub mod on;
mod question;
mod raw;
mod read;
mod steps;
mod validate;
pub mod warn;
pub mod words;

pub use error::{ScenarioError, ScenarioErrors};
pub use expect::ExpectDef;
pub use model::{
    Account, ClientDef, ClientStyle, FaultDef, FaultKind, HostDef, HostKind, IncomingProtocol,
    LinkDef, Scenario, Service, StepAction, StepDef,
};
pub use question::{KINDS as QUESTION_KINDS, QuestionDef, QuestionKind};
use validate::Validator;

/// The only format version this build reads.
pub const FORMAT: u32 = 1;
/// 2026-11-27 09:00:00 UTC: the default start of every scenario's clock, for Date headers.
pub const DEFAULT_START: i64 = 1_795_770_000;

/// Reads and checks a scenario file's bytes: a file that is not text (a word processor's
/// document, a picture) is told so before anything else.
pub fn parse_bytes(file: &str, bytes: &[u8]) -> Result<Scenario, ScenarioErrors> {
    let bad = match std::str::from_utf8(bytes) {
        Ok(text) => text.find('\0'),
        Err(e) => Some(e.valid_up_to()),
    };
    match bad {
        None => parse(file, std::str::from_utf8(bytes).unwrap_or_default()),
        Some(at) => {
            let before = String::from_utf8_lossy(&bytes[..at]);
            Err(ScenarioErrors(vec![ScenarioError::at(
                file,
                &before,
                before.len()..before.len(),
                format!(
                    "this is not a text file (byte {} of it is 0x{:02x}): a scenario is plain text",
                    at + 1,
                    bytes[at]
                ),
                Some(
                    "write it in a text editor and save it as plain text (UTF-8) ending in .toml"
                        .into(),
                ),
            )]))
        }
    }
}

/// Reads and checks a scenario; `file` names it in errors.
pub fn parse(file: &str, source: &str) -> Result<Scenario, ScenarioErrors> {
    let blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
    if source.lines().all(blank) {
        return Err(ScenarioErrors(vec![ScenarioError::at(
            file,
            source,
            0..0,
            "the file is empty",
            Some(
                "a scenario begins with `format = 1` and `title = \"…\"`: copy one from scenarios/ to start"
                    .into(),
            ),
        )]));
    }
    let raw = read::raw_file(file, source).map_err(ScenarioErrors)?;
    let mut v = Validator::new(file, source);
    let scenario = v.scenario(raw);
    if v.errors.is_empty() {
        Ok(scenario)
    } else {
        Err(ScenarioErrors(v.errors))
    }
}
