//! Validation of what joins the hosts: each computer's mail program (`[host.client]`, with its
//! outgoing and incoming servers and ports), the DNS records (`[[dns]]`) and the links with
//! their own latency (`[[link]]`).

use std::net::Ipv4Addr;

use super::raw::{RawClient, RawDns, RawLink};
use super::validate::Validator;
use super::{ClientDef, ClientStyle, HostDef, IncomingProtocol, LinkDef, Service, words};
use crate::engine::time::SimDuration;
use crate::protocols::dns::{Zone, ZoneRecord};
use crate::protocols::smtp::wire::is_domain;

impl Validator<'_> {
    pub(super) fn client(
        &mut self,
        c: &RawClient,
        names: &[String],
        hosts: &[HostDef],
    ) -> Option<ClientDef> {
        let address = self.address(&c.address)?;
        let outgoing = self.host_ref(names, &c.outgoing, "outgoing server")?;
        let out_port = c.outgoing_port.unwrap_or(Service::Submission.port());
        let serves = |h: &HostDef, port: u16| h.services.iter().any(|s| s.port() == port);
        if !serves(&hosts[outgoing], out_port) || !(out_port == 25 || out_port == 587) {
            self.err(
                c.outgoing.span(),
                format!(
                    "`{}` has no SMTP service on port {out_port}",
                    hosts[outgoing].name
                ),
                Some(
                    "give that host services = [\"submission\"] (port 587), or set outgoing_port"
                        .into(),
                ),
            );
        }
        let proto = c
            .incoming_protocol
            .as_ref()
            .map_or(IncomingProtocol::Pop3, |p| *p.get_ref());
        let service = proto.service();
        let in_port = c.incoming_port.unwrap_or(service.port());
        let incoming = match &c.incoming {
            Some(s) => {
                let i = self.host_ref(names, s, "incoming server")?;
                if !serves(&hosts[i], in_port) || in_port != service.port() {
                    let name = if proto == IncomingProtocol::Imap {
                        "imap"
                    } else {
                        "pop3"
                    };
                    self.err(
                        s.span(),
                        format!(
                            "`{}` has no {} service on port {in_port}",
                            hosts[i].name,
                            name.to_ascii_uppercase()
                        ),
                        Some(format!("give that host services = [\"{name}\"]")),
                    );
                }
                Some(i)
            }
            None => None,
        };
        if c.idle && proto != IncomingProtocol::Imap {
            let span = c
                .incoming_protocol
                .as_ref()
                .map_or(c.address.span(), |p| p.span());
            self.err(
                span,
                "`idle` needs IMAP: POP3 has no way to wait for news",
                Some("set incoming_protocol = \"imap\"".into()),
            );
        }
        let style = c
            .style
            .as_ref()
            .map_or(ClientStyle::default(), |s| *s.get_ref());
        let user = c
            .user
            .clone()
            .unwrap_or_else(|| address.local().to_ascii_lowercase());
        Some(ClientDef {
            name: c.name.clone().unwrap_or_default(),
            user,
            password: c.password.clone().unwrap_or_default(),
            address,
            outgoing,
            outgoing_port: out_port,
            incoming,
            incoming_port: in_port,
            incoming_protocol: proto,
            keep_on_server: c.keep_on_server,
            idle: c.idle,
            ehlo: c.ehlo.unwrap_or(style != ClientStyle::Eudora),
            style,
            user_agent: c
                .user_agent
                .clone()
                .unwrap_or_else(|| style.user_agent().into()),
        })
    }

    pub(super) fn zone(&mut self, dns: &[RawDns], hosts: &[HostDef]) -> Zone {
        let mut zone = Zone::default();
        for h in hosts {
            zone.add(&h.name, ZoneRecord::A(h.ip));
        }
        for r in dns {
            let name = r.name.get_ref();
            if !is_domain(name) {
                self.err(
                    r.name.span(),
                    format!("`{name}` is not a domain name"),
                    None,
                );
                continue;
            }
            match r.rtype.get_ref().to_ascii_uppercase().as_str() {
                "MX" => {
                    let Some(ex) = &r.exchange else {
                        self.err(
                            r.rtype.span(),
                            "an MX record needs `exchange`: the host that receives the mail",
                            None,
                        );
                        continue;
                    };
                    if r.address.is_some() {
                        self.err(
                            r.rtype.span(),
                            "an MX record has no `address` (that is for A records)",
                            None,
                        );
                    }
                    if !hosts
                        .iter()
                        .any(|h| h.name.eq_ignore_ascii_case(ex.get_ref()))
                    {
                        let known: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
                        let hint = words::suggest(ex.get_ref(), &known, "the hosts are");
                        self.err(
                            ex.span(),
                            format!(
                                "the MX exchange `{}` is not a host of this scenario",
                                ex.get_ref()
                            ),
                            Some(hint),
                        );
                        continue;
                    }
                    zone.add(
                        name,
                        ZoneRecord::Mx {
                            preference: r.preference.unwrap_or(10),
                            exchange: ex.get_ref().to_ascii_lowercase(),
                        },
                    );
                }
                "A" => {
                    let Some(a) = &r.address else {
                        self.err(r.rtype.span(), "an A record needs `address`", None);
                        continue;
                    };
                    match a.get_ref().parse::<Ipv4Addr>() {
                        Ok(ip) => zone.add(name, ZoneRecord::A(ip)),
                        Err(_) => self.err(
                            a.span(),
                            format!("`{}` is not an IPv4 address", a.get_ref()),
                            None,
                        ),
                    }
                }
                other => self.err(
                    r.rtype.span(),
                    format!("record type `{other}` is not supported"),
                    Some("expected \"MX\" or \"A\"".into()),
                ),
            }
        }
        zone
    }

    pub(super) fn link(&mut self, l: &RawLink, names: &[String]) -> Option<LinkDef> {
        let ends = l.between.get_ref();
        if ends.len() != 2 {
            self.err(
                l.between.span(),
                format!("a link joins two hosts, not {}", ends.len()),
                Some("expected between = [\"a\", \"b\"]".into()),
            );
            return None;
        }
        let a = self.host_ref(names, &ends[0], "link end");
        let b = self.host_ref(names, &ends[1], "link end");
        let latency = self.duration(&l.latency);
        let jitter = l
            .jitter
            .as_ref()
            .map(|j| self.duration(j))
            .unwrap_or(SimDuration::ZERO);
        Some(LinkDef {
            between: (a?, b?),
            latency,
            jitter,
        })
    }
}
