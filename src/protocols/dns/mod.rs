//! DNS (RFC 1035) as mail uses it (RFC 5321 §5.1): MX and A queries and answers, real wire bytes.
//!
//! The wire format comes from `hickory-proto`; the zone, the server's answers and the resolver's
//! reading of them are ours. The server answers authoritatively from its zone: an answer for a name
//! it has, NXDOMAIN for one it has not, an empty answer (NODATA) for a name without that type, and
//! FORMERR for a query it cannot read. It puts no extra A records in the additional section, so the
//! mail server visibly asks for the exchange's address in a second query.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

mod memo;
pub use memo::Memo;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, MX};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::Explanation;

/// The record types the simulation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum QType {
    /// Mail exchanger (RFC 1035 §3.3.9).
    Mx,
    /// IPv4 address (RFC 1035 §3.4.1).
    A,
}

impl QType {
    fn record_type(self) -> RecordType {
        match self {
            QType::Mx => RecordType::MX,
            QType::A => RecordType::A,
        }
    }
}

/// One record of a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneRecord {
    /// `domain MX preference exchange`.
    Mx { preference: u16, exchange: String },
    /// `name A address`.
    A(Ipv4Addr),
}

/// The records a DNS server answers from, by lower-case name without the final dot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zone {
    records: BTreeMap<String, Vec<ZoneRecord>>,
}

impl Zone {
    /// Adds a record for `name`.
    pub fn add(&mut self, name: &str, record: ZoneRecord) {
        let key = name.trim_end_matches('.').to_ascii_lowercase();
        let list = self.records.entry(key).or_default();
        if !list.contains(&record) {
            list.push(record);
        }
    }

    /// The records of `name`.
    pub fn get(&self, name: &str) -> Option<&[ZoneRecord]> {
        self.records
            .get(&name.trim_end_matches('.').to_ascii_lowercase())
            .map(Vec::as_slice)
    }

    /// Every name with its records, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[ZoneRecord])> {
        self.records.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

fn fqdn(name: &str) -> Option<Name> {
    let n = if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    };
    Name::from_ascii(n).ok()
}

fn plain(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

/// The wire bytes of a recursive query for `name`'s records of type `qtype`, with id `id`.
pub fn build_query(id: u16, name: &str, qtype: QType) -> Vec<u8> {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    if let Some(n) = fqdn(name) {
        m.add_query(Query::query(n, qtype.record_type()));
    }
    m.to_vec().unwrap_or_default()
}

/// The server's answer to the query in `bytes`, or `None` when there is nothing to answer
/// (fewer than 12 bytes, or a datagram that is itself a response).
pub fn answer(zone: &Zone, bytes: &[u8]) -> Option<Vec<u8>> {
    let msg = match Message::from_vec(bytes) {
        Ok(m) => m,
        Err(_) if bytes.len() >= 12 && bytes[2] & 0x80 == 0 => {
            let id = u16::from_be_bytes([bytes[0], bytes[1]]);
            return Message::error_msg(id, OpCode::Query, ResponseCode::FormErr)
                .to_vec()
                .ok();
        }
        Err(_) => return None,
    };
    if msg.metadata.message_type != MessageType::Query {
        return None;
    }
    let mut resp = Message::response(msg.metadata.id, msg.metadata.op_code);
    resp.metadata.recursion_desired = msg.metadata.recursion_desired;
    resp.metadata.authoritative = true;
    let Some(q) = msg
        .queries
        .first()
        .filter(|_| msg.queries.len() == 1 && msg.metadata.op_code == OpCode::Query)
    else {
        resp.metadata.response_code = ResponseCode::FormErr;
        return resp.to_vec().ok();
    };
    resp.add_query(q.clone());
    let name = plain(q.name());
    match zone.get(&name) {
        None => resp.metadata.response_code = ResponseCode::NXDomain,
        Some(records) => {
            for r in records {
                let rdata = match (r, q.query_type()) {
                    (
                        ZoneRecord::Mx {
                            preference,
                            exchange,
                        },
                        RecordType::MX,
                    ) => match fqdn(exchange) {
                        Some(ex) => RData::MX(MX::new(*preference, ex)),
                        None => continue,
                    },
                    (ZoneRecord::A(ip), RecordType::A) => RData::A(A(*ip)),
                    _ => continue,
                };
                resp.add_answer(Record::from_rdata(q.name().clone(), 3600, rdata));
            }
        }
    }
    resp.to_vec().ok()
}

/// The result code of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rcode {
    /// The name exists (the answer may still be empty: NODATA).
    NoError,
    /// The name does not exist.
    NxDomain,
    /// Any other failure (FORMERR, SERVFAIL, ...), by number.
    Other(u16),
}

/// What a resolver reads from a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The query id it answers.
    pub id: u16,
    /// Its result code.
    pub rcode: Rcode,
    /// MX answers: (preference, exchange), as listed.
    pub mx: Vec<(u16, String)>,
    /// A answers: (name, address), as listed.
    pub a: Vec<(String, Ipv4Addr)>,
}

/// Reads a response datagram.
pub fn parse_response(bytes: &[u8]) -> Result<Response, String> {
    let msg = Message::from_vec(bytes).map_err(|e| format!("unreadable DNS message: {e}"))?;
    if msg.metadata.message_type != MessageType::Response {
        return Err("a query, not a response".into());
    }
    let rcode = match msg.metadata.response_code {
        ResponseCode::NoError => Rcode::NoError,
        ResponseCode::NXDomain => Rcode::NxDomain,
        other => Rcode::Other(u16::from(other)),
    };
    let mut resp = Response {
        id: msg.metadata.id,
        rcode,
        mx: Vec::new(),
        a: Vec::new(),
    };
    for r in &msg.answers {
        match &r.data {
            RData::MX(mx) => resp.mx.push((mx.preference, plain(&mx.exchange))),
            RData::A(a) => resp.a.push((plain(&r.name), a.0)),
            _ => {}
        }
    }
    Ok(resp)
}

/// A one-line reading of a DNS datagram, for transcripts: `query 0x1a2b: MX b.example?`.
pub fn summary(bytes: &[u8]) -> String {
    let Ok(msg) = Message::from_vec(bytes) else {
        return format!("malformed DNS message ({} bytes)", bytes.len());
    };
    let q = msg
        .queries
        .first()
        .map(|q| format!("{} {}", q.query_type(), plain(q.name())))
        .unwrap_or_else(|| "(no question)".into());
    if msg.metadata.message_type == MessageType::Query {
        return format!("query id=0x{:04x}: {q}?", msg.metadata.id);
    }
    let answers: Vec<String> = msg
        .answers
        .iter()
        .map(|r| match &r.data {
            RData::MX(mx) => format!("MX {} {}", mx.preference, plain(&mx.exchange)),
            RData::A(a) => format!("A {}", a.0),
            other => format!("{}", other.record_type()),
        })
        .collect();
    let result = match msg.metadata.response_code {
        ResponseCode::NoError if answers.is_empty() => {
            "no records of that type (NODATA)".to_string()
        }
        ResponseCode::NoError => answers.join(", "),
        ResponseCode::NXDomain => "NXDOMAIN: no such domain".to_string(),
        other => format!("{other}"),
    };
    format!("response id=0x{:04x}: {q} → {result}", msg.metadata.id)
}

/// The header facts an explanation needs, read straight from the bytes (RFC 1035 §4.1.1–4.1.2):
/// (is a query, rcode, answer count, the question's type).
fn peek(bytes: &[u8]) -> Option<(bool, u8, u16, u16)> {
    let header = bytes.get(..12)?;
    let query = header[2] & 0x80 == 0;
    let rcode = header[3] & 0x0f;
    let answers = u16::from_be_bytes([header[6], header[7]]);
    // Skip the question's name: length-prefixed labels up to a zero byte (no compression there).
    let mut i = 12;
    loop {
        let len = *bytes.get(i)? as usize;
        if len == 0 {
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        i += 1 + len;
    }
    let qtype = u16::from_be_bytes([*bytes.get(i + 1)?, *bytes.get(i + 2)?]);
    Some((query, rcode, answers, qtype))
}

/// Explains a DNS datagram.
pub fn explain(bytes: &[u8]) -> &'static Explanation {
    const MX: u16 = 15;
    const A: u16 = 1;
    // The RFC sections: on MX records, or on A records.
    const ON_MX: &str = "RFC 1035 §3.3.9, §4.1; RFC 5321 §5.1";
    const ON_A: &str = "RFC 1035 §3.4.1, §4.1";
    let Some((query, rcode, answers, qtype)) = peek(bytes) else {
        return &Explanation {
            note: "a datagram that is not a well-formed DNS message",
            rfc: "RFC 1035 §4.1",
        };
    };
    macro_rules! on_qtype {
        ($note:expr) => {
            if qtype == MX {
                &Explanation {
                    note: $note,
                    rfc: ON_MX,
                }
            } else {
                &Explanation {
                    note: $note,
                    rfc: ON_A,
                }
            }
        };
    }
    match (query, qtype, rcode) {
        (true, MX, _) => {
            on_qtype!(
                "asks the DNS server which host receives mail for this domain (its MX records)"
            )
        }
        (true, A, _) => on_qtype!("asks for the IPv4 address of this name (its A record)"),
        (true, _, _) => on_qtype!("a DNS query"),
        (false, _, 3) => on_qtype!("the domain does not exist: mail to it cannot be delivered"),
        (false, MX, 0) if answers == 0 => {
            on_qtype!(
                "the domain has no MX record: mail goes to its A record instead (the implicit MX)"
            )
        }
        (false, MX, _) => {
            on_qtype!("the mail exchangers for the domain, lowest preference first to try")
        }
        (false, A, _) => on_qtype!("the IPv4 address to connect to"),
        (false, _, _) => on_qtype!("a DNS response"),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// b.example's MX and its address (the memo's tests use it too).
    pub(in crate::protocols::dns) fn zone() -> Zone {
        let mut z = Zone::default();
        z.add(
            "b.example",
            ZoneRecord::Mx {
                preference: 10,
                exchange: "mx.b.example".into(),
            },
        );
        z.add(
            "mx.b.example",
            ZoneRecord::A(Ipv4Addr::new(198, 51, 100, 25)),
        );
        z
    }

    #[test]
    fn mx_query_and_answer() {
        let q = build_query(0x1a2b, "b.example", QType::Mx);
        assert_eq!(&q[..2], &[0x1a, 0x2b]);
        assert_eq!(summary(&q), "query id=0x1a2b: MX b.example?");
        let a = answer(&zone(), &q).unwrap();
        let r = parse_response(&a).unwrap();
        assert_eq!(r.id, 0x1a2b);
        assert_eq!(r.rcode, Rcode::NoError);
        assert_eq!(r.mx, vec![(10, "mx.b.example".to_string())]);
        assert!(summary(&a).ends_with("→ MX 10 mx.b.example"));
        assert!(explain(&q).note.contains("MX records"));
        assert!(explain(&a).note.contains("mail exchangers"));
        assert!(explain(b"junk").note.contains("not a well-formed"));
    }

    #[test]
    fn nxdomain_nodata_and_garbage() {
        let z = zone();
        let r =
            parse_response(&answer(&z, &build_query(1, "c.example", QType::Mx)).unwrap()).unwrap();
        assert_eq!(r.rcode, Rcode::NxDomain);
        let nx = answer(&z, &build_query(1, "c.example", QType::Mx)).unwrap();
        assert!(explain(&nx).note.contains("does not exist"));
        let r = parse_response(&answer(&z, &build_query(2, "mx.b.example", QType::Mx)).unwrap())
            .unwrap();
        assert_eq!((r.rcode, r.mx.len()), (Rcode::NoError, 0));
        let r = parse_response(&answer(&z, &build_query(3, "MX.B.example", QType::A)).unwrap())
            .unwrap();
        assert_eq!(
            r.a,
            vec![("mx.b.example".to_string(), Ipv4Addr::new(198, 51, 100, 25))]
        );
        assert_eq!(answer(&z, b"short"), None);
        let mut junk = vec![0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        junk.extend_from_slice(&[0xff; 9]);
        let r = parse_response(&answer(&z, &junk).unwrap()).unwrap();
        assert_eq!((r.id, r.rcode), (0x1234, Rcode::Other(1)));
    }
}
