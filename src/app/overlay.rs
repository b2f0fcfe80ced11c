//! The diagram's words and clicks, drawn by egui over bevy's picture: regions' titles, hosts'
//! labels (in the rects the layout gave them), fault badges, packets' labels placed where they
//! cover no host, and clicks, zoom and pan.

use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Align2, Color32, FontId, Sense, Stroke};

use super::diagram::{ViewTransform, packets_in_flight, protocol_color, world_of};
use super::model::{Cursor, Model, Selection, UiCommand};
use super::panels::{c32, plain};
use crate::layout::{Layout, LineKind};
use crate::report;

/// `text` in `r` (screen), centred or from the left, in `font` made smaller if the real text is
/// wider than the layout's estimate.
fn text_in(
    painter: &egui::Painter,
    r: egui::Rect,
    text: &str,
    mut font: FontId,
    color: Color32,
    centred: bool,
) -> egui::Rect {
    let mut galley = painter.layout_no_wrap(text.to_string(), font.clone(), color);
    let w = galley.size().x;
    if w > r.width() + 0.5 && w > 0.0 {
        font.size *= r.width() / w;
        galley = painter.layout_no_wrap(text.to_string(), font, color);
    }
    let x = if centred {
        r.center().x - galley.size().x / 2.0
    } else {
        r.left()
    };
    let at = egui::pos2(x, r.top());
    let drawn = egui::Rect::from_min_size(at, galley.size());
    painter.galley(at, galley, color);
    drawn
}

#[allow(clippy::too_many_arguments)]
pub(super) fn diagram_overlay_ui(
    root: &mut egui::Ui,
    rect: egui::Rect,
    model: &Model,
    layout: &Layout,
    cursor: &Cursor,
    selection: &Selection,
    view: &mut ViewTransform,
    out: &mut Vec<UiCommand>,
) {
    let resp = root.allocate_rect(rect, Sense::click_and_drag());
    let r = Rect::new(rect.min.x, rect.min.y, rect.max.x, rect.max.y);
    let to_screen = |w: Vec2| {
        let s = view.screen_of(r, w);
        egui::pos2(s.x, s.y)
    };
    let at = |p: (f32, f32)| to_screen(world_of(layout, p));
    let rect_of =
        |q: crate::layout::Rect| egui::Rect::from_two_pos(at((q.x0, q.y0)), at((q.x1, q.y1)));
    let painter = root.painter_at(rect);
    // Points on screen per layout point: zooming makes text bigger with everything else.
    let k = 1.0 / view.scale(r);
    let font = |size: f32, mono: bool| {
        if mono {
            FontId::monospace(size * k)
        } else {
            FontId::proportional(size * k)
        }
    };
    // What the current packet's label must not cover: hosts and their labels, regions' titles.
    let mut occupied: Vec<egui::Rect> = Vec::new();
    for g in &layout.regions {
        let tr = rect_of(g.title_rect);
        let color = if g.domain.is_some() {
            Color32::from_rgb(150, 175, 215)
        } else {
            Color32::from_gray(140)
        };
        occupied.push(text_in(
            &painter,
            tr,
            &g.title,
            font(g.title_size, false),
            color,
            false,
        ));
    }
    let now = cursor
        .event
        .and_then(|c| model.trace.get(c))
        .map(|e| e.time);
    let hovered = resp.hover_pos().and_then(|p| {
        layout
            .hosts
            .iter()
            .position(|h| !h.hidden && rect_of(h.icon).expand(3.0).contains(p))
    });
    for (i, h) in layout.hosts.iter().enumerate() {
        if h.hidden {
            // Drawn as the room's icon that stands for the rest.
            continue;
        }
        occupied.push(rect_of(h.block()));
        let strong = selection.host == Some(crate::HostId::new(i));
        // What goes wrong with it now, in red in the line kept for it.
        let faults: Vec<&str> = model
            .scenario
            .faults
            .iter()
            .filter(|f| f.touches(crate::HostId::new(i)) && now.is_some_and(|t| f.active(t)))
            .map(|f| f.badge())
            .collect();
        for line in &h.lines {
            let (text, color) = match line.kind {
                LineKind::Label if strong => (line.text.clone(), Color32::from_rgb(255, 215, 100)),
                LineKind::Label => (line.text.clone(), Color32::WHITE),
                LineKind::Name => (line.text.clone(), Color32::from_gray(175)),
                LineKind::Ip => (line.text.clone(), Color32::from_gray(140)),
                LineKind::Faults if faults.is_empty() => continue,
                LineKind::Faults => (faults.join(" · "), Color32::from_rgb(255, 110, 95)),
            };
            text_in(
                &painter,
                rect_of(line.rect),
                &text,
                font(line.size, line.mono),
                color,
                true,
            );
        }
        // Labels that did not fit show on the pointer, and for the selected host.
        if layout.detail == crate::layout::Detail::Hover && (hovered == Some(i) || strong) {
            let def = &model.scenario.hosts[i];
            let mut lines = vec![def.label.clone(), def.name.clone(), def.ip.to_string()];
            lines.dedup();
            if !faults.is_empty() {
                lines.push(faults.join(" · "));
            }
            let galley = painter.layout_no_wrap(
                lines.join("\n"),
                FontId::proportional(13.0),
                Color32::WHITE,
            );
            let icon = rect_of(h.icon);
            let b = egui::Rect::from_min_size(
                egui::pos2(icon.center().x - galley.size().x / 2.0, icon.bottom() + 4.0),
                galley.size(),
            )
            .expand(4.0);
            let dx = (rect.right() - b.right()).min(0.0) + (rect.left() - b.left()).max(0.0);
            let b = b.translate(egui::vec2(dx, 0.0));
            painter.rect_filled(b, 4.0, Color32::from_black_alpha(220));
            painter.galley(b.min + egui::vec2(4.0, 4.0), galley, Color32::WHITE);
        }
    }
    // A live run: how many real connections each server has open now, on its icon's corner.
    for &(server, n) in &model.open_by_server {
        let Some(h) = layout.hosts.get(server) else {
            continue;
        };
        let icon = rect_of(h.icon);
        let text = n.to_string();
        let f = FontId::proportional((10.0 * k * layout.scale).max(9.0));
        let galley = painter.layout_no_wrap(text, f, Color32::WHITE);
        let r = (galley.size().x.max(galley.size().y) / 2.0 + 3.0).max(icon.width() * 0.16);
        let c = icon.right_top() + egui::vec2(-r * 0.3, r * 0.3);
        painter.circle_filled(c, r, Color32::from_rgb(200, 70, 60));
        painter.galley(c - galley.size() / 2.0, galley, Color32::WHITE);
    }
    // Every packet is labelled with its protocol (meaning never by colour alone), where the label
    // covers no host; the current one also with its first line.
    let flying = packets_in_flight(model, layout, cursor);
    for p in flying.iter().filter(|p| !p.current) {
        let at = to_screen(p.pos) + egui::vec2(0.0, 9.0);
        let (text, color) = if p.lost {
            (
                format!("{} LOST", p.protocol.name()),
                Color32::from_rgb(255, 120, 110),
            )
        } else {
            (p.protocol.name().to_string(), Color32::from_gray(200))
        };
        let galley = painter.layout_no_wrap(text, FontId::monospace(9.0), color);
        let b = Align2::CENTER_TOP.anchor_size(at, galley.size());
        if !occupied.iter().any(|o| o.intersects(b)) {
            painter.galley(b.min, galley, color);
        }
    }
    if let Some(cur) = flying.iter().find(|p| p.current)
        && let Some(ev) = model.trace.get(cur.event)
    {
        let (w, proto, control) = (cur.pos, cur.protocol, cur.control);
        let summary = report::summary(&model.trace, ev);
        let first = summary.split("  (+").next().unwrap_or_default();
        let mut label = plain(&format!("{}  {first}", proto.name()));
        if label.chars().count() > 60 {
            label = label.chars().take(59).collect::<String>() + "…";
        }
        let at = to_screen(w);
        let size = (if control { 11.0 } else { 13.0 }) * layout.scale.clamp(1.0, 1.6);
        let galley = painter.layout_no_wrap(label, FontId::monospace(size), Color32::WHITE);
        // Near the packet, where it covers no host and no region's title (the layout's
        // choice, in its own points: zoom and pan map it to the screen).
        let k_inv = 1.0 / k;
        let origin = (w.x + layout.size.0 / 2.0, layout.size.1 / 2.0 - w.y);
        let size = (
            (galley.size().x + 8.0) * k_inv,
            (galley.size().y + 8.0) * k_inv,
        );
        // Inside what is on screen (zoomed or panned, that is not the whole layout).
        let corner = |p: egui::Pos2| {
            let w = view.center() + Vec2::new(p.x - rect.center().x, rect.center().y - p.y) * k_inv;
            (w.x + layout.size.0 / 2.0, layout.size.1 / 2.0 - w.y)
        };
        let (c0, c1) = (corner(rect.left_top()), corner(rect.right_bottom()));
        // Above the hint at the bottom left, too.
        let bounds = crate::layout::Rect::new(c0.0, c0.1, c1.0, c1.1 - 18.0 * k_inv);
        let box_rect = rect_of(layout.label_spot(origin, size, bounds));
        // A thin line from the label to its packet when they are apart.
        if !box_rect.expand(2.0).contains(at) {
            let end = box_rect.clamp(at);
            painter.line_segment([at, end], Stroke::new(1.0, c32(protocol_color(proto))));
        }
        painter.rect_filled(box_rect, 4.0, Color32::from_black_alpha(200));
        painter.rect_stroke(
            box_rect,
            4.0,
            Stroke::new(1.5, c32(protocol_color(proto))),
            egui::StrokeKind::Outside,
        );
        painter.galley(box_rect.min + egui::vec2(4.0, 4.0), galley, Color32::WHITE);
    }
    // The hint, in a bottom corner where it covers no host and no title (the left one first);
    // where both are taken, the diagram needs the room more than the hint.
    let hint = painter.layout_no_wrap(
        "scroll: zoom · drag: pan · double-click: reset".into(),
        FontId::proportional(11.0),
        Color32::from_gray(120),
    );
    let taken: Vec<egui::Rect> = layout
        .hosts
        .iter()
        .filter(|h| !h.hidden)
        .map(|h| rect_of(h.block()))
        .chain(layout.regions.iter().map(|r| rect_of(r.title_rect)))
        .collect();
    let corners = [
        rect.left_bottom() + egui::vec2(8.0, -6.0 - hint.size().y),
        rect.right_bottom() - egui::vec2(8.0 + hint.size().x, 6.0 + hint.size().y),
    ];
    if let Some(at) = corners.into_iter().find(|&at| {
        let r = egui::Rect::from_min_size(at, hint.size());
        rect.contains_rect(r) && taken.iter().all(|t| !t.intersects(r))
    }) {
        painter.galley(at, hint, Color32::from_gray(120));
    }
    // Clicks: a packet first, then a host.
    if resp.clicked()
        && let Some(pos) = resp.interact_pointer_pos()
    {
        let hit_packet = flying
            .iter()
            .rev()
            .map(|p| (p, to_screen(p.pos).distance(pos)))
            .filter(|(_, d)| *d < 14.0)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((p, _)) = hit_packet {
            out.push(UiCommand::SelectEvent(p.event));
        } else {
            let hit = layout
                .hosts
                .iter()
                .position(|h| rect_of(h.icon).expand(4.0).contains(pos));
            out.push(UiCommand::SelectHost(hit.map(crate::HostId::new)));
        }
    }
    if resp.double_clicked() {
        view.zoom = 1.0;
        view.pan = Vec2::ZERO;
    }
    if resp.dragged() {
        let d = resp.drag_delta();
        view.pan -= Vec2::new(d.x, -d.y) / k;
    }
    if resp.hovered() {
        let scroll = root.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            view.zoom = (view.zoom * (1.0 + scroll * 0.002)).clamp(0.3, 5.0);
        }
    }
}
