//! Links: each pair of hosts that talk gets a polyline from one icon centre to the other that
//! passes through no other host (its icon or its label) and no region's title. A straight line where one is free, else
//! one or two bends through the gaps between hosts; among the free ones the shortest, with few
//! bends and few crossings of links already drawn.

use super::{Layout, LinkPath, Rect};

type P = (f32, f32);

/// Whether segments a–b and c–d cross (not counting shared ends).
fn cross(a: P, b: P, c: P, d: P) -> bool {
    let orient = |p: P, q: P, r: P| (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0);
    let near = |p: P, q: P| (p.0 - q.0).abs() < 0.5 && (p.1 - q.1).abs() < 0.5;
    if near(a, c) || near(a, d) || near(b, c) || near(b, d) {
        return false;
    }
    let (d1, d2) = (orient(c, d, a), orient(c, d, b));
    let (d3, d4) = (orient(a, b, c), orient(a, b, d));
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

fn length(p: &[P]) -> f32 {
    p.windows(2)
        .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
        .sum()
}

/// Midpoints between consecutive distinct edges: where a line along the axis can run between
/// hosts.
fn channels(edges: impl Iterator<Item = f32>, hi: f32) -> Vec<f32> {
    let mut e: Vec<f32> = edges.chain([0.0, hi]).collect();
    e.sort_by(f32::total_cmp);
    e.dedup_by(|a, b| (*a - *b).abs() < 1.0);
    e.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
}

/// The links' paths, for the pairs given.
pub(super) fn route(layout: &Layout, pairs: &[(usize, usize)]) -> Vec<LinkPath> {
    let n = layout.hosts.len();
    // A little room around every host, so that a link that passes by does not seem to touch it.
    let clear = 4.0 * layout.scale.max(0.5);
    let blocks: Vec<Rect> = layout
        .hosts
        .iter()
        .map(|h| h.block().expand(clear))
        .collect();
    // Regions' titles: a link through one would strike out a word of it.
    let titles: Vec<Rect> = layout
        .regions
        .iter()
        .map(|r| r.title_rect.expand(clear))
        .collect();
    let obstacles = || blocks.iter().chain(&titles);
    let xs = channels(obstacles().flat_map(|b| [b.x0, b.x1]), layout.size.0);
    let ys = channels(obstacles().flat_map(|b| [b.y0, b.y1]), layout.size.1);
    let mut pairs: Vec<(usize, usize)> = pairs
        .iter()
        .map(|&(a, b)| (a.min(b), a.max(b)))
        .filter(|&(a, b)| a != b && b < n)
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let center = |i: usize| layout.hosts[i].center;
    // Short links first: they have the fewest ways to go.
    pairs.sort_by(|x, y| {
        let l = |(a, b): (usize, usize)| length(&[center(a), center(b)]);
        l(*x).total_cmp(&l(*y)).then(x.cmp(y))
    });
    // Crossings are worth avoiding while there are few links; on a busy network the first free
    // way will do.
    let count_crossings = n <= 40;
    let bend = 25.0 * layout.scale;
    let mut done: Vec<LinkPath> = Vec::new();
    for (a, b) in pairs {
        let (pa, pb) = (center(a), center(b));
        // Through no other host; and, once it has left its own host, not back through that
        // host's label either.
        let labels = |i: usize| layout.hosts[i].label.map(|l| l.expand(1.0));
        let free = |path: &[P]| {
            let last = path.len() - 2;
            path.windows(2).enumerate().all(|(k, w)| {
                let own =
                    |i: usize, skip: bool| skip || labels(i).is_none_or(|l| !l.hit_by(w[0], w[1]));
                blocks.iter().enumerate().all(|(i, r)| {
                    i == a || i == b || layout.hosts[i].hidden || !r.hit_by(w[0], w[1])
                }) && titles.iter().all(|t| !t.hit_by(w[0], w[1]))
                    && own(a, k == 0)
                    && own(b, k == last)
            })
        };
        let crossings = |path: &[P]| -> usize {
            if !count_crossings {
                return 0;
            }
            path.windows(2)
                .map(|w| {
                    done.iter()
                        .flat_map(|l| l.points.windows(2))
                        .filter(|v| cross(w[0], w[1], v[0], v[1]))
                        .count()
                })
                .sum()
        };
        // Leaving through its own label is allowed, but a way that does not is better.
        let own_label = |path: &[P]| -> usize {
            let n = path.len();
            usize::from(labels(a).is_some_and(|l| l.hit_by(path[0], path[1])))
                + usize::from(labels(b).is_some_and(|l| l.hit_by(path[n - 2], path[n - 1])))
        };
        let cost = |path: &[P]| {
            length(path)
                + bend * (path.len() - 2) as f32
                + 150.0 * crossings(path) as f32
                + 60.0 * layout.scale * own_label(path) as f32
        };
        let straight = vec![pa, pb];
        let mut best: Option<(f32, Vec<P>)> = None;
        let consider = |best: &mut Option<(f32, Vec<P>)>, path: Vec<P>| {
            if free(&path) {
                let c = cost(&path);
                if best.as_ref().is_none_or(|(bc, _)| c < *bc) {
                    *best = Some((c, path));
                }
            }
        };
        consider(&mut best, straight.clone());
        let settled = best
            .as_ref()
            .is_some_and(|(c, _)| !count_crossings || *c <= length(&straight) + 0.01);
        let settled = settled && (own_label(&straight) == 0 || !count_crossings);
        if !settled {
            consider(&mut best, vec![pa, (pb.0, pa.1), pb]);
            consider(&mut best, vec![pa, (pa.0, pb.1), pb]);
            for &x in &xs {
                consider(&mut best, vec![pa, (x, pa.1), (x, pb.1), pb]);
            }
            for &y in &ys {
                consider(&mut best, vec![pa, (pa.0, y), (pb.0, y), pb]);
            }
        }
        if best.is_none() {
            // Two channels: out along one, across along the other; the 24 of each nearest the
            // two ends, and the first free way (this is the rare case, and a crowded or
            // hand-placed network must not make it slow).
            let mid = ((pa.0 + pb.0) / 2.0, (pa.1 + pb.1) / 2.0);
            let near = |v: &[f32], c: f32| {
                let mut v = v.to_vec();
                v.sort_by(|a, b| (a - c).abs().total_cmp(&(b - c).abs()));
                v.truncate(24);
                v
            };
            'outer: for &x in &near(&xs, mid.0) {
                for &y in &near(&ys, mid.1) {
                    consider(&mut best, vec![pa, (x, pa.1), (x, y), (pb.0, y), pb]);
                    consider(&mut best, vec![pa, (pa.0, y), (x, y), (x, pb.1), pb]);
                    if best.is_some() {
                        break 'outer;
                    }
                }
            }
        }
        let mut points = best.map_or(straight, |(_, p)| p);
        // Drop bends that are not bends (a channel level with an end).
        points.dedup_by(|p, q| (p.0 - q.0).abs() < 0.01 && (p.1 - q.1).abs() < 0.01);
        done.push(LinkPath { a, b, points });
    }
    done.sort_by_key(|l| (l.a, l.b));
    done
}
