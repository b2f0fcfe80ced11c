//! Which place each host is drawn in: the domains in the order the story meets them, a region's
//! title, and what a layout draws where (with a classroom's room).

use crate::scenario::{Scenario, StepAction};

/// The domains in the order the story meets them (those whose users send first, then those whose
/// users do anything, then the rest by name), and each host's place in that list (`None`: the
/// Internet).
pub(super) fn domains(s: &Scenario) -> (Vec<String>, Vec<Option<usize>>) {
    let places: Vec<Option<String>> = s.hosts.iter().map(|h| h.place()).collect();
    let mut order: Vec<String> = Vec::new();
    let sends = s
        .steps
        .iter()
        .filter(|st| matches!(st.action, StepAction::Send { .. }));
    for st in sends.chain(s.steps.iter()) {
        if let Some(Some(d)) = st.host.map(|h| &places[h])
            && !order.contains(d)
        {
            order.push(d.clone());
        }
    }
    let mut rest: Vec<String> = places
        .iter()
        .flatten()
        .filter(|d| !order.contains(d))
        .cloned()
        .collect();
    rest.sort();
    rest.dedup();
    order.extend(rest);
    let of = places
        .iter()
        .map(|p| p.as_ref().and_then(|d| order.iter().position(|o| o == d)))
        .collect();
    (order, of)
}

/// "a.example — Alice's provider": the scenario's `[[domain]]` label, else the names of the
/// domain's users (from their mail programs, else the servers' accounts).
pub(super) fn title(s: &Scenario, domain: &str, members: &[usize]) -> String {
    if let Some(l) = s.domain_labels.get(domain) {
        return format!("{domain} — {l}");
    }
    let mut names: Vec<String> = Vec::new();
    for &i in members {
        if let Some(c) = &s.hosts[i].client {
            // "Alice (User A)" → "Alice"
            let n = c.name.split(" (").next().unwrap_or("").trim();
            let n = if n.is_empty() { c.user.as_str() } else { n };
            names.push(n.to_string());
        }
    }
    if names.is_empty() {
        for &i in members {
            for a in &s.hosts[i].accounts {
                let mut cs = a.user.chars();
                if let Some(f) = cs.next() {
                    names.push(f.to_uppercase().chain(cs).collect());
                }
            }
        }
    }
    names.dedup();
    match names.as_slice() {
        [] => domain.to_string(),
        [one] => format!("{domain} — {one}'s provider"),
        [a, b] => format!("{domain} — provider of {a} and {b}"),
        [a, b, ..] => format!("{domain} — provider of {a}, {b}, …"),
    }
}

/// Which hosts a layout draws where: each host's place (`None`: the Internet), whether it is
/// left out (a [`Room`]'s hidden computer), and the order of a place's computers.
pub(super) struct Places<'a> {
    pub(super) order: &'a [String],
    pub(super) place_of: &'a [Option<usize>],
    pub(super) skip: &'a [bool],
    pub(super) rank: &'a [usize],
    /// The title of a room (place 0), if there is one.
    pub(super) room_title: Option<&'a str>,
}
