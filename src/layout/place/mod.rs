//! Places: which region each host is drawn in, how much room each host needs, and where regions
//! and hosts go in the area. Everything is planned at the natural size (scale 1) and then scaled
//! to fit; spare room spreads the hosts apart but never makes them bigger than the scale, so what
//! does not overlap at the natural size does not overlap after.
//!
//! Here: the natural sizes and `place`, which picks the most detail that is readable and the
//! arrangement that makes things biggest, scales it to the area and titles the regions. Its
//! parts: `domains` (each host's place, in the order the story meets them, and the regions'
//! titles), `cell` (a host's lines and the room it needs, and its box once placed), `arrange`
//! (one arrangement of the regions and their hosts at scale 1) and `band` (the Internet's
//! hosts, put where links between the sides pass them by).

mod arrange;
mod band;
mod cell;
mod domains;

use super::{
    Detail, HostBox, Layout, Orientation, POSITION_BOX, ROOM_PLACE, Rect, Region, Room, text,
};
use crate::scenario::Scenario;
use arrange::{Arrangement, arrange};
use band::spread_band;
use cell::{Cell, cell, host_box};
use domains::{Places, domains, title};

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
