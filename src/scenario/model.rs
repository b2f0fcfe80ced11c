//! The checked model: a [`Scenario`] and its hosts, mail programs, steps, links and faults, as
//! validation leaves them, with the methods the simulator and the window ask them.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::Deserialize;

use super::on;
use super::{ExpectDef, QuestionDef};
use crate::engine::ids::HostId;
use crate::engine::time::{SimDuration, SimTime};
use crate::protocols::dns::Zone;
use crate::protocols::smtp::wire::Address;

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
    /// The outgoing (SMTP) server.
    pub outgoing: HostId,
    /// Its port.
    pub outgoing_port: u16,
    /// The incoming (POP3 or IMAP) server.
    pub incoming: Option<HostId>,
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
    /// The DNS server it asks.
    pub resolver: Option<HostId>,
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
        /// The web server.
        server: HostId,
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
    pub host: Option<HostId>,
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
    pub between: (HostId, HostId),
    /// One-way latency.
    pub latency: SimDuration,
    /// Extra random delay, up to this much.
    pub jitter: SimDuration,
}

/// Something going wrong on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultDef {
    /// The host it hits.
    pub host: HostId,
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
        peer: Option<HostId>,
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
    pub fn touches(&self, h: HostId) -> bool {
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
    pub fn loss_between(&self, a: HostId, b: HostId, t: SimTime) -> Option<u32> {
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
    /// id) and port the window's console opens at, and `mailsim talk` talks to.
    pub talk: Option<(HostId, u16)>,
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
    /// The host called `name`.
    pub fn host_id(&self, name: &str) -> Option<HostId> {
        self.hosts
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(name))
            .map(HostId::new)
    }
}
