//! TCP connections (RFC 9293): the handshake, data segments with their sequence and
//! acknowledgment numbers, in-order delivery, FIN and RST, and on a lossy link the sender's
//! retransmissions (RFC 6298), decided when a segment is sent.

use std::net::Ipv4Addr;

use rand::RngExt;

use super::{NetEv, RTO_INITIAL, RTO_MAX, SYN_SENDINGS, Stack, delay, note};
use crate::engine::ids::{ConnId, EventId, HostId};
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::trace::{Direction, Endpoint, EventKind, Segment, TcpFlags};
use crate::protocols::{Explanation, Protocol};

/// One TCP connection as the network keeps it. Index 0 of the arrays is the client side, 1 the
/// server side.
pub struct Conn {
    pub ends: [Endpoint; 2],
    /// What its bytes are (SMTP, POP3…), for the trace.
    pub protocol: Protocol,
    pub next_seq: [u32; 2],
    pub rcv_next: [u32; 2],
    /// When the last segment sent by each side arrives: a later one never overtakes it.
    pub last_arrive: [SimTime; 2],
    pub fin_sent: [bool; 2],
    pub closed: [bool; 2],
}

impl Conn {
    /// Whether both sides have closed (or it never opened).
    pub fn over(&self) -> bool {
        (self.closed[0] || self.fin_sent[0]) && (self.closed[1] || self.fin_sent[1])
    }
}

/// Opens a connection from `host` to host `server`'s `port`; the SYN leaves now. Returns its id.
pub fn connect<W: Stack>(
    w: &mut W,
    host: HostId,
    server: HostId,
    port: u16,
    protocol: Protocol,
) -> ConnId {
    let local_port = w.net().ephemeral_port(host);
    let isn: u32 = w.rng(host).random();
    let net = w.net();
    let id = ConnId::new(net.conns.len());
    net.conns.push(Conn {
        ends: [
            Endpoint {
                host,
                port: local_port,
            },
            Endpoint { host: server, port },
        ],
        protocol,
        next_seq: [isn, 0],
        rcv_next: [0, 0],
        last_arrive: [SimTime::ZERO; 2],
        fin_sent: [false; 2],
        closed: [false; 2],
    });
    let ex = &Explanation {
        note: "opens a TCP connection: first step of the three-way handshake",
        rfc: "RFC 9293 §3.5",
    };
    send(
        w,
        id,
        0,
        TcpFlags::SYN,
        Vec::new(),
        ex,
        ("closed", "SYN-SENT"),
    );
    id
}

/// Sends a segment from side `side` of connection `c`, its sender going from state `states.0`
/// to `states.1`. On a lossy link its losses and retransmissions are decided now, with the
/// sender's seeded random numbers, and put in the trace when they happen.
pub fn send<W: Stack>(
    w: &mut W,
    c: ConnId,
    side: usize,
    flags: u8,
    payload: Vec<u8>,
    explain: &'static Explanation,
    states: (&'static str, &'static str),
) {
    let now = w.now();
    let conn = &w.net().conns[c];
    let (from, to) = (conn.ends[side], conn.ends[1 - side]);
    let seq = conn.next_seq[side];
    let ack = if flags & TcpFlags::ACK != 0 {
        conn.rcv_next[side]
    } else {
        0
    };
    // A lossy link: each sending may be lost, and the sender sends again when its
    // retransmission timer runs out (RFC 6298). Only what TCP retransmits can be lost here: data,
    // SYN and FIN. A pure ACK or an RST is never retransmitted (RFC 9293 §3.10.7), and modelling
    // what follows their loss (a duplicate SYN, ACK or data) is left out.
    // The sendings after the first (none unless the link loses it), and the last one.
    let mut resent: Vec<SimTime> = Vec::new();
    let mut last_sending = now;
    let opening = flags & TcpFlags::SYN != 0 && flags & TcpFlags::ACK == 0;
    let mut timed_out = false;
    if !payload.is_empty() || flags & (TcpFlags::SYN | TcpFlags::FIN) != 0 {
        let mut rto = RTO_INITIAL;
        loop {
            let at = last_sending;
            let faults = &w.net().faults;
            // An unreachable host never answers a SYN: it is as good as lost.
            let per_mille =
                if opening && faults.holds(to.host, &crate::scenario::FaultKind::Unreachable, at) {
                    Some(1000)
                } else {
                    faults.loss(from.host, to.host, at)
                };
            let lost = per_mille.is_some_and(|pm| w.rng(from.host).random_range(0..1000) < pm);
            if !lost {
                break;
            }
            let sendings = 1 + resent.len();
            if opening && sendings == SYN_SENDINGS {
                timed_out = true;
                break;
            }
            if sendings == u8::MAX as usize {
                break;
            }
            last_sending = at + rto;
            resent.push(last_sending);
            rto = SimDuration((rto.0 * 2).min(RTO_MAX.0));
        }
        if timed_out {
            w.schedule(last_sending + rto, NetEv::ConnectTimeout { conn: c });
        }
    }
    let delay = delay(w, from.host, to.host);
    let conn = &mut w.net().conns[c];
    // TCP delivers in order: a segment never overtakes the one before it (a receiver holds what
    // comes after a lost segment until the retransmission fills the gap).
    let arrive = (last_sending + delay).max(conn.last_arrive[side]);
    conn.last_arrive[side] = arrive;
    let consumed = payload.len() as u32 + u32::from(flags & (TcpFlags::SYN | TcpFlags::FIN) != 0);
    conn.next_seq[side] = seq.wrapping_add(consumed);
    if flags & TcpFlags::FIN != 0 {
        conn.fin_sent[side] = true;
    }
    let protocol = if payload.is_empty() {
        Protocol::Tcp
    } else {
        conn.protocol
    };
    let direction = if side == 0 {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    };
    let event = w.next_event_id();
    if !timed_out {
        w.schedule(
            arrive,
            NetEv::Tcp {
                conn: c,
                to_side: 1 - side,
                flags,
                seq,
                event,
            },
        );
    }
    for (k, &at) in resent.iter().enumerate() {
        w.schedule(
            at,
            NetEv::Retransmit {
                event,
                attempt: (k + 1) as u8,
                arrive: (k + 1 == resent.len() && !timed_out).then_some(arrive),
            },
        );
    }
    let lost = !resent.is_empty() || timed_out;
    w.record_now(EventKind::Segment(Segment {
        conn: c,
        from,
        to,
        flags: TcpFlags(flags),
        seq,
        ack,
        payload,
        arrive: if lost { now + delay } else { arrive },
        protocol,
        direction,
        explain,
        state_before: states.0,
        state_after: states.1,
        lost,
        attempt: 0,
        elided: 0,
    }));
}

/// Where the RFC says how a connection closes, for a FIN's explanation.
pub const FIN_RFC: &str = "RFC 9293 §3.6";

/// Side `side` of connection `c` closes: a FIN, explained by `ex` (its RFC: [`FIN_RFC`]).
pub fn send_fin<W: Stack>(
    w: &mut W,
    c: ConnId,
    side: usize,
    ex: &'static Explanation,
    states: (&'static str, &'static str),
) {
    send(
        w,
        c,
        side,
        TcpFlags::FIN | TcpFlags::ACK,
        Vec::new(),
        ex,
        states,
    );
}

/// No SYN of connection `c` got an answer: the client gives up, as when refused.
pub fn connect_timeout<W: Stack>(w: &mut W, c: ConnId) {
    let conn = &mut w.net().conns[c];
    if conn.closed[0] {
        return;
    }
    conn.closed = [true, true];
    let host = conn.ends[0].host;
    note(
        w,
        host,
        format!(
            "no answer to {SYN_SENDINGS} SYNs: the connection timed out (the other host may be off or cut off)"
        ),
    );
    w.closed(c, 0, "connection timed out (no answer to SYN)");
}

/// Where the RFCs say when and how a segment is sent again.
const RETRANSMIT_RFC: &str = "RFC 6298 §5, RFC 9293 §3.8.1";

/// Sends segment `event` again: its retransmission timer ran out before an acknowledgment came.
/// The arrival of the sending that gets through was queued with the first sending.
pub fn retransmit<W: Stack>(w: &mut W, event: EventId, attempt: u8, arrive: Option<SimTime>) {
    let Some(EventKind::Segment(first)) = w.event(event).map(|e| &e.kind) else {
        return;
    };
    let mut s = first.clone();
    let lost = arrive.is_none();
    s.attempt = attempt;
    s.lost = lost;
    s.arrive = match arrive {
        Some(t) => t,
        None => w.now() + delay(w, s.from.host, s.to.host),
    };
    s.explain = if lost {
        &Explanation {
            note: "a retransmission: no acknowledgment came before the retransmission timer ran out, so the same bytes go again (and are lost again)",
            rfc: RETRANSMIT_RFC,
        }
    } else {
        &Explanation {
            note: "a retransmission: no acknowledgment came before the retransmission timer ran out (1 s, doubled after each loss), so the sender sends the same bytes again",
            rfc: RETRANSMIT_RFC,
        }
    };
    w.record_now(EventKind::Segment(s));
}

/// A segment arrives at side `side` of connection `c`: the handshake goes on, bytes go up to the
/// host, a FIN or an RST closes.
#[inline]
pub fn arrive<W: Stack>(
    w: &mut W,
    c: ConnId,
    side: usize,
    flags: TcpFlags,
    seq: u32,
    payload: &[u8],
) {
    let conn = &mut w.net().conns[c];
    if conn.closed[side] {
        return;
    }
    let consumed =
        payload.len() as u32 + u32::from(flags.has(TcpFlags::SYN) || flags.has(TcpFlags::FIN));
    conn.rcv_next[side] = seq.wrapping_add(consumed);
    if flags.has(TcpFlags::RST) {
        conn.closed = [true, true];
        if side == 0 {
            w.closed(c, 0, "connection refused (RST)");
        }
        return;
    }
    if flags.has(TcpFlags::SYN) && !flags.has(TcpFlags::ACK) {
        let Endpoint { host: server, port } = conn.ends[1];
        let listening = w.listening(server, port);
        let now = w.now();
        let down = w
            .net()
            .faults
            .holds(server, &crate::scenario::FaultKind::Down, now);
        if listening && !down {
            let isn: u32 = w.rng(server).random();
            w.net().conns[c].next_seq[1] = isn;
            let ex = &Explanation {
                note: "the server accepts: second step of the handshake (SYN, ACK)",
                rfc: "RFC 9293 §3.5",
            };
            send(
                w,
                c,
                1,
                TcpFlags::SYN | TcpFlags::ACK,
                Vec::new(),
                ex,
                ("LISTEN", "SYN-RECEIVED"),
            );
        } else {
            let ex = if down {
                &Explanation {
                    note: "connection refused: the server is down (a fault of the scenario), so it answers RST",
                    rfc: "RFC 9293 §3.5.2",
                }
            } else {
                &Explanation {
                    note: "connection refused: nothing listens on this port (RST)",
                    rfc: "RFC 9293 §3.5.2",
                }
            };
            send(
                w,
                c,
                1,
                TcpFlags::RST | TcpFlags::ACK,
                Vec::new(),
                ex,
                ("CLOSED", "CLOSED"),
            );
            w.net().conns[c].closed[1] = true;
        }
        return;
    }
    if flags.has(TcpFlags::SYN) {
        // In SMTP, POP3 and IMAP the server speaks first; in HTTP the client does.
        let client_first = conn.protocol == Protocol::Http;
        let ex = if client_first {
            &Explanation {
                note: "the connection is open: third step of the handshake; now the browser sends its request",
                rfc: "RFC 9293 §3.5",
            }
        } else {
            &Explanation {
                note: "the connection is open: third step of the handshake; now the server speaks first",
                rfc: "RFC 9293 §3.5",
            }
        };
        send(
            w,
            c,
            0,
            TcpFlags::ACK,
            Vec::new(),
            ex,
            ("SYN-SENT", "ESTABLISHED"),
        );
        w.opened(c);
        return;
    }
    w.arrived(c, side, payload);
    if flags.has(TcpFlags::FIN) {
        w.net().conns[c].closed[side] = true;
        w.closed(c, side, "the other side closed the connection");
    }
}

/// The address a connection to `ip` reaches, or a note that none does.
pub fn reach<W: Stack>(w: &mut W, from: HostId, ip: Ipv4Addr) -> Option<HostId> {
    let to = w.net().host_at(ip);
    if to.is_none() {
        note(
            w,
            from,
            format!("no host has the address {ip}: cannot connect"),
        );
    }
    to
}
