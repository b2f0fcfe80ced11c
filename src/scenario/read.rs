//! Reading a file into the raw schema, with every setting serde rejects reported at once, not only
//! the first: a teacher with three typos in three hosts fixes them in one round, not three.
//!
//! serde stops at its first error. So the file is parsed once into a tree that keeps each key's
//! and value's place (`DeTable`), and read into the schema again and again: after each error the
//! setting it points at is taken out of the tree (or, for a table that lacks a setting, the table),
//! and the next read finds the next error. Places stay those of the file, since nothing is
//! re-parsed. A setting taken out because its value was wrong is not reported again as missing.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::error::ScenarioError;
use super::raw::RawFile;
use super::words;

/// At most this many schema errors in one report: a file that is not a scenario at all (someone
/// else's TOML) says enough with the first few.
const MAX_ERRORS: usize = 20;

/// Reads `source` into the raw schema, or says everything wrong with it that serde can see.
pub(super) fn raw_file(file: &str, source: &str) -> Result<RawFile, Vec<ScenarioError>> {
    let error = |span: Range<usize>, message: &str| {
        let (msg, hint) = words::rewrite(source, &span, message);
        ScenarioError::at(file, source, span, msg, hint)
    };
    // A file TOML cannot read at all: its first error (what follows a broken line is often read
    // wrongly because of it, so later syntax errors would mislead).
    let mut doc =
        DeTable::parse(source).map_err(|e| vec![error(e.span().unwrap_or(0..0), e.message())])?;
    let mut errors = Vec::new();
    // The settings taken out so far, by table: (the table's span, the key).
    let mut taken: Vec<(Range<usize>, String)> = Vec::new();
    loop {
        let e = match RawFile::deserialize(toml::de::Deserializer::from(doc.clone())) {
            Ok(raw) if errors.is_empty() => return Ok(raw),
            Ok(_) => return Err(in_file_order(errors)),
            Err(e) => e,
        };
        let span = e.span().unwrap_or(0..0);
        let ours = missing_key(e.message())
            .is_some_and(|k| taken.iter().any(|(t, key)| *t == span && key == k));
        if !ours {
            errors.push(error(span.clone(), e.message()));
        }
        let root = doc.span();
        if missing_key(e.message()).is_some() && span == root {
            // The file lacks a setting of its own (`title`): serde says so after reading all the
            // rest, so there is nothing more to find.
            return Err(in_file_order(errors));
        }
        let mut table = std::mem::take(doc.get_mut());
        let found = take_out_of_table(&mut table, &root, &span, &mut taken);
        *doc.get_mut() = table;
        if !found || errors.len() >= MAX_ERRORS {
            return Err(in_file_order(errors));
        }
    }
}

/// Errors as a teacher reads the file, top down (serde reads a table's keys in name order).
fn in_file_order(mut errors: Vec<ScenarioError>) -> Vec<ScenarioError> {
    errors.sort_by_key(|e| (e.line, e.col));
    errors
}

/// The key of serde's "missing field `key`".
fn missing_key(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// What taking something out of a value did.
#[derive(PartialEq)]
enum Taken {
    /// Nothing here is at the error's place.
    Nothing,
    /// A setting (or table) inside it was taken out.
    Inside,
    /// The error is this value's own: its owner takes it out.
    Itself,
}

fn within(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Takes out of `table` (at `span`) the setting the error at `at` is about; true if it found one.
fn take_out_of_table(
    table: &mut DeTable<'_>,
    span: &Range<usize>,
    at: &Range<usize>,
    taken: &mut Vec<(Range<usize>, String)>,
) -> bool {
    let mut kept = DeTable::new();
    let mut found = false;
    for (key, mut value) in std::mem::take(table) {
        if found {
            kept.insert(key, value);
            continue;
        }
        let outcome = if within(&key.span(), at) {
            Taken::Itself
        } else {
            take_out(&mut value, at, taken)
        };
        match outcome {
            Taken::Itself => {
                taken.push((span.clone(), key.get_ref().to_string()));
                found = true;
            }
            Taken::Inside => {
                found = true;
                kept.insert(key, value);
            }
            Taken::Nothing => {
                kept.insert(key, value);
            }
        }
    }
    *table = kept;
    found
}

/// Takes out of `value` what the error at `at` is about.
fn take_out(
    value: &mut Spanned<DeValue<'_>>,
    at: &Range<usize>,
    taken: &mut Vec<(Range<usize>, String)>,
) -> Taken {
    let span = value.span();
    let found = match value.get_mut() {
        DeValue::Table(table) => take_out_of_table(table, &span, at, taken),
        DeValue::Array(array) => {
            let mut kept = DeArray::new();
            let mut found = false;
            for mut item in std::mem::replace(array, DeArray::new()) {
                if !found {
                    match take_out(&mut item, at, taken) {
                        Taken::Itself => {
                            found = true;
                            continue;
                        }
                        Taken::Inside => found = true,
                        Taken::Nothing => {}
                    }
                }
                kept.push(item);
            }
            *array = kept;
            found
        }
        _ => false,
    };
    if found {
        Taken::Inside
    } else if within(&span, at) {
        Taken::Itself
    } else {
        Taken::Nothing
    }
}
