//! What if? The changes that make a lesson, applied to a scenario so that it can be run again with
//! the same seed and compared ([`crate::diff`]): a server down from a moment on, a mistyped
//! recipient, a computer switched between POP3 and IMAP or between deleting and keeping, a lossy
//! link, greylisting, a full mailbox.

use crate::engine::ids::HostId;
use crate::engine::time::SimTime;
use crate::scenario::{FaultDef, FaultKind, IncomingProtocol, Scenario, Service, StepAction};

/// One change to a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Host `host` is down (refuses connections) from `from` on, or until `until`.
    Down {
        host: HostId,
        from: SimTime,
        until: Option<SimTime>,
    },
    /// The first recipient of step `step` (a send) gets one letter too many.
    Mistype { step: usize },
    /// Computer `host` fetches with the other protocol (POP3 ↔ IMAP).
    Protocol { host: HostId },
    /// Computer `host` keeps mail on the server (POP3) or deletes it, the other way round.
    Keep { host: HostId },
    /// The links of `host` lose three segments in ten.
    Loss { host: HostId },
    /// Server `host` greylists.
    Greylist { host: HostId },
    /// Every mailbox of server `host` is full for good (552 5.2.2).
    Full { host: HostId },
}

/// How long "down for a while" lasts: long enough for a retry or two (the first after 10 s,
/// then 20 s more), short enough that the mail gets through in the end.
const DOWN_A_WHILE: crate::engine::time::SimDuration =
    crate::engine::time::SimDuration::from_secs(60);

impl Change {
    /// The change in words: "mx.b.example is down from 0.500s".
    pub fn describe(&self, s: &Scenario) -> String {
        let name = |h: HostId| s.hosts[h].name.as_str();
        match self {
            Change::Down {
                host,
                from,
                until: None,
            } => format!("{} is down from {from} on", name(*host)),
            Change::Down {
                host,
                from,
                until: Some(u),
            } => format!(
                "{} is down for {} from {from}",
                name(*host),
                crate::engine::time::SimDuration(u.0 - from.0)
            ),
            Change::Mistype { step } => match &s.steps[*step].action {
                StepAction::Send { to, .. } => {
                    format!(
                        "the sender mistypes {} as {}",
                        to[0],
                        mistyped(&to[0].to_string())
                    )
                }
                _ => "a mistyped recipient".into(),
            },
            Change::Protocol { host } => {
                let now = match s.hosts[*host].client.as_ref().map(|c| c.incoming_protocol) {
                    Some(IncomingProtocol::Pop3) => "IMAP instead of POP3",
                    _ => "POP3 instead of IMAP",
                };
                format!("{} fetches with {now}", name(*host))
            }
            Change::Keep { host } => {
                let keeps = s.hosts[*host]
                    .client
                    .as_ref()
                    .is_some_and(|c| c.keep_on_server);
                format!(
                    "{} {} mail on the server",
                    name(*host),
                    if keeps { "no longer keeps" } else { "keeps" }
                )
            }
            Change::Loss { host } => format!("the links of {} lose 3 segments in 10", name(*host)),
            Change::Greylist { host } => format!("{} greylists (451 4.7.1 at first)", name(*host)),
            Change::Full { host } => {
                format!("the mailboxes on {} are full (552 5.2.2)", name(*host))
            }
        }
    }

    /// The scenario with the change made; `None` when it does not apply there.
    pub fn apply(&self, s: &Scenario) -> Option<Scenario> {
        let mut s = s.clone();
        let fault = |host: HostId, kind: FaultKind, from: SimTime| FaultDef {
            host,
            kind,
            from,
            until: None,
        };
        match self {
            Change::Down { host, from, until } => {
                s.faults.push(FaultDef {
                    until: *until,
                    ..fault(*host, FaultKind::Down, *from)
                });
            }
            Change::Mistype { step } => {
                let StepAction::Send { to, .. } = &mut s.steps.get_mut(*step)?.action else {
                    return None;
                };
                to[0] = crate::protocols::smtp::wire::Address::parse(&mistyped(&to[0].to_string()))
                    .ok()?;
            }
            Change::Protocol { host } => {
                let server = s.hosts[*host].client.as_ref()?.incoming?;
                let services = s.hosts[server].services.clone();
                let c = s.hosts[*host].client.as_mut()?;
                let (protocol, service) = match c.incoming_protocol {
                    IncomingProtocol::Pop3 => (IncomingProtocol::Imap, Service::Imap),
                    IncomingProtocol::Imap => (IncomingProtocol::Pop3, Service::Pop3),
                };
                if !services.contains(&service) {
                    return None;
                }
                c.incoming_protocol = protocol;
                c.incoming_port = service.port();
            }
            Change::Keep { host } => {
                let c = s.hosts[*host].client.as_mut()?;
                if c.incoming_protocol != IncomingProtocol::Pop3 {
                    return None;
                }
                c.keep_on_server = !c.keep_on_server;
            }
            Change::Loss { host } => s.faults.push(fault(
                *host,
                FaultKind::Loss {
                    peer: None,
                    per_mille: 300,
                },
                SimTime::ZERO,
            )),
            Change::Greylist { host } => {
                s.hosts[*host]
                    .services
                    .contains(&Service::Smtp)
                    .then_some(())?;
                s.faults
                    .push(fault(*host, FaultKind::Greylist, SimTime::ZERO));
            }
            Change::Full { host } => {
                (!s.hosts[*host].accounts.is_empty()).then_some(())?;
                s.faults.push(fault(
                    *host,
                    FaultKind::MailboxFull {
                        user: None,
                        permanent: true,
                    },
                    SimTime::ZERO,
                ));
            }
        }
        Some(s)
    }

    /// The changes that make sense in `s` (those whose [`Change::apply`] works), with a server
    /// going down at `now`.
    pub fn offered(s: &Scenario, now: SimTime) -> Vec<Change> {
        let mut out = Vec::new();
        for (i, st) in s.steps.iter().enumerate() {
            if matches!(st.action, StepAction::Send { .. }) {
                out.push(Change::Mistype { step: i });
                break;
            }
        }
        for (h, def) in s.hosts.iter().enumerate() {
            let h = HostId::new(h);
            let mail_server = def.services.iter().any(|x| {
                matches!(
                    x,
                    Service::Smtp | Service::Submission | Service::Pop3 | Service::Imap
                )
            });
            if mail_server {
                out.push(Change::Down {
                    host: h,
                    from: now,
                    until: None,
                });
                // For a while: the mail waits in a queue and is sent again (RFC 5321 §4.5.4.1).
                out.push(Change::Down {
                    host: h,
                    from: now,
                    until: Some(now + DOWN_A_WHILE),
                });
                // Greylisting and full mailboxes matter to a server mail is sent to.
                let receives = s.steps.iter().any(|st| match &st.action {
                    StepAction::Send { to, cc, bcc, .. } => {
                        to.iter().chain(cc).chain(bcc).any(|a| {
                            def.domain
                                .as_deref()
                                .is_some_and(|d| d.eq_ignore_ascii_case(&a.domain_lower()))
                        })
                    }
                    _ => false,
                });
                if receives {
                    out.push(Change::Greylist { host: h });
                    out.push(Change::Full { host: h });
                }
            }
            if def.client.is_some() {
                // How it fetches matters only to a computer that fetches.
                let fetches = s.steps.iter().any(|st| {
                    st.host == Some(h)
                        && matches!(
                            st.action,
                            StepAction::Check | StepAction::Read { .. } | StepAction::Delete { .. }
                        )
                });
                if fetches {
                    out.push(Change::Protocol { host: h });
                    out.push(Change::Keep { host: h });
                }
                out.push(Change::Loss { host: h });
            }
        }
        out.retain(|c| c.apply(s).is_some());
        out
    }
}

impl Change {
    /// The scenario file `source` (of `s`) with the change written into it, for a teacher to keep:
    /// a `[[fault]]` added at the end, the recipient retyped in its step, a key of the computer's
    /// `[host.client]` set. `None` when the file is not laid out as expected (then the change is
    /// not offered for saving).
    pub fn write_into(&self, s: &Scenario, source: &str) -> Option<String> {
        let fault = |host: HostId, body: &str| {
            format!(
                "{}\n\n# What if: {}\n[[fault]]\nhost = \"{}\"\n{body}\n",
                source.trim_end(),
                self.describe(s),
                s.hosts[host].name
            )
        };
        match self {
            Change::Down { host, from, until } => Some(fault(
                *host,
                &match until {
                    None => format!("kind = \"down\"\nfrom = \"{from}\""),
                    Some(u) => format!("kind = \"down\"\nfrom = \"{from}\"\nuntil = \"{u}\""),
                },
            )),
            Change::Greylist { host } => Some(fault(*host, "kind = \"greylist\"\nfrom = \"0s\"")),
            Change::Full { host } => Some(fault(
                *host,
                "kind = \"mailbox_full\"\nfrom = \"0s\"\npermanent = true",
            )),
            Change::Loss { host } => {
                Some(fault(*host, "kind = \"loss\"\nfrom = \"0s\"\nrate = 0.3"))
            }
            Change::Mistype { step } => {
                let StepAction::Send { to, .. } = &s.steps.get(*step)?.action else {
                    return None;
                };
                // The step's line, then its `to` list, the first time the address is quoted.
                let line_start = source
                    .split_inclusive('\n')
                    .take(s.steps[*step].line.saturating_sub(1))
                    .map(str::len)
                    .sum::<usize>();
                let quoted = format!("\"{}\"", to[0]);
                let at = line_start + source[line_start..].find(&quoted)?;
                Some(format!(
                    "{}\"{}\"{}",
                    &source[..at],
                    mistyped(&to[0].to_string()),
                    &source[at + quoted.len()..]
                ))
            }
            Change::Protocol { host } | Change::Keep { host } => {
                let changed = self.apply(s)?;
                let c = changed.hosts[*host].client.as_ref()?;
                let set = match self {
                    Change::Protocol { .. } => vec![
                        (
                            "incoming_protocol",
                            match c.incoming_protocol {
                                IncomingProtocol::Pop3 => "\"pop3\"".to_string(),
                                IncomingProtocol::Imap => "\"imap\"".to_string(),
                            },
                        ),
                        ("incoming_port", c.incoming_port.to_string()),
                    ],
                    _ => vec![("keep_on_server", c.keep_on_server.to_string())],
                };
                set_client_keys(source, &s.hosts[*host].name, &set)
            }
        }
    }
}

/// Sets `keys` in the `[host.client]` table of the host called `name`: an existing line is
/// replaced, a missing one added under the table's header.
fn set_client_keys(source: &str, name: &str, keys: &[(&str, String)]) -> Option<String> {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    let named = lines
        .iter()
        .position(|l| l.trim() == format!("name = \"{name}\""))?;
    let header = named
        + lines[named..]
            .iter()
            .position(|l| l.trim() == "[host.client]")?;
    // The table ends at the next header.
    let end = header
        + 1
        + lines[header + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .unwrap_or(lines.len() - header - 1);
    for (key, value) in keys {
        let line = format!("{key} = {value}");
        match (header + 1..end)
            .find(|&i| lines[i].split('=').next().is_some_and(|k| k.trim() == *key))
        {
            Some(i) => lines[i] = line,
            None => lines.insert(header + 1, line),
        }
    }
    Some(lines.join("\n") + "\n")
}

/// The address with its user part's last letter doubled: `bob@b.example` → `bobb@b.example`.
fn mistyped(address: &str) -> String {
    match address.split_once('@') {
        Some((user, domain)) if !user.is_empty() => {
            let last = user.chars().last().unwrap_or('x');
            format!("{user}{last}@{domain}")
        }
        _ => format!("{address}x"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sim;
    use crate::engine::trace::{EventKind, MailboxChange};

    fn run(s: &Scenario) -> Sim {
        let mut sim = Sim::new(s, None);
        sim.run_to_end();
        sim
    }

    #[test]
    fn each_offered_change_changes_the_run_of_the_walkthrough() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let base = run(&s);
        let offered = Change::offered(&s, SimTime::ZERO);
        assert!(offered.len() >= 6, "{offered:?}");
        for c in &offered {
            let changed = run(&c.apply(&s).unwrap());
            assert!(
                crate::diff::first_difference(base.trace(), changed.trace()).is_some(),
                "{}: the same run",
                c.describe(&s)
            );
        }
    }

    #[test]
    fn a_mistyped_recipient_bounces_and_imap_keeps_the_mail_on_the_server() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let typo = Change::offered(&s, SimTime::ZERO)
            .into_iter()
            .find(|c| matches!(c, Change::Mistype { .. }))
            .unwrap();
        assert_eq!(
            typo.describe(&s),
            "the sender mistypes bob@b.example as bobb@b.example"
        );
        let out = crate::diff::outcome(&run(&typo.apply(&s).unwrap()));
        assert!(out.iter().any(|l| l.contains("a bounce")), "{out:?}");
        let bob_pc = s.host_id("bob-pc.b.example").unwrap();
        let imap = Change::Protocol { host: bob_pc };
        // The walkthrough's server offers no IMAP: the change is not offered there.
        assert_eq!(imap.apply(&s), None);
        let keep = Change::Keep { host: bob_pc };
        let kept = run(&keep.apply(&s).unwrap());
        let mx = s.host_id("mx.b.example").unwrap();
        assert_eq!(kept.hosts()[mx].store.mailboxes["bob"].messages.len(), 1);
        assert_eq!(base_count(&s, mx), 0);
    }

    /// B's server down for a while: A's server keeps the mail and tries again, and it arrives
    /// after the server is back; down for good, it never does.
    #[test]
    fn a_server_down_for_a_while_gets_the_mail_late_and_one_down_for_good_never() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let mx = s.host_id("mx.b.example").unwrap();
        let now = SimTime(100_000);
        let downs: Vec<Change> = Change::offered(&s, now)
            .into_iter()
            .filter(|c| matches!(c, Change::Down { host, .. } if *host == mx))
            .collect();
        assert_eq!(downs.len(), 2, "{downs:?}");
        assert_eq!(
            downs[1].describe(&s),
            "mx.b.example is down for 60s from 0.100s"
        );
        let stored = |c: &Change| {
            let sim = run(&c.apply(&s).unwrap());
            sim.trace().events.iter().find_map(|e| match &e.kind {
                EventKind::Mailbox {
                    host,
                    change: MailboxChange::Stored { .. },
                    ..
                } if *host == mx => Some(e.time),
                _ => None,
            })
        };
        assert_eq!(stored(&downs[0]), None);
        let late = stored(&downs[1]).expect("stored once the server is back");
        assert!(late >= now + DOWN_A_WHILE, "{late}");
    }

    /// A saved change is a file that parses and runs exactly as the change applied does.
    #[test]
    fn a_change_written_into_the_file_runs_as_the_change_applied() {
        for (name, source) in [
            ("walkthrough", crate::WALKTHROUGH),
            ("pop3-keep", include_str!("../scenarios/pop3-keep.toml")),
            ("imap", include_str!("../scenarios/imap-two-computers.toml")),
        ] {
            let s = crate::scenario::parse(name, source).unwrap();
            for c in Change::offered(&s, SimTime(500_000)) {
                let text = c
                    .write_into(&s, source)
                    .unwrap_or_else(|| panic!("{name}: {} not written", c.describe(&s)));
                let saved = crate::scenario::parse(name, &text)
                    .unwrap_or_else(|e| panic!("{name}: {}: {e}", c.describe(&s)));
                let (a, b) = (run(&c.apply(&s).unwrap()), run(&saved));
                assert_eq!(
                    crate::diff::first_difference(a.trace(), b.trace()),
                    None,
                    "{name}: {}",
                    c.describe(&s)
                );
            }
        }
    }

    fn base_count(s: &Scenario, mx: HostId) -> usize {
        run(s).hosts()[mx].store.mailboxes["bob"].messages.len()
    }
}
