//! The ladder view: a sequence diagram of the run on the same cursor as the diagram. One
//! lifeline per host in the diagram's left-to-right order, one arrow per message with its first
//! line, time going down; replies dashed with a badge for their class; steps as bands; lost
//! packets crossed out half-way. Clicking an arrow selects its event; stepping scrolls to it.

use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Align2, Color32, FontId, Sense, Stroke};

use super::diagram::protocol_color;
use super::model::{Cursor, Model, Selection, Settings, UiCommand};
use super::panels::{c32, plain};
use crate::EventId;
use crate::ladder::{Outcome, Row, RowKind, rows};
use crate::layout::Layout;

/// The rows, made again only when the run or the filters change.
#[derive(Resource, Default)]
pub struct LadderRows {
    /// The model's generation, its next event's id and the filters the rows were made for.
    key: Option<(u64, EventId, bool, bool)>,
    rows: Vec<Row>,
    /// The step each row is in (for the bands).
    steps: Vec<Option<usize>>,
    /// The cursor when last drawn (to scroll only when it moves).
    last_cursor: Option<Option<EventId>>,
}

impl LadderRows {
    fn update(&mut self, model: &Model, settings: &Settings) {
        let key = (
            model.generation,
            model.trace.next_id(),
            settings.show[5],
            settings.show[6],
        );
        if self.key.as_ref() == Some(&key) {
            return;
        }
        self.rows = rows(&model.trace, key.2, key.3);
        let mut step = None;
        self.steps = self
            .rows
            .iter()
            .map(|r| {
                if matches!(r.kind, RowKind::Step(_)) {
                    step = Some(step.map_or(0, |s: usize| s + 1));
                }
                step
            })
            .collect();
        self.key = Some(key);
    }
}

fn arrow_head(painter: &egui::Painter, from: egui::Pos2, to: egui::Pos2, stroke: Stroke) {
    let d = (to - from).normalized() * 8.0;
    let n = egui::vec2(-d.y, d.x) * 0.5;
    painter.line_segment([to, to - d + n], stroke);
    painter.line_segment([to, to - d - n], stroke);
}

fn dashed(painter: &egui::Painter, a: egui::Pos2, b: egui::Pos2, stroke: Stroke) {
    painter.add(egui::Shape::dashed_line(&[a, b], stroke, 6.0, 4.0));
}

/// Draws the ladder in `rect`.
#[allow(clippy::too_many_arguments)]
pub(super) fn ladder_ui(
    root: &mut egui::Ui,
    rect: egui::Rect,
    fresh: bool,
    model: &Model,
    layout: &Layout,
    cursor: &Cursor,
    selection: &Selection,
    settings: &Settings,
    cache: &mut LadderRows,
    out: &mut Vec<UiCommand>,
) {
    if fresh {
        // Another scenario, or the same one reloaded: hosts and texts may have changed.
        cache.key = None;
    }
    cache.update(model, settings);
    root.painter()
        .rect_filled(rect, 0.0, Color32::from_rgb(20, 22, 28));
    let n = layout.hosts.len();
    if n == 0 {
        return;
    }
    // Lifelines in the diagram's order: left to right, then top to bottom.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (p, q) = (layout.hosts[a].center, layout.hosts[b].center);
        p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1))
    });
    let column_w = (rect.width() - 16.0) / n as f32;
    let mut x_of = vec![0.0; n];
    for (k, &h) in order.iter().enumerate() {
        x_of[h] = rect.left() + 8.0 + column_w * (k as f32 + 0.5);
    }
    // Each head: the host's label in one or two lines, and its name; where a name does not fit,
    // the names without the ending they all share (in a narrow column `mail.a` and `mail.b` tell
    // two servers apart where `mail.a.ex…` and `mail.b.ex…` hardly do).
    use crate::layout::text::{line_height, two_lines, width, without_common_ending};
    let head_w = column_w - 4.0;
    let names: Vec<&str> = model
        .scenario
        .hosts
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    let short = if names.iter().all(|n| width(n, 10.0, true) <= head_w) {
        names.iter().map(|n| n.to_string()).collect()
    } else {
        without_common_ending(&names)
    };
    // Columns too narrow even for the short names: the heads take turns on two tiers, each as
    // wide as two columns, with a one-line label.
    let tiers = if short.iter().any(|s| width(s, 10.0, true) > head_w) {
        2
    } else {
        1
    };
    let head_w = column_w * tiers as f32 - 4.0;
    let heads: Vec<(Vec<String>, String)> = (0..n)
        .map(|h| {
            let label = &model.scenario.hosts[h].label;
            let lines = if tiers == 1 {
                two_lines(label, 12.0, false, head_w)
            } else {
                vec![crate::layout::text::elide(label, 12.0, false, head_w)]
            };
            let name = crate::layout::text::elide(&short[h], 10.0, true, head_w);
            (lines, name)
        })
        .collect();
    let label_lines = heads.iter().map(|(l, _)| l.len()).max().unwrap_or(1);
    let tier_h = 3.0 + label_lines as f32 * line_height(12.0) + line_height(10.0) + 2.0;
    let header_h = tier_h * tiers as f32;
    let header = egui::Rect::from_min_size(rect.min, egui::vec2(rect.width(), header_h));
    let body = egui::Rect::from_min_max(egui::pos2(rect.left(), header.bottom()), rect.max);
    let journey: Vec<EventId> = selection
        .journey
        .as_ref()
        .map(|j| j.events())
        .unwrap_or_default();
    // The row of the cursor: its event's, or the last row before it.
    let current = cursor.event.map(|c| {
        cache
            .rows
            .partition_point(|r| r.event <= c)
            .saturating_sub(1)
    });
    let row_h = 24.0;
    let spacing = root.spacing().item_spacing.y;
    let moved = cache.last_cursor != Some(cursor.event);
    cache.last_cursor = Some(cursor.event);
    let mut ui = root.new_child(egui::UiBuilder::new().max_rect(body));
    let mut scroll = egui::ScrollArea::vertical()
        .id_salt("ladder")
        .auto_shrink([false, false]);
    if moved && let Some(c) = current {
        let y = c as f32 * (row_h + spacing) - body.height() / 2.0;
        scroll = scroll.vertical_scroll_offset(y.max(0.0));
    }
    let painter_clip = body;
    scroll.show_rows(&mut ui, row_h, cache.rows.len(), |ui, range| {
        let painter = ui.painter().with_clip_rect(painter_clip);
        for i in range {
            let row = &cache.rows[i];
            let (r, resp) =
                ui.allocate_exact_size(egui::vec2(ui.available_width(), row_h), Sense::click());
            // Bands: every other step a little lighter.
            if cache.steps[i].is_some_and(|s| s % 2 == 0) {
                painter.rect_filled(r, 0.0, Color32::from_rgb(27, 30, 38));
            }
            let followed = journey.binary_search(&row.event).is_ok();
            if followed {
                painter.rect_filled(r, 0.0, Color32::from_rgba_unmultiplied(120, 95, 20, 70));
            }
            if current == Some(i) {
                painter.rect_filled(r, 0.0, Color32::from_rgb(12, 70, 100));
            }
            for &x in &x_of {
                painter.line_segment(
                    [egui::pos2(x, r.top()), egui::pos2(x, r.bottom() + spacing)],
                    Stroke::new(1.0, Color32::from_gray(60)),
                );
            }
            let dim = !journey.is_empty() && !followed;
            let fade = |c: Color32| if dim { c.gamma_multiply(0.45) } else { c };
            let mono = FontId::monospace(11.0);
            match &row.kind {
                RowKind::Step(text) => {
                    let t = plain(text);
                    painter.text(
                        r.left_center() + egui::vec2(6.0, 0.0),
                        Align2::LEFT_CENTER,
                        t,
                        FontId::proportional(13.0),
                        fade(Color32::from_rgb(255, 215, 100)),
                    );
                }
                RowKind::Message {
                    from,
                    to,
                    protocol,
                    label,
                    reply,
                    lost,
                    retransmitted,
                } => {
                    let (x1, x2) = (x_of[*from], x_of[*to]);
                    let a = egui::pos2(x1, r.top() + row_h * 0.55);
                    let b = egui::pos2(x2, r.top() + row_h * 0.85);
                    let end = if *lost { a.lerp(b, 0.5) } else { b };
                    let width = if current == Some(i) { 2.5 } else { 1.5 };
                    let stroke = Stroke::new(width, fade(c32(protocol_color(*protocol))));
                    if reply.is_some() {
                        dashed(&painter, a, end, stroke);
                    } else {
                        painter.line_segment([a, end], stroke);
                    }
                    if *lost {
                        let red = Stroke::new(2.0, Color32::from_rgb(255, 90, 80));
                        let d = egui::vec2(5.0, 5.0);
                        painter.line_segment([end - d, end + d], red);
                        painter.line_segment(
                            [end + egui::vec2(-5.0, 5.0), end + egui::vec2(5.0, -5.0)],
                            red,
                        );
                    } else {
                        arrow_head(&painter, a, end, stroke);
                    }
                    // The label above the arrow, with the reply's class as a badge.
                    let mut text = plain(label);
                    if *retransmitted {
                        text = format!("again: {text}");
                    }
                    if *lost {
                        text.push_str("  LOST");
                    }
                    let badge = reply.as_ref().map(|(o, b)| (*o, b.clone()));
                    let span = (x2 - x1).abs().max(column_w).max(320.0);
                    let galley = painter.layout_no_wrap(text.clone(), mono.clone(), Color32::WHITE);
                    let chars = text.chars().count().max(1) as f32;
                    let fit = ((span - 50.0) / (galley.size().x / chars)).max(8.0) as usize;
                    if text.chars().count() > fit {
                        text = text.chars().take(fit.saturating_sub(1)).collect::<String>() + "…";
                    }
                    let mid = egui::pos2((x1 + x2) / 2.0, r.top() + 2.0);
                    let color = match badge.as_ref().map(|b| b.0) {
                        Some(Outcome::Refused) => Color32::from_rgb(255, 120, 110),
                        Some(Outcome::NotNow) => Color32::from_rgb(255, 190, 90),
                        _ => Color32::from_gray(225),
                    };
                    let drawn =
                        painter.text(mid, Align2::CENTER_TOP, &text, mono.clone(), fade(color));
                    if let Some((o, b)) = badge {
                        let fill = match o {
                            Outcome::Done => Color32::from_rgb(40, 120, 60),
                            Outcome::GoOn => Color32::from_rgb(40, 90, 150),
                            Outcome::NotNow => Color32::from_rgb(160, 110, 20),
                            Outcome::Refused => Color32::from_rgb(170, 40, 40),
                        };
                        let g = painter.layout_no_wrap(b, FontId::monospace(10.0), Color32::WHITE);
                        let at = egui::pos2(drawn.left() - g.size().x - 8.0, drawn.top() + 1.0);
                        let br = egui::Rect::from_min_size(at, g.size()).expand(2.0);
                        painter.rect_filled(br, 3.0, fade(fill));
                        painter.galley(at, g, Color32::WHITE);
                    }
                    if resp.hovered() {
                        resp.clone().on_hover_text(plain(label));
                    }
                }
                RowKind::Connection { from, to, label } => {
                    let (x1, x2) = (x_of[*from], x_of[*to]);
                    let y = r.top() + row_h * 0.7;
                    let grey = fade(Color32::from_gray(150));
                    dashed(
                        &painter,
                        egui::pos2(x1, y),
                        egui::pos2(x2, y),
                        Stroke::new(1.0, grey),
                    );
                    painter.text(
                        egui::pos2((x1 + x2) / 2.0, r.top() + 1.0),
                        Align2::CENTER_TOP,
                        label,
                        FontId::proportional(11.0),
                        grey,
                    );
                }
                RowKind::Note { host, text } => {
                    let x = x_of[*host];
                    let c = egui::pos2(x, r.center().y);
                    painter.circle_filled(c, 4.0, fade(Color32::from_rgb(200, 200, 120)));
                    let t = plain(text);
                    let right = x < rect.center().x;
                    painter.text(
                        c + egui::vec2(if right { 8.0 } else { -8.0 }, 0.0),
                        if right {
                            Align2::LEFT_CENTER
                        } else {
                            Align2::RIGHT_CENTER
                        },
                        t,
                        FontId::proportional(11.0),
                        fade(Color32::from_rgb(200, 200, 160)),
                    );
                }
            }
            if resp.clicked() {
                out.push(UiCommand::SelectEvent(row.event));
            }
        }
    });
    // The lifelines' heads, on top; each says its host's whole label and name on hover.
    let painter = root.painter_at(header);
    painter.rect_filled(header, 0.0, Color32::from_rgb(28, 31, 40));
    for (k, &h) in order.iter().enumerate() {
        let def = &model.scenario.hosts[h];
        let x = x_of[h];
        let (label, name) = &heads[h];
        let top = header.top() + (k % tiers) as f32 * tier_h;
        if top + tier_h < header.bottom() {
            // An upper tier's head reaches down to its lifeline.
            painter.line_segment(
                [
                    egui::pos2(x, top + tier_h - 1.0),
                    egui::pos2(x, header.bottom()),
                ],
                Stroke::new(1.0, Color32::from_gray(60)),
            );
        }
        // A head wider than its column stays inside the ladder (the first and the last).
        let half = head_w / 2.0 + 2.0;
        let x = x.clamp(
            header.left() + half,
            (header.right() - half).max(header.left() + half),
        );
        let mut y = top + 3.0;
        for line in label {
            painter.text(
                egui::pos2(x, y),
                Align2::CENTER_TOP,
                line,
                FontId::proportional(12.0),
                Color32::WHITE,
            );
            y += line_height(12.0);
        }
        painter.text(
            egui::pos2(x, top + tier_h - 2.0 - line_height(10.0)),
            Align2::CENTER_TOP,
            name,
            FontId::monospace(10.0),
            Color32::from_gray(160),
        );
        let head = egui::Rect::from_min_size(
            egui::pos2(x - head_w / 2.0, top),
            egui::vec2(head_w, tier_h),
        );
        root.interact(head, root.id().with(("ladder head", h)), Sense::hover())
            .on_hover_text(format!("{}\n{}", def.label, def.name));
    }
}
