//! The egui around the diagram (the toolbar and presenter caption are in [`super::toolbar`]): narration and host panel, inspector, timeline and event
//! list, plus the diagram's labels and clicks. Panels only read the model and push [`UiCommand`]s.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui::{Color32, LayerId, RichText, Sense, Stroke, UiBuilder};

use super::diagram::{CentralRect, DiagramLayout, ViewTransform, protocol_color};
use super::files::FileBrowser;
use super::model::{
    AtCursor, Cursor, FILTERS, Model, Selection, Settings, UiCommand, View, filter_of, visible_rows,
};
use crate::protocols::Protocol;
use crate::{EventId, EventKind, report};

pub(super) fn c32(c: Color) -> Color32 {
    let s = c.to_srgba();
    Color32::from_rgba_unmultiplied(
        (s.red * 255.0) as u8,
        (s.green * 255.0) as u8,
        (s.blue * 255.0) as u8,
        (s.alpha * 255.0) as u8,
    )
}

/// The default fonts have no arrows: write them in ASCII.
pub(super) fn plain(s: &str) -> String {
    s.replace('→', "->").replace('↔', "<->").replace('│', "|")
}

/// IMAP flags as a list shows them: `  [read]`, `  [read, deleted]`, or nothing.
pub(super) fn flags_text(flags: &str) -> String {
    let words: Vec<String> = flags
        .split_whitespace()
        .map(|f| match f {
            "\\Seen" => "read".to_string(),
            "\\Deleted" => "deleted".to_string(),
            "\\Flagged" => "flagged".to_string(),
            "\\Answered" => "answered".to_string(),
            "\\Draft" => "draft".to_string(),
            other => other.to_string(),
        })
        .collect();
    if words.is_empty() {
        "  [unread]".into()
    } else {
        format!("  [{}]", words.join(", "))
    }
}

#[allow(clippy::too_many_arguments)]
fn ui_system(
    mut contexts: EguiContexts,
    model: Res<Model>,
    cursor: Res<Cursor>,
    selection: Res<Selection>,
    at: Res<AtCursor>,
    mut settings: ResMut<Settings>,
    mut central: ResMut<CentralRect>,
    layout: Res<DiagramLayout>,
    mut view: ResMut<ViewTransform>,
    mut browser: ResMut<FileBrowser>,
    mut ladder: ResMut<super::ladder::LadderRows>,
    mut commands: MessageWriter<UiCommand>,
    mut quiz: ResMut<super::quiz::Quiz>,
    mut quiz_commands: MessageWriter<super::quiz::QuizCommand>,
    mut console: ResMut<super::console::ConsoleUi>,
    mut whatif: ResMut<super::whatif::WhatIf>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let mut quiz_out = Vec::new();
    // Presenting: the larger text, whatever the A+ button says.
    let zoom = if settings.large_text || settings.presenter {
        crate::layout::LARGE_TEXT_ZOOM
    } else {
        1.0
    };
    if ctx.zoom_factor() != zoom {
        ctx.set_zoom_factor(zoom);
    }
    // Panels are not filled: the window's clear colour is their background (see diagram::setup).
    if ctx.global_style().visuals.panel_fill != Color32::TRANSPARENT {
        ctx.all_styles_mut(|s| s.visuals.panel_fill = Color32::TRANSPARENT);
    }
    let mut out: Vec<UiCommand> = Vec::new();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        UiBuilder::new()
            .layer_id(LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );

    // Panels start at their default sizes for the window (a narrower window, or the larger
    // text, leaves the diagram more of it); each text size remembers its own.
    let window = ctx.viewport_rect().size();
    let (left, _, right, bottom) =
        crate::layout::default_panels((window.x * zoom, window.y * zoom), zoom);
    let large = settings.large_text;
    let id = |name: &str| format!("{name}{}", if large { "+" } else { "" });
    let live = settings.live;
    if settings.presenter {
        // The diagram (or ladder) fills the screen; the narration is a caption below it.
        egui::Panel::bottom("caption").show(&mut root, |ui| {
            super::toolbar::presenter_caption_ui(ui, &model, &cursor, &at, &mut settings, &mut out)
        });
    } else {
        egui::Panel::top("toolbar").show(&mut root, |ui| {
            super::toolbar::toolbar_ui(
                ui,
                &model,
                &cursor,
                &mut settings,
                &mut browser,
                &mut out,
                |ui: &mut egui::Ui| {
                    super::quiz::toolbar_ui(ui, &quiz, &mut quiz_out);
                    // A live run's real programs are the clients; a scripted run has the
                    // console, and can be run again with a change.
                    if !live {
                        super::whatif::menu_ui(ui, &model, &cursor, &mut whatif);
                        ui.toggle_value(&mut console.open, "Console").on_hover_text(
                            "Be the mail program: type SMTP, POP3 or IMAP to a server",
                        );
                    }
                },
            )
        });
        egui::Panel::bottom(id("bottom"))
            .resizable(true)
            .default_size(bottom)
            .show(&mut root, |ui| {
                timeline_ui(ui, &model, &cursor, &selection, &mut out);
                ui.separator();
                event_list_ui(ui, &model, &cursor, &selection, &mut settings, &mut out);
            });
        egui::Panel::left(id("narration"))
            .resizable(true)
            .default_size(left)
            .show(&mut root, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    narration_ui(ui, &model, &at, &mut out);
                    ui.separator();
                    host_ui(ui, &model, &cursor, &at, &selection, &mut out);
                });
            });
        egui::Panel::right(id("inspector"))
            .resizable(true)
            .default_size(right)
            .show(&mut root, |ui| {
                // Both ways: a long line of bytes scrolls rather than widening the panel (which would
                // shrink the diagram and move every host as one steps through the run).
                egui::ScrollArea::both().show(ui, |ui| {
                    super::inspector::inspector_ui(ui, &model, &cursor, &selection, &mut out)
                });
            });
    }

    let mut rect = root.available_rect_before_wrap();
    // Following a mail: a bar above the diagram with its hops.
    if let Some(j) = &selection.journey {
        let bar = egui::Rect::from_min_size(rect.min, egui::vec2(rect.width(), 30.0));
        let mut ui = root.new_child(UiBuilder::new().max_rect(bar.shrink2(egui::vec2(6.0, 3.0))));
        follow_bar_ui(&mut ui, &model, &cursor, j, &mut out);
        rect.min.y = bar.bottom();
    }
    // The diagram, the ladder, or the diagram above the ladder.
    let (diagram_rect, ladder_rect) = match settings.view {
        View::Diagram => (rect, None),
        View::Ladder => (rect, Some(rect)),
        View::Both => {
            let mid = rect.top() + rect.height() * 0.5;
            (
                egui::Rect::from_min_max(rect.min, egui::pos2(rect.right(), mid)),
                Some(egui::Rect::from_min_max(
                    egui::pos2(rect.left(), mid),
                    rect.max,
                )),
            )
        }
    };
    let r = Rect::new(
        diagram_rect.min.x,
        diagram_rect.min.y,
        diagram_rect.max.x,
        diagram_rect.max.y,
    );
    if central.0 != r || central.1 != zoom {
        *central = CentralRect(r, zoom);
    }
    if settings.view != View::Ladder {
        super::overlay::diagram_overlay_ui(
            &mut root,
            diagram_rect,
            &model,
            &layout.0,
            &cursor,
            &selection,
            &mut view,
            &mut out,
        );
    }
    if let Some(lr) = ladder_rect {
        super::ladder::ladder_ui(
            &mut root,
            lr,
            model.is_changed(),
            &model,
            &layout.0,
            &cursor,
            &selection,
            &settings,
            &mut ladder,
            &mut out,
        );
    }

    if let Some(err) = &model.error {
        let mut open = true;
        egui::Window::new("This scenario could not be loaded")
            .open(&mut open)
            .default_width(620.0)
            .show(ctx, |ui| {
                ui.label(
                    "The previous scenario stays open. Fix the file and save it, or open another.",
                );
                ui.add(
                    egui::Label::new(
                        RichText::new(err)
                            .monospace()
                            .color(Color32::from_rgb(255, 140, 120)),
                    )
                    .wrap(),
                );
            });
        if !open {
            out.push(UiCommand::DismissError);
        }
    }
    super::files::browser_ui(ctx, &mut browser, &mut out);
    super::quiz::question_ui(ctx, rect, &model, &mut quiz, &mut quiz_out);
    super::console::console_ui(ctx, &mut console, &model);
    super::whatif::comparison_ui(ctx, &model, &mut whatif);
    commands.write_batch(out);
    quiz_commands.write_batch(quiz_out);
    Ok(())
}

/// "Following "Lunch on Friday?" — hop 3 of 7: ..." with previous / next hop and stop.
fn follow_bar_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cursor: &Cursor,
    j: &crate::follow::Journey,
    out: &mut Vec<UiCommand>,
) {
    ui.horizontal(|ui| {
        // The hop the cursor is in: the last that began at or before it.
        let at = cursor
            .event
            .map(|c| j.hops.iter().filter(|h| h.first <= c).count());
        let n = j.hops.len();
        if ui.button("stop following").clicked() {
            out.push(UiCommand::Unfollow);
        }
        if ui.button("◀ previous hop").clicked() {
            out.push(UiCommand::Hop(false));
        }
        if ui.button("next hop ▶").clicked() {
            out.push(UiCommand::Hop(true));
        }
        let what = match at {
            Some(k) if k > 0 => format!("hop {k} of {n}: {}", plain(&j.hops[k - 1].text)),
            _ => format!("{n} hops"),
        };
        ui.add(
            egui::Label::new(
                RichText::new(format!("Following \"{}\" — {what}", j.subject))
                    .color(Color32::from_rgb(255, 215, 100)),
            )
            .truncate(),
        );
        let _ = model;
    });
}

fn narration_ui(ui: &mut egui::Ui, model: &Model, at: &AtCursor, out: &mut Vec<UiCommand>) {
    ui.heading(&model.scenario.title);
    let total = model.scenario.steps.len();
    match at.0.step {
        Some(s) => {
            let n = at.0.step_number.unwrap_or(s + 1);
            ui.label(RichText::new(format!("Step {n} of {total}")).strong());
            ui.add(
                egui::Label::new(RichText::new(&model.scenario.steps[s].narration).size(16.0))
                    .wrap(),
            );
        }
        None => {
            ui.label(RichText::new(format!("{total} steps")).strong());
            ui.add(egui::Label::new(RichText::new(&model.scenario.description).size(15.0)).wrap());
            ui.label("Press Space to play, the right arrow key to step.");
        }
    }
    ui.horizontal(|ui| {
        if ui.button("◀ prev step").clicked() {
            out.push(UiCommand::PrevStep);
        }
        if ui.button("next step ▶").clicked() {
            out.push(UiCommand::NextStep);
        }
    });
}

/// What the browser shows: a simple rendering of the page (title, text, form fields, links); the
/// raw HTML is in the inspector, on the response's segment.
fn browser_page_ui(ui: &mut egui::Ui, url: &str, status: u16, html: &str) {
    let page = crate::protocols::http::html::render(html);
    ui.add_space(4.0);
    ui.label(RichText::new("the browser shows").strong());
    egui::Frame::group(ui.style())
        .fill(Color32::from_rgb(236, 236, 232))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            let dark = Color32::from_rgb(30, 30, 30);
            ui.label(
                RichText::new(format!("{url}  ({status})"))
                    .monospace()
                    .size(11.0)
                    .color(Color32::from_rgb(60, 60, 140)),
            );
            ui.label(RichText::new(&page.title).strong().size(16.0).color(dark));
            for line in page.lines.iter().skip(1).take(30) {
                ui.add(egui::Label::new(RichText::new(line).color(dark)).wrap());
            }
            for (kind, name, value) in &page.fields {
                let shown = match kind.as_str() {
                    "submit" => format!("[ {value} ]"),
                    "password" => format!("{name}: [******]"),
                    _ => format!("{name}: [{value}      ]"),
                };
                ui.label(RichText::new(shown).monospace().color(dark));
            }
            for link in &page.links {
                ui.label(
                    RichText::new(format!("-> {link}"))
                        .monospace()
                        .size(11.0)
                        .color(Color32::from_rgb(40, 40, 200)),
                );
            }
        });
}

/// A small "follow" button for a mail; `follow` says which (by subject, or by queue id).
pub(super) fn follow_button(ui: &mut egui::Ui, follow: UiCommand, out: &mut Vec<UiCommand>) {
    if ui
        .small_button("follow")
        .on_hover_text("Follow this mail: its whole journey, hop by hop")
        .clicked()
    {
        out.push(follow);
    }
}

fn host_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cursor: &Cursor,
    at: &AtCursor,
    selection: &Selection,
    out: &mut Vec<UiCommand>,
) {
    let Some(h) = selection.host else {
        ui.label(RichText::new("Click a host to see its mailboxes, queue and sessions.").italics());
        return;
    };
    let def = &model.scenario.hosts[h];
    let hv = &at.0.hosts[h];
    ui.heading(&def.name);
    ui.label(format!("{} · {}", def.label, def.ip));
    if !def.services.is_empty() {
        let list: Vec<String> = def
            .services
            .iter()
            .map(|s| format!("{s:?} :{}", s.port()).to_lowercase())
            .collect();
        ui.label(format!("services: {}", list.join(", ")));
    }
    // The scenario's faults on this host: in effect at the cursor, or when.
    let now = cursor
        .event
        .and_then(|c| model.trace.get(c))
        .map(|e| e.time);
    for f in model.scenario.faults.iter().filter(|f| f.touches(h)) {
        let when = f.window();
        let words = f.describe(&model.scenario.hosts);
        if now.is_some_and(|t| f.active(t)) {
            ui.label(
                RichText::new(format!("fault now: {words} ({when})"))
                    .color(Color32::from_rgb(255, 110, 95)),
            );
        } else {
            ui.label(format!("fault: {words} ({when})"));
        }
    }
    for (user, msgs) in &hv.mailboxes {
        let domain = def.domain.as_deref().unwrap_or("");
        ui.label(
            RichText::new(format!(
                "mailbox {user}@{domain}: {}",
                crate::engine::digits::count(msgs.len(), "message")
            ))
            .strong(),
        );
        for m in msgs.iter() {
            let flags = if def.has(crate::scenario::Service::Imap) {
                flags_text(&m.flags)
            } else {
                String::new()
            };
            ui.horizontal(|ui| {
                ui.label(format!("  uid {}  \"{}\"{flags}", m.uid, m.subject));
                follow_button(ui, UiCommand::Follow(m.subject.clone()), out);
            });
        }
    }
    if let Some(cl) = &def.client {
        let imap = cl.incoming_protocol == crate::scenario::IncomingProtocol::Imap;
        let what = if imap {
            "mail program's list (IMAP: the mail stays on the server)"
        } else {
            "mail program inbox (downloaded)"
        };
        ui.label(
            RichText::new(format!(
                "{what}: {}",
                crate::engine::digits::count(hv.inbox.len(), "message")
            ))
            .strong(),
        );
        for m in &hv.inbox {
            let flags = if imap {
                flags_text(&m.flags)
            } else {
                String::new()
            };
            ui.horizontal(|ui| {
                ui.label(format!(
                    "  \"{}\"  (server uid {}){flags}",
                    m.subject, m.uid
                ));
                follow_button(ui, UiCommand::Follow(m.subject.clone()), out);
            });
        }
    }
    if let Some((url, status, html)) = &hv.page {
        browser_page_ui(ui, url, *status, html);
    }
    if !hv.queue.is_empty()
        || def
            .services
            .iter()
            .any(|s| matches!(s, crate::scenario::Service::Submission))
    {
        ui.label(RichText::new(format!("outgoing queue: {}", hv.queue.len())).strong());
        for (id, text) in &hv.queue {
            ui.horizontal(|ui| {
                ui.label(format!("  {text}"));
                follow_button(ui, UiCommand::FollowQueued(id.clone()), out);
            });
        }
    }
    ui.label(RichText::new(format!("open sessions: {}", hv.sessions.len())).strong());
    for s in &hv.sessions {
        let role = if s.is_client { "client" } else { "server" };
        let state = if s.state.is_empty() { "—" } else { s.state };
        ui.label(format!(
            "  {} :{} <-> {}:{} ({role}) state: {state}",
            s.protocol.name(),
            s.port,
            model.trace.host_name(s.peer.0),
            s.peer.1
        ));
    }
}

fn timeline_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cursor: &Cursor,
    selection: &Selection,
    out: &mut Vec<UiCommand>,
) {
    let t = &model.trace;
    let n = t.events.len().max(1);
    let (rect, resp) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), 34.0),
        Sense::click_and_drag(),
    );
    let p = ui.painter_at(rect);
    p.rect_filled(rect, 3.0, Color32::from_rgb(28, 31, 38));
    // The kept events spread over the width: where an event is drawn, if it is kept.
    let x_at = |k: usize| rect.left() + 6.0 + (rect.width() - 12.0) * (k as f32 + 0.5) / n as f32;
    let x_of = |id: EventId| t.position(id).map(x_at);
    // One tick per pixel column at most: a long run is drawn in buckets, coloured by the most
    // important protocol in each (so a busy scenario does not draw thousands of lines a frame).
    let columns = (rect.width() - 12.0).max(1.0) as usize;
    let mut buckets: Vec<Option<Option<Protocol>>> = vec![None; columns.min(n)];
    for (k, e) in t.events.iter().enumerate() {
        let b = k * buckets.len() / n;
        let (_, proto) = filter_of(&e.kind);
        let slot = &mut buckets[b];
        if slot.is_none() || (proto.is_some() && proto != Some(Protocol::Tcp)) {
            *slot = Some(proto);
        }
    }
    let bucket_x = |b: usize, count: usize| {
        rect.left() + 6.0 + (rect.width() - 12.0) * (b as f32 + 0.5) / count as f32
    };
    for (b, slot) in buckets.iter().enumerate() {
        let Some(proto) = slot else { continue };
        let color = proto
            .map(|p| c32(protocol_color(p)))
            .unwrap_or(Color32::from_gray(110));
        let x = bucket_x(b, buckets.len());
        p.line_segment(
            [
                egui::pos2(x, rect.top() + 12.0),
                egui::pos2(x, rect.bottom() - 4.0),
            ],
            Stroke::new(1.0, color),
        );
    }
    for x in model.step_starts.iter().filter_map(|&s| x_of(s)) {
        let tip = [
            egui::pos2(x, rect.top() + 11.0),
            egui::pos2(x - 5.0, rect.top() + 2.0),
            egui::pos2(x + 5.0, rect.top() + 2.0),
        ];
        p.add(egui::Shape::convex_polygon(
            tip.to_vec(),
            Color32::from_rgb(255, 210, 90),
            Stroke::NONE,
        ));
    }
    // Faults: a red band under the ticks for the events each one spans.
    for &(first, end, _) in &model.fault_spans {
        if end <= first {
            continue;
        }
        let (Some(a), Some(b)) = (x_of(first), x_of(EventId(end.index() - 1))) else {
            continue;
        };
        let band = egui::Rect::from_min_max(
            egui::pos2(a - 1.0, rect.bottom() - 4.0),
            egui::pos2(b + 1.0, rect.bottom() - 1.0),
        );
        p.rect_filled(band, 1.0, Color32::from_rgb(230, 70, 60));
    }
    // The followed mail: a gold mark over each of its hops' first events.
    if let Some(j) = &selection.journey {
        for x in j.hops.iter().filter_map(|h| x_of(h.first)) {
            p.circle_filled(
                egui::pos2(x, rect.top() + 3.0),
                3.0,
                Color32::from_rgb(255, 200, 60),
            );
        }
    }
    if let Some(x) = cursor.event.and_then(x_of) {
        p.line_segment(
            [egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())],
            Stroke::new(3.0, Color32::WHITE),
        );
    }
    if (resp.clicked() || resp.dragged())
        && let Some(pos) = resp.interact_pointer_pos()
    {
        let f = ((pos.x - rect.left() - 6.0) / (rect.width() - 12.0)).clamp(0.0, 0.9999);
        if let Some(e) = t.events.get((f * n as f32) as usize) {
            out.push(UiCommand::Seek(e.id));
        }
    }
    let mut help = "The whole run: one tick per event, a yellow triangle where a narrated step begins, a red band while a fault holds. Click or drag to move.".to_string();
    for (_, _, words) in &model.fault_spans {
        help.push_str(&format!("\nfault: {words}"));
    }
    resp.on_hover_text(help);
}

fn event_list_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cursor: &Cursor,
    selection: &Selection,
    settings: &mut Settings,
    out: &mut Vec<UiCommand>,
) {
    ui.horizontal(|ui| {
        // The filters are the legend too: each protocol's colour on the diagram and ladder.
        let colours = [
            Some(Protocol::Smtp),
            Some(Protocol::Pop3),
            Some(Protocol::Imap),
            Some(Protocol::Http),
            Some(Protocol::Dns),
            Some(Protocol::Tcp),
            None,
        ];
        for (i, name) in FILTERS.iter().enumerate() {
            if let Some(p) = colours[i] {
                let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), Sense::hover());
                ui.painter().rect_filled(rect, 2.0, c32(protocol_color(p)));
            }
            ui.checkbox(&mut settings.show[i], *name);
        }
        ui.label("🔍");
        ui.add(
            egui::TextEdit::singleline(&mut settings.search)
                .hint_text("search")
                .desired_width(160.0),
        );
    });
    let t = &model.trace;
    let rows = visible_rows(t, settings);
    let journey: Vec<EventId> = selection
        .journey
        .as_ref()
        .map(|j| j.events())
        .unwrap_or_default();
    let follow = cursor.event.and_then(|c| rows.iter().position(|&r| r >= c));
    let follow_id = egui::Id::new("event-list-follow");
    let moved = ui.memory(|m| m.data.get_temp::<Option<EventId>>(follow_id)) != Some(cursor.event);
    if moved {
        ui.memory_mut(|m| m.data.insert_temp(follow_id, cursor.event));
    }
    let mut table = egui_extras::TableBuilder::new(ui)
        .striped(false)
        // Its default (200 points) would hold the bottom panel taller than its default size.
        .min_scrolled_height(40.0)
        .sense(Sense::click())
        .column(egui_extras::Column::exact(44.0))
        .column(egui_extras::Column::exact(64.0))
        .column(egui_extras::Column::initial(170.0).resizable(true))
        .column(egui_extras::Column::initial(170.0).resizable(true))
        .column(egui_extras::Column::exact(48.0))
        .column(egui_extras::Column::remainder());
    // Follow the cursor, but scroll only when it moved: scrolling every frame would keep egui
    // asking for frames, and the window would never rest.
    if moved && let Some(f) = follow {
        table = table.scroll_to_row(f, Some(egui::Align::Center));
    }
    table
        .header(18.0, |mut h| {
            for name in ["#", "time", "from", "to", "proto", "summary"] {
                h.col(|ui| {
                    ui.strong(name);
                });
            }
        })
        .body(|body| {
            body.rows(18.0, rows.len(), |mut row| {
                let Some(e) = t.get(rows[row.index()]) else {
                    return;
                };
                row.set_selected(selection.event == Some(e.id));
                let (from, to, proto) = match &e.kind {
                    EventKind::Segment(s) => (
                        report::endpoint(t, s.from),
                        report::endpoint(t, s.to),
                        s.protocol.name().to_string(),
                    ),
                    EventKind::Datagram(d) => (
                        report::endpoint(t, d.from),
                        report::endpoint(t, d.to),
                        "DNS".into(),
                    ),
                    EventKind::Mailbox { host, .. }
                    | EventKind::Queue { host, .. }
                    | EventKind::Downloaded { host, .. }
                    | EventKind::Listed { host, .. }
                    | EventKind::Page { host, .. }
                    | EventKind::Note { host, .. } => {
                        (t.host_name(*host).to_string(), String::new(), "·".into())
                    }
                    EventKind::Step { .. } => (String::new(), String::new(), "STEP".into()),
                };
                let dim = cursor.event.is_none_or(|c| e.id > c);
                let color = if dim {
                    Color32::from_gray(120)
                } else {
                    Color32::from_gray(225)
                };
                // The followed mail's events are marked in gold.
                let followed = journey.binary_search(&e.id).is_ok();
                row.col(|ui| {
                    if followed {
                        ui.label(
                            RichText::new(format!("» {}", e.id))
                                .color(Color32::from_rgb(255, 200, 60)),
                        );
                    } else {
                        ui.label(RichText::new(e.id.to_string()).color(color));
                    }
                });
                row.col(|ui| {
                    ui.label(RichText::new(e.time.to_string()).color(color));
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(RichText::new(from).color(color)).truncate());
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(RichText::new(to).color(color)).truncate());
                });
                row.col(|ui| {
                    ui.label(RichText::new(proto).color(color).strong());
                });
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(RichText::new(plain(&report::summary(t, e))).color(color))
                            .truncate(),
                    );
                });
                if row.response().clicked() {
                    out.push(UiCommand::SelectEvent(e.id));
                }
            });
        });
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<super::ladder::LadderRows>()
        .add_systems(EguiPrimaryContextPass, ui_system);
}
