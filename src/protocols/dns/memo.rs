//! Work done once per distinct message: a run asks the same few questions thousands of times
//! (every mail to `b.example` looks up its MX, then the exchange's address), and encoding or
//! decoding them each time with `hickory-proto` was about a seventh of a big run's time.
//!
//! A message's bytes depend on its id only in their first two octets (RFC 1035 §4.1.1: the id is
//! the header's first field) and nothing else in them depends on the id, so a query, an answer or
//! a reading is kept by the bytes after the id (or by the question) and the id is written back
//! in. What comes out is exactly what [`super::build_query`], [`super::answer`] and
//! [`super::parse_response`] return for the same input: the tests check that against them.

use std::collections::BTreeMap;

use super::{QType, Response, Zone};

/// Queries built, answers given and responses read, for one zone (one run).
#[derive(Debug, Clone, Default)]
pub struct Memo {
    /// Query bytes by type and name, with id 0.
    queries: BTreeMap<QType, BTreeMap<String, Vec<u8>>>,
    /// The answer to a query (by its bytes after the id), with id 0; `None`: no answer.
    answers: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// What a response (by its bytes after the id) says, its id left 0.
    responses: BTreeMap<Vec<u8>, Response>,
}

/// Writes `id` into the first two octets of a message.
fn with_id(mut bytes: Vec<u8>, id: u16) -> Vec<u8> {
    if let Some(head) = bytes.get_mut(..2) {
        head.copy_from_slice(&id.to_be_bytes());
    }
    bytes
}

fn id_of(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

/// Kept messages of each kind at most: a run asks a few questions, but a live bridge's users
/// may name any number of domains. Past it the kind is forgotten and built again as asked.
const KEEP: usize = 4096;

impl Memo {
    /// As [`super::build_query`].
    pub fn build_query(&mut self, id: u16, name: &str, qtype: QType) -> Vec<u8> {
        let by_name = self.queries.entry(qtype).or_default();
        let bytes = match by_name.get(name) {
            Some(b) => b.clone(),
            None => {
                let b = super::build_query(0, name, qtype);
                if by_name.len() >= KEEP {
                    by_name.clear();
                }
                by_name.insert(name.to_string(), b.clone());
                b
            }
        };
        with_id(bytes, id)
    }

    /// As [`super::answer`]; the zone must be the same at every call.
    pub fn answer(&mut self, zone: &Zone, bytes: &[u8]) -> Option<Vec<u8>> {
        // Too short for a header: nothing to keep.
        if bytes.len() < 12 {
            return super::answer(zone, bytes);
        }
        let id = id_of(bytes);
        let answer = match self.answers.get(&bytes[2..]) {
            Some(a) => a.clone(),
            None => {
                let a = super::answer(zone, &with_id(bytes.to_vec(), 0));
                if self.answers.len() >= KEEP {
                    self.answers.clear();
                }
                self.answers.insert(bytes[2..].to_vec(), a.clone());
                a
            }
        };
        answer.map(|a| with_id(a, id))
    }

    /// As [`super::parse_response`]; only readable responses are kept.
    pub fn parse_response(&mut self, bytes: &[u8]) -> Result<Response, String> {
        if bytes.len() < 12 {
            return super::parse_response(bytes);
        }
        let id = id_of(bytes);
        if let Some(r) = self.responses.get(&bytes[2..]) {
            return Ok(Response { id, ..r.clone() });
        }
        let r = super::parse_response(bytes)?;
        if self.responses.len() >= KEEP {
            self.responses.clear();
        }
        self.responses
            .insert(bytes[2..].to_vec(), Response { id: 0, ..r.clone() });
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{answer, build_query, parse_response};
    use super::*;
    use proptest::prelude::*;

    use super::super::tests::zone;

    proptest! {
        /// Asked twice or more, in any order and with any ids, the memo says what the functions
        /// say: queries, answers (to real queries and to garbage) and readings.
        #[test]
        fn memo_says_what_the_functions_say(
            asks in proptest::collection::vec(
                (any::<u16>(), 0usize..4, any::<bool>(), proptest::collection::vec(any::<u8>(), 0..40)),
                1..40,
            )
        ) {
            let z = zone();
            let names = ["b.example", "mx.b.example", "nowhere.example", "B.Example"];
            let mut m = Memo::default();
            for (id, n, mx, junk) in asks {
                let qtype = if mx { QType::Mx } else { QType::A };
                let q = build_query(id, names[n], qtype);
                prop_assert_eq!(m.build_query(id, names[n], qtype), q.clone());
                let a = answer(&z, &q);
                prop_assert_eq!(m.answer(&z, &q), a.clone());
                if let Some(a) = a {
                    prop_assert_eq!(m.parse_response(&a), parse_response(&a));
                }
                // Garbage, and garbage that starts like the query.
                prop_assert_eq!(m.answer(&z, &junk), answer(&z, &junk));
                prop_assert_eq!(m.parse_response(&junk), parse_response(&junk));
                let mut bent = q.clone();
                bent.extend_from_slice(&junk);
                bent.truncate(q.len() + junk.len() / 2);
                prop_assert_eq!(m.answer(&z, &bent), answer(&z, &bent));
            }
        }
    }
}

#[cfg(test)]
mod bounded {
    use super::*;

    /// A live run whose users name ever more domains keeps at most [`KEEP`] of each kind, and
    /// still answers as the functions do.
    #[test]
    fn memo_stays_bounded() {
        let z = Zone::default();
        let mut m = Memo::default();
        for i in 0..(3 * KEEP) {
            let name = format!("d{i}.example");
            let q = m.build_query(i as u16, &name, QType::Mx);
            assert_eq!(q, super::super::build_query(i as u16, &name, QType::Mx));
            let a = m.answer(&z, &q).unwrap();
            assert_eq!(m.parse_response(&a), super::super::parse_response(&a));
        }
        let kept = m.queries.values().map(BTreeMap::len).sum::<usize>();
        assert!(kept <= KEEP && m.answers.len() <= KEEP && m.responses.len() <= KEEP);
    }
}
