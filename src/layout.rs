//! Where hosts go on the diagram: senders left, receivers right, DNS and others in the middle.
//!
//! Hosts are grouped by mail domain (a host's own `domain`, else its name without the first label).
//! Domains are ordered by when their users first send mail; the first half of the groups sits on
//! the left with computers outermost, the rest on the right, mirrored. Hosts of no group (the DNS
//! server) go to the middle, above. A host's `position` in the scenario wins. Coordinates are in
//! a 1000 × 600 box, y up.

use crate::scenario::{HostKind, Scenario, StepAction};

/// The size of the box positions are given in.
pub const WIDTH: f32 = 1000.0;
/// The box's height.
pub const HEIGHT: f32 = 600.0;

fn group_of(s: &Scenario, i: usize) -> Option<String> {
    let h = &s.hosts[i];
    if let Some(d) = &h.domain {
        return Some(d.clone());
    }
    if let Some(c) = &h.client {
        return Some(c.address.domain_lower());
    }
    let rest = h.name.split_once('.')?.1;
    // A bare second-level name like `ns.example` is not a mail domain of its own.
    rest.contains('.').then(|| rest.to_ascii_lowercase())
}

/// The smallest box (min, max) that holds every host with room for its icon and labels.
pub fn bounds(pos: &[(f32, f32)]) -> ((f32, f32), (f32, f32)) {
    let (mut lo, mut hi) = ((f32::MAX, f32::MAX), (f32::MIN, f32::MIN));
    for &(x, y) in pos {
        lo = (lo.0.min(x - 90.0), lo.1.min(y - 85.0));
        hi = (hi.0.max(x + 90.0), hi.1.max(y + 45.0));
    }
    if pos.is_empty() {
        ((0.0, 0.0), (WIDTH, HEIGHT))
    } else {
        (lo, hi)
    }
}

/// The position of every host, by index.
pub fn layout(s: &Scenario) -> Vec<(f32, f32)> {
    let n = s.hosts.len();
    let groups_of: Vec<Option<String>> = (0..n).map(|i| group_of(s, i)).collect();
    // Order domains: those whose users send first come first, then the rest by name.
    let mut order: Vec<String> = Vec::new();
    for st in &s.steps {
        if let (StepAction::Send { .. }, Some(h)) = (&st.action, st.host)
            && let Some(g) = &groups_of[h]
            && !order.contains(g)
        {
            order.push(g.clone());
        }
    }
    let mut rest: Vec<String> = groups_of
        .iter()
        .flatten()
        .filter(|g| !order.contains(g))
        .cloned()
        .collect();
    rest.sort();
    rest.dedup();
    order.extend(rest);

    let mut pos = vec![(WIDTH / 2.0, HEIGHT * 0.85); n];
    let g = order.len().max(1);
    let half = g.div_ceil(2);
    // Each group gets two columns: computers and servers.
    let columns = 2 * g;
    // Columns spread from edge to edge (a margin for labels), so neighbours' labels do not touch.
    let col_x = |c: usize| 70.0 + (WIDTH - 140.0) * c as f32 / (columns - 1).max(1) as f32;
    for (gi, name) in order.iter().enumerate() {
        let members: Vec<usize> = (0..n)
            .filter(|&i| groups_of[i].as_ref() == Some(name))
            .collect();
        let left = gi < half;
        let (comp_col, serv_col) = if left {
            (2 * gi, 2 * gi + 1)
        } else {
            (2 * gi + 1, 2 * gi)
        };
        for kind in [HostKind::Computer, HostKind::Server] {
            let col: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| s.hosts[i].kind == kind)
                .collect();
            let x = col_x(if kind == HostKind::Computer {
                comp_col
            } else {
                serv_col
            });
            // Few hosts in a column get room for their labels; many get packed.
            let step = (HEIGHT * 0.7 / col.len().max(1) as f32).clamp(110.0, 200.0);
            for (k, &i) in col.iter().enumerate() {
                let y = HEIGHT * 0.45 - (k as f32 - (col.len() as f32 - 1.0) / 2.0) * step;
                pos[i] = (x, y);
            }
        }
    }
    let loose: Vec<usize> = (0..n).filter(|&i| groups_of[i].is_none()).collect();
    for (k, &i) in loose.iter().enumerate() {
        // Wide apart: their labels ("Webmail server (web site)") are long.
        let x = WIDTH / 2.0 + (k as f32 - (loose.len() as f32 - 1.0) / 2.0) * 280.0;
        pos[i] = (x, HEIGHT * 0.85);
    }
    for (i, h) in s.hosts.iter().enumerate() {
        if let Some(p) = h.position {
            pos[i] = p;
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walkthrough_goes_left_to_right() {
        let s = crate::scenario::parse("w", crate::WALKTHROUGH).unwrap();
        let p = layout(&s);
        let x = |name: &str| p[s.host_index(name).unwrap()].0;
        assert!(x("alice-pc.a.example") < x("smtp.a.example"));
        assert!(x("smtp.a.example") < x("mx.b.example"));
        assert!(x("mx.b.example") < x("bob-pc.b.example"));
        let ns = p[s.host_index("ns.example").unwrap()];
        assert!((ns.0 - WIDTH / 2.0).abs() < 1.0 && ns.1 > HEIGHT / 2.0);
    }
}
