//! A bounded trace for a long live run (`mailsim serve`): long payloads are cut to their first
//! bytes with their size noted, and the oldest events are forgotten (summarised in
//! [`Trace::forgotten`](crate::engine::trace::Trace)) — never an event still on its way, whose bytes the
//! receiver has yet to take from the trace.

use super::apps::{ClientApp, ServerApp};
use super::world::{Ev, Sim};
#[cfg(test)]
use crate::engine::ids::HostId;
use crate::engine::ids::{ConnId, EventId};
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::trace::{Budget, Direction, EventKind};

/// The budget and what is kept under it.
#[derive(Debug, Clone)]
pub(crate) struct Keeper {
    budget: Budget,
    /// Payload bytes kept per connection, each way.
    per_conn: Vec<[usize; 2]>,
    /// Payload bytes kept in all.
    total: usize,
    /// The next event the cutting of old payloads looks at.
    cursor: EventId,
    /// The event at which forgetting is looked at again.
    next_check: EventId,
    /// When closed connections are looked at again.
    next_reclaim: SimTime,
    /// Connections whose state was freed, by id; all before `first_open` were.
    reclaimed: Vec<bool>,
    first_open: usize,
}

impl Sim {
    /// Keeps the trace within `budget` from now on (a scenario run keeps everything).
    pub fn set_trace_budget(&mut self, budget: Budget) {
        self.keep = Some(Keeper {
            budget,
            per_conn: Vec::new(),
            total: 0,
            cursor: self.trace.next_id(),
            next_check: EventId(0),
            next_reclaim: SimTime::ZERO,
            reclaimed: Vec::new(),
            first_open: 0,
        });
    }

    /// A segment's payload has been delivered and goes back into the trace: what of it to keep.
    pub(crate) fn keep_payload(&mut self, event: EventId, mut payload: Vec<u8>) -> Vec<u8> {
        let Some(k) = &mut self.keep else {
            return payload;
        };
        let Some(EventKind::Segment(s)) = self.trace.get_mut(event).map(|e| &mut e.kind) else {
            return payload;
        };
        let side = usize::from(s.direction == Direction::ServerToClient);
        let c = s.conn.index();
        if k.per_conn.len() <= c {
            k.per_conn.resize(c + 1, [0, 0]);
        }
        let n = payload.len();
        if k.per_conn[c][side] + n > k.budget.per_conn && n > k.budget.head {
            payload.truncate(k.budget.head);
            payload.shrink_to_fit();
            s.elided += (n - k.budget.head) as u32;
        }
        k.per_conn[c][side] += payload.len();
        k.total += payload.len();
        payload
    }

    /// Cuts old payloads past the byte budget and forgets the oldest events past the event
    /// budget. Cheap when within both. Past the event budget it looks again only every so many
    /// events, unless `now` (as at the end of [`Sim::run_until`], once per bridge poll).
    pub(crate) fn keep_within_budget(&mut self, now: bool) {
        let Some(k) = &self.keep else { return };
        let over_bytes = k.total > k.budget.total;
        let over_events = self.trace.events.len() > k.budget.events
            && (now || self.trace.next_id() >= k.next_check);
        if !over_bytes && !over_events {
            return;
        }
        // Never an event a queued arrival or retransmission still takes its bytes from.
        let pending = self
            .queue
            .iter()
            .filter_map(|ev| match ev {
                Ev::Net(n) => n.payload_event(),
                _ => None,
            })
            .min()
            .unwrap_or(EventId(usize::MAX));
        let Some(k) = &mut self.keep else { return };
        if over_bytes {
            let goal = k.budget.total / 4 * 3;
            let head = k.budget.head;
            k.cursor = k.cursor.max(self.trace.first_id());
            while k.total > goal && k.cursor < pending {
                let Some(e) = self.trace.get_mut(k.cursor) else {
                    break;
                };
                if let EventKind::Segment(s) = &mut e.kind
                    && s.payload.len() > head
                {
                    let cut = s.payload.len() - head;
                    s.payload.truncate(head);
                    s.payload.shrink_to_fit();
                    s.elided += cut as u32;
                    k.total = k.total.saturating_sub(cut);
                }
                k.cursor = k.cursor.plus(1);
            }
        }
        if over_events {
            let first = self.trace.first_id();
            let old = self
                .trace
                .events
                .iter()
                .take(k.budget.events / 4)
                .take_while(|e| e.id < pending)
                .count();
            for e in &self.trace.events[..old] {
                if let EventKind::Segment(s) = &e.kind {
                    k.total = k.total.saturating_sub(s.payload.len());
                }
            }
            self.trace.forget(old);
            k.cursor = k.cursor.max(first.plus(old));
            // Looked at again only after some more events (a flood is not scanned for at every
            // step), sooner when events still on their way held it back.
            let every = (k.budget.events / 8).clamp(4, 4096);
            let blocked = old < k.budget.events / 4;
            k.next_check = self
                .trace
                .next_id()
                .plus(if blocked { every / 4 } else { every });
        }
    }
    /// Frees what closed connections still hold (a server machine's copy of a maildrop, a
    /// client's buffers) when they could not be given back as they closed: a long live run opens
    /// thousands. Looked at every 100 ms of simulated time.
    pub(crate) fn reclaim_connections(&mut self) {
        let Some(mut k) = self.keep.take() else {
            return;
        };
        if self.now >= k.next_reclaim {
            k.next_reclaim = self.now + SimDuration::from_millis(100);
            k.reclaimed.resize(self.net.conns.len(), false);
            while k.first_open < self.net.conns.len() && k.reclaimed[k.first_open] {
                k.first_open += 1;
            }
            // Most were given back as they closed; these waited for the bridge or a webmail job.
            for c in k.first_open..self.net.conns.len() {
                if !k.reclaimed[c] && self.release_if_over(ConnId::new(c)) {
                    k.reclaimed[c] = true;
                }
            }
        }
        self.keep = Some(k);
    }

    /// Gives back what the machines of connection `c` hold once it is over at both ends (its
    /// ends and sequence numbers stay in the network: the trace names them), unless a webmail
    /// job still waits on it or the bridge has yet to take the server's last words (a 221, a
    /// BYE). A late segment for it is dropped by TCP, which never hands it up. Whether it did.
    pub(crate) fn release_if_over(&mut self, c: ConnId) -> bool {
        if self.net.conns[c].closed != [true, true] || self.web_jobs.contains_key(&c) {
            return false;
        }
        let apps = &mut self.apps[c];
        if let ClientApp::External(x) = &apps.client
            && !x.to_real.is_empty()
        {
            return false;
        }
        apps.client = ClientApp::Done;
        apps.server = ServerApp::Done;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trace::MailboxChange;

    fn world(budget: Option<Budget>) -> (Sim, HostId) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/bridge.toml");
        let s = crate::scenario::parse(path, &std::fs::read_to_string(path).unwrap()).unwrap();
        let mut sim = Sim::new(&s, None);
        if let Some(b) = budget {
            sim.set_trace_budget(b);
        }
        let outside = sim.add_outside_host(crate::bridge::outside_host());
        (sim, outside)
    }

    /// A real program's session into b.example's SMTP server: `body_lines` lines of 78 bytes to bob, one
    /// command at a time (each waits for its reply), then QUIT. Returns what the server said.
    fn submit(sim: &mut Sim, outside: HostId, body_lines: usize) -> String {
        // Straight to b.example's MX on port 25: mail for its own user.
        let c = sim.connect_external(outside, HostId(2), 25).unwrap();
        let mut t = sim.now;
        let mut said = Vec::new();
        let mut exchange = |sim: &mut Sim, bytes: &[u8]| {
            sim.external_send(c, bytes);
            for _ in 0..200 {
                t = t + SimDuration::from_millis(10);
                sim.run_until(t);
                let (got, _) = sim.external_take(c);
                said.extend_from_slice(&got);
                if got.ends_with(b"\r\n") {
                    break;
                }
            }
        };
        exchange(sim, b"");
        exchange(sim, b"EHLO pc\r\n");
        exchange(sim, b"MAIL FROM:<x@real.example>\r\n");
        exchange(sim, b"RCPT TO:<bob@b.example>\r\n");
        exchange(sim, b"DATA\r\n");
        let mut data = b"Subject: big\r\n\r\n".to_vec();
        for i in 0..body_lines {
            data.extend_from_slice(format!("{i:06} {}\r\n", "x".repeat(70)).as_bytes());
        }
        data.extend_from_slice(b".\r\n");
        exchange(sim, &data);
        exchange(sim, b"QUIT\r\n");
        sim.run_until(t + SimDuration::from_secs(60));
        String::from_utf8_lossy(&said).into_owned()
    }

    fn stored_sizes(sim: &Sim) -> Vec<usize> {
        sim.trace()
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Mailbox {
                    change: MailboxChange::Stored { size, .. },
                    ..
                } => Some(*size),
                _ => None,
            })
            .collect()
    }

    fn kept_payload(sim: &Sim) -> usize {
        sim.trace()
            .events
            .iter()
            .map(|e| match &e.kind {
                EventKind::Segment(s) => s.payload.len(),
                _ => 0,
            })
            .sum()
    }

    #[test]
    fn a_budget_bounds_what_the_trace_keeps_and_the_mail_arrives_whole() {
        // Unbounded: every byte kept (the reference).
        let (mut all, o) = world(None);
        let said = submit(&mut all, o, 4000);
        assert!(said.contains("250 2.0.0"), "{said}");
        let whole = stored_sizes(&all);
        assert_eq!(whole.len(), 1);
        assert!(kept_payload(&all) > 4000 * 78);

        let budget = Budget {
            per_conn: 8 * 1024,
            total: 32 * 1024,
            head: 16,
            events: 100,
        };
        let (mut sim, o) = world(Some(budget));
        assert_eq!(submit(&mut sim, o, 4000), said, "the same conversation");
        let t = sim.trace();
        // The mail was relayed and stored whole: the trace's cuts never touch bytes in flight.
        let stored = stored_sizes(&sim);
        assert_eq!(stored.len() + t.forgotten.stored, 1);
        if let Some(size) = stored.first() {
            assert_eq!(*size, whole[0]);
        }
        assert!(kept_payload(&sim) <= budget.total, "{}", kept_payload(&sim));
        assert!(
            t.events.len() <= budget.events + budget.events / 8 + 1,
            "{} events kept",
            t.events.len()
        );
        assert!(
            t.forgotten.events > 0,
            "{} events, {:?}",
            t.events.len(),
            t.forgotten
        );
        assert_eq!(t.first_id(), t.events[0].id);
        // Nothing unaccounted for: the bytes kept, noted as cut and summarised add up.
        let wire = |t: &crate::engine::trace::Trace| -> u64 {
            t.forgotten.bytes
                + t.events
                    .iter()
                    .map(|e| match &e.kind {
                        EventKind::Segment(s) => s.wire_len() as u64,
                        _ => 0,
                    })
                    .sum::<u64>()
        };
        assert_eq!(wire(t), wire(all.trace()));
        assert_eq!(t.next_id(), all.trace().next_id());
        let _ = SimTime::ZERO;
    }

    #[test]
    fn closed_connections_give_back_their_state_and_new_ones_still_work() {
        let (mut sim, o) = world(Some(Budget::LIVE));
        for _ in 0..3 {
            let said = submit(&mut sim, o, 10);
            assert!(said.contains("250 2.0.0"), "{said}");
        }
        let later = sim.now + crate::engine::time::SimDuration::from_secs(1);
        sim.run_until(later);
        let closed: Vec<usize> = (0..sim.net.conns.len())
            .filter(|&c| sim.net.conns[c].closed == [true, true])
            .collect();
        assert!(closed.len() >= 3, "{closed:?}");
        for c in closed {
            assert!(
                matches!(sim.apps[c].server, ServerApp::Done),
                "connection {c} still holds its server's state"
            );
        }
        assert_eq!(stored_sizes(&sim).len(), 3, "every mail stored");
    }

    #[test]
    fn a_servers_last_words_wait_for_the_bridge_to_take_them() {
        let (mut sim, o) = world(Some(Budget::LIVE));
        let c = sim.connect_external(o, HostId(2), 25).unwrap();
        let t = sim.now + crate::engine::time::SimDuration::from_secs(1);
        sim.run_until(t);
        let (greeting, _) = sim.external_take(c);
        assert!(greeting.starts_with(b"220 "));
        sim.external_send(c, b"QUIT\r\n");
        // The bridge is slow to come back: the connection closes meanwhile.
        sim.run_until(t + crate::engine::time::SimDuration::from_secs(5));
        let (bye, over) = sim.external_take(c);
        assert!(
            bye.starts_with(b"221 "),
            "{:?}",
            String::from_utf8_lossy(&bye)
        );
        assert!(over);
    }
}
