//! Which real port leads to which simulated server, and the table `serve` prints.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::engine::ids::HostId;
use crate::scenario::{Scenario, Service};

/// One listening port: which simulated host and service it leads to.
#[derive(Debug, Clone)]
pub struct Port {
    /// The simulated host.
    pub host: HostId,
    /// The service.
    pub service: Service,
    /// The real port.
    pub real: u16,
}

/// The real ports for a scenario: each service at `base + well-known port`; a second host with
/// the same service gets 10000 more, and so on. A port past 65535 is an error that says which
/// server it was for and the largest base that fits.
pub fn plan(s: &Scenario, base: u16) -> Result<Vec<Port>, String> {
    let mut seen: BTreeMap<Service, u32> = BTreeMap::new();
    let mut ports = Vec::new();
    let mut highest = 0u32;
    let mut first_bad = None;
    for (i, h) in s.hosts.iter().enumerate() {
        for &svc in &h.services {
            if svc == Service::Dns {
                continue;
            }
            let k = seen.entry(svc).or_insert(0);
            let offset = u32::from(svc.port()) + 10_000 * *k;
            *k += 1;
            highest = highest.max(offset);
            let real = u32::from(base) + offset;
            match u16::try_from(real) {
                Ok(real) => ports.push(Port {
                    host: HostId::new(i),
                    service: svc,
                    real,
                }),
                Err(_) => {
                    first_bad.get_or_insert((i, svc, real));
                }
            }
        }
    }
    if let Some((i, svc, real)) = first_bad {
        let fits = 65_535u32.saturating_sub(highest);
        return Err(format!(
            "--port-base {base} would put {}'s {} on port {real}, past the last port (65535); \
             use a --port-base of at most {fits}",
            s.hosts[i].name,
            service_name(svc)
        ));
    }
    Ok(ports)
}

/// The service in words, as the table shows it.
pub fn service_name(s: Service) -> &'static str {
    match s {
        Service::Smtp => "SMTP (from servers)",
        Service::Submission => "SMTP submission",
        Service::Pop3 => "POP3",
        Service::Imap => "IMAP",
        Service::Http => "webmail (HTTP)",
        Service::Dns => "DNS",
    }
}

/// The table `serve` prints: where each service is, and the accounts.
pub fn table(s: &Scenario, ports: &[Port], bind: IpAddr) -> String {
    let mut out = String::new();
    for p in ports {
        let h = &s.hosts[p.host];
        let addr = if p.service == Service::Http {
            format!("http://{bind}:{}/", p.real)
        } else {
            format!("{bind}:{}", p.real)
        };
        out.push_str(&format!(
            "  {:<22} {:<20} {addr}\n",
            h.name,
            service_name(p.service)
        ));
    }
    let accounts: Vec<String> = s
        .hosts
        .iter()
        .filter_map(|h| Some((h, h.domain.as_ref()?)))
        .flat_map(|(h, d)| {
            h.accounts.iter().map(move |a| {
                format!(
                    "  {}@{d}  password {}  (log in as {})",
                    a.user, a.password, a.user
                )
            })
        })
        .collect();
    if !accounts.is_empty() {
        out.push_str("accounts:\n");
        for a in accounts {
            out.push_str(&a);
            out.push('\n');
        }
    }
    out
}
