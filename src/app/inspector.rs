//! The inspector: the selected message's endpoints, time, protocol, note and RFC section, its
//! bytes (text with CR LF shown, hex), decoded fields, and the sender's state before and after.

use bevy_egui::egui;
use egui::{Color32, FontId, RichText};

use super::model::{Cursor, Model, Selection, UiCommand};
use super::panels::plain;
use crate::engine::trace::Direction;
use crate::{EventKind, inspect, report};

/// A line of bytes with CR and LF shown as small marked tokens.
fn bytes_line_job(line: &str, highlight: bool) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    let normal = egui::TextFormat {
        font_id: FontId::monospace(12.0),
        color: Color32::from_gray(230),
        background: if highlight {
            Color32::from_rgb(70, 70, 20)
        } else {
            Color32::TRANSPARENT
        },
        ..Default::default()
    };
    let mark = egui::TextFormat {
        font_id: FontId::monospace(9.0),
        color: Color32::from_rgb(255, 170, 80),
        background: Color32::from_rgb(60, 40, 20),
        valign: egui::Align::Center,
        ..Default::default()
    };
    let body = line.trim_end_matches(['␍', '␊']);
    job.append(body, 0.0, normal);
    let tail = &line[body.len()..];
    for c in tail.chars() {
        job.append(if c == '␍' { "CR" } else { "LF" }, 2.0, mark.clone());
    }
    job.wrap.max_width = f32::INFINITY;
    job
}

/// The followed mail at the cursor's hop: the envelope beside the header, and its Received:
/// lines as they stand, newest on top, each with the hop that added it.
fn journey_ui(ui: &mut egui::Ui, model: &Model, cursor: &Cursor, j: &crate::follow::Journey) {
    let gold = Color32::from_rgb(255, 215, 100);
    let k = cursor
        .event
        .map_or(0, |c| j.hops.iter().filter(|h| h.first <= c).count());
    ui.label(
        RichText::new(format!("Following \"{}\"", j.subject))
            .color(gold)
            .strong(),
    );
    if k == 0 {
        ui.label(format!("{} hops; the first is ahead.", j.hops.len()));
        return;
    }
    let hop = &j.hops[k - 1];
    ui.add(egui::Label::new(format!("hop {k} of {}: {}", j.hops.len(), plain(&hop.text))).wrap());
    // The envelope and header of the copy this hop concerns (a mail for several domains goes
    // on as one copy each): the hop's own, else the hop's that carried that copy.
    let upto = &j.hops[..k];
    let copy = j.copy_at(k - 1).map(|c| &j.hops[c]);
    let envelope = hop
        .envelope
        .as_ref()
        .or_else(|| copy.and_then(|c| c.envelope.as_ref()))
        .or_else(|| upto.iter().rev().find_map(|h| h.envelope.as_ref()));
    let header = copy
        .and_then(|c| c.header.as_ref().filter(|hd| !hd.from.is_empty()))
        .or_else(|| {
            upto.iter()
                .rev()
                .find_map(|h| h.header.as_ref().filter(|hd| !hd.from.is_empty()))
        });
    // Wrapped, so that long addresses never widen the panel.
    let mono = |ui: &mut egui::Ui, t: String| {
        ui.add(egui::Label::new(RichText::new(t).monospace().size(12.0)).wrap());
    };
    if let Some(e) = envelope {
        ui.label(RichText::new("envelope (what servers route by)").strong());
        mono(ui, format!("MAIL FROM:{}", e.from));
        for (a, r) in &e.to {
            if r.starts_with('2') {
                mono(ui, format!("RCPT TO:{a}"));
            } else {
                mono(ui, format!("RCPT TO:{a}  refused: {r}"));
            }
        }
    }
    if let Some(h) = header {
        ui.label(RichText::new("header (what people read)").strong());
        mono(ui, format!("From: {}", h.from));
        mono(ui, format!("To: {}", h.to));
        if !h.cc.is_empty() {
            mono(ui, format!("Cc: {}", h.cc));
        }
    }
    // The Received lines of the copy this hop concerns (a mail for several domains goes on as
    // one copy each), newest on top.
    let added = j.received_at(k - 1);
    if added.is_empty() {
        ui.label(RichText::new("no Received: line yet").italics());
    }
    for (n, r) in added {
        let by = model.trace.host_name(j.hops[n].to);
        ui.label(RichText::new(format!("Received: (hop {}, added by {by})", n + 1)).color(gold));
        ui.add(egui::Label::new(RichText::new(r).monospace().size(11.0)).wrap());
    }
    ui.separator();
}

/// The subject of the mail an event carries or concerns, if any.
fn subject_in(ev: &crate::TraceEvent) -> Option<String> {
    let s = match &ev.kind {
        EventKind::Segment(s) => {
            let text = String::from_utf8_lossy(&s.payload);
            let has = text.split("\r\n").any(|l| {
                l.as_bytes()
                    .get(..8)
                    .is_some_and(|b| b.eq_ignore_ascii_case(b"subject:"))
            });
            if !has {
                return None;
            }
            let at = text.to_ascii_lowercase().find("subject:")?;
            crate::mail::subject_of(&s.payload[text[..at].rfind("\r\n").map_or(0, |p| p + 2)..])
        }
        EventKind::Mailbox {
            change: crate::MailboxChange::Stored { subject, .. },
            ..
        }
        | EventKind::Downloaded { subject, .. }
        | EventKind::Listed { subject, .. } => subject.clone(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

pub(super) fn inspector_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cursor: &Cursor,
    selection: &Selection,
    out: &mut Vec<UiCommand>,
) {
    ui.heading("Inspector");
    if let Some(j) = &selection.journey {
        journey_ui(ui, model, cursor, j);
    }
    let Some(ev) = selection.event.and_then(|id| model.trace.get(id)) else {
        let first = model.trace.first_id();
        let Some(id) = selection.event.filter(|&id| id < first) else {
            ui.label(RichText::new("Click a packet or a row of the event list.").italics());
            return;
        };
        // A long live run forgets its oldest events; the selection still names this one.
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "Event #{id} is no longer kept: this long run keeps its newest events, \
                     from #{first} on."
                ))
                .italics(),
            )
            .wrap(),
        );
        return;
    };
    let t = &model.trace;
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("#{}  {}", ev.id, ev.time)).strong());
        if let Some(subject) = subject_in(ev)
            && selection
                .journey
                .as_ref()
                .is_none_or(|j| !j.subject.eq_ignore_ascii_case(&subject))
        {
            super::panels::follow_button(ui, UiCommand::Follow(subject), out);
        }
    });
    ui.add(egui::Label::new(plain(&report::summary(t, ev))).wrap());
    let (payload, explain) = match &ev.kind {
        EventKind::Segment(s) => {
            let dir = if s.direction == Direction::ClientToServer {
                "client → server"
            } else {
                "server → client"
            };
            ui.label(format!(
                "{} -> {}",
                report::endpoint(t, s.from),
                report::endpoint(t, s.to)
            ));
            ui.label(format!(
                "{} · {} · connection {} · {} {}",
                s.protocol.name(),
                plain(dir),
                s.conn,
                if s.lost {
                    "LOST, would arrive"
                } else {
                    "arrives"
                },
                s.arrive
            ));
            ui.label(format!(
                "sender's state: {} -> {}",
                s.state_before, s.state_after
            ));
            (&s.payload, s.explain)
        }
        EventKind::Datagram(d) => {
            ui.label(format!(
                "{} -> {} (UDP)",
                report::endpoint(t, d.from),
                report::endpoint(t, d.to)
            ));
            ui.label(format!(
                "DNS · {} · {} {}",
                if d.direction == Direction::ClientToServer {
                    "query"
                } else {
                    "response"
                },
                if d.lost {
                    "LOST, would arrive"
                } else {
                    "arrives"
                },
                d.arrive
            ));
            (&d.payload, d.explain)
        }
        _ => return,
    };
    egui::Frame::group(ui.style())
        .fill(Color32::from_rgb(30, 40, 58))
        .show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(explain.note).size(15.0)).wrap());
            ui.label(
                RichText::new(explain.rfc)
                    .italics()
                    .color(Color32::from_rgb(150, 190, 255)),
            );
        });
    egui::CollapsingHeader::new("Decoded fields")
        .default_open(true)
        .show(ui, |ui| {
            // A long name ("enhanced status code (RFC 3463)") wraps instead of pushing its value
            // out of a narrow inspector.
            let half = (ui.available_width() / 2.0).max(60.0);
            egui::Grid::new("fields")
                .num_columns(2)
                .striped(true)
                .max_col_width(half)
                .show(ui, |ui| {
                    for (k, v) in inspect::fields(ev) {
                        ui.add(egui::Label::new(k).wrap());
                        ui.add(egui::Label::new(plain(&v)).wrap());
                        ui.end_row();
                    }
                });
        });
    if payload.is_empty() {
        return;
    }
    if let Some((from, rcpts)) = inspect::envelope_of(t, ev) {
        egui::CollapsingHeader::new("The envelope (SMTP, what servers route by)").default_open(true).show(ui, |ui| {
            ui.label(RichText::new(format!("MAIL FROM:{from}")).monospace());
            for r in rcpts {
                ui.label(RichText::new(format!("RCPT TO:{r}")).monospace());
            }
            ui.label(RichText::new("The From: and To: headers below are what people read; servers deliver by the envelope (RFC 5321 §2.3.1, §3.3).").italics().size(12.0));
        });
    }
    if let Some((head, body)) = inspect::split_message(payload) {
        egui::CollapsingHeader::new("The message: header (RFC 5322)")
            .default_open(true)
            .show(ui, |ui| {
                ui.add(egui::Label::new(RichText::new(head).monospace()).wrap());
            });
        egui::CollapsingHeader::new("The message: body")
            .default_open(true)
            .show(ui, |ui| {
                ui.add(egui::Label::new(RichText::new(body).monospace()).wrap());
            });
    }
    // Binary payloads (DNS) have no text view; their hex dump opens instead.
    let text = inspect::is_text(payload);
    if text {
        egui::CollapsingHeader::new("Bytes as text (CR LF marked)")
            .default_open(true)
            .show(ui, |ui| {
                // The bytes of the hex dump's row under the pointer: (first, how many).
                let hovered_row = ui.memory(|m| {
                    m.data
                        .get_temp::<(usize, usize)>(egui::Id::new("hex-hover"))
                });
                let mut offset = 0;
                for line in inspect::visible_lines(payload) {
                    let len = line.replace(['␍', '␊'], "x").len();
                    let row_hit = hovered_row.is_some_and(|(first, n)| {
                        (first..first + n).any(|b| b >= offset && b < offset + len.max(1))
                    });
                    ui.add(egui::Label::new(bytes_line_job(&line, row_hit)).wrap());
                    offset += len;
                }
            });
    }
    egui::CollapsingHeader::new(if text {
        "Hex dump"
    } else {
        "Hex dump (binary: no text view)"
    })
    .id_salt(("hex-dump", text))
    .default_open(!text)
    .show(ui, |ui| {
        let mut hovered = None;
        // Sixteen bytes to a row where the whole row fits, else eight, else four (a narrow
        // inspector, the larger text; four are a row of an RFC's packet diagrams): a row cut at
        // the panel's edge hid half its bytes and their text. Rows are never wrapped (offsets,
        // hex and text stay in their columns); narrower still, they scroll sideways.
        let font = egui::FontId::monospace(11.0);
        // The hex column: two digits and a space a byte, one more space after each 8.
        let hex_width = |per_row: usize| 3 * per_row + per_row / 8 - 1;
        // A whole row: the offset and two spaces, the hex column, a space, the text.
        let row_width = |per_row: usize| {
            let chars = 6 + hex_width(per_row) + 1 + per_row;
            ui.painter()
                .layout_no_wrap("0".repeat(chars), font.clone(), Color32::WHITE)
                .size()
                .x
        };
        let per_row = [16, 8]
            .into_iter()
            .find(|&n| row_width(n) <= ui.available_width())
            .unwrap_or(4);
        let hex_width = hex_width(per_row);
        egui::ScrollArea::horizontal().show(ui, |ui| {
            for row in inspect::hex_rows(payload, per_row) {
                let text = format!("{:04x}  {:<hex_width$} {}", row.offset, row.hex, row.text);
                let r =
                    ui.add(egui::Label::new(RichText::new(text).monospace().size(11.0)).extend());
                if r.hovered() {
                    hovered = Some((row.offset, per_row));
                }
            }
        });
        ui.memory_mut(|m| match hovered {
            Some(h) => {
                m.data.insert_temp(egui::Id::new("hex-hover"), h);
            }
            None => m.data.remove::<(usize, usize)>(egui::Id::new("hex-hover")),
        });
    });
}
