//! One arrangement of everything at scale 1: each region's hosts in tracks (computers outermost,
//! servers innermost), the regions of each side in a grid of `k` lines along the story, the
//! Internet's band between the sides; the natural size, the regions' rects and the icons'
//! centres.

use super::cell::{Cell, block_height};
use super::domains::Places;
use super::{MARGIN, RPAD, SEP, TITLE};
use crate::layout::{Orientation, Rect, text};
use crate::scenario::{HostKind, Scenario};

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
pub(super) struct Arrangement {
    /// Natural size.
    pub(super) w: f32,
    pub(super) h: f32,
    /// Region rects (domains in order, then the Internet if it has hosts).
    pub(super) rects: Vec<Rect>,
    /// Icon centres by host.
    pub(super) centers: Vec<(f32, f32)>,
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

pub(super) fn arrange(
    s: &Scenario,
    cells: &[Cell],
    p: &Places,
    o: Orientation,
    k: usize,
) -> Arrangement {
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
