//! The raw schema: the scenario file as `toml` + serde read it, every value that a message may
//! point at kept with its span. Unknown keys and wrong types are rejected here, with their
//! position; everything else is checked by the [`Validator`](super::Validator).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::expect::RawExpect;
use super::question;
use super::{ClientStyle, HostKind, IncomingProtocol, Service};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) format: Spanned<i64>,
    pub(super) title: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) seed: u64,
    pub(super) start: Option<Spanned<toml::value::Datetime>>,
    pub(super) talk: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) network: RawNetwork,
    #[serde(default, rename = "host")]
    pub(super) hosts: Vec<RawHost>,
    #[serde(default, rename = "dns")]
    pub(super) dns: Vec<RawDns>,
    #[serde(default, rename = "link")]
    pub(super) links: Vec<RawLink>,
    #[serde(default, rename = "step")]
    pub(super) steps: Vec<Spanned<RawStep>>,
    #[serde(default, rename = "expect")]
    pub(super) expects: Vec<RawExpect>,
    #[serde(default, rename = "fault")]
    pub(super) faults: Vec<RawFault>,
    #[serde(default, rename = "domain")]
    pub(super) domains: Vec<RawDomain>,
    #[serde(default, rename = "question")]
    pub(super) questions: Vec<Spanned<question::RawQuestion>>,
}

/// A mail domain's place on the diagram: its name and what to call it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDomain {
    pub(super) name: Spanned<String>,
    pub(super) label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFault {
    pub(super) kind: Spanned<String>,
    pub(super) host: Spanned<String>,
    pub(super) from: Spanned<String>,
    pub(super) until: Option<Spanned<String>>,
    /// `mailbox_full`: whose mailbox (default: every mailbox of the host).
    pub(super) user: Option<Spanned<String>>,
    /// `mailbox_full`: refused for good (552) rather than for now (452).
    pub(super) permanent: Option<Spanned<bool>>,
    /// `loss`: the other end of the lossy link (default: every link of the host).
    pub(super) peer: Option<Spanned<String>>,
    /// `loss`: the share of packets lost, from 0.01 to 0.9.
    pub(super) rate: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNetwork {
    pub(super) latency: Option<Spanned<String>>,
    pub(super) jitter: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    pub(super) name: Spanned<String>,
    pub(super) label: Option<String>,
    pub(super) ip: Spanned<String>,
    pub(super) kind: Option<HostKind>,
    #[serde(default)]
    pub(super) services: Vec<Spanned<Service>>,
    pub(super) domain: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) accounts: Vec<RawAccount>,
    pub(super) resolver: Option<Spanned<String>>,
    pub(super) position: Option<Spanned<Vec<f32>>>,
    pub(super) client: Option<RawClient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccount {
    pub(super) user: Spanned<String>,
    pub(super) password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClient {
    pub(super) address: Spanned<String>,
    pub(super) name: Option<String>,
    pub(super) password: Option<String>,
    pub(super) user: Option<String>,
    pub(super) outgoing: Spanned<String>,
    pub(super) outgoing_port: Option<u16>,
    pub(super) incoming: Option<Spanned<String>>,
    pub(super) incoming_port: Option<u16>,
    pub(super) incoming_protocol: Option<Spanned<IncomingProtocol>>,
    #[serde(default)]
    pub(super) keep_on_server: bool,
    #[serde(default)]
    pub(super) idle: bool,
    pub(super) ehlo: Option<bool>,
    pub(super) user_agent: Option<String>,
    pub(super) style: Option<Spanned<ClientStyle>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDns {
    pub(super) name: Spanned<String>,
    #[serde(rename = "type")]
    pub(super) rtype: Spanned<String>,
    pub(super) preference: Option<u16>,
    pub(super) exchange: Option<Spanned<String>>,
    pub(super) address: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLink {
    pub(super) between: Spanned<Vec<Spanned<String>>>,
    pub(super) latency: Spanned<String>,
    pub(super) jitter: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    pub(super) at: Option<Spanned<String>>,
    pub(super) on: Option<Spanned<String>>,
    pub(super) action: Option<Spanned<String>>,
    pub(super) host: Option<Spanned<String>>,
    pub(super) narration: Option<String>,
    pub(super) to: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) cc: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) bcc: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) subject: Option<Spanned<String>>,
    pub(super) body: Option<Spanned<String>>,
    pub(super) server: Option<Spanned<String>>,
    pub(super) method: Option<Spanned<String>>,
    pub(super) path: Option<Spanned<String>>,
    pub(super) form: Option<Spanned<BTreeMap<String, String>>>,
}
