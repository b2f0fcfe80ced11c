//! Where the diagram draws things: each mail domain is a place (a labelled region holding its
//! computers beside its own servers), hosts that serve everyone sit in a band between the places,
//! "the Internet", and every link is a polyline that passes through no host it does not end at.
//!
//! The layout is computed for the size of the diagram's part of the window, in egui points (y
//! down), so hosts and text grow with the panel and with the larger-text toggle (which makes
//! points bigger). Senders' domains go on one side and receivers' on the other, so a mail's path
//! reads from the sender's place across the Internet to the recipient's. Computers are outermost
//! in their place and servers innermost, so a computer is never between two other hosts. Labels
//! have room of their own; when a network is too big for full labels they lose the host name and
//! address, then shorten, and at last show only on hover. A host's `position` in the scenario
//! (in a 1000 × 600 box, y up) wins. The geometry is what `mailsim layout` prints and what the
//! layout tests check: no label overlaps another label or an icon, no link passes through a host
//! it does not end at, every computer is inside its domain's region.

mod place;
mod route;
pub mod text;

use serde::Serialize;

use crate::scenario::Scenario;

/// The box a scenario's `position = [x, y]` is given in (y up).
pub const POSITION_BOX: (f32, f32) = (1000.0, 600.0);

/// An axis-aligned rectangle, y down.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rect {
    /// Left.
    pub x0: f32,
    /// Top.
    pub y0: f32,
    /// Right.
    pub x1: f32,
    /// Bottom.
    pub y1: f32,
}

impl Rect {
    /// From its edges.
    pub fn new(x0: f32, y0: f32, x1: f32, y1: f32) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    /// From its centre and size.
    pub fn centered(c: (f32, f32), w: f32, h: f32) -> Rect {
        Rect::new(c.0 - w / 2.0, c.1 - h / 2.0, c.0 + w / 2.0, c.1 + h / 2.0)
    }

    /// Its width.
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    /// Its height.
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    /// Its centre.
    pub fn center(&self) -> (f32, f32) {
        ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    /// Whether the two share an area (touching edges do not count).
    pub fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    /// Whether `o` lies inside (a hundredth of a point of rounding allowed).
    pub fn contains(&self, o: &Rect) -> bool {
        const E: f32 = 0.01;
        o.x0 >= self.x0 - E && o.x1 <= self.x1 + E && o.y0 >= self.y0 - E && o.y1 <= self.y1 + E
    }

    /// Grown by `m` on every side.
    pub fn expand(&self, m: f32) -> Rect {
        Rect::new(self.x0 - m, self.y0 - m, self.x1 + m, self.y1 + m)
    }

    /// The smallest rect holding both.
    pub fn union(&self, o: &Rect) -> Rect {
        Rect::new(
            self.x0.min(o.x0),
            self.y0.min(o.y0),
            self.x1.max(o.x1),
            self.y1.max(o.y1),
        )
    }

    /// Moved by (dx, dy).
    pub fn offset(&self, dx: f32, dy: f32) -> Rect {
        Rect::new(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)
    }

    /// Whether the segment a–b passes through the inside (Liang–Barsky clipping).
    pub fn hit_by(&self, a: (f32, f32), b: (f32, f32)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f32, 1.0f32);
        for (p, q) in [
            (-dx, a.0 - self.x0),
            (dx, self.x1 - a.0),
            (-dy, a.1 - self.y0),
            (dy, self.y1 - a.1),
        ] {
            if p == 0.0 {
                if q <= 0.0 {
                    return false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        t1 - t0 > 1e-4
    }
}

/// How much of each host's label is shown: everything while it fits, less as networks grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// Label, host name and IP address.
    Full,
    /// Label and host name.
    Name,
    /// The label only.
    Label,
    /// The label, shortened.
    Short,
    /// No labels: they show when the pointer is on the host.
    Hover,
}

/// Which way the story reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// Senders' domains left, the Internet in the middle, receivers' right.
    LeftRight,
    /// Senders' domains on top, the Internet across the middle, receivers' below.
    TopBottom,
}

/// What a line of a host's label says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// The host's label ("User A's computer").
    Label,
    /// Its host name.
    Name,
    /// Its IP address.
    Ip,
    /// Room for its faults while they hold (DOWN, LOSSY LINK).
    Faults,
}

/// One line of a host's label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// What it says (for `Faults`, the longest it can say).
    pub text: String,
    /// What it is.
    pub kind: LineKind,
    /// Font size, points.
    pub size: f32,
    /// Monospace rather than proportional.
    pub mono: bool,
    /// Where it goes.
    pub rect: Rect,
}

/// A host on the diagram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostBox {
    /// Its name.
    pub name: String,
    /// The centre of its icon: where its links end.
    pub center: (f32, f32),
    /// Its icon.
    pub icon: Rect,
    /// The lines under it (none when labels show on hover).
    pub lines: Vec<Line>,
    /// All its lines together (`None` when there are none).
    pub label: Option<Rect>,
    /// The region it is drawn in (an index into [`Layout::regions`]).
    pub region: Option<usize>,
    /// Whether the scenario placed it (`position`).
    pub placed: bool,
    /// One of a [`Room`]'s computers that has no icon of its own: it is where the icon that
    /// stands for the rest is, and is not drawn.
    pub hidden: bool,
}

impl HostBox {
    /// Icon and label together.
    pub fn block(&self) -> Rect {
        self.label.map_or(self.icon, |l| l.union(&self.icon))
    }
}

/// A mail domain's place, or the Internet band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Region {
    /// Its domain (`None` for the Internet).
    pub domain: Option<String>,
    /// Its title ("a.example — Alice's provider"), shortened to fit.
    pub title: String,
    /// Font size of the title.
    pub title_size: f32,
    /// Where it is.
    pub rect: Rect,
    /// Where its title is.
    pub title_rect: Rect,
}

/// A link between two hosts that exchange packets: the way packets travel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkPath {
    /// One end (the lower host index).
    pub a: usize,
    /// The other end.
    pub b: usize,
    /// From a's icon centre to b's, with its bends.
    pub points: Vec<(f32, f32)>,
}

/// Many computers drawn as a few, in a place of their own: the computers of a classroom in a
/// live serve (`open --serve --class`). The most recently active keep icons of their own, newest
/// first (on top, or on the left); one more icon, "+N more computers", stands for the rest, whose
/// hosts are [`HostBox::hidden`] at its spot and whose links are its links.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    /// The place's title ("the room — 30 computers, 12 connections open").
    pub title: String,
    /// Its computers (host indices), the most recently active first.
    pub members: Vec<usize>,
    /// How many keep an icon of their own when there are more than one more.
    pub shown: usize,
}

impl Room {
    /// The computer whose icon stands for the rest, and the rest (none while all are shown).
    pub fn split(&self) -> (Option<usize>, &[usize]) {
        if self.members.len() > self.shown + 1 {
            (
                Some(self.members[self.shown]),
                &self.members[self.shown + 1..],
            )
        } else {
            (None, &[])
        }
    }

    /// The host whose icon host `i` is drawn as: the stand-in for a hidden computer, else `i`.
    pub fn drawn_as(&self, i: usize) -> usize {
        match self.split() {
            (Some(st), hidden) if hidden.contains(&i) => st,
            _ => i,
        }
    }
}

/// What a room's place is called in [`Region::domain`].
pub const ROOM_PLACE: &str = "the room";

/// The whole diagram for one size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    /// The size it was made for (points).
    pub size: (f32, f32),
    /// Everything's size relative to the natural one (icons 44 points, labels 14).
    pub scale: f32,
    /// How much of the labels shows.
    pub detail: Detail,
    /// Which way the story reads.
    pub orientation: Orientation,
    /// By host index.
    pub hosts: Vec<HostBox>,
    /// The domains' places and the Internet band.
    pub regions: Vec<Region>,
    /// One per pair of hosts that talk.
    pub links: Vec<LinkPath>,
}

impl Default for Layout {
    /// Nothing yet.
    fn default() -> Self {
        Layout {
            size: (0.0, 0.0),
            scale: 1.0,
            detail: Detail::Full,
            orientation: Orientation::LeftRight,
            hosts: Vec::new(),
            regions: Vec::new(),
            links: Vec::new(),
        }
    }
}

impl Layout {
    /// The layout of `scenario` in a `size` (width, height) area of points, each `zoom` pixels
    /// (how small text may get is a matter of pixels), for the links given (pairs of host
    /// indices that exchange packets).
    pub fn new(
        scenario: &Scenario,
        links: &[(usize, usize)],
        size: (f32, f32),
        zoom: f32,
    ) -> Layout {
        Layout::with_room(scenario, links, size, zoom, None)
    }

    /// As [`Layout::new`], with a [`Room`] of computers drawn together (`None`: as `new`).
    pub fn with_room(
        scenario: &Scenario,
        links: &[(usize, usize)],
        size: (f32, f32),
        zoom: f32,
        room: Option<&Room>,
    ) -> Layout {
        let size = (size.0.max(50.0), size.1.max(50.0));
        let (stand_in, hidden) = room.map_or((None, &[][..]), Room::split);
        let Some(stand_in) = stand_in else {
            let mut layout = place::place(scenario, size, zoom, links, room);
            layout.links = route::route(&layout, links);
            return layout;
        };
        let mut s = scenario.clone();
        s.hosts[stand_in].label = format!("+{} more computers", hidden.len() + 1);
        let mut layout = place::place(&s, size, zoom, links, room);
        // The hidden computers' links are the stand-in's.
        let rep = |i: usize| if hidden.contains(&i) { stand_in } else { i };
        let routed: Vec<(usize, usize)> = links.iter().map(|&(a, b)| (rep(a), rep(b))).collect();
        layout.links = route::route(&layout, &routed);
        let mut copies = Vec::new();
        for &(a, b) in links {
            let (a, b) = (a.min(b), a.max(b));
            if (hidden.contains(&a) || hidden.contains(&b)) && rep(a) != rep(b) {
                let points = layout.path(rep(a), rep(b));
                copies.push(LinkPath { a, b, points });
            }
        }
        layout.links.extend(copies);
        layout.links.sort_by_key(|l| (l.a, l.b));
        layout.links.dedup_by_key(|l| (l.a, l.b));
        layout
    }

    /// The path of the link between `a` and `b`, from `a` to `b` (a straight line if they have
    /// none).
    pub fn path(&self, a: usize, b: usize) -> Vec<(f32, f32)> {
        let (lo, hi) = (a.min(b), a.max(b));
        // Links are sorted by their ends.
        let found = self
            .links
            .binary_search_by_key(&(lo, hi), |l| (l.a, l.b))
            .ok()
            .map(|i| &self.links[i]);
        let center = |i: usize| self.hosts.get(i).map_or((0.0, 0.0), |h| h.center);
        match found {
            Some(l) if a == lo => l.points.clone(),
            Some(l) => l.points.iter().rev().copied().collect(),
            None => vec![center(a), center(b)],
        }
    }

    /// Where a packet's label of `size` goes when the packet is at `at`: the nearest place
    /// above, below or beside it that covers no host (icon or label) and no region's title,
    /// kept inside `bounds`; if there is none, the place that covers least.
    pub fn label_spot(&self, at: (f32, f32), size: (f32, f32), bounds: Rect) -> Rect {
        let occupied: Vec<Rect> = self
            .hosts
            .iter()
            .map(HostBox::block)
            .chain(self.regions.iter().map(|r| r.title_rect))
            .collect();
        let (w, h) = size;
        let inside = |r: Rect| {
            let dx = (bounds.x1 - r.x1).min(0.0) + (bounds.x0 - r.x0).max(0.0);
            let dy = (bounds.y1 - r.y1).min(0.0) + (bounds.y0 - r.y0).max(0.0);
            r.offset(dx, dy)
        };
        // Nearest first: above and below (also shifted sideways), beside, then along the
        // diagram's top and bottom edges.
        let mut candidates = Vec::new();
        let (x, y) = at;
        for d in [14.0, 36.0, 64.0, 100.0, 150.0, 210.0] {
            for shift in [0.0, -0.5, 0.5, -1.0, 1.0] {
                let x0 = x - w / 2.0 + shift * w;
                candidates.push(Rect::new(x0, y - d - h, x0 + w, y - d));
                candidates.push(Rect::new(x0, y + d, x0 + w, y + d + h));
            }
            candidates.push(Rect::new(x + d, y - h / 2.0, x + d + w, y + h / 2.0));
            candidates.push(Rect::new(x - d - w, y - h / 2.0, x - d, y + h / 2.0));
        }
        for edge in [bounds.y0, bounds.y1 - h] {
            for shift in [0.0, -0.5, 0.5, -1.0, 1.0] {
                let x0 = x - w / 2.0 + shift * w;
                candidates.push(Rect::new(x0, edge, x0 + w, edge + h));
            }
        }
        let covered = |r: &Rect| -> f32 {
            occupied
                .iter()
                .filter(|o| o.intersects(r))
                .map(|o| (o.x1.min(r.x1) - o.x0.max(r.x0)) * (o.y1.min(r.y1) - o.y0.max(r.y0)))
                .sum()
        };
        let candidates: Vec<Rect> = candidates.into_iter().map(inside).collect();
        // When none of those is free (a crowded network), the nearest free place anywhere in
        // the diagram, on a grid of half a label's height by an eighth of its width.
        let anywhere = || {
            let (step_x, step_y) = ((w / 8.0).max(4.0), (h / 2.0).max(4.0));
            let mut best: Option<(f32, Rect)> = None;
            let mut y0 = bounds.y0;
            while y0 + h <= bounds.y1 {
                let mut x0 = bounds.x0;
                while x0 + w <= bounds.x1 {
                    let r = Rect::new(x0, y0, x0 + w, y0 + h);
                    let d = (x0 + w / 2.0 - x).powi(2) + (y0 + h / 2.0 - y).powi(2);
                    if best.is_none_or(|(bd, _)| d < bd) && covered(&r) == 0.0 {
                        best = Some((d, r));
                    }
                    x0 += step_x;
                }
                y0 += step_y;
            }
            best.map(|(_, r)| r)
        };
        candidates
            .iter()
            .copied()
            .find(|r| covered(r) == 0.0)
            .or_else(anywhere)
            .or_else(|| {
                candidates
                    .iter()
                    .copied()
                    .min_by(|a, b| covered(a).total_cmp(&covered(b)))
            })
            .unwrap_or(candidates[0])
    }

    /// Everything made `z` times bigger (points to pixels).
    pub fn zoom(&mut self, z: f32) {
        let p = |p: (f32, f32)| (p.0 * z, p.1 * z);
        let r = |r: Rect| Rect::new(r.x0 * z, r.y0 * z, r.x1 * z, r.y1 * z);
        self.size = p(self.size);
        self.scale *= z;
        for h in &mut self.hosts {
            h.center = p(h.center);
            h.icon = r(h.icon);
            h.label = h.label.map(r);
            for l in &mut h.lines {
                l.rect = r(l.rect);
                l.size *= z;
            }
        }
        for g in &mut self.regions {
            g.rect = r(g.rect);
            g.title_rect = r(g.title_rect);
            g.title_size *= z;
        }
        for l in &mut self.links {
            for q in &mut l.points {
                *q = p(*q);
            }
        }
    }

    /// Everything moved by (dx, dy): from the diagram's corner to the window's.
    pub fn offset(&mut self, dx: f32, dy: f32) {
        for h in &mut self.hosts {
            h.center = (h.center.0 + dx, h.center.1 + dy);
            h.icon = h.icon.offset(dx, dy);
            h.label = h.label.map(|l| l.offset(dx, dy));
            for l in &mut h.lines {
                l.rect = l.rect.offset(dx, dy);
            }
        }
        for r in &mut self.regions {
            r.rect = r.rect.offset(dx, dy);
            r.title_rect = r.title_rect.offset(dx, dy);
        }
        for l in &mut self.links {
            for p in &mut l.points {
                *p = (p.0 + dx, p.1 + dy);
            }
        }
    }
}

/// The point a share `t` (0 to 1) of the way along a polyline.
pub fn point_along(points: &[(f32, f32)], t: f32) -> (f32, f32) {
    let seg = |i: usize| {
        let (a, b) = (points[i], points[i + 1]);
        ((b.0 - a.0).hypot(b.1 - a.1), a, b)
    };
    let n = points.len();
    if n < 2 {
        return points.first().copied().unwrap_or((0.0, 0.0));
    }
    let total: f32 = (0..n - 1).map(|i| seg(i).0).sum();
    let mut left = t.clamp(0.0, 1.0) * total;
    for i in 0..n - 1 {
        let (len, a, b) = seg(i);
        if left <= len || i == n - 2 {
            let f = if len > 0.0 {
                (left / len).min(1.0)
            } else {
                0.0
            };
            return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
        }
        left -= len;
    }
    points[n - 1]
}

/// The window's panels at their default sizes, in points, for a window of `window` pixels whose
/// points are `zoom` pixels (1.35 with the larger text): (left, top, right, bottom). They take
/// the same share of the window in pixels with the larger text as without (their text grows and
/// wraps), so that the diagram keeps its room and its text grows too. The window starts with
/// these (`mailsim layout` assumes them); people resize them.
pub fn default_panels(window: (f32, f32), zoom: f32) -> (f32, f32, f32, f32) {
    let left = (window.0 * 0.2).clamp(210.0, 290.0) / zoom;
    let right = (window.0 * 0.25).clamp(250.0, 360.0) / zoom;
    let bottom = (window.1 * 0.3).clamp(150.0, 230.0) / zoom;
    (left, TOOLBAR, right, bottom)
}

/// How much bigger everything in the window is with the larger text (A+) on.
pub const LARGE_TEXT_ZOOM: f32 = 1.35;

/// The pairs of hosts that exchange packets in a run (lower index first, each once): the links.
pub fn talking_pairs(trace: &crate::Trace) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(usize, usize)> = trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            crate::EventKind::Segment(s) => Some((s.from.host.index(), s.to.host.index())),
            crate::EventKind::Datagram(d) => Some((d.from.host.index(), d.to.host.index())),
            _ => None,
        })
        .map(|(a, b)| (a.min(b), a.max(b)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// The diagram of a whole window, in its pixels: what `mailsim layout` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowLayout {
    /// The window's size, pixels.
    pub window: (f32, f32),
    /// Whether the larger text is on.
    pub large_text: bool,
    /// The diagram's part of the window.
    pub diagram: Rect,
    /// Everything in it, in window pixels.
    pub layout: Layout,
}

/// The layout of `scenario` (run to find its links) in a window of `window` pixels with the
/// default panels.
pub fn for_window(scenario: &Scenario, window: (f32, f32), large_text: bool) -> WindowLayout {
    let mut sim = crate::Sim::new(scenario, None);
    sim.run_to_end();
    let pairs = talking_pairs(sim.trace());
    window_layout(scenario, &pairs, window, large_text, None)
}

/// The layout of `scenario` whose hosts talk in `pairs` in a window of `window` pixels with the
/// default panels, with a [`Room`] or not.
pub fn window_layout(
    scenario: &Scenario,
    pairs: &[(usize, usize)],
    window: (f32, f32),
    large_text: bool,
    room: Option<&Room>,
) -> WindowLayout {
    let z = if large_text { LARGE_TEXT_ZOOM } else { 1.0 };
    let area = diagram_area(window, z);
    let size = (area.width(), area.height());
    let mut layout = Layout::with_room(scenario, pairs, size, z, room);
    layout.offset(area.x0, area.y0);
    layout.zoom(z);
    WindowLayout {
        window,
        large_text,
        diagram: Rect::new(area.x0 * z, area.y0 * z, area.x1 * z, area.y1 * z),
        layout,
    }
}

impl WindowLayout {
    /// As pretty JSON, with host and link ends named.
    pub fn to_json(&self) -> String {
        let l = &self.layout;
        let hosts: Vec<serde_json::Value> = l
            .hosts
            .iter()
            .map(|h| {
                serde_json::json!({
                    "name": h.name,
                    "center": h.center,
                    "icon": h.icon,
                    "label": h.label,
                    "lines": h.lines,
                    "region": h.region,
                    "placed": h.placed,
                    "hidden": h.hidden,
                })
            })
            .collect();
        let links: Vec<serde_json::Value> = l
            .links
            .iter()
            .map(|k| {
                serde_json::json!({
                    "from": l.hosts[k.a].name,
                    "to": l.hosts[k.b].name,
                    "points": k.points,
                })
            })
            .collect();
        let v = serde_json::json!({
            "window": self.window,
            "large_text": self.large_text,
            "diagram": self.diagram,
            "scale": l.scale,
            "detail": l.detail,
            "orientation": l.orientation,
            "regions": l.regions,
            "hosts": hosts,
            "links": links,
        });
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }
}

/// The toolbar's height, points.
pub const TOOLBAR: f32 = 32.0;

/// The diagram's part of a window of `window` pixels with the default panels, in points.
pub fn diagram_area(window: (f32, f32), zoom: f32) -> Rect {
    let (l, t, r, b) = default_panels(window, zoom);
    let window = (window.0 / zoom, window.1 / zoom);
    Rect::new(
        l,
        t,
        (window.0 - r).max(l + 50.0),
        (window.1 - b).max(t + 50.0),
    )
}

#[cfg(test)]
mod tests;
