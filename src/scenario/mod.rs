//! Scenario files: the TOML a teacher writes (format 1), checked and turned into a [`Scenario`].
//!
//! Parsing is two passes. `toml` + serde read the file into the raw schema below, rejecting unknown
//! keys and wrong types with their position. Validation then checks what serde cannot (names that
//! refer to hosts, duplicate IPs, addresses, times, which keys each step needs) and reports every
//! problem with its file:line:col. The format is documented in `docs/scenarios.md`.

mod error;
mod expect;
pub mod on;
mod question;
pub mod warn;
pub mod words;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

pub use error::{ScenarioError, ScenarioErrors};
pub use expect::ExpectDef;
use expect::RawExpect;
pub use question::{KINDS as QUESTION_KINDS, QuestionDef, QuestionKind};

use crate::engine::time::{SimDuration, SimTime, days_from_civil, parse_duration};
use crate::protocols::dns::{Zone, ZoneRecord};
use crate::protocols::smtp::wire::{Address, is_domain};

/// The only format version this build reads.
pub const FORMAT: u32 = 1;
/// 2026-11-27 09:00:00 UTC: the default start of every scenario's clock, for Date headers.
pub const DEFAULT_START: i64 = 1_795_770_000;

// ---------------------------------------------------------------- raw schema (what serde reads)

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: Spanned<i64>,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    seed: u64,
    start: Option<Spanned<toml::value::Datetime>>,
    talk: Option<Spanned<String>>,
    #[serde(default)]
    network: RawNetwork,
    #[serde(default, rename = "host")]
    hosts: Vec<RawHost>,
    #[serde(default, rename = "dns")]
    dns: Vec<RawDns>,
    #[serde(default, rename = "link")]
    links: Vec<RawLink>,
    #[serde(default, rename = "step")]
    steps: Vec<Spanned<RawStep>>,
    #[serde(default, rename = "expect")]
    expects: Vec<RawExpect>,
    #[serde(default, rename = "fault")]
    faults: Vec<RawFault>,
    #[serde(default, rename = "domain")]
    domains: Vec<RawDomain>,
    #[serde(default, rename = "question")]
    questions: Vec<Spanned<question::RawQuestion>>,
}

/// A mail domain's place on the diagram: its name and what to call it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    name: Spanned<String>,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    kind: Spanned<String>,
    host: Spanned<String>,
    from: Spanned<String>,
    until: Option<Spanned<String>>,
    /// `mailbox_full`: whose mailbox (default: every mailbox of the host).
    user: Option<Spanned<String>>,
    /// `mailbox_full`: refused for good (552) rather than for now (452).
    permanent: Option<Spanned<bool>>,
    /// `loss`: the other end of the lossy link (default: every link of the host).
    peer: Option<Spanned<String>>,
    /// `loss`: the share of packets lost, from 0.01 to 0.9.
    rate: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    latency: Option<Spanned<String>>,
    jitter: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    name: Spanned<String>,
    label: Option<String>,
    ip: Spanned<String>,
    kind: Option<HostKind>,
    #[serde(default)]
    services: Vec<Spanned<Service>>,
    domain: Option<Spanned<String>>,
    #[serde(default)]
    accounts: Vec<RawAccount>,
    resolver: Option<Spanned<String>>,
    position: Option<Spanned<Vec<f32>>>,
    client: Option<RawClient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    user: Spanned<String>,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    address: Spanned<String>,
    name: Option<String>,
    password: Option<String>,
    user: Option<String>,
    outgoing: Spanned<String>,
    outgoing_port: Option<u16>,
    incoming: Option<Spanned<String>>,
    incoming_port: Option<u16>,
    incoming_protocol: Option<Spanned<IncomingProtocol>>,
    #[serde(default)]
    keep_on_server: bool,
    #[serde(default)]
    idle: bool,
    ehlo: Option<bool>,
    user_agent: Option<String>,
    style: Option<Spanned<ClientStyle>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDns {
    name: Spanned<String>,
    #[serde(rename = "type")]
    rtype: Spanned<String>,
    preference: Option<u16>,
    exchange: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    between: Spanned<Vec<Spanned<String>>>,
    latency: Spanned<String>,
    jitter: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    at: Option<Spanned<String>>,
    on: Option<Spanned<String>>,
    action: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
    narration: Option<String>,
    to: Option<Spanned<Vec<Spanned<String>>>>,
    cc: Option<Spanned<Vec<Spanned<String>>>>,
    bcc: Option<Spanned<Vec<Spanned<String>>>>,
    subject: Option<Spanned<String>>,
    body: Option<Spanned<String>>,
    server: Option<Spanned<String>>,
    method: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    form: Option<Spanned<BTreeMap<String, String>>>,
}

// ---------------------------------------------------------------- the checked model

/// A computer someone uses, or a server.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HostKind {
    /// A user's computer.
    Computer,
    /// A server.
    Server,
}

/// A service a host offers, each on its well-known port.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// SMTP on port 25: mail from other servers for this host's domain (the MX).
    Smtp,
    /// SMTP submission on port 587: mail from this domain's users, relayed anywhere (RFC 6409).
    Submission,
    /// POP3 on port 110: users download their mail.
    Pop3,
    /// IMAP on port 143: users read their mail where it is, on the server.
    Imap,
    /// HTTP on port 80: webmail, a web site where users read and send mail; behind it the
    /// server uses IMAP and SMTP like any mail program.
    Http,
    /// DNS on port 53 (UDP): answers from the scenario's records.
    Dns,
}

impl Service {
    /// The well-known port.
    pub fn port(self) -> u16 {
        match self {
            Service::Smtp => 25,
            Service::Submission => 587,
            Service::Pop3 => 110,
            Service::Imap => 143,
            Service::Http => 80,
            Service::Dns => 53,
        }
    }

    /// Its name, as a scenario writes it.
    pub fn name(self) -> &'static str {
        match self {
            Service::Smtp => "smtp",
            Service::Submission => "submission",
            Service::Pop3 => "pop3",
            Service::Imap => "imap",
            Service::Http => "http",
            Service::Dns => "dns",
        }
    }
}

/// The habits of a kind of mail program: the same standards, written a little differently.
#[derive(Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ClientStyle {
    /// mailsim's own: EHLO with its full name, IMAP tags `a1`.
    #[default]
    Mailsim,
    /// Like Outlook: EHLO with the computer's short name in capitals, IMAP tags `A001`.
    Outlook,
    /// Like old Eudora: HELO (no ESMTP), POP3.
    Eudora,
    /// Like Thunderbird: EHLO with its address literal `[192.0.2.10]`, IMAP CAPABILITY first,
    /// numeric tags and lower-case command names.
    Thunderbird,
}

impl ClientStyle {
    /// The User-Agent header it writes unless the scenario gives one.
    pub fn user_agent(self) -> &'static str {
        match self {
            ClientStyle::Mailsim => "mailsim mail client",
            ClientStyle::Outlook => "Outlook-like mail client (mailsim)",
            ClientStyle::Eudora => "Eudora-like mail client (mailsim)",
            ClientStyle::Thunderbird => "Thunderbird-like mail client (mailsim)",
        }
    }
}

/// How a mail program fetches mail.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IncomingProtocol {
    /// Download (and usually delete) with POP3.
    Pop3,
    /// Read on the server with IMAP.
    Imap,
}

impl IncomingProtocol {
    /// The service it needs on the incoming server.
    pub fn service(self) -> Service {
        match self {
            IncomingProtocol::Pop3 => Service::Pop3,
            IncomingProtocol::Imap => Service::Imap,
        }
    }
}

/// A user account on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The user name (the local part of their address).
    pub user: String,
    /// Their password.
    pub password: String,
}

/// The mail program on a computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientDef {
    /// The user's address.
    pub address: Address,
    /// The user's display name.
    pub name: String,
    /// The login name for the incoming server.
    pub user: String,
    /// The password for the incoming server.
    pub password: String,
    /// The outgoing (SMTP) server's host index.
    pub outgoing: usize,
    /// Its port.
    pub outgoing_port: u16,
    /// The incoming (POP3 or IMAP) server's host index.
    pub incoming: Option<usize>,
    /// Its port.
    pub incoming_port: u16,
    /// POP3 or IMAP.
    pub incoming_protocol: IncomingProtocol,
    /// POP3: leave mail on the server after downloading it.
    pub keep_on_server: bool,
    /// IMAP: stay connected in IDLE after each check, to hear of changes at once.
    pub idle: bool,
    /// Say EHLO (true) or HELO.
    pub ehlo: bool,
    /// Whose habits it has.
    pub style: ClientStyle,
    /// The User-Agent header it writes.
    pub user_agent: String,
}

/// A host of the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct HostDef {
    /// Its DNS name, shown in transcripts.
    pub name: String,
    /// Its role in words ("User A's computer").
    pub label: String,
    /// Its IPv4 address.
    pub ip: Ipv4Addr,
    /// Computer or server.
    pub kind: HostKind,
    /// What it serves.
    pub services: Vec<Service>,
    /// The mail domain it serves, if any.
    pub domain: Option<String>,
    /// Its accounts (with mailboxes).
    pub accounts: Vec<Account>,
    /// The DNS server it asks (host index).
    pub resolver: Option<usize>,
    /// Its mail program, if it is a computer with one.
    pub client: Option<ClientDef>,
    /// Where the diagram draws it (in a 1000 × 600 box, y up), if the scenario says.
    pub position: Option<(f32, f32)>,
}

impl HostDef {
    /// Whether it offers `s`.
    pub fn has(&self, s: Service) -> bool {
        self.services.contains(&s)
    }

    /// The mail domain whose place (region) it is drawn in: its own `domain`, else its user's
    /// address's, else its name without the first label (`alice-pc.a.example` → `a.example`).
    /// `None` for hosts that serve everyone: a bare second-level name like `ns.example` or
    /// `webmail.example` is not a mail domain of its own.
    pub fn place(&self) -> Option<String> {
        if let Some(d) = &self.domain {
            return Some(d.clone());
        }
        if let Some(c) = &self.client {
            return Some(c.address.domain_lower());
        }
        let rest = self.name.split_once('.')?.1;
        rest.contains('.').then(|| rest.to_ascii_lowercase())
    }
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAction {
    /// Only narration.
    Narrate,
    /// The host's user writes a mail and presses Send.
    Send {
        to: Vec<Address>,
        /// Copies: in the header's `Cc:` and in the envelope.
        cc: Vec<Address>,
        /// Blind copies: in the envelope (a `RCPT TO` each) but in no header, so the other
        /// recipients never learn of them.
        bcc: Vec<Address>,
        subject: String,
        body: String,
    },
    /// The host's user checks for new mail.
    Check,
    /// The host's user opens a message (IMAP: the server marks it `\Seen`).
    Read { subject: String },
    /// The host's user deletes a message (IMAP: `\Deleted`, then EXPUNGE).
    Delete { subject: String },
    /// The host's user, in a web browser, requests a page of a web server (following 303s).
    Web {
        /// The web server's host index.
        server: usize,
        /// `GET` or `POST`.
        method: String,
        /// The path, e.g. `/compose`.
        path: String,
        /// Form fields sent with a POST, in order.
        form: Vec<(String, String)>,
    },
}

/// A timed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDef {
    /// When it happens.
    pub at: SimTime,
    /// Whose user acts (none for pure narration).
    pub host: Option<usize>,
    /// What it does.
    pub action: StepAction,
    /// What the narrator says.
    pub narration: String,
    /// The line of the file its `at` (or `on`) is on (1-based), for messages about it.
    pub line: usize,
    /// What it waits for, when it begins on an event rather than at a time; then `at` is the
    /// earliest it may begin.
    pub on: Option<on::Trigger>,
}

/// A link with its own latency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDef {
    /// The two hosts.
    pub between: (usize, usize),
    /// One-way latency.
    pub latency: SimDuration,
    /// Extra random delay, up to this much.
    pub jitter: SimDuration,
}

/// Something going wrong on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultDef {
    /// The host it hits.
    pub host: usize,
    /// What goes wrong.
    pub kind: FaultKind,
    /// From when.
    pub from: SimTime,
    /// Until when (`None`: to the end).
    pub until: Option<SimTime>,
}

/// The kinds of fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// The host is down: connections to it are refused (RST).
    Down,
    /// The host does not answer at all (switched off, or cut off): SYNs to it get no reply, the
    /// client sends them again and gives up (a connection time-out).
    Unreachable,
    /// The host greylists: the first try of each (client, sender, recipient) gets 451 4.7.1.
    Greylist,
    /// The user of this computer types a wrong password: POP3 -ERR, IMAP NO.
    WrongPassword,
    /// A mailbox of this server is full: RCPT gets 452 4.2.2 (for now) or 552 5.2.2 (for good).
    MailboxFull {
        /// Whose mailbox (`None`: every mailbox of the host).
        user: Option<String>,
        /// 552 (bounced at once) rather than 452 (retried).
        permanent: bool,
    },
    /// The link between the host and `peer` (or every link of the host) loses TCP segments,
    /// which their sender retransmits, and DNS datagrams, which the resolver asks for again.
    Loss {
        /// The other end (`None`: any).
        peer: Option<usize>,
        /// Segments lost per thousand sent.
        per_mille: u32,
    },
}

impl FaultDef {
    /// Whether it is in effect at `t`.
    pub fn active(&self, t: SimTime) -> bool {
        t >= self.from && self.until.is_none_or(|u| t < u)
    }

    /// The fault in a few words: `mx.b.example is down`, `the link smtp.a.example <-> mx.b.example
    /// loses 30% of its packets`.
    pub fn describe(&self, hosts: &[HostDef]) -> String {
        let host = &hosts[self.host].name;
        match &self.kind {
            FaultKind::Down => format!("{host} is down"),
            FaultKind::Unreachable => format!("{host} is unreachable"),
            FaultKind::Greylist => format!("{host} greylists"),
            FaultKind::WrongPassword => format!("the user of {host} mistypes the password"),
            FaultKind::MailboxFull { user, permanent } => format!(
                "{} on {host} full{}",
                user.as_deref()
                    .map_or("mailboxes".to_string(), |u| format!("{u}'s mailbox")),
                if *permanent {
                    " for good (552)"
                } else {
                    " for now (452)"
                }
            ),
            FaultKind::Loss { peer, per_mille } => format!(
                "the link {host} <-> {} loses {}% of its packets",
                peer.map_or("any host", |p| hosts[p].name.as_str()),
                *per_mille as f32 / 10.0
            ),
        }
    }

    /// Whether it concerns host `h`: its own host, or the other end of its lossy link.
    pub fn touches(&self, h: usize) -> bool {
        self.host == h || matches!(self.kind, FaultKind::Loss { peer: Some(p), .. } if p == h)
    }

    /// The word shown under a host while the fault holds: `DOWN`, `LOSSY LINK`.
    pub fn badge(&self) -> &'static str {
        match self.kind {
            FaultKind::Down => "DOWN",
            FaultKind::Unreachable => "UNREACHABLE",
            FaultKind::Greylist => "GREYLISTING",
            FaultKind::WrongPassword => "WRONG PASSWORD",
            FaultKind::MailboxFull { .. } => "MAILBOX FULL",
            FaultKind::Loss { .. } => "LOSSY LINK",
        }
    }

    /// When it holds: `from 10.000s until 45.000s`, or `from 0.000s`.
    pub fn window(&self) -> String {
        match self.until {
            Some(u) => format!("from {} until {u}", self.from),
            None => format!("from {}", self.from),
        }
    }

    /// Whether it makes the link between hosts `a` and `b` lose segments at `t`; the share lost
    /// per thousand if so.
    pub fn loss_between(&self, a: usize, b: usize, t: SimTime) -> Option<u32> {
        let FaultKind::Loss { peer, per_mille } = self.kind else {
            return None;
        };
        let hit = (self.host == a && peer.is_none_or(|p| p == b))
            || (self.host == b && peer.is_none_or(|p| p == a));
        (hit && self.active(t)).then_some(per_mille)
    }
}

/// A checked scenario, ready to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: String,
    /// The seed of every random draw.
    pub seed: u64,
    /// The Unix time at which simulated time 0 falls.
    pub start_unix: i64,
    /// Default one-way latency.
    pub latency: SimDuration,
    /// Default jitter.
    pub jitter: SimDuration,
    /// The hosts.
    pub hosts: Vec<HostDef>,
    /// The DNS records (plus an A record per host).
    pub zone: Zone,
    /// Links with their own latency.
    pub links: Vec<LinkDef>,
    /// The steps, in time order.
    pub steps: Vec<StepDef>,
    /// The expectations.
    pub expects: Vec<ExpectDef>,
    /// The line each expectation begins on (1-based), in the order of `expects`.
    pub expect_lines: Vec<usize>,
    /// What goes wrong, and when.
    pub faults: Vec<FaultDef>,
    /// What the diagram calls each mail domain's region (`[[domain]]`), by domain.
    pub domain_labels: BTreeMap<String, String>,
    /// Questions asked during the run (`[[question]]`), in the file's order.
    pub questions: Vec<QuestionDef>,
    /// An exercise in being the mail program (`talk = "mx.b.example:25"`): the server (its
    /// index) and port the window's console opens at, and `mailsim talk` talks to.
    pub talk: Option<(usize, u16)>,
}

impl HostDef {
    /// A computer that is not in the scenario's file (a real program's, a student's at the
    /// console): no services, no mail program of the scenario's.
    pub fn outside(name: &str, label: &str, ip: Ipv4Addr) -> HostDef {
        HostDef {
            name: name.into(),
            label: label.into(),
            ip,
            kind: HostKind::Computer,
            services: Vec::new(),
            domain: None,
            accounts: Vec::new(),
            resolver: None,
            client: None,
            position: None,
        }
    }
}

impl Scenario {
    /// The index of the host called `name`.
    pub fn host_index(&self, name: &str) -> Option<usize> {
        self.hosts
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(name))
    }
}

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
    let raw: RawFile = toml::from_str(source).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let (msg, hint) = words::rewrite(source, &span, e.message());
        ScenarioErrors(vec![ScenarioError::at(file, source, span, msg, hint)])
    })?;
    let mut v = Validator {
        file,
        source,
        errors: Vec::new(),
    };
    let scenario = v.scenario(raw);
    if v.errors.is_empty() {
        Ok(scenario)
    } else {
        Err(ScenarioErrors(v.errors))
    }
}

struct Validator<'a> {
    file: &'a str,
    source: &'a str,
    errors: Vec<ScenarioError>,
}

impl Validator<'_> {
    fn err(&mut self, span: Range<usize>, msg: impl Into<String>, hint: Option<String>) {
        self.errors
            .push(ScenarioError::at(self.file, self.source, span, msg, hint));
    }

    /// The 1-based line of byte `at` of the file.
    fn line_of(&self, at: usize) -> usize {
        let at = at.min(self.source.len());
        self.source.as_bytes()[..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn duration(&mut self, s: &Spanned<String>) -> SimDuration {
        parse_duration(s.get_ref()).unwrap_or_else(|m| {
            let key = words::key_at(self.source, s.span().start);
            let (plain, hint) = words::not_a_time(&key, s.get_ref());
            // "has no unit" and "is not a time" in the same words as `at = 4`; a wrong unit or a
            // too-large time keeps its own message.
            let msg = if !m.contains("time unit") && !m.contains("too large") {
                plain
            } else {
                m
            };
            self.err(s.span(), msg, Some(hint));
            SimDuration::ZERO
        })
    }

    fn host_ref(&mut self, names: &[String], s: &Spanned<String>, what: &str) -> Option<usize> {
        let i = names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(s.get_ref()));
        if i.is_none() {
            let known: Vec<&str> = names.iter().map(String::as_str).collect();
            let hint = words::suggest(s.get_ref(), &known, "the hosts are");
            self.err(
                s.span(),
                format!("{what} `{}` is not a host of this scenario", s.get_ref()),
                Some(hint),
            );
        }
        i
    }

    fn address(&mut self, s: &Spanned<String>) -> Option<Address> {
        match Address::parse(s.get_ref()) {
            Ok(a) => Some(a),
            Err(why) => {
                self.err(
                    s.span(),
                    format!("`{}` is not a mail address: {why}", s.get_ref()),
                    Some("expected user@domain".into()),
                );
                None
            }
        }
    }

    fn scenario(&mut self, raw: RawFile) -> Scenario {
        if *raw.format.get_ref() != i64::from(FORMAT) {
            self.err(
                raw.format.span(),
                format!("format {} is not supported", raw.format.get_ref()),
                Some(format!("this mailsim reads format = {FORMAT}")),
            );
        }
        let start_unix = match &raw.start {
            None => DEFAULT_START,
            Some(s) => self.start(s),
        };
        let latency = raw
            .network
            .latency
            .as_ref()
            .map(|s| self.duration(s))
            .unwrap_or(SimDuration::from_millis(20));
        let jitter = raw
            .network
            .jitter
            .as_ref()
            .map(|s| self.duration(s))
            .unwrap_or(SimDuration::from_millis(2));

        // Hosts: names, IPs, services, domains, accounts.
        let names: Vec<String> = raw.hosts.iter().map(|h| h.name.get_ref().clone()).collect();
        let mut seen_names: BTreeMap<String, ()> = BTreeMap::new();
        let mut seen_ips: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
        let mut hosts = Vec::new();
        for h in &raw.hosts {
            let name = h.name.get_ref();
            let mut duplicate = false;
            if !is_domain(name) {
                self.err(
                    h.name.span(),
                    format!("`{name}` is not a host name"),
                    Some(
                        "expected letters, digits, hyphens and dots, like `smtp.a.example`".into(),
                    ),
                );
            } else if seen_names.insert(name.to_ascii_lowercase(), ()).is_some() {
                self.err(
                    h.name.span(),
                    format!("there is already a host called `{name}`"),
                    Some("host names must be unique: rename or remove one of the two".into()),
                );
                duplicate = true;
            }
            let ip = match h.ip.get_ref().parse::<Ipv4Addr>() {
                Ok(ip) => {
                    // A copied host block is one mistake: its IP is not a second error.
                    if let Some(other) = seen_ips.insert(ip, name.clone()).filter(|_| !duplicate) {
                        self.err(
                            h.ip.span(),
                            format!("{ip} is already the address of `{other}`"),
                            Some("each host needs its own IP address".into()),
                        );
                    }
                    ip
                }
                Err(_) => {
                    self.err(h.ip.span(), format!("`{}` is not an IPv4 address", h.ip.get_ref()), Some("expected four numbers like `192.0.2.10` (RFC 5737 documentation ranges: 192.0.2.x, 198.51.100.x, 203.0.113.x)".into()));
                    Ipv4Addr::UNSPECIFIED
                }
            };
            let mut services: Vec<Service> = Vec::new();
            for s in &h.services {
                if services.contains(s.get_ref()) {
                    self.err(s.span(), "this service is listed twice", None);
                } else {
                    services.push(*s.get_ref());
                }
            }
            let mail_service = services.iter().any(|s| {
                matches!(
                    s,
                    Service::Smtp | Service::Submission | Service::Pop3 | Service::Imap
                )
            });
            let domain = match &h.domain {
                Some(d) if !is_domain(d.get_ref()) => {
                    self.err(
                        d.span(),
                        format!("`{}` is not a domain name", d.get_ref()),
                        Some("expected e.g. `b.example`".into()),
                    );
                    None
                }
                Some(d) => Some(d.get_ref().to_ascii_lowercase()),
                None => {
                    if mail_service {
                        self.err(
                            h.name.span(),
                            format!("mail server `{name}` needs a `domain`"),
                            Some("add e.g. domain = \"b.example\" to this host".into()),
                        );
                    }
                    None
                }
            };
            let mut users = BTreeSet::new();
            let mut accounts = Vec::new();
            for a in &h.accounts {
                let u = a.user.get_ref();
                if Address::parse(&format!("{u}@x.example")).is_err() {
                    self.err(
                        a.user.span(),
                        format!("`{u}` cannot be the user part of an address"),
                        None,
                    );
                } else if !users.insert(u.to_ascii_lowercase()) {
                    self.err(
                        a.user.span(),
                        format!("account `{u}` is listed twice"),
                        None,
                    );
                }
                accounts.push(Account {
                    user: u.to_ascii_lowercase(),
                    password: a.password.clone(),
                });
            }
            if !h.accounts.is_empty() && !mail_service {
                self.err(
                    h.name.span(),
                    format!("`{name}` has accounts but no mail service"),
                    Some("add services = [\"smtp\", \"pop3\"] or move the accounts".into()),
                );
            }
            let kind = h.kind.unwrap_or(if h.client.is_some() {
                HostKind::Computer
            } else {
                HostKind::Server
            });
            hosts.push(HostDef {
                name: name.clone(),
                label: h.label.clone().unwrap_or_else(|| name.clone()),
                ip,
                kind,
                services,
                domain,
                accounts,
                resolver: None,
                client: None,
                position: self.position(h.position.as_ref()),
            });
        }

        // Resolvers and clients need every host known.
        let dns_hosts: Vec<usize> = (0..hosts.len())
            .filter(|&i| hosts[i].has(Service::Dns))
            .collect();
        for (i, h) in raw.hosts.iter().enumerate() {
            hosts[i].resolver = match &h.resolver {
                Some(r) => {
                    let idx = self.host_ref(&names, r, "resolver");
                    if let Some(j) = idx.filter(|&j| !hosts[j].has(Service::Dns)) {
                        self.err(
                            r.span(),
                            format!("`{}` does not offer the dns service", hosts[j].name),
                            None,
                        );
                    }
                    idx
                }
                None => dns_hosts.first().copied(),
            };
            if let Some(c) = &h.client {
                hosts[i].client = self.client(c, &names, &hosts);
            }
        }
        let needs_dns = hosts.iter().any(|h| h.has(Service::Submission));
        if needs_dns && dns_hosts.is_empty() {
            let span = raw
                .hosts
                .iter()
                .find(|h| {
                    h.services
                        .iter()
                        .any(|s| *s.get_ref() == Service::Submission)
                })
                .map(|h| h.name.span())
                .unwrap_or(0..0);
            self.err(span, "a submission server relays mail, which needs a DNS server, and no host offers `dns`", Some("add a host with services = [\"dns\"]".into()));
        }

        let zone = self.zone(&raw.dns, &hosts);
        let links = raw
            .links
            .iter()
            .filter_map(|l| self.link(l, &names))
            .collect();
        let mut steps: Vec<StepDef> = raw
            .steps
            .iter()
            .filter_map(|s| self.step(s, &names, &hosts))
            .collect();
        // Timed steps in time order; steps that wait for an event after those of their time.
        steps.sort_by_key(|s| (s.at, s.on.is_some()));
        let (expects, expect_lines) = raw
            .expects
            .iter()
            .filter_map(|e| {
                let line = self.line_of(e.first());
                self.expect(e, &names, &hosts).map(|x| (x, line))
            })
            .unzip();
        let faults = raw
            .faults
            .iter()
            .filter_map(|f| self.fault(f, &names, &hosts))
            .collect();
        let domain_labels = self.domains(&raw.domains, &hosts);
        let questions = raw
            .questions
            .iter()
            .filter_map(|q| self.question(q, &names))
            .collect();
        let talk = raw.talk.as_ref().and_then(|t| self.talk(t, &names, &hosts));
        Scenario {
            title: raw.title,
            description: raw.description,
            seed: raw.seed,
            start_unix,
            latency,
            jitter,
            hosts,
            zone,
            links,
            steps,
            expects,
            expect_lines,
            faults,
            domain_labels,
            questions,
            talk,
        }
    }

    /// `talk = "HOST:PORT"`: a server of the scenario and one of its services' ports.
    fn talk(
        &mut self,
        t: &Spanned<String>,
        names: &[String],
        hosts: &[HostDef],
    ) -> Option<(usize, u16)> {
        let Some((host, port)) = t
            .get_ref()
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h, p.trim().parse::<u16>().ok()?)))
        else {
            self.err(
                t.span(),
                "`talk` names a server and a port, HOST:PORT",
                Some("for example talk = \"mx.b.example:25\"".into()),
            );
            return None;
        };
        let host_span = t.span().start + 1..t.span().start + 1 + host.len();
        let h = self.host_ref(
            names,
            &Spanned::new(host_span, host.to_string()),
            "`talk`'s server",
        )?;
        if !hosts[h].services.iter().any(|s| s.port() == port) {
            let ports: Vec<String> = hosts[h]
                .services
                .iter()
                .map(|s| format!("{} ({})", s.port(), s.name()))
                .collect();
            self.err(
                t.span(),
                format!("{host} has no service on port {port}"),
                Some(if ports.is_empty() {
                    format!("{host} offers no service: add services = [\"smtp\"] to it")
                } else {
                    format!("it offers {}", ports.join(", "))
                }),
            );
            return None;
        }
        Some((h, port))
    }

    /// `[[domain]]` entries: each names a domain some host belongs to, once.
    fn domains(&mut self, raw: &[RawDomain], hosts: &[HostDef]) -> BTreeMap<String, String> {
        let known: BTreeSet<String> = hosts.iter().filter_map(HostDef::place).collect();
        let mut out = BTreeMap::new();
        for d in raw {
            let name = d.name.get_ref().to_ascii_lowercase();
            if !known.contains(&name) {
                let list: Vec<&str> = known.iter().map(String::as_str).collect();
                self.err(
                    d.name.span(),
                    format!("no host belongs to the domain `{}`", d.name.get_ref()),
                    Some(if list.is_empty() {
                        "give a host domain = \"...\" first".into()
                    } else {
                        words::suggest(d.name.get_ref(), &list, "the domains are")
                    }),
                );
            } else if out.insert(name, d.label.clone()).is_some() {
                self.err(
                    d.name.span(),
                    format!("the domain `{}` is labelled twice", d.name.get_ref()),
                    Some("keep one [[domain]] entry per domain".into()),
                );
            }
        }
        out
    }

    fn fault(&mut self, f: &RawFault, names: &[String], hosts: &[HostDef]) -> Option<FaultDef> {
        let host = self.host_ref(names, &f.host, "faulty host");
        let name = f.kind.get_ref().as_str();
        // Keys that belong to other kinds are mistakes worth naming.
        let only = |key: &str, kinds: &str| format!("`{key}` belongs to a fault of kind {kinds}");
        let mut misplaced: Vec<(Range<usize>, String)> = Vec::new();
        if name != "mailbox_full" {
            if let Some(u) = &f.user {
                misplaced.push((u.span(), only("user", "\"mailbox_full\"")));
            }
            if let Some(p) = &f.permanent {
                misplaced.push((p.span(), only("permanent", "\"mailbox_full\"")));
            }
        }
        if name != "loss" {
            if let Some(p) = &f.peer {
                misplaced.push((p.span(), only("peer", "\"loss\"")));
            }
            if let Some(r) = &f.rate {
                misplaced.push((r.span(), only("rate", "\"loss\"")));
            }
        }
        if let Some((span, msg)) = misplaced.into_iter().min_by_key(|(sp, _)| sp.start) {
            self.err(span, msg, None);
            return None;
        }
        let kind = match name {
            "down" => FaultKind::Down,
            "unreachable" => FaultKind::Unreachable,
            "greylist" => FaultKind::Greylist,
            "wrong_password" => FaultKind::WrongPassword,
            "mailbox_full" => {
                let h = &hosts[host?];
                if !h.has(Service::Smtp) || h.accounts.is_empty() {
                    self.err(
                        f.host.span(),
                        format!("`{}` keeps no mailboxes that mail arrives in", h.name),
                        Some(
                            "a mailbox_full fault needs a host with the smtp service and accounts"
                                .into(),
                        ),
                    );
                    return None;
                }
                let user = match &f.user {
                    Some(u) if !h.accounts.iter().any(|a| a.user == *u.get_ref()) => {
                        let users: Vec<&str> = h.accounts.iter().map(|a| a.user.as_str()).collect();
                        self.err(
                            u.span(),
                            format!("`{}` has no mailbox on {}", u.get_ref(), h.name),
                            Some(words::suggest(u.get_ref(), &users, "its users are")),
                        );
                        return None;
                    }
                    u => u.as_ref().map(|u| u.get_ref().clone()),
                };
                FaultKind::MailboxFull {
                    user,
                    permanent: f.permanent.as_ref().is_some_and(|p| *p.get_ref()),
                }
            }
            "loss" => {
                let peer = match &f.peer {
                    Some(p) => Some(self.host_ref(names, p, "peer")?),
                    None => None,
                };
                let Some(rate) = &f.rate else {
                    self.err(
                        f.kind.span(),
                        "a loss fault needs a `rate`",
                        Some("e.g. rate = 0.3: three segments in ten are lost".into()),
                    );
                    return None;
                };
                let r = *rate.get_ref();
                if !(0.01..=0.9).contains(&r) {
                    self.err(
                        rate.span(),
                        format!("a loss rate of {r} is out of range"),
                        Some("expected a share from 0.01 to 0.9".into()),
                    );
                    return None;
                }
                FaultKind::Loss {
                    peer,
                    per_mille: (r * 1000.0).round() as u32,
                }
            }
            other => {
                self.err(
                    f.kind.span(),
                    format!("`{other}` is not a kind of fault"),
                    Some(words::suggest(
                        other,
                        &[
                            "down",
                            "unreachable",
                            "greylist",
                            "wrong_password",
                            "mailbox_full",
                            "loss",
                        ],
                        "the kinds are",
                    )),
                );
                return None;
            }
        };
        let from = SimTime::ZERO + self.duration(&f.from);
        let until = f.until.as_ref().map(|u| SimTime::ZERO + self.duration(u));
        if let (Some(u), Some(sp)) = (until, f.until.as_ref())
            && u <= from
        {
            self.err(
                sp.span(),
                "`until` must come after `from`",
                Some(format!("the fault starts at {from}")),
            );
        }
        Some(FaultDef {
            host: host?,
            kind,
            from,
            until,
        })
    }

    fn position(&mut self, p: Option<&Spanned<Vec<f32>>>) -> Option<(f32, f32)> {
        let p = p?;
        match p.get_ref().as_slice() {
            &[x, y] if (0.0..=1000.0).contains(&x) && (0.0..=600.0).contains(&y) => Some((x, y)),
            _ => {
                self.err(
                    p.span(),
                    "a position is [x, y] with x from 0 to 1000 and y from 0 to 600",
                    None,
                );
                None
            }
        }
    }

    fn start(&mut self, s: &Spanned<toml::value::Datetime>) -> i64 {
        let dt = s.get_ref();
        match (dt.date, dt.time) {
            (Some(d), t) => {
                let days = days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day));
                let secs = t
                    .map(|t| {
                        i64::from(t.hour) * 3600
                            + i64::from(t.minute) * 60
                            + i64::from(t.second.unwrap_or(0))
                    })
                    .unwrap_or(0);
                let offset = match dt.offset {
                    Some(toml::value::Offset::Custom { minutes }) => i64::from(minutes) * 60,
                    _ => 0,
                };
                days * 86_400 + secs - offset
            }
            (None, _) => {
                self.err(
                    s.span(),
                    "`start` needs a date",
                    Some("expected e.g. start = 2026-11-27T09:00:00Z".into()),
                );
                DEFAULT_START
            }
        }
    }

    fn client(&mut self, c: &RawClient, names: &[String], hosts: &[HostDef]) -> Option<ClientDef> {
        let address = self.address(&c.address)?;
        let outgoing = self.host_ref(names, &c.outgoing, "outgoing server")?;
        let out_port = c.outgoing_port.unwrap_or(Service::Submission.port());
        let serves = |h: &HostDef, port: u16| h.services.iter().any(|s| s.port() == port);
        if !serves(&hosts[outgoing], out_port) || !(out_port == 25 || out_port == 587) {
            self.err(
                c.outgoing.span(),
                format!(
                    "`{}` has no SMTP service on port {out_port}",
                    hosts[outgoing].name
                ),
                Some(
                    "give that host services = [\"submission\"] (port 587), or set outgoing_port"
                        .into(),
                ),
            );
        }
        let proto = c
            .incoming_protocol
            .as_ref()
            .map_or(IncomingProtocol::Pop3, |p| *p.get_ref());
        let service = proto.service();
        let in_port = c.incoming_port.unwrap_or(service.port());
        let incoming = match &c.incoming {
            Some(s) => {
                let i = self.host_ref(names, s, "incoming server")?;
                if !serves(&hosts[i], in_port) || in_port != service.port() {
                    let name = if proto == IncomingProtocol::Imap {
                        "imap"
                    } else {
                        "pop3"
                    };
                    self.err(
                        s.span(),
                        format!(
                            "`{}` has no {} service on port {in_port}",
                            hosts[i].name,
                            name.to_ascii_uppercase()
                        ),
                        Some(format!("give that host services = [\"{name}\"]")),
                    );
                }
                Some(i)
            }
            None => None,
        };
        if c.idle && proto != IncomingProtocol::Imap {
            let span = c
                .incoming_protocol
                .as_ref()
                .map_or(c.address.span(), |p| p.span());
            self.err(
                span,
                "`idle` needs IMAP: POP3 has no way to wait for news",
                Some("set incoming_protocol = \"imap\"".into()),
            );
        }
        let style = c
            .style
            .as_ref()
            .map_or(ClientStyle::default(), |s| *s.get_ref());
        let user = c
            .user
            .clone()
            .unwrap_or_else(|| address.local.to_ascii_lowercase());
        Some(ClientDef {
            name: c.name.clone().unwrap_or_default(),
            user,
            password: c.password.clone().unwrap_or_default(),
            address,
            outgoing,
            outgoing_port: out_port,
            incoming,
            incoming_port: in_port,
            incoming_protocol: proto,
            keep_on_server: c.keep_on_server,
            idle: c.idle,
            ehlo: c.ehlo.unwrap_or(style != ClientStyle::Eudora),
            style,
            user_agent: c
                .user_agent
                .clone()
                .unwrap_or_else(|| style.user_agent().into()),
        })
    }

    fn zone(&mut self, dns: &[RawDns], hosts: &[HostDef]) -> Zone {
        let mut zone = Zone::default();
        for h in hosts {
            zone.add(&h.name, ZoneRecord::A(h.ip));
        }
        for r in dns {
            let name = r.name.get_ref();
            if !is_domain(name) {
                self.err(
                    r.name.span(),
                    format!("`{name}` is not a domain name"),
                    None,
                );
                continue;
            }
            match r.rtype.get_ref().to_ascii_uppercase().as_str() {
                "MX" => {
                    let Some(ex) = &r.exchange else {
                        self.err(
                            r.rtype.span(),
                            "an MX record needs `exchange`: the host that receives the mail",
                            None,
                        );
                        continue;
                    };
                    if r.address.is_some() {
                        self.err(
                            r.rtype.span(),
                            "an MX record has no `address` (that is for A records)",
                            None,
                        );
                    }
                    if !hosts
                        .iter()
                        .any(|h| h.name.eq_ignore_ascii_case(ex.get_ref()))
                    {
                        let known: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
                        let hint = words::suggest(ex.get_ref(), &known, "the hosts are");
                        self.err(
                            ex.span(),
                            format!(
                                "the MX exchange `{}` is not a host of this scenario",
                                ex.get_ref()
                            ),
                            Some(hint),
                        );
                        continue;
                    }
                    zone.add(
                        name,
                        ZoneRecord::Mx {
                            preference: r.preference.unwrap_or(10),
                            exchange: ex.get_ref().to_ascii_lowercase(),
                        },
                    );
                }
                "A" => {
                    let Some(a) = &r.address else {
                        self.err(r.rtype.span(), "an A record needs `address`", None);
                        continue;
                    };
                    match a.get_ref().parse::<Ipv4Addr>() {
                        Ok(ip) => zone.add(name, ZoneRecord::A(ip)),
                        Err(_) => self.err(
                            a.span(),
                            format!("`{}` is not an IPv4 address", a.get_ref()),
                            None,
                        ),
                    }
                }
                other => self.err(
                    r.rtype.span(),
                    format!("record type `{other}` is not supported"),
                    Some("expected \"MX\" or \"A\"".into()),
                ),
            }
        }
        zone
    }

    fn link(&mut self, l: &RawLink, names: &[String]) -> Option<LinkDef> {
        let ends = l.between.get_ref();
        if ends.len() != 2 {
            self.err(
                l.between.span(),
                format!("a link joins two hosts, not {}", ends.len()),
                Some("expected between = [\"a\", \"b\"]".into()),
            );
            return None;
        }
        let a = self.host_ref(names, &ends[0], "link end");
        let b = self.host_ref(names, &ends[1], "link end");
        let latency = self.duration(&l.latency);
        let jitter = l
            .jitter
            .as_ref()
            .map(|j| self.duration(j))
            .unwrap_or(SimDuration::ZERO);
        Some(LinkDef {
            between: (a?, b?),
            latency,
            jitter,
        })
    }

    fn step(
        &mut self,
        whole: &Spanned<RawStep>,
        names: &[String],
        hosts: &[HostDef],
    ) -> Option<StepDef> {
        let s = whole.get_ref();
        let Some(anchor) = s.at.as_ref().or(s.on.as_ref()).map(|x| x.span()) else {
            self.err(
                whole.span(),
                "a step needs `at` (when it begins) or `on` (the event it waits for)",
                Some("for example at = \"4s\", or on = \"mx.b.example stores a mail\"".into()),
            );
            return None;
        };
        let at =
            s.at.as_ref()
                .map_or(SimTime::ZERO, |a| SimTime::ZERO + self.duration(a));
        let on = s.on.as_ref().and_then(|o| self.trigger(o, names));
        let action_name = s
            .action
            .as_ref()
            .map(|a| a.get_ref().as_str())
            .unwrap_or("narrate");
        let span = s
            .action
            .as_ref()
            .map(|a| a.span())
            .unwrap_or(anchor.clone());
        let host = s
            .host
            .as_ref()
            .and_then(|h| self.host_ref(names, h, "host"));
        let narration = s.narration.clone().unwrap_or_default();
        let unused = |v: &mut Self, what: &str, sp: Option<Range<usize>>| {
            if let Some(sp) = sp {
                v.err(
                    sp,
                    format!("`{what}` is not used by a `{action_name}` step"),
                    None,
                );
            }
        };
        if action_name != "web" {
            unused(self, "server", s.server.as_ref().map(|t| t.span()));
            unused(self, "method", s.method.as_ref().map(|t| t.span()));
            unused(self, "path", s.path.as_ref().map(|t| t.span()));
            unused(self, "form", s.form.as_ref().map(|t| t.span()));
        }
        let action = match action_name {
            "narrate" => {
                unused(self, "to", s.to.as_ref().map(|t| t.span()));
                unused(self, "cc", s.cc.as_ref().map(|t| t.span()));
                unused(self, "bcc", s.bcc.as_ref().map(|t| t.span()));
                unused(self, "subject", s.subject.as_ref().map(|t| t.span()));
                unused(self, "body", s.body.as_ref().map(|t| t.span()));
                if narration.is_empty() {
                    self.err(span, "a `narrate` step needs `narration`", None);
                }
                StepAction::Narrate
            }
            "send" => {
                let Some(to) = &s.to else {
                    self.err(
                        span,
                        "a `send` step needs `to`: the recipients' addresses",
                        Some("expected to = [\"bob@b.example\"]".into()),
                    );
                    return None;
                };
                if to.get_ref().is_empty() {
                    self.err(to.span(), "`to` needs at least one address", None);
                }
                let to: Vec<Address> = to
                    .get_ref()
                    .iter()
                    .filter_map(|a| self.address(a))
                    .collect();
                let mut copies = |list: &Option<Spanned<Vec<Spanned<String>>>>| -> Vec<Address> {
                    list.iter()
                        .flat_map(|l| l.get_ref())
                        .filter_map(|a| self.address(a))
                        .collect()
                };
                let cc = copies(&s.cc);
                let bcc = copies(&s.bcc);
                self.needs_client(s, host, hosts, span.clone(), "send")?;
                StepAction::Send {
                    to,
                    cc,
                    bcc,
                    subject: s
                        .subject
                        .as_ref()
                        .map(|x| x.get_ref().clone())
                        .unwrap_or_default(),
                    body: s
                        .body
                        .as_ref()
                        .map(|x| x.get_ref().clone())
                        .unwrap_or_default(),
                }
            }
            "check" => {
                unused(self, "to", s.to.as_ref().map(|t| t.span()));
                unused(self, "cc", s.cc.as_ref().map(|t| t.span()));
                unused(self, "bcc", s.bcc.as_ref().map(|t| t.span()));
                unused(self, "subject", s.subject.as_ref().map(|t| t.span()));
                unused(self, "body", s.body.as_ref().map(|t| t.span()));
                let h = self.needs_client(s, host, hosts, span.clone(), "check")?;
                if hosts[h]
                    .client
                    .as_ref()
                    .is_some_and(|c| c.incoming.is_none())
                {
                    self.err(
                        span,
                        format!(
                            "`{}`'s mail program has no `incoming` server to check",
                            hosts[h].name
                        ),
                        None,
                    );
                }
                StepAction::Check
            }
            "web" => {
                unused(self, "to", s.to.as_ref().map(|t| t.span()));
                unused(self, "cc", s.cc.as_ref().map(|t| t.span()));
                unused(self, "bcc", s.bcc.as_ref().map(|t| t.span()));
                unused(self, "subject", s.subject.as_ref().map(|t| t.span()));
                unused(self, "body", s.body.as_ref().map(|t| t.span()));
                let Some(h) = host else {
                    self.err(
                        span,
                        "a `web` step needs `host`: the computer whose browser asks",
                        None,
                    );
                    return None;
                };
                if hosts[h].kind != HostKind::Computer {
                    let sp = s.host.as_ref().map_or(span.clone(), |x| x.span());
                    self.err(
                        sp,
                        format!(
                            "`{}` is a server, not a computer with a browser",
                            hosts[h].name
                        ),
                        None,
                    );
                }
                let Some(sv) = &s.server else {
                    self.err(
                        span,
                        "a `web` step needs `server`: the web server's host name",
                        None,
                    );
                    return None;
                };
                let server = self.host_ref(names, sv, "web server")?;
                if !hosts[server].has(Service::Http) {
                    self.err(
                        sv.span(),
                        format!("`{}` has no web server", hosts[server].name),
                        Some("give that host services = [\"http\"]".into()),
                    );
                }
                let method = s
                    .method
                    .as_ref()
                    .map_or("GET".to_string(), |m| m.get_ref().to_ascii_uppercase());
                if method != "GET" && method != "POST" {
                    let sp = s.method.as_ref().map_or(span.clone(), |m| m.span());
                    self.err(
                        sp,
                        format!("`{method}` is not a method a browser sends for a page or a form"),
                        Some("expected \"GET\" or \"POST\"".into()),
                    );
                }
                let path = s
                    .path
                    .as_ref()
                    .map_or("/".to_string(), |p| p.get_ref().clone());
                if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b >= 0x7f) {
                    let sp = s.path.as_ref().map_or(span.clone(), |p| p.span());
                    self.err(
                        sp,
                        "a path starts with `/` and has no spaces or control characters",
                        Some("expected e.g. path = \"/compose\"".into()),
                    );
                }
                let form: Vec<(String, String)> = s
                    .form
                    .as_ref()
                    .map(|f| {
                        f.get_ref()
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                if !form.is_empty() && method != "POST" {
                    let sp = s.form.as_ref().map_or(span.clone(), |f| f.span());
                    self.err(sp, "a `form` is sent with method = \"POST\"", None);
                }
                StepAction::Web {
                    server,
                    method,
                    path,
                    form,
                }
            }
            verb @ ("read" | "delete") => {
                unused(self, "to", s.to.as_ref().map(|t| t.span()));
                unused(self, "cc", s.cc.as_ref().map(|t| t.span()));
                unused(self, "bcc", s.bcc.as_ref().map(|t| t.span()));
                unused(self, "body", s.body.as_ref().map(|t| t.span()));
                let h = self.needs_client(s, host, hosts, span.clone(), verb)?;
                if hosts[h].client.as_ref().is_some_and(|c| {
                    c.incoming.is_none() || c.incoming_protocol != IncomingProtocol::Imap
                }) {
                    self.err(
                        span.clone(),
                        format!(
                            "a `{verb}` step needs a mail program that uses IMAP; `{}`'s does not",
                            hosts[h].name
                        ),
                        Some(
                            "give its client incoming_protocol = \"imap\" and an incoming server"
                                .into(),
                        ),
                    );
                }
                let Some(subject) = &s.subject else {
                    self.err(
                        span,
                        format!("a `{verb}` step needs `subject`: which message to {verb}"),
                        None,
                    );
                    return None;
                };
                let subject = subject.get_ref().clone();
                if verb == "read" {
                    StepAction::Read { subject }
                } else {
                    StepAction::Delete { subject }
                }
            }
            other => {
                self.err(
                    span,
                    format!("`{other}` is not a step action"),
                    Some(words::suggest(
                        other,
                        &["narrate", "send", "check", "read", "delete", "web"],
                        "the actions are",
                    )),
                );
                return None;
            }
        };
        Some(StepDef {
            at,
            host,
            action,
            narration,
            line: self.line_of(anchor.start),
            on,
        })
    }

    fn needs_client(
        &mut self,
        s: &RawStep,
        host: Option<usize>,
        hosts: &[HostDef],
        span: Range<usize>,
        what: &str,
    ) -> Option<usize> {
        let Some(h) = host else {
            if s.host.is_none() {
                self.err(
                    span,
                    format!("a `{what}` step needs `host`: the computer whose user acts"),
                    None,
                );
            }
            return None;
        };
        if hosts[h].client.is_none() {
            let sp = s.host.as_ref().map(|x| x.span()).unwrap_or(span);
            self.err(
                sp,
                format!("`{}` has no mail program", hosts[h].name),
                Some("add a [host.client] table to that host".into()),
            );
            return None;
        }
        Some(h)
    }
}
