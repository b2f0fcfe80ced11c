//! The scenario's faults as the network and the hosts ask about them: built once from the
//! scenario, by host, so that a question ("is this host down now?") looks only at that host's
//! faults instead of scanning the whole file at every segment.

use crate::engine::ids::HostId;
use crate::engine::time::SimTime;
use crate::scenario::{FaultDef, FaultKind};

/// The fault schedule.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Each host's faults in the file's order: those on the host, and the lossy links whose other
    /// end it is.
    by_host: Vec<Vec<FaultDef>>,
    /// Whether datagrams can be lost at all (a `loss` or `unreachable` fault anywhere): a
    /// resolver then waits for its answers only so long.
    datagrams_can_be_lost: bool,
}

impl Faults {
    /// The schedule of `faults`, for `hosts` hosts.
    pub fn new(faults: &[FaultDef], hosts: usize) -> Faults {
        let mut by_host = vec![Vec::new(); hosts];
        for f in faults {
            if let Some(list) = by_host.get_mut(f.host.index()) {
                list.push(f.clone());
            }
            if let FaultKind::Loss { peer: Some(p), .. } = f.kind
                && p != f.host
                && let Some(list) = by_host.get_mut(p.index())
            {
                list.push(f.clone());
            }
        }
        Faults {
            by_host,
            datagrams_can_be_lost: faults
                .iter()
                .any(|f| matches!(f.kind, FaultKind::Loss { .. } | FaultKind::Unreachable)),
        }
    }

    /// The faults on host `h` itself (not the lossy links it is only the far end of), in the
    /// file's order.
    fn on(&self, h: HostId) -> impl Iterator<Item = &FaultDef> {
        self.by_host
            .get(h.index())
            .into_iter()
            .flatten()
            .filter(move |f| f.host == h)
    }

    /// Whether a fault of `kind` holds host `h` at `t`.
    pub fn holds(&self, h: HostId, kind: &FaultKind, t: SimTime) -> bool {
        self.on(h).any(|f| &f.kind == kind && f.active(t))
    }

    /// The share of segments (per thousand) a `loss` fault takes between hosts `a` and `b` at
    /// `t`, if one holds (the largest, if several do).
    #[inline]
    pub fn loss(&self, a: HostId, b: HostId, t: SimTime) -> Option<u32> {
        // A lossy link is listed under both its ends; one of every host's links under the host.
        [a, b]
            .iter()
            .filter_map(|&h| self.by_host.get(h.index()))
            .flatten()
            .filter_map(|f| f.loss_between(a, b, t))
            .max()
    }

    /// The full mailboxes of host `h` at `t`: (user, or every user; for good).
    pub fn full_mailboxes(
        &self,
        h: HostId,
        t: SimTime,
    ) -> impl Iterator<Item = (Option<&str>, bool)> {
        self.on(h)
            .filter(move |f| f.active(t))
            .filter_map(|f| match &f.kind {
                FaultKind::MailboxFull { user, permanent } => Some((user.as_deref(), *permanent)),
                _ => None,
            })
    }

    /// Whether any datagram can be lost in this run.
    pub fn datagrams_can_be_lost(&self) -> bool {
        self.datagrams_can_be_lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::SimDuration;

    fn fault(host: u32, kind: FaultKind, from: u64, until: Option<u64>) -> FaultDef {
        FaultDef {
            host: HostId(host),
            kind,
            from: SimTime::ZERO + SimDuration::from_secs(from),
            until: until.map(|u| SimTime::ZERO + SimDuration::from_secs(u)),
        }
    }

    /// The schedule answers as a scan of every fault would (what the engine did before).
    #[test]
    fn answers_as_a_scan_of_the_file_does() {
        let loss = |peer: Option<u32>, per_mille| FaultKind::Loss {
            peer: peer.map(HostId),
            per_mille,
        };
        let faults = vec![
            fault(0, FaultKind::Down, 10, Some(20)),
            fault(1, loss(Some(2), 300), 0, None),
            fault(2, loss(None, 100), 5, Some(50)),
            fault(3, FaultKind::Unreachable, 0, None),
            fault(1, loss(Some(0), 700), 30, None),
        ];
        let s = Faults::new(&faults, 4);
        assert!(s.datagrams_can_be_lost());
        for secs in [0, 5, 10, 19, 20, 30, 49, 50, 100] {
            let t = SimTime::ZERO + SimDuration::from_secs(secs);
            for a in HostId::all(4) {
                for kind in [FaultKind::Down, FaultKind::Unreachable] {
                    let scan = faults
                        .iter()
                        .any(|f| f.host == a && f.kind == kind && f.active(t));
                    assert_eq!(s.holds(a, &kind, t), scan, "{kind:?} {a} at {secs}");
                }
                for b in HostId::all(4) {
                    let scan = faults.iter().filter_map(|f| f.loss_between(a, b, t)).max();
                    assert_eq!(s.loss(a, b, t), scan, "loss {a}-{b} at {secs}");
                }
            }
        }
        assert!(!Faults::new(&faults[..1], 4).datagrams_can_be_lost());
    }
}
