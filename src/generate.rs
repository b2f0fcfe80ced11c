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

const NAMES: [&str; 19] = [
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
    "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter",
];

/// A network a teacher might write: `domains` mail domains (a.example, b.example, …; at most
/// six), each with its mail server and `computers` computers of users with first names, one DNS
/// server and, with `webmail`, a webmail site used from a browser in the last domain. Each
/// domain's first user mails the next domain's; everyone checks mail ten seconds later.
pub fn teacher(domains: usize, computers: usize, webmail: bool) -> String {
    let domains = domains.clamp(1, 6);
    let computers = computers.clamp(1, 3);
    let mut s = format!(
        "format = 1\ntitle = \"{domains} domains\"\nseed = 3\n\n[[host]]\nname = \"ns.example\"\nlabel = \"DNS server\"\nip = \"203.0.113.53\"\nservices = [\"dns\"]\n"
    );
    if webmail {
        s.push_str("\n[[host]]\nname = \"webmail.example\"\nlabel = \"Webmail server (web site)\"\nip = \"203.0.113.80\"\nservices = [\"http\"]\n");
    }
    let letter = |d: usize| char::from(b'a' + d as u8);
    // Users by domain: (name, whether they use the browser).
    let users: Vec<Vec<(&str, bool)>> = (0..domains)
        .map(|d| {
            let mut v: Vec<(&str, bool)> =
                (0..computers).map(|k| (NAMES[d * 3 + k], false)).collect();
            if webmail && d == domains - 1 {
                if computers == 1 {
                    v.push((NAMES[18], true));
                } else {
                    v.last_mut().expect("one computer at least").1 = true;
                }
            }
            v
        })
        .collect();
    for (d, us) in users.iter().enumerate() {
        let l = letter(d);
        let accounts: Vec<String> = us
            .iter()
            .map(|(n, _)| format!("{{ user = \"{}\", password = \"pw\" }}", n.to_lowercase()))
            .collect();
        let what = if d == 2 { " (SMTP + IMAP)" } else { "" };
        let _ = writeln!(
            s,
            "\n[[host]]\nname = \"mail.{l}.example\"\nlabel = \"{}'s mail server{what}\"\nip = \"198.51.100.{}\"\nservices = [\"submission\", \"smtp\", \"pop3\", \"imap\"]\ndomain = \"{l}.example\"\naccounts = [{}]\n\n[[dns]]\nname = \"{l}.example\"\ntype = \"MX\"\nexchange = \"mail.{l}.example\"",
            l.to_ascii_uppercase(),
            10 + d * 10,
            accounts.join(", ")
        );
        for (k, (n, browser)) in us.iter().enumerate() {
            let low = n.to_lowercase();
            let ip = format!("192.0.2.{}", 10 + d * 10 + k);
            if *browser {
                let _ = writeln!(
                    s,
                    "\n[[host]]\nname = \"{low}-pc.{l}.example\"\nlabel = \"{n}'s browser\"\nip = \"{ip}\"\nkind = \"computer\""
                );
            } else {
                let device = if k % 2 == 0 { "computer" } else { "laptop" };
                let _ = writeln!(
                    s,
                    "\n[[host]]\nname = \"{low}-pc.{l}.example\"\nlabel = \"{n}'s {device}\"\nip = \"{ip}\"\n[host.client]\naddress = \"{low}@{l}.example\"\nname = \"{n}\"\npassword = \"pw\"\noutgoing = \"mail.{l}.example\"\nincoming = \"mail.{l}.example\"{}",
                    if k == 1 {
                        "\nincoming_protocol = \"imap\""
                    } else {
                        ""
                    }
                );
            }
        }
    }
    for d in 0..domains {
        let (l, to_d) = (letter(d), (d + 1) % domains);
        let from = users[d][0].0.to_lowercase();
        if users[d][0].1 {
            continue;
        }
        let to = format!(
            "{}@{}.example",
            users[to_d][0].0.to_lowercase(),
            letter(to_d)
        );
        let _ = writeln!(
            s,
            "\n[[step]]\nat = \"{d}s\"\naction = \"send\"\nhost = \"{from}-pc.{l}.example\"\nto = [\"{to}\"]\nsubject = \"Hello from {l}.example\"\nbody = \"Hi!\""
        );
        for (n, browser) in &users[d] {
            let low = n.to_lowercase();
            let _ = if *browser {
                writeln!(
                    s,
                    "\n[[step]]\nat = \"10s\"\naction = \"web\"\nhost = \"{low}-pc.{l}.example\"\nserver = \"webmail.example\"\nmethod = \"POST\"\npath = \"/login\"\nform = {{ user = \"{low}@{l}.example\", password = \"pw\" }}"
                )
            } else {
                writeln!(
                    s,
                    "\n[[step]]\nat = \"10s\"\naction = \"check\"\nhost = \"{low}-pc.{l}.example\""
                )
            };
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages in every mailbox of the run.
    fn stored(sim: &crate::Sim) -> usize {
        sim.hosts()
            .iter()
            .flat_map(|h| h.store.mailboxes.values())
            .map(|m| m.messages.len())
            .sum()
    }

    #[test]
    fn generated_scenarios_are_valid_and_deliver() {
        let c = crate::scenario::parse("classroom", &classroom(20, 2, 2)).unwrap();
        let mut sim = crate::Sim::new(&c, None);
        sim.run_to_end();
        assert_eq!(
            sim.hosts()
                .iter()
                .map(|h| h.program.inbox.len())
                .sum::<usize>(),
            40
        );
        let b = crate::scenario::parse("busy", &busy(100)).unwrap();
        assert_eq!(b.hosts.len(), 100);
        let mut sim = crate::Sim::new(&b, None);
        sim.run_to_end();
        assert_eq!(stored(&sim), 2 * 90);
    }

    #[test]
    fn teachers_networks_are_valid_and_deliver() {
        for domains in 1..=6 {
            for computers in 1..=3 {
                for webmail in [false, true] {
                    let text = teacher(domains, computers, webmail);
                    let s = crate::scenario::parse("t", &text)
                        .unwrap_or_else(|e| panic!("{e}\n{text}"));
                    let mut sim = crate::Sim::new(&s, None);
                    sim.run_to_end();
                    let got = stored(&sim)
                        + sim
                            .hosts()
                            .iter()
                            .map(|h| h.program.inbox.len())
                            .sum::<usize>();
                    assert!(got >= domains, "{domains} {computers} {webmail}");
                }
            }
        }
    }
}
