//! Validation of `[[fault]]`: what goes wrong on the timeline, with the keys each kind of fault
//! takes.

use std::ops::Range;

use super::raw::RawFault;
use super::validate::Validator;
use super::{FaultDef, FaultKind, HostDef, Service, words};
use crate::engine::time::SimTime;

impl Validator<'_> {
    pub(super) fn fault(
        &mut self,
        f: &RawFault,
        names: &[String],
        hosts: &[HostDef],
    ) -> Option<FaultDef> {
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
}
