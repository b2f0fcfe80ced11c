//! Keyboard shortcuts: Space play/pause, ← → step, Home/End, PageUp/PageDown by narrated step,
//! plus and minus for speed, L for the diagram, the ladder or both, P (or F5) for presenter
//! mode. They pause while a text field has the keyboard.

use bevy::prelude::*;
use bevy_egui::input::egui_wants_any_keyboard_input;

use super::model::{Cursor, Settings, UiCommand};

fn keys(
    keys: Res<ButtonInput<KeyCode>>,
    cursor: Res<Cursor>,
    mut settings: ResMut<Settings>,
    mut out: MessageWriter<UiCommand>,
) {
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
    for k in keys.get_just_pressed() {
        let cmd = match k {
            KeyCode::Space => UiCommand::TogglePlay,
            KeyCode::ArrowRight => UiCommand::StepForward,
            KeyCode::ArrowLeft => UiCommand::StepBack,
            KeyCode::Home => UiCommand::Start,
            KeyCode::End => UiCommand::End,
            KeyCode::PageUp => UiCommand::PrevStep,
            KeyCode::PageDown => UiCommand::NextStep,
            KeyCode::KeyL => {
                settings.view = settings.view.next();
                continue;
            }
            KeyCode::KeyP | KeyCode::F5 => {
                settings.presenter = !settings.presenter;
                continue;
            }
            KeyCode::Equal | KeyCode::NumpadAdd if ctrl => {
                settings.large_text = true;
                continue;
            }
            KeyCode::Minus | KeyCode::NumpadSubtract if ctrl => {
                settings.large_text = false;
                continue;
            }
            KeyCode::Equal | KeyCode::NumpadAdd => UiCommand::Speed(cursor.speed * 1.5),
            KeyCode::Minus | KeyCode::NumpadSubtract => UiCommand::Speed(cursor.speed / 1.5),
            _ => continue,
        };
        out.write(cmd);
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        keys.run_if(not(egui_wants_any_keyboard_input))
            .before(super::model::apply_commands),
    );
}
