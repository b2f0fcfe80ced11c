//! A host's cell: its lines of text at scale 1 (label, name, address, fault badges, as the
//! detail allows), the room it needs, and its box (icon and lines) once it has a centre and a
//! scale.

use super::{GAP, LABEL, MONO, PAD_X, PAD_Y, WRAP_AT};
use crate::engine::ids::HostId;
use crate::layout::{Detail, HostBox, Line, LineKind, Rect, text};
use crate::scenario::Scenario;

/// Icon size at scale 1, points, by detail: smaller icons leave room for labels on big networks.
fn icon_size(d: Detail) -> f32 {
    match d {
        Detail::Full | Detail::Name => 44.0,
        Detail::Label => 38.0,
        Detail::Short | Detail::Hover => 30.0,
    }
}

/// A host's lines at scale 1 (text, kind, size, mono) and its cell (icon, lines and room).
pub(super) struct Cell {
    pub(super) icon: f32,
    pub(super) lines: Vec<(String, LineKind, f32, bool)>,
    pub(super) w: f32,
    pub(super) h: f32,
}

/// `stand_in`: the icon that stands for a room's other computers, which has no one name.
pub(super) fn cell(s: &Scenario, i: usize, detail: Detail, stand_in: bool) -> Cell {
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

pub(super) fn block_height(c: &Cell, s: f32) -> f32 {
    let text: f32 = c.lines.iter().map(|l| text::line_height(l.2 * s)).sum();
    c.icon * s
        + if c.lines.is_empty() {
            0.0
        } else {
            GAP * s + text
        }
}

pub(super) fn host_box(
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
