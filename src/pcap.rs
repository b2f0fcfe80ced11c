//! `mailsim export --pcap`: the run as a capture file that Wireshark and tshark open. Every
//! segment and datagram of the trace becomes an Ethernet II / IPv4 / TCP or UDP frame with correct
//! checksums, the trace's own sequence and acknowledgment numbers, and its time (from the
//! scenario's start date) as the timestamp: the capture is taken as each packet is sent.

use std::io::Write;

use etherparse::PacketBuilder;

use crate::engine::ids::HostId;
use crate::engine::trace::{EventKind, TcpFlags, Trace};

/// A host's MAC address: locally administered, from its index.
fn mac(host: HostId) -> [u8; 6] {
    let i = host.0 + 1;
    [0x02, 0x00, 0x00, (i >> 16) as u8, (i >> 8) as u8, i as u8]
}

/// One frame per segment and datagram, in trace order.
pub fn frames(trace: &Trace) -> Vec<(crate::SimTime, Vec<u8>)> {
    let ip = |h: HostId| trace.hosts[h].ip.octets();
    let mut out = Vec::new();
    for ev in &trace.events {
        let frame = match &ev.kind {
            EventKind::Segment(s) => {
                let b = PacketBuilder::ethernet2(mac(s.from.host), mac(s.to.host))
                    .ipv4(ip(s.from.host), ip(s.to.host), 64)
                    .tcp(s.from.port, s.to.port, s.seq, 65_535);
                let b = if s.flags.has(TcpFlags::ACK) {
                    b.ack(s.ack)
                } else {
                    b
                };
                let b = if s.flags.has(TcpFlags::SYN) {
                    b.syn()
                } else {
                    b
                };
                let b = if s.flags.has(TcpFlags::FIN) {
                    b.fin()
                } else {
                    b
                };
                let b = if s.flags.has(TcpFlags::RST) {
                    b.rst()
                } else {
                    b
                };
                let b = if s.flags.has(TcpFlags::PSH) {
                    b.psh()
                } else {
                    b
                };
                let mut v = Vec::with_capacity(b.size(s.payload.len()));
                if b.write(&mut v, &s.payload).is_err() {
                    continue;
                }
                v
            }
            EventKind::Datagram(d) => {
                let b = PacketBuilder::ethernet2(mac(d.from.host), mac(d.to.host))
                    .ipv4(ip(d.from.host), ip(d.to.host), 64)
                    .udp(d.from.port, d.to.port);
                let mut v = Vec::with_capacity(b.size(d.payload.len()));
                if b.write(&mut v, &d.payload).is_err() {
                    continue;
                }
                v
            }
            _ => continue,
        };
        out.push((ev.time, frame));
    }
    out
}

/// Writes the trace as a pcap file (microsecond timestamps, Ethernet link type); returns the
/// number of frames.
pub fn write(trace: &Trace, start_unix: i64, mut out: impl Write) -> Result<usize, String> {
    // The classic libpcap format, big-endian, microsecond timestamps (draft-ietf-opsawg-pcap
    // §4): magic, version 2.4, no time zone correction or accuracy, the snapshot length, and
    // the link type of the frames (1: Ethernet).
    let mut head = Vec::with_capacity(24);
    for word in [0xa1b2_c3d4u32, 0x0002_0004, 0, 0, SNAPLEN, 1] {
        head.extend_from_slice(&word.to_be_bytes());
    }
    out.write_all(&head).map_err(|e| e.to_string())?;
    let frames = frames(trace);
    let base = start_unix.max(0) as u64;
    for (t, data) in &frames {
        let micros = t.as_micros();
        let secs = u32::try_from(base + micros / 1_000_000)
            .map_err(|_| "a packet's time is past 2106, beyond the pcap format's".to_string())?;
        let len = u32::try_from(data.len())
            .ok()
            .filter(|&n| n <= SNAPLEN)
            .ok_or_else(|| {
                format!(
                    "a frame of {} bytes is over the snapshot length",
                    data.len()
                )
            })?;
        // Each record: seconds, microseconds, the length captured and the length on the wire.
        let mut rec = Vec::with_capacity(16 + data.len());
        for word in [secs, (micros % 1_000_000) as u32, len, len] {
            rec.extend_from_slice(&word.to_be_bytes());
        }
        rec.extend_from_slice(data);
        out.write_all(&rec).map_err(|e| e.to_string())?;
    }
    Ok(frames.len())
}

/// The most bytes of a frame a capture keeps; frames here are never longer.
const SNAPLEN: u32 = 65_535;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_back_with_correct_checksums() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let mut sim = crate::Sim::new(&s, None);
        sim.run_to_end();
        let frames = frames(sim.trace());
        assert!(frames.len() > 50);
        let (mut tcp, mut udp) = (0, 0);
        for (_, f) in &frames {
            let p = etherparse::SlicedPacket::from_ethernet(f).unwrap();
            let Some(etherparse::NetSlice::Ipv4(ip)) = &p.net else {
                panic!("not IPv4")
            };
            let h = ip.header();
            assert_eq!(h.header_checksum(), h.to_header().calc_header_checksum());
            match &p.transport {
                Some(etherparse::TransportSlice::Tcp(t)) => {
                    let want = t
                        .to_header()
                        .calc_checksum_ipv4(&h.to_header(), t.payload())
                        .unwrap();
                    assert_eq!(t.checksum(), want);
                    tcp += 1;
                }
                Some(etherparse::TransportSlice::Udp(u)) => {
                    let want = u
                        .to_header()
                        .calc_checksum_ipv4(&h.to_header(), u.payload())
                        .unwrap();
                    assert_eq!(u.checksum(), want);
                    udp += 1;
                }
                _ => panic!("neither TCP nor UDP"),
            }
        }
        assert_eq!(udp, 4, "two DNS queries and their answers");
        assert!(tcp > 40);
        let mut file = Vec::new();
        assert_eq!(
            write(sim.trace(), s.start_unix, &mut file).unwrap(),
            frames.len()
        );
        assert_eq!(
            &file[..4],
            &[0xa1, 0xb2, 0xc3, 0xd4],
            "pcap magic, big-endian"
        );
    }
}
