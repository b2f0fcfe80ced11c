//! Classroom mode (`serve --class N`): an account of their own for each of N students on the
//! scenario's mail domains, with a random password from the OS (never from the seed), and the
//! class sheet that tells each student their address, password, server and ports.

use std::fmt::Write as _;
use std::io;
use std::net::{IpAddr, Ipv4Addr, UdpSocket};

use super::ports::Port;
use crate::protocols::http::html::escape as esc;
use crate::scenario::{Account, Scenario, Service};

/// Letters and digits no one mistakes for one another on a projector or a printout.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters of a generated password (about 50 bits).
const PASSWORD_LEN: usize = 10;
/// Students at most: more than any room, few enough that the sheet stays printable.
pub const MAX_CLASS: usize = 200;

/// One student's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    /// 1, 2, ...
    pub number: usize,
    /// The user name (the address's local part), as mail programs log in.
    pub user: String,
    /// Their domain.
    pub domain: String,
    /// Their password, random for this run.
    pub password: String,
}

impl Student {
    /// `student01@a.example`.
    pub fn address(&self) -> String {
        format!("{}@{}", self.user, self.domain)
    }
}

/// The domains students can have mail on, in the order their hosts come: those where they can
/// both send (a submission server) and keep mail (POP3 or IMAP); if there are none, those where
/// they can at least keep mail.
fn class_domains(s: &Scenario) -> Vec<String> {
    let mut keep: Vec<String> = Vec::new();
    for h in &s.hosts {
        if let Some(d) = &h.domain
            && (h.has(Service::Pop3) || h.has(Service::Imap))
            && !keep.contains(d)
        {
            keep.push(d.clone());
        }
    }
    let sends = |d: &String| {
        s.hosts
            .iter()
            .any(|h| h.domain.as_ref() == Some(d) && h.has(Service::Submission))
    };
    let both: Vec<String> = keep.iter().filter(|d| sends(d)).cloned().collect();
    if both.is_empty() { keep } else { both }
}

/// Gives each of `n` students an account, taking turns over the domains (so that neighbours
/// write to each other across the Internet), on every host of the domain that keeps accounts.
/// Passwords come from `random` (the OS's source in `serve`).
pub fn enrol(
    s: &mut Scenario,
    n: usize,
    random: &mut dyn FnMut(&mut [u8]) -> io::Result<()>,
) -> Result<Vec<Student>, String> {
    if n == 0 || n > MAX_CLASS {
        return Err(format!(
            "--class {n}: a class has 1 to {MAX_CLASS} students"
        ));
    }
    let domains = class_domains(s);
    if domains.is_empty() {
        return Err(format!(
            "--class: {} has no mail server with mailboxes (a host with a `domain` and \"pop3\" or \"imap\" in its services), so there is nowhere to give students accounts",
            s.title
        ));
    }
    let width = n.to_string().len().max(2);
    let mut students = Vec::with_capacity(n);
    for number in 1..=n {
        let domain = domains[(number - 1) % domains.len()].clone();
        let user = format!("student{number:0width$}");
        let mut raw = [0u8; PASSWORD_LEN];
        random(&mut raw).map_err(|e| e.to_string())?;
        // 256 is not a multiple of the alphabet's 31: take the byte modulo 31 only below 248.
        let mut password = String::new();
        let mut bytes = raw.to_vec();
        while password.len() < PASSWORD_LEN {
            if bytes.is_empty() {
                bytes = vec![0u8; PASSWORD_LEN];
                random(&mut bytes).map_err(|e| e.to_string())?;
            }
            let b = bytes.pop().unwrap_or_default() as usize;
            if b < 248 {
                password.push(ALPHABET[b % ALPHABET.len()] as char);
            }
        }
        let keeps = |h: &crate::scenario::HostDef| h.domain.as_deref() == Some(domain.as_str());
        let with_accounts = s.hosts.iter().any(|h| keeps(h) && !h.accounts.is_empty());
        for h in s.hosts.iter_mut().filter(|h| keeps(h)) {
            // The hosts that keep the domain's accounts; if none does yet, its mailbox servers.
            let takes = if with_accounts {
                !h.accounts.is_empty()
            } else {
                h.has(Service::Pop3) || h.has(Service::Imap)
            };
            if !takes {
                continue;
            }
            if h.accounts.iter().any(|a| a.user == user) {
                return Err(format!(
                    "--class: {} already has an account `{user}`; rename it in the scenario",
                    h.name
                ));
            }
            h.accounts.push(Account {
                user: user.clone(),
                password: password.clone(),
            });
        }
        students.push(Student {
            number,
            user,
            domain,
            password,
        });
    }
    Ok(students)
}

/// The address students type for the server: the bind address, or when listening on every
/// interface, this computer's address on the network (found by asking the routing table, no
/// packet sent); loopback if there is no network.
pub fn reachable_address(bind: IpAddr) -> IpAddr {
    if !bind.is_unspecified() {
        return bind;
    }
    let guess = UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr());
    match guess {
        Ok(a) if !a.ip().is_unspecified() => a.ip(),
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

/// Where a student's programs connect: (submission, POP3, IMAP, webmail) real ports.
struct Where {
    submission: Option<u16>,
    pop3: Option<u16>,
    imap: Option<u16>,
    web: Option<u16>,
}

fn where_for(s: &Scenario, ports: &[Port], domain: &str) -> Where {
    let of = |svc: Service| {
        ports
            .iter()
            .filter(|p| p.service == svc)
            .find(|p| s.hosts[p.host].domain.as_deref() == Some(domain))
            .map(|p| p.real)
    };
    Where {
        submission: of(Service::Submission),
        pop3: of(Service::Pop3),
        imap: of(Service::Imap),
        // The webmail reads mailboxes by IMAP: no use to a domain that keeps mail by POP3 only.
        web: ports
            .iter()
            .find(|p| p.service == Service::Http)
            .map(|p| p.real)
            .filter(|_| of(Service::Imap).is_some()),
    }
}

fn port_text(p: Option<u16>) -> String {
    p.map_or_else(|| "-".into(), |p| p.to_string())
}

/// The class sheet as text: one line per student.
pub fn sheet_text(s: &Scenario, ports: &[Port], addr: IpAddr, students: &[Student]) -> String {
    let mut out = format!(
        "class sheet: {} students, server {addr} (passwords are random, for this run only)\n",
        students.len()
    );
    let wide = students
        .iter()
        .map(|st| st.address().len())
        .max()
        .unwrap_or(0)
        .max("address".len());
    let mut row = |cells: [&str; 6]| {
        let [n, address, password, send, pop3, imap] = cells;
        let _ = writeln!(
            out,
            "  {n:>3}  {address:<wide$}  {password:<10}  {send:>10}  {pop3:>5}  {imap:>5}"
        );
    };
    row(["#", "address", "password", "send SMTP", "POP3", "IMAP"]);
    for st in students {
        let w = where_for(s, ports, &st.domain);
        row([
            &st.number.to_string(),
            &st.address(),
            &st.password,
            &port_text(w.submission),
            &port_text(w.pop3),
            &port_text(w.imap),
        ]);
    }
    out.push_str("  mail programs log in with the part before @; no encryption, normal password\n");
    if let Some((web, domains)) = students
        .iter()
        .find_map(|st| where_for(s, ports, &st.domain).web)
        .map(|web| {
            let mut d: Vec<&str> = students
                .iter()
                .filter(|st| where_for(s, ports, &st.domain).web.is_some())
                .map(|st| st.domain.as_str())
                .collect();
            d.dedup();
            d.sort_unstable();
            d.dedup();
            (web, d.join(", "))
        })
    {
        let _ = writeln!(
            out,
            "  webmail: http://{addr}:{web}/ (for {domains}; log in with the whole address)"
        );
    }
    out
}

/// The class sheet as a printable HTML page: one slip per student, to cut apart and hand out,
/// with what to type into a mail program.
pub fn sheet_html(s: &Scenario, ports: &[Port], addr: IpAddr, students: &[Student]) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    let _ = writeln!(out, "<title>Class sheet: {}</title>", esc(&s.title));
    out.push_str(
        "<style>\nbody{font-family:sans-serif;margin:1cm}\n\
         .slip{border:1px dashed #888;padding:.4cm .6cm;margin:0 0 .4cm;break-inside:avoid}\n\
         .slip h2{margin:0 0 .2cm;font-size:1.1em}\n\
         td{padding:.05cm .3cm .05cm 0;vertical-align:top}\n\
         code{font-size:1.15em}\n</style></head><body>\n",
    );
    let _ = writeln!(
        out,
        "<h1>{}</h1>\n<p>{} students. Server: <code>{addr}</code>. No encryption (this is a \
         classroom's pretend Internet): choose <em>none</em> for security and <em>normal \
         password</em>. Passwords are random for this lesson only. Cut along the dashed lines.</p>",
        esc(&s.title),
        students.len()
    );
    for st in students {
        let w = where_for(s, ports, &st.domain);
        let _ = writeln!(
            out,
            "<div class=\"slip\"><h2>Student {}: <code>{}</code></h2><table>",
            st.number,
            esc(&st.address())
        );
        let mut row = |k: &str, v: String| {
            let _ = writeln!(out, "<tr><td>{k}</td><td>{v}</td></tr>");
        };
        row(
            "Your address",
            format!("<code>{}</code>", esc(&st.address())),
        );
        row("User name", format!("<code>{}</code>", esc(&st.user)));
        row("Password", format!("<code>{}</code>", esc(&st.password)));
        if let Some(p) = w.submission {
            row(
                "Sending (SMTP)",
                format!(
                    "server <code>{addr}</code>, port <code>{p}</code>, no encryption, normal password"
                ),
            );
        }
        if let Some(p) = w.imap {
            row(
                "Receiving (IMAP)",
                format!(
                    "server <code>{addr}</code>, port <code>{p}</code>: mail stays on the server"
                ),
            );
        }
        if let Some(p) = w.pop3 {
            row(
                "Receiving (POP3)",
                format!("server <code>{addr}</code>, port <code>{p}</code>: mail is downloaded"),
            );
        }
        if let Some(p) = w.web {
            row(
                "Webmail",
                format!("<code>http://{addr}:{p}/</code>, log in with your whole address"),
            );
        }
        out.push_str("</table></div>\n");
    }
    out.push_str("</body></html>\n");
    out
}

/// The firewall advice for a room: the TCP ports other machines must reach.
pub fn ports_to_open(ports: &[Port]) -> String {
    let mut v: Vec<u16> = ports.iter().map(|p| p.real).collect();
    v.sort_unstable();
    v.dedup();
    v.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str) -> Scenario {
        let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
        crate::scenario::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn bridge_scenario() -> Scenario {
        load("tests/interop/bridge.toml")
    }

    fn counter() -> impl FnMut(&mut [u8]) -> io::Result<()> {
        let mut k = 0u8;
        move |b: &mut [u8]| {
            for x in b {
                k = k.wrapping_add(97);
                *x = k;
            }
            Ok(())
        }
    }

    #[test]
    fn students_take_turns_over_the_domains_with_passwords_of_their_own() {
        let mut s = load("tests/networks/three-domains.toml");
        let students = enrol(&mut s, 5, &mut counter()).unwrap();
        let addrs: Vec<String> = students.iter().map(Student::address).collect();
        assert_eq!(
            addrs,
            [
                "student01@a.example",
                "student02@b.example",
                "student03@c.example",
                "student04@a.example",
                "student05@b.example"
            ]
        );
        for st in &students {
            assert_eq!(st.password.len(), PASSWORD_LEN);
            assert!(st.password.bytes().all(|b| ALPHABET.contains(&b)));
            let host = s
                .hosts
                .iter()
                .find(|h| h.domain.as_deref() == Some(&st.domain))
                .unwrap();
            assert!(
                host.accounts
                    .iter()
                    .any(|a| a.user == st.user && a.password == st.password)
            );
        }
        let mut p: Vec<&str> = students.iter().map(|s| s.password.as_str()).collect();
        p.sort_unstable();
        p.dedup();
        assert_eq!(p.len(), 5);
        // The sheet gives each their own domain's ports: c.example keeps mail by IMAP only, and
        // its submission server is the third.
        let ports = super::super::plan(&s, 2000).unwrap();
        let addr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7));
        let text = sheet_text(&s, &ports, addr, &students);
        let carol = text.lines().find(|l| l.contains("student03@")).unwrap();
        assert!(carol.contains("22587") && carol.contains("2143"), "{text}");
        assert!(carol.contains(" - "), "no POP3 for c.example: {carol}");
        let html = sheet_html(&s, &ports, addr, &students);
        assert_eq!(html.matches("class=\"slip\"").count(), 5);
        assert!(html.contains(&students[0].password));
    }

    #[test]
    fn students_go_where_they_can_send_and_keep_mail() {
        // bridge.toml: b.example has no submission server, so everyone is on a.example.
        let mut s = bridge_scenario();
        let students = enrol(&mut s, 3, &mut counter()).unwrap();
        assert!(students.iter().all(|st| st.domain == "a.example"));
    }

    #[test]
    fn a_class_needs_somewhere_to_keep_mail() {
        let mut s = bridge_scenario();
        for h in &mut s.hosts {
            h.services
                .retain(|v| !matches!(v, Service::Pop3 | Service::Imap));
        }
        let e = enrol(&mut s, 3, &mut counter()).unwrap_err();
        assert!(e.contains("no mail server with mailboxes"), "{e}");
        assert!(enrol(&mut bridge_scenario(), 0, &mut counter()).is_err());
        assert!(enrol(&mut bridge_scenario(), MAX_CLASS + 1, &mut counter()).is_err());
    }
}
