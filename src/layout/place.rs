//! Places: which region each host is drawn in, how much room each host needs, and where regions
//! and hosts go in the area. Everything is planned at the natural size (scale 1) and then scaled
//! to fit; spare room spreads the hosts apart but never makes them bigger than the scale, so what
//! does not overlap at the natural size does not overlap after.

use super::{
    Detail, HostBox, Layout, Line, LineKind, Orientation, POSITION_BOX, ROOM_PLACE, Rect, Region,
    Room, text,
};
use crate::engine::ids::HostId;
use crate::scenario::{HostKind, Scenario, StepAction};

/// Icon size at scale 1, points, by detail: smaller icons leave room for labels on big networks.
fn icon_size(d: Detail) -> f32 {
    match d {
        Detail::Full | Detail::Name => 44.0,
        Detail::Label => 38.0,
        Detail::Short | Detail::Hover => 30.0,
    }
}
const LABEL: f32 = 14.0;
const MONO: f32 = 11.0;
const TITLE: f32 = 13.0;
/// Icon to label.
const GAP: f32 = 3.0;
/// Room around a host, each side.
const PAD_X: f32 = 8.0;
const PAD_Y: f32 = 5.0;
/// Room inside a region's border.
const RPAD: f32 = 6.0;
/// Around everything.
const MARGIN: f32 = 4.0;
/// Between regions, and between the regions and the Internet.
const SEP: f32 = 14.0;
/// Labels wider than this (at scale 1) go on two lines.
const WRAP_AT: f32 = 125.0;
/// Bigger than twice the natural size is not more readable, only emptier.
const MAX_SCALE: f32 = 2.0;

/// The smallest scale at which a level of detail is worth its room (fonts 14 × scale pixels).
fn min_scale(d: Detail) -> f32 {
    match d {
        Detail::Full => 0.95,
        Detail::Name => 0.85,
        Detail::Label => 0.75,
        Detail::Short => 0.65,
        Detail::Hover => 0.0,
    }
}

/// The domains in the order the story meets them (those whose users send first, then those whose
/// users do anything, then the rest by name), and each host's place in that list (`None`: the
/// Internet).
fn domains(s: &Scenario) -> (Vec<String>, Vec<Option<usize>>) {
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
fn title(s: &Scenario, domain: &str, members: &[usize]) -> String {
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

/// A host's lines at scale 1 (text, kind, size, mono) and its cell (icon, lines and room).
struct Cell {
    icon: f32,
    lines: Vec<(String, LineKind, f32, bool)>,
    w: f32,
    h: f32,
}

/// `stand_in`: the icon that stands for a room's other computers, which has no one name.
fn cell(s: &Scenario, i: usize, detail: Detail, stand_in: bool) -> Cell {
    let h = &s.hosts[i];
    let icon = icon_size(detail);
    let mut lines = Vec::new();
    if detail != Detail::Hover {
        if detail == Detail::Short {
            let short = text::elide(&h.label, LABEL, false, 90.0);
            lines.push((short, LineKind::Label, LABEL, false));
        } else {
            for part in wrap(&h.label) {
                lines.push((part, LineKind::Label, LABEL, false));
            }
        }
        if detail <= Detail::Name && !stand_in {
            lines.push((h.name.clone(), LineKind::Name, MONO, true));
        }
        if detail == Detail::Full && !stand_in {
            lines.push((h.ip.to_string(), LineKind::Ip, MONO, true));
        }
        let mut badges: Vec<&str> = Vec::new();
        for f in s.faults.iter().filter(|f| f.touches(HostId::new(i))) {
            if !badges.contains(&f.badge()) {
                badges.push(f.badge());
            }
        }
        if !badges.is_empty() {
            let all = badges.join(" · ");
            let t = if detail >= Detail::Label {
                text::elide(&all, MONO, true, 110.0)
            } else {
                all
            };
            lines.push((t, LineKind::Faults, MONO, true));
        }
    }
    let w = lines
        .iter()
        .map(|(t, _, size, mono)| text::width(t, *size, *mono))
        .fold(icon, f32::max);
    let mut c = Cell {
        icon,
        w: w + 2.0 * PAD_X,
        h: 0.0,
        lines,
    };
    c.h = block_height(&c, 1.0) + 2.0 * PAD_Y;
    c
}

/// A long label in two lines, cut at the space nearest its middle.
fn wrap(label: &str) -> Vec<String> {
    let whole = text::width(label, LABEL, false);
    if whole <= WRAP_AT {
        return vec![label.to_string()];
    }
    let cut = label
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .map(|(i, _)| i)
        .min_by(|&a, &b| {
            let off = |i: usize| (text::width(&label[..i], LABEL, false) - whole / 2.0).abs();
            off(a).total_cmp(&off(b))
        });
    match cut {
        Some(i) => vec![label[..i].to_string(), label[i + 1..].to_string()],
        None => vec![label.to_string()],
    }
}

fn block_height(c: &Cell, s: f32) -> f32 {
    let text: f32 = c.lines.iter().map(|l| text::line_height(l.2 * s)).sum();
    c.icon * s
        + if c.lines.is_empty() {
            0.0
        } else {
            GAP * s + text
        }
}

/// A region's hosts in tracks, outer (computers) to inner (servers) as the side needs them.
struct Plan {
    tracks: Vec<Vec<usize>>,
    w: f32,
    h: f32,
}

fn plan(tracks: Vec<Vec<usize>>, cells: &[Cell], o: Orientation, min_w: f32) -> Plan {
    let tracks: Vec<Vec<usize>> = tracks.into_iter().filter(|t| !t.is_empty()).collect();
    let all = || tracks.iter().flatten();
    let max_w = all().map(|&i| cells[i].w).fold(0.0, f32::max);
    let max_h = all().map(|&i| cells[i].h).fold(0.0, f32::max);
    let long = tracks.iter().map(Vec::len).max().unwrap_or(0) as f32;
    let (w, h) = match o {
        // Tracks are columns, hosts in rows of one height.
        Orientation::LeftRight => (
            tracks
                .iter()
                .map(|t| t.iter().map(|&i| cells[i].w).fold(0.0, f32::max))
                .sum::<f32>(),
            long * max_h,
        ),
        // Tracks are rows, hosts in columns of one width.
        Orientation::TopBottom => (
            long * max_w,
            tracks
                .iter()
                .map(|t| t.iter().map(|&i| cells[i].h).fold(0.0, f32::max))
                .sum::<f32>(),
        ),
    };
    Plan {
        w: w.max(min_w) + 2.0 * RPAD,
        h: h + text::line_height(TITLE) + 2.0 * RPAD,
        tracks,
    }
}

/// Puts a region's hosts (their icon centres, natural coordinates) into `r`, spreading spare room
/// evenly between tracks and between hosts.
fn fill(p: &Plan, cells: &[Cell], o: Orientation, r: Rect, centers: &mut [(f32, f32)]) {
    let inner = Rect::new(
        r.x0 + RPAD,
        r.y0 + RPAD + text::line_height(TITLE),
        r.x1 - RPAD,
        r.y1 - RPAD,
    );
    let size = |i: usize| match o {
        Orientation::LeftRight => (cells[i].w, cells[i].h),
        Orientation::TopBottom => (cells[i].h, cells[i].w),
    };
    // Along = across tracks (x for columns), within = along a track.
    let (along0, along_len, within0, within_len) = match o {
        Orientation::LeftRight => (inner.x0, inner.width(), inner.y0, inner.height()),
        Orientation::TopBottom => (inner.y0, inner.height(), inner.x0, inner.width()),
    };
    let track_size: Vec<f32> = p
        .tracks
        .iter()
        .map(|t| t.iter().map(|&i| size(i).0).fold(0.0, f32::max))
        .collect();
    let spare = (along_len - track_size.iter().sum::<f32>()).max(0.0);
    let gap = spare / (p.tracks.len() + 1) as f32;
    let slot = p
        .tracks
        .iter()
        .flatten()
        .map(|&i| size(i).1)
        .fold(0.0, f32::max);
    let long = p.tracks.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let slot = slot.max(within_len / long as f32);
    // Icons in a line level with each other: each block hangs from the top of the tallest.
    let block = |i: usize| block_height(&cells[i], 1.0);
    let tallest = p
        .tracks
        .iter()
        .flatten()
        .map(|&i| block(i))
        .fold(0.0, f32::max);
    let mut at = along0 + gap;
    for (t, track) in p.tracks.iter().enumerate() {
        let mid = at + track_size[t] / 2.0;
        let start = within0 + (within_len - slot * track.len() as f32) / 2.0;
        let track_tallest = track.iter().map(|&i| block(i)).fold(0.0, f32::max);
        for (k, &i) in track.iter().enumerate() {
            let c = start + slot * (k as f32 + 0.5);
            centers[i] = match o {
                Orientation::LeftRight => (mid, c - tallest / 2.0 + cells[i].icon / 2.0),
                Orientation::TopBottom => (c, mid - track_tallest / 2.0 + cells[i].icon / 2.0),
            };
        }
        at += track_size[t] + gap;
    }
}

/// One way to arrange everything, at scale 1.
struct Arrangement {
    /// Natural size.
    w: f32,
    h: f32,
    /// Region rects (domains in order, then the Internet if it has hosts).
    rects: Vec<Rect>,
    /// Icon centres by host.
    centers: Vec<(f32, f32)>,
}

/// Sizes of a grid's columns (or rows): the biggest member of each, then stretched to `fill`.
fn grid_sizes(n: usize, per: usize, size: impl Fn(usize) -> f32, fill: f32) -> Vec<f32> {
    let lines = n.div_ceil(per.max(1));
    let mut out = vec![0.0f32; lines];
    for i in 0..n {
        let l = i / per.max(1);
        out[l] = out[l].max(size(i));
    }
    let used: f32 = out.iter().sum::<f32>() + SEP * lines.saturating_sub(1) as f32;
    if lines > 0 && fill > used {
        let extra = (fill - used) / lines as f32;
        for v in &mut out {
            *v += extra;
        }
    }
    out
}

/// Which hosts a layout draws where: each host's place (`None`: the Internet), whether it is
/// left out (a [`Room`]'s hidden computer), and the order of a place's computers.
struct Places<'a> {
    order: &'a [String],
    place_of: &'a [Option<usize>],
    skip: &'a [bool],
    rank: &'a [usize],
    /// The title of a room (place 0), if there is one.
    room_title: Option<&'a str>,
}

fn arrange(s: &Scenario, cells: &[Cell], p: &Places, o: Orientation, k: usize) -> Arrangement {
    let (order, place_of) = (p.order, p.place_of);
    let n = s.hosts.len();
    let g = order.len();
    let side_a = g.div_ceil(2);
    let members = |d: usize| -> Vec<usize> {
        (0..n)
            .filter(|&i| place_of[i] == Some(d) && !p.skip[i])
            .collect()
    };
    let band: Vec<usize> = (0..n)
        .filter(|&i| place_of[i].is_none() && !p.skip[i])
        .collect();
    let plans: Vec<Plan> = (0..g)
        .map(|d| {
            let m = members(d);
            let of = |kind: HostKind| -> Vec<usize> {
                let mut v: Vec<usize> = m
                    .iter()
                    .copied()
                    .filter(|&i| s.hosts[i].kind == kind)
                    .collect();
                v.sort_by_key(|&i| p.rank[i]);
                v
            };
            let (comp, serv) = (of(HostKind::Computer), of(HostKind::Server));
            // Computers outermost: left or top on side A, right or bottom on side B.
            let tracks = if d < side_a {
                vec![comp, serv]
            } else {
                vec![serv, comp]
            };
            // A room's title is all it says of its computers: it has room for it whole.
            let min_w = match p.room_title {
                Some(t) if d == 0 => text::width(t, TITLE, false),
                _ => text::width(&order[d], TITLE, false),
            };
            plan(tracks, cells, o, min_w)
        })
        .collect();
    let band_plan = plan(vec![band.clone()], cells, o, 0.0);
    let has_band = !band.is_empty();
    let sides = [(0..side_a).collect::<Vec<_>>(), (side_a..g).collect()];
    let mut rects = vec![Rect::new(0.0, 0.0, 0.0, 0.0); g + usize::from(has_band)];
    let mut centers = vec![(0.0, 0.0); n];
    // Along the story (x for LeftRight): side A, the band, side B. Across: a side's regions in a
    // grid of k lines along the story.
    let along = |p: &Plan| match o {
        Orientation::LeftRight => p.w,
        Orientation::TopBottom => p.h,
    };
    let across = |p: &Plan| match o {
        Orientation::LeftRight => p.h,
        Orientation::TopBottom => p.w,
    };
    // A side's grid: `k` lines along the story, regions fill them line by line.
    // Each side's first region is innermost, next to the Internet: side A's lines count from
    // the band leftwards (or upwards), side B's (`mirror`) from it rightwards.
    let line_of = |j: usize, per: usize, mirror: bool| {
        if mirror { j % per } else { per - 1 - j % per }
    };
    let side_sizes = |side: &[usize], fill: f32, mirror: bool| -> (Vec<f32>, Vec<f32>) {
        let per = k.min(side.len()).max(1);
        // Lines along the story: columns for LeftRight; their sizes (along) and the rows'
        // (across), in the order they are drawn.
        let mut cols = vec![0.0f32; per];
        for (j, &d) in side.iter().enumerate() {
            let c = line_of(j, per, mirror);
            cols[c] = cols[c].max(along(&plans[d]));
        }
        let rows = grid_sizes(side.len(), per, |j| across(&plans[side[j]]), fill);
        (cols, rows)
    };
    let total = |v: &[f32]| v.iter().sum::<f32>() + SEP * v.len().saturating_sub(1) as f32;
    let (cols_a, rows_a) = side_sizes(&sides[0], 0.0, false);
    let (cols_b, rows_b) = side_sizes(&sides[1], 0.0, true);
    let band_along = if has_band { along(&band_plan) } else { 0.0 };
    let band_across = if has_band { across(&band_plan) } else { 0.0 };
    let across_len = total(&rows_a).max(total(&rows_b)).max(band_across);
    let mut along_len = total(&cols_a) + SEP + band_along;
    if !sides[1].is_empty() {
        along_len += SEP + total(&cols_b);
    }
    // Now with every side's rows stretched to the longest.
    let (cols_a, rows_a) = side_sizes(&sides[0], across_len, false);
    let (cols_b, rows_b) = side_sizes(&sides[1], across_len, true);
    let mk = |a0: f32, a1: f32, c0: f32, c1: f32| match o {
        Orientation::LeftRight => Rect::new(MARGIN + a0, MARGIN + c0, MARGIN + a1, MARGIN + c1),
        Orientation::TopBottom => Rect::new(MARGIN + c0, MARGIN + a0, MARGIN + c1, MARGIN + a1),
    };
    let mut put_side = |side: &[usize], cols: &[f32], rows: &[f32], start: f32, mirror: bool| {
        let per = cols.len().max(1);
        for (j, &d) in side.iter().enumerate() {
            let col = line_of(j, per, mirror);
            let a0 = start + cols[..col].iter().sum::<f32>() + SEP * col as f32;
            let row = j / per;
            let c0 = rows[..row].iter().sum::<f32>() + SEP * row as f32;
            let r = mk(a0, a0 + cols[col], c0, c0 + rows[row]);
            rects[d] = r;
            fill(&plans[d], cells, o, r, &mut centers);
        }
    };
    put_side(&sides[0], &cols_a, &rows_a, 0.0, false);
    let band_start = total(&cols_a) + SEP;
    put_side(
        &sides[1],
        &cols_b,
        &rows_b,
        band_start + band_along + SEP,
        true,
    );
    if has_band {
        let r = mk(band_start, band_start + band_along, 0.0, across_len);
        rects[g] = r;
        fill(&band_plan, cells, o, r, &mut centers);
    }
    let (w, h) = match o {
        Orientation::LeftRight => (along_len, across_len),
        Orientation::TopBottom => (across_len, along_len),
    };
    Arrangement {
        w: w + 2.0 * MARGIN,
        h: h + 2.0 * MARGIN,
        rects,
        centers,
    }
}

/// Hosts of the Internet band go where no host of the sides is level with them, so that links
/// between the sides pass them by: the band is cut into slots one host high, and each band host
/// takes one of the slots farthest from the others' levels (in order along the band).
fn spread_band(
    hosts: &mut [HostBox],
    cells: &[Cell],
    band: &[usize],
    o: Orientation,
    r: Rect,
    s: f32,
    pairs: &[(usize, usize)],
) {
    let band: Vec<usize> = band.iter().copied().filter(|&i| !hosts[i].placed).collect();
    let level = |c: (f32, f32)| match o {
        Orientation::LeftRight => c.1,
        Orientation::TopBottom => c.0,
    };
    let (lo, hi) = match o {
        Orientation::LeftRight => (
            r.y0 + (RPAD + text::line_height(TITLE)) * s,
            r.y1 - RPAD * s,
        ),
        Orientation::TopBottom => (r.x0 + RPAD * s, r.x1 - RPAD * s),
    };
    let slot = band
        .iter()
        .map(|&i| match o {
            Orientation::LeftRight => cells[i].h,
            Orientation::TopBottom => cells[i].w,
        })
        .fold(0.0, f32::max)
        * s;
    let m = ((hi - lo) / slot.max(1.0)).floor() as usize;
    if band.is_empty() || m <= band.len() {
        return;
    }
    let others: Vec<f32> = (0..hosts.len())
        .filter(|i| !band.contains(i))
        .map(|i| level(hosts[i].center))
        .collect();
    let slot = (hi - lo) / m as f32;
    // Where a slot puts the icon: for a column of slots, the icon sits at the top of its block.
    let at = |i: usize, j: usize| {
        let c = lo + slot * (j as f32 + 0.5);
        match o {
            Orientation::LeftRight => {
                c - block_height(&cells[i], s) / 2.0 + cells[i].icon * s / 2.0
            }
            Orientation::TopBottom => c,
        }
    };
    // How far the others' icons are from the span a band host's block would take in slot j
    // (for a column of slots: from its icon's top to its label's bottom).
    let span = |i: usize, j: usize| {
        let c = at(i, j);
        match o {
            Orientation::LeftRight => {
                let top = c - cells[i].icon * s / 2.0;
                (top, top + block_height(&cells[i], s))
            }
            Orientation::TopBottom => {
                let half = (cells[i].w - 2.0 * PAD_X) * s / 2.0;
                (c - half, c + half)
            }
        }
    };
    let tallest = band
        .iter()
        .copied()
        .max_by(|&x, &y| block_height(&cells[x], s).total_cmp(&block_height(&cells[y], s)))
        .unwrap_or(band[0]);
    let score = |j: usize| {
        let (lo, hi) = span(tallest, j);
        others
            .iter()
            .map(|&o| (lo - o).max(o - hi).max(0.0))
            .fold(f32::MAX, f32::min)
            .min(slot * 2.0)
    };
    // How many straight links between the sides a band host in slot j would stand in the way
    // of (each would have to go round it).
    let blocked = |j: usize| {
        let c = hosts[tallest].center;
        let at_j = match o {
            Orientation::LeftRight => (c.0, at(tallest, j)),
            Orientation::TopBottom => (at(tallest, j), c.1),
        };
        let block = host_box(String::new(), &cells[tallest], at_j, s, None, false).block();
        pairs
            .iter()
            .filter(|(a, b)| !band.contains(a) && !band.contains(b))
            .filter(|&&(a, b)| a < hosts.len() && b < hosts.len())
            .filter(|&&(a, b)| block.hit_by(hosts[a].center, hosts[b].center))
            .count()
    };
    // The best slots (fewest links in the way, then farthest from the others' levels, then
    // nearest the middle), then in order.
    let mut slots: Vec<usize> = (0..m).collect();
    let mid = (m as f32 - 1.0) / 2.0;
    slots.sort_by(|&x, &y| {
        blocked(x)
            .cmp(&blocked(y))
            .then(score(y).total_cmp(&score(x)))
            .then((x as f32 - mid).abs().total_cmp(&(y as f32 - mid).abs()))
    });
    let mut chosen: Vec<usize> = slots[..band.len()].to_vec();
    chosen.sort_unstable();
    for (&i, &j) in band.iter().zip(&chosen) {
        let c = hosts[i].center;
        let center = match o {
            Orientation::LeftRight => (c.0, at(i, j)),
            Orientation::TopBottom => (at(i, j), c.1),
        };
        let h = &hosts[i];
        hosts[i] = host_box(h.name.clone(), &cells[i], center, s, h.region, false);
    }
}

/// The whole layout but the links.
pub(super) fn place(
    s: &Scenario,
    size: (f32, f32),
    zoom: f32,
    pairs: &[(usize, usize)],
    room: Option<&Room>,
) -> Layout {
    let (mut order, mut place_of) = domains(s);
    let n = s.hosts.len();
    let mut skip = vec![false; n];
    let mut rank: Vec<usize> = (n..2 * n).collect();
    let (stand_in, hidden) = room.map_or((None, &[][..]), Room::split);
    if let Some(r) = room {
        // The room is the first place: on the senders' side, next to the Internet (its
        // computers talk to every provider).
        order.insert(0, ROOM_PLACE.to_string());
        for p in place_of.iter_mut().flatten() {
            *p += 1;
        }
        for (k, &i) in r.members.iter().enumerate().filter(|&(_, &i)| i < n) {
            place_of[i] = Some(0);
            rank[i] = k;
        }
        for &i in hidden {
            skip[i] = true;
        }
    }
    let places = Places {
        order: &order,
        place_of: &place_of,
        skip: &skip,
        rank: &rank,
        room_title: room.map(|r| r.title.as_str()),
    };
    let band: Vec<usize> = (0..n)
        .filter(|&i| place_of[i].is_none() && !skip[i])
        .collect();
    let side_max = order.len().div_ceil(2).max(1);
    // The most detail that is readable; for it, the arrangement that makes things biggest (the
    // left-to-right story unless top-to-bottom is clearly bigger).
    let mut best: Option<(Detail, Orientation, f32, Arrangement, Vec<Cell>)> = None;
    for detail in [
        Detail::Full,
        Detail::Name,
        Detail::Label,
        Detail::Short,
        Detail::Hover,
    ] {
        let cells: Vec<Cell> = (0..n)
            .map(|i| cell(s, i, detail, stand_in == Some(i)))
            .collect();
        let mut pick: Option<(Orientation, f32, Arrangement)> = None;
        // How big things get, with a preference for the left-to-right story.
        let worth = |o: Orientation, scale: f32| {
            scale.min(MAX_SCALE)
                * if o == Orientation::LeftRight {
                    1.1
                } else {
                    1.0
                }
        };
        for o in [Orientation::LeftRight, Orientation::TopBottom] {
            for k in 1..=side_max {
                let a = arrange(s, &cells, &places, o, k);
                let scale = (size.0 / a.w).min(size.1 / a.h);
                if pick
                    .as_ref()
                    .is_none_or(|(po, ps, _)| worth(o, scale) > worth(*po, *ps) + 1e-4)
                {
                    pick = Some((o, scale, a));
                }
            }
        }
        let (o, scale, a) = pick.expect("two orientations were tried");
        // With the larger text on, host names and addresses show only beside labels of 18
        // pixels and more: else they give way, and the room goes to bigger labels.
        let wanted = match detail {
            Detail::Full | Detail::Name if zoom > 1.0 => min_scale(detail) + 0.45,
            _ => min_scale(detail),
        };
        let done = scale * zoom >= wanted || detail == Detail::Hover;
        best = Some((detail, o, scale, a, cells));
        if done {
            break;
        }
    }
    let (detail, o, scale, a, cells) = best.expect("some detail was tried");
    let s_ = scale.min(MAX_SCALE);
    // Spare room spreads things apart; sizes stay at the scale.
    let (fx, fy) = (size.0 / (a.w * s_), size.1 / (a.h * s_));
    let map = |p: (f32, f32)| (p.0 * s_ * fx, p.1 * s_ * fy);
    let map_rect = |r: Rect| {
        let (x0, y0) = map((r.x0, r.y0));
        let (x1, y1) = map((r.x1, r.y1));
        Rect::new(x0, y0, x1, y1)
    };
    let internet = (!band.is_empty()).then_some(order.len());
    let region_of = |i: usize| place_of[i].or(internet);
    let mut hosts: Vec<HostBox> = (0..n)
        .map(|i| {
            let h = &s.hosts[i];
            let (center, placed) = match h.position {
                Some((x, y)) => (
                    (
                        x / POSITION_BOX.0 * size.0,
                        (1.0 - y / POSITION_BOX.1) * size.1,
                    ),
                    true,
                ),
                None => (map(a.centers[i]), false),
            };
            host_box(h.name.clone(), &cells[i], center, s_, region_of(i), placed)
        })
        .collect();
    let regions: Vec<Region> = order
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let members: Vec<usize> = (0..n).filter(|&i| place_of[i] == Some(d)).collect();
            let full = match room {
                Some(r) if d == 0 => r.title.clone(),
                _ => title(s, name, &members),
            };
            (Some(name.clone()), full, a.rects[d])
        })
        .chain((!band.is_empty()).then(|| (None, "the Internet".to_string(), a.rects[order.len()])))
        .enumerate()
        .map(|(ri, (domain, full, r))| {
            let mut rect = map_rect(r);
            // A region some of whose hosts the scenario placed holds them wherever they are.
            let moved: Vec<&HostBox> = hosts
                .iter()
                .filter(|h| h.region == Some(ri) && h.placed)
                .collect();
            if !moved.is_empty() {
                rect = hosts
                    .iter()
                    .filter(|h| h.region == Some(ri))
                    .map(|h| h.block().expand(RPAD * s_))
                    .reduce(|a, b| a.union(&b))
                    .unwrap_or(rect);
                rect.y0 -= text::line_height(TITLE * s_);
            }
            let size = TITLE * s_;
            let title = text::elide(&full, size, false, rect.width() - 2.0 * RPAD * s_);
            let tw = text::width(&title, size, false);
            let title_rect = Rect::new(
                rect.x0 + RPAD * s_,
                rect.y0 + RPAD * s_ * 0.5,
                rect.x0 + RPAD * s_ + tw,
                rect.y0 + RPAD * s_ * 0.5 + text::line_height(size),
            );
            Region {
                domain,
                title,
                title_size: size,
                rect,
                title_rect,
            }
        })
        .collect();
    if let Some(st) = stand_in {
        for &i in hidden {
            hosts[i] = HostBox {
                name: s.hosts[i].name.clone(),
                hidden: true,
                ..hosts[st].clone()
            };
        }
    }
    if !band.is_empty() {
        let r = map_rect(a.rects[order.len()]);
        spread_band(&mut hosts, &cells, &band, o, r, s_, pairs);
    }
    Layout {
        size,
        scale: s_,
        detail,
        orientation: o,
        hosts,
        regions,
        links: Vec::new(),
    }
}

fn host_box(
    name: String,
    cell: &Cell,
    center: (f32, f32),
    s: f32,
    region: Option<usize>,
    placed: bool,
) -> HostBox {
    let icon = Rect::centered(center, cell.icon * s, cell.icon * s);
    let mut y = icon.y1 + GAP * s;
    let lines: Vec<Line> = cell
        .lines
        .iter()
        .map(|(t, kind, size, mono)| {
            let size = size * s;
            let (w, lh) = (text::width(t, size, *mono), text::line_height(size));
            let rect = Rect::new(center.0 - w / 2.0, y, center.0 + w / 2.0, y + lh);
            y += lh;
            Line {
                text: t.clone(),
                kind: *kind,
                size,
                mono: *mono,
                rect,
            }
        })
        .collect();
    let label = lines.iter().map(|l| l.rect).reduce(|a, b| a.union(&b));
    HostBox {
        name,
        center,
        icon,
        lines,
        label,
        region,
        placed,
        hidden: false,
    }
}
