//! UDP datagrams (RFC 768): sent once, never retransmitted; on a lossy link, or to an unreachable
//! host, simply lost (a resolver asks again if it wants to).

use std::net::Ipv4Addr;

use rand::RngExt;

use super::{NetEv, Stack, delay, note};
use crate::engine::trace::{Datagram, Direction, Endpoint, EventKind};
use crate::protocols::{Explanation, Protocol};

/// Sends a DNS datagram from `from` to `ip:port`; `attempt` counts a resolver's sendings of a
/// query after the first.
pub fn send<W: Stack>(
    w: &mut W,
    from: Endpoint,
    (ip, port): (Ipv4Addr, u16),
    payload: Vec<u8>,
    explain: &'static Explanation,
    attempt: u8,
) {
    let Some(to_host) = w.net().host_at(ip) else {
        note(
            w,
            from.host,
            format!("no host has the address {ip}: the datagram is lost"),
        );
        return;
    };
    let to = Endpoint {
        host: to_host,
        port,
    };
    let now = w.now();
    let faults = &w.net().faults;
    let unreachable = faults.holds(to_host, &crate::scenario::FaultKind::Unreachable, now);
    let lost = unreachable
        || faults
            .loss(from.host, to_host, now)
            .is_some_and(|per_mille| w.rng(from.host).random_range(0..1000) < per_mille);
    let arrive = now + delay(w, from.host, to_host);
    let direction = if port == 53 {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    };
    if !lost {
        let event = w.next_event_id();
        w.schedule(arrive, NetEv::Udp { from, to, event });
    }
    w.record_now(EventKind::Datagram(Datagram {
        from,
        to,
        payload,
        arrive,
        protocol: Protocol::Dns,
        direction,
        explain,
        lost,
        attempt,
    }));
}
