//! Generated scenarios, for benchmarks: a classroom (many users, many mails) and a busy network
//! (many packets in flight at once). Deterministic: the same arguments give the same file.

use std::fmt::Write;

/// A small deterministic generator (an LCG), so the files need no RNG crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize % n.max(1)
    }
}

fn servers_and_dns(s: &mut String, domains: usize, users_per_domain: usize) {
    s.push_str("[[host]]\nname = \"ns.example\"\nlabel = \"DNS server\"\nip = \"203.0.113.53\"\nservices = [\"dns\"]\n");
    for d in 0..domains {
        let users: Vec<String> = (0..users_per_domain)
            .map(|u| {
                format!(
                    "{{ user = \"u{}\", password = \"pw\" }}",
                    d * users_per_domain + u
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "[[host]]\nname = \"mail.d{d}.example\"\nlabel = \"mail server {d}\"\nip = \"198.51.100.{}\"\nservices = [\"submission\", \"smtp\", \"pop3\"]\ndomain = \"d{d}.example\"\naccounts = [{}]",
            d + 1,
            users.join(", ")
        );
        let _ = writeln!(
            s,
            "[[dns]]\nname = \"d{d}.example\"\ntype = \"MX\"\nexchange = \"mail.d{d}.example\""
        );
    }
}

fn computers(s: &mut String, domains: usize, users_per_domain: usize) {
    for u in 0..domains * users_per_domain {
        let d = u / users_per_domain;
        let _ = writeln!(
            s,
            "[[host]]\nname = \"pc{u}.d{d}.example\"\nip = \"10.0.{}.{}\"\n[host.client]\naddress = \"u{u}@d{d}.example\"\npassword = \"pw\"\noutgoing = \"mail.d{d}.example\"\nincoming = \"mail.d{d}.example\"",
            u / 250,
            u % 250 + 1
        );
    }
}

/// `users` users on `domains` mail domains each send `mails` mails to random users, one a
/// millisecond; a minute later everyone downloads with POP3.
pub fn classroom(users: usize, domains: usize, mails: usize) -> String {
    let per = users / domains.max(1);
    let mut s = String::from(
        "format = 1\ntitle = \"classroom\"\nseed = 1\n[network]\nlatency = \"5ms\"\njitter = \"1ms\"\n",
    );
    servers_and_dns(&mut s, domains, per);
    computers(&mut s, domains, per);
    let mut rng = Lcg(12345);
    for m in 0..mails {
        for u in 0..domains * per {
            let to = rng.next(domains * per);
            let _ = writeln!(
                s,
                "[[step]]\nat = \"{}ms\"\naction = \"send\"\nhost = \"pc{u}.d{}.example\"\nto = [\"u{to}@d{}.example\"]\nsubject = \"note {m}\"\nbody = \"hello\"",
                m * 1000 + u,
                u / per,
                to / per
            );
        }
    }
    for u in 0..domains * per {
        let _ = writeln!(
            s,
            "[[step]]\nat = \"60s\"\naction = \"check\"\nhost = \"pc{u}.d{}.example\"",
            u / per
        );
    }
    s
}

/// A busy network of `hosts` hosts (one DNS server, one mail server per ten computers):
/// every computer sends two mails to other domains within 200 ms, over links of 200 ms ± 50 ms,
/// so about five hundred packets are in flight at once.
pub fn busy(hosts: usize) -> String {
    let domains = (hosts / 11).max(2);
    let per = (hosts.saturating_sub(1 + domains) / domains).max(1);
    let mut s = String::from(
        "format = 1\ntitle = \"busy network\"\nseed = 7\n[network]\nlatency = \"200ms\"\njitter = \"50ms\"\n",
    );
    servers_and_dns(&mut s, domains, per);
    computers(&mut s, domains, per);
    let mut rng = Lcg(99);
    let n = domains * per;
    for m in 0..2 {
        for u in 0..n {
            let d = u / per;
            let to_d = (d + 1 + rng.next(domains - 1)) % domains;
            let to = to_d * per + rng.next(per);
            let _ = writeln!(
                s,
                "[[step]]\nat = \"{}us\"\naction = \"send\"\nhost = \"pc{u}.d{d}.example\"\nto = [\"u{to}@d{to_d}.example\"]\nsubject = \"busy {m}\"\nbody = \"hello\"",
                (m * n + u) * 200_000 / (2 * n)
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_scenarios_are_valid_and_deliver() {
        let c = crate::scenario::parse("classroom", &classroom(20, 2, 2)).unwrap();
        let mut sim = crate::Sim::new(&c, None);
        sim.run_to_end();
        assert_eq!(sim.hosts().iter().map(|h| h.inbox.len()).sum::<usize>(), 40);
        let b = crate::scenario::parse("busy", &busy(100)).unwrap();
        assert_eq!(b.hosts.len(), 100);
        let mut sim = crate::Sim::new(&b, None);
        sim.run_to_end();
        let stored: usize = sim
            .hosts()
            .iter()
            .flat_map(|h| h.mailboxes.values())
            .map(|m| m.messages.len())
            .sum();
        assert_eq!(stored, 2 * 90);
    }
}
