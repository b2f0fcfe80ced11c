//! The [`Validator`]: the second pass, which checks what serde cannot and gathers every problem
//! with its file:line:col. This file holds its core (errors, times, host names, addresses) and
//! the file as a whole: the header, the hosts with their services, domains and accounts, the
//! diagram's domains and positions, and `talk`. The other parts are checked in `network.rs`
//! (mail programs, DNS, links), `faults.rs`, `steps.rs`, `expect.rs` and `question.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::ops::Range;

use toml::Spanned;

use super::raw::{RawDomain, RawFile};
use super::{
    Account, DEFAULT_START, FORMAT, HostDef, HostKind, Scenario, ScenarioError, Service, StepDef,
    words,
};
use crate::engine::ids::HostId;
use crate::engine::time::{SimDuration, days_from_civil, parse_duration};
use crate::protocols::smtp::wire::{Address, is_domain};

/// The second pass over one file: what it has found wrong so far.
pub(super) struct Validator<'a> {
    pub(super) file: &'a str,
    pub(super) source: &'a str,
    pub(super) errors: Vec<ScenarioError>,
    /// Where each line after the first begins (the byte after each LF), found once: a step's line
    /// is looked up, not counted from the top (a classroom's 10,000 steps made that quadratic).
    line_starts: Vec<usize>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(file: &'a str, source: &'a str) -> Self {
        Validator {
            file,
            source,
            errors: Vec::new(),
            line_starts: source
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1)
                .collect(),
        }
    }
}

impl Validator<'_> {
    pub(super) fn err(&mut self, span: Range<usize>, msg: impl Into<String>, hint: Option<String>) {
        self.errors
            .push(ScenarioError::at(self.file, self.source, span, msg, hint));
    }

    /// The 1-based line of byte `at` of the file.
    pub(super) fn line_of(&self, at: usize) -> usize {
        let at = at.min(self.source.len());
        // The lines that begin at or before `at`, plus the first.
        self.line_starts.partition_point(|&s| s <= at) + 1
    }

    pub(super) fn duration(&mut self, s: &Spanned<String>) -> SimDuration {
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

    pub(super) fn host_ref(
        &mut self,
        names: &[String],
        s: &Spanned<String>,
        what: &str,
    ) -> Option<HostId> {
        let i = names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(s.get_ref()))
            .map(HostId::new);
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

    pub(super) fn address(&mut self, s: &Spanned<String>) -> Option<Address> {
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

    pub(super) fn scenario(&mut self, raw: RawFile) -> Scenario {
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
        let dns_hosts: Vec<HostId> = HostId::all(hosts.len())
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
    ) -> Option<(HostId, u16)> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line looked up is the line counted: at every byte of a file, CRLF and LF alike, and
    /// past its end.
    #[test]
    fn line_of_is_the_count_of_line_ends_before() {
        let source = "format = 1\r\ntitle = \"x\"\n\n[[host]]\nname = \"a\"\r\n\r\nlast";
        let v = Validator::new("f.toml", source);
        for at in 0..=source.len() + 3 {
            let counted = source.as_bytes()[..at.min(source.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            assert_eq!(v.line_of(at), counted, "byte {at}");
        }
    }
}
