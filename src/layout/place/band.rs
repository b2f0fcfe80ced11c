//! The Internet band's hosts, spread where no host of the sides is level with them and where
//! they stand in the way of the fewest links between the sides.

use super::cell::{Cell, block_height, host_box};
use super::{PAD_X, RPAD, TITLE};
use crate::layout::{HostBox, Orientation, Rect, text};

/// Hosts of the Internet band go where no host of the sides is level with them, so that links
/// between the sides pass them by: the band is cut into slots one host high, and each band host
/// takes one of the slots farthest from the others' levels (in order along the band).
pub(super) fn spread_band(
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
