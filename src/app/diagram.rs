//! The diagram, drawn by bevy: host icons, links, and the packet of the current event moving
//! along its link. Labels and clicks are handled by the egui overlay (`panels`), which knows the
//! same world ↔ screen mapping ([`ViewTransform`]).

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraOutputMode, Viewport};
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::prelude::*;
use bevy::render::view::Msaa;
use bevy::window::PrimaryWindow;
use bevy_egui::PrimaryEguiContext;

use super::model::{Cursor, Model, Selection};
use crate::protocols::Protocol;
use crate::scenario::{HostKind, Service};
use crate::{EventKind, TcpFlags, layout};

/// The diagram's part of the window, in logical pixels (set by the panels each frame).
#[derive(Resource, Debug, Clone, Copy)]
pub struct CentralRect(pub Rect);

impl Default for CentralRect {
    fn default() -> Self {
        CentralRect(Rect::new(0.0, 0.0, 1280.0, 720.0))
    }
}

/// Zoom and pan chosen with the mouse, on top of fitting the diagram into its rect.
#[derive(Resource, Debug, Clone, Copy)]
pub struct ViewTransform {
    /// 1 = the whole diagram fits.
    pub zoom: f32,
    /// World units the view is moved by (from the centre of what it fits).
    pub pan: Vec2,
    /// The world box to fit (min, max), from the hosts' positions.
    pub fit: (Vec2, Vec2),
}

impl Default for ViewTransform {
    fn default() -> Self {
        let half = Vec2::new(layout::WIDTH, layout::HEIGHT) / 2.0;
        ViewTransform {
            zoom: 1.0,
            pan: Vec2::ZERO,
            fit: (-half, half),
        }
    }
}

impl ViewTransform {
    /// World units per logical pixel in `rect`.
    pub fn scale(&self, rect: Rect) -> f32 {
        let size = self.fit.1 - self.fit.0;
        let fit = (size.x / rect.width().max(1.0)).max(size.y / rect.height().max(1.0)) * 1.05;
        fit / self.zoom
    }

    /// The world point at the centre of the view.
    pub fn center(&self) -> Vec2 {
        (self.fit.0 + self.fit.1) / 2.0 + self.pan
    }

    /// The screen point (logical px) of a world point.
    pub fn screen_of(&self, rect: Rect, world: Vec2) -> Vec2 {
        let d = (world - self.center()) / self.scale(rect);
        rect.center() + Vec2::new(d.x, -d.y)
    }

    /// The world point under a screen point.
    pub fn world_at(&self, rect: Rect, screen: Vec2) -> Vec2 {
        let d = (screen - rect.center()) * self.scale(rect);
        self.center() + Vec2::new(d.x, -d.y)
    }
}

/// A layout-box position as a world position (the box is centred on the origin).
pub fn world_of(p: Vec2) -> Vec2 {
    p - Vec2::new(layout::WIDTH / 2.0, layout::HEIGHT / 2.0)
}

/// The colour of a protocol (also used by the legend and the event list).
pub fn protocol_color(p: Protocol) -> Color {
    match p {
        Protocol::Smtp => Color::srgb(0.16, 0.50, 0.93),
        Protocol::Pop3 => Color::srgb(0.13, 0.68, 0.35),
        Protocol::Dns => Color::srgb(0.85, 0.65, 0.10),
        Protocol::Tcp => Color::srgb(0.55, 0.58, 0.62),
        Protocol::Imap => Color::srgb(0.62, 0.38, 0.90),
        Protocol::Http => Color::srgb(0.95, 0.45, 0.20),
    }
}

/// The camera that draws the diagram.
#[derive(Component)]
pub struct DiagramCamera;

/// A host's icon.
#[derive(Component)]
pub struct HostIcon(pub usize);

/// The moving packet.
#[derive(Component)]
pub struct Packet;

/// The size of a host icon in world units.
pub const ICON: f32 = 64.0;

/// The icons, embedded in the binary so the window works from any folder.
#[derive(Resource)]
pub struct Icons {
    computer: Handle<Image>,
    server: Handle<Image>,
    dns: Handle<Image>,
}

fn load_icons(mut commands: Commands, mut images: ResMut<Assets<Image>>) {
    use bevy::asset::RenderAssetUsages;
    use bevy::image::{CompressedImageFormats, ImageSampler, ImageType};
    let mut load = |bytes: &[u8]| {
        let image = Image::from_buffer(
            bytes,
            ImageType::Extension("png"),
            CompressedImageFormats::NONE,
            true,
            ImageSampler::linear(),
            RenderAssetUsages::default(),
        )
        .expect("the embedded icons are valid PNG files");
        images.add(image)
    };
    commands.insert_resource(Icons {
        computer: load(include_bytes!("../../assets/icons/computer.png")),
        server: load(include_bytes!("../../assets/icons/server.png")),
        dns: load(include_bytes!("../../assets/icons/dns.png")),
    });
}

fn setup(mut commands: Commands) {
    // Two cameras share the window's one render target. The diagram camera draws only into the
    // central rect (its viewport); the egui camera draws no world entities (an unused render
    // layer) and only the panels, which are transparent: the window's clear colour is their
    // background. Neither uses multisampling, tone mapping or dithering. On a software renderer (a
    // classroom PC without a GPU, or CI) frame time is set by how many pixels are shaded, and this
    // way each pixel is shaded once by a panel fill or the diagram, never both, and the final
    // copy to the window happens once (the diagram camera's is skipped).
    commands.spawn((
        Camera2d,
        Camera {
            order: 0,
            output_mode: CameraOutputMode::Skip,
            ..default()
        },
        DiagramCamera,
        Msaa::Off,
        Tonemapping::None,
        DebandDither::Disabled,
    ));
    commands.spawn((
        Camera2d,
        Camera {
            order: 1,
            clear_color: ClearColorConfig::None,
            ..default()
        },
        PrimaryEguiContext,
        RenderLayers::layer(31),
        Msaa::Off,
        Tonemapping::None,
        DebandDither::Disabled,
    ));
}

/// The icon of a host.
fn icon_of(icons: &Icons, model: &Model, i: usize) -> Handle<Image> {
    let h = &model.scenario.hosts[i];
    if h.kind == HostKind::Computer {
        icons.computer.clone()
    } else if h.services == [Service::Dns] {
        icons.dns.clone()
    } else {
        icons.server.clone()
    }
}

fn rebuild_hosts(
    mut commands: Commands,
    model: Res<Model>,
    icons: Res<Icons>,
    mut view: ResMut<ViewTransform>,
    old: Query<Entity, With<HostIcon>>,
) {
    if !model.is_changed() {
        return;
    }
    *view = ViewTransform {
        fit: (world_of(model.bounds.0), world_of(model.bounds.1)),
        ..ViewTransform::default()
    };
    for e in &old {
        commands.entity(e).despawn();
    }
    for (i, p) in model.positions.iter().enumerate() {
        let w = world_of(*p);
        commands.spawn((
            HostIcon(i),
            Sprite {
                image: icon_of(&icons, &model, i),
                custom_size: Some(Vec2::splat(ICON)),
                ..default()
            },
            Transform::from_xyz(w.x, w.y, 1.0),
        ));
    }
}

/// The current event's packet: endpoints, protocol, whether it is a TCP control segment.
pub fn packet_of(model: &Model, index: Option<usize>) -> Option<(usize, usize, Protocol, bool)> {
    match &model.trace.events.get(index?)?.kind {
        EventKind::Segment(s) => Some((
            s.from.host,
            s.to.host,
            s.protocol,
            s.payload.is_empty() && !s.flags.has(TcpFlags::RST),
        )),
        EventKind::Datagram(d) => Some((d.from.host, d.to.host, d.protocol, false)),
        _ => None,
    }
}

/// Ease in and out, so packets start and stop gently.
pub fn ease(t: f32) -> f32 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A packet on the diagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacketView {
    /// Its event.
    pub event: usize,
    /// Where it is (world).
    pub pos: Vec2,
    /// What it carries.
    pub protocol: Protocol,
    /// A TCP control segment (drawn smaller and fainter).
    pub control: bool,
    /// The cursor's own event (labelled in full).
    pub current: bool,
    /// Lost on the way (a lossy link): it stops half-way, crossed out.
    pub lost: bool,
}

/// Whether event `i` is a segment lost on the way.
fn lost(model: &Model, i: usize) -> bool {
    match model.trace.events.get(i).map(|e| &e.kind) {
        Some(EventKind::Segment(s)) => s.lost,
        Some(EventKind::Datagram(d)) => d.lost,
        _ => false,
    }
}

/// Every packet in flight at the cursor: the current event's, which travels while playing (and
/// stops half-way when stepping, to be read and clicked), and every earlier one that has not yet
/// arrived at the cursor's time, placed by how far along its flight it is.
pub fn packets_in_flight(model: &Model, cursor: &Cursor) -> Vec<PacketView> {
    let Some(ci) = cursor.index else {
        return Vec::new();
    };
    let events = &model.trace.events;
    let now = events[ci].time;
    let mut out = Vec::new();
    for e in events[..ci].iter().rev() {
        if e.time.0 + model.max_flight < now.0 {
            break;
        }
        let (from, to, arrive, protocol, control) = match &e.kind {
            EventKind::Segment(s) => (
                s.from.host,
                s.to.host,
                s.arrive,
                s.protocol,
                s.payload.is_empty(),
            ),
            EventKind::Datagram(d) => (d.from.host, d.to.host, d.arrive, d.protocol, false),
            _ => continue,
        };
        if arrive <= now {
            continue;
        }
        let f = (now.0 - e.time.0) as f32 / (arrive.0 - e.time.0).max(1) as f32;
        let (a, b) = (
            world_of(model.positions[from]),
            world_of(model.positions[to]),
        );
        // A lost packet gets half-way and stays there, crossed out, until it would have arrived.
        let lost = lost(model, e.id);
        out.push(PacketView {
            event: e.id,
            pos: a.lerp(b, if lost { f.min(0.5) } else { f }),
            protocol,
            control,
            current: false,
            lost,
        });
    }
    if let Some((from, to, protocol, control)) = packet_of(model, Some(ci)) {
        // Playing: the whole way; stepping: half-way, where it stays to be read and clicked. A
        // lost one never gets further than half-way.
        let lost = lost(model, ci);
        let t = if cursor.playing && !lost {
            ease(cursor.progress)
        } else {
            0.5 * ease(cursor.progress)
        };
        let (a, b) = (
            world_of(model.positions[from]),
            world_of(model.positions[to]),
        );
        out.push(PacketView {
            event: ci,
            pos: a.lerp(b, t),
            protocol,
            control,
            current: true,
            lost,
        });
    }
    out
}

/// Packet sprites, reused from frame to frame.
#[derive(Resource, Default)]
struct PacketPool(Vec<Entity>);

#[allow(clippy::too_many_arguments)]
fn update_scene(
    mut commands: Commands,
    model: Res<Model>,
    cursor: Res<Cursor>,
    selection: Res<Selection>,
    mut pool: ResMut<PacketPool>,
    mut icons: Query<(&HostIcon, &mut Sprite, &mut Transform), Without<Packet>>,
    mut packets: Query<(&mut Sprite, &mut Transform, &mut Visibility), With<Packet>>,
    mut gizmos: Gizmos,
) {
    // Links: every pair of hosts that talk; the current one brighter.
    let current = packet_of(&model, cursor.index).map(|(a, b, _, _)| (a.min(b), a.max(b)));
    for &(a, b) in &model.links {
        let color = if Some((a, b)) == current {
            Color::srgb(0.85, 0.88, 0.95)
        } else {
            Color::srgb(0.32, 0.35, 0.42)
        };
        gizmos.line_2d(
            world_of(model.positions[a]),
            world_of(model.positions[b]),
            color,
        );
    }
    // A host pulses when its mailbox, queue or inbox changes at the cursor.
    let pulse_host = cursor
        .index
        .and_then(|i| match &model.trace.events.get(i)?.kind {
            EventKind::Mailbox { host, .. }
            | EventKind::Queue { host, .. }
            | EventKind::Downloaded { host, .. }
            | EventKind::Listed { host, .. }
            | EventKind::Page { host, .. } => Some(*host),
            _ => None,
        });
    for (icon, mut sprite, mut t) in &mut icons {
        let pulse = if pulse_host == Some(icon.0) {
            1.0 + 0.3 * (cursor.progress * std::f32::consts::PI).sin().max(0.15)
        } else {
            1.0
        };
        t.scale = Vec3::splat(pulse);
        sprite.color = if selection.host == Some(icon.0) {
            Color::srgb(1.0, 0.85, 0.4)
        } else {
            Color::srgb(0.86, 0.89, 0.95)
        };
    }
    let flying = packets_in_flight(&model, &cursor);
    while pool.0.len() < flying.len() {
        let e = commands
            .spawn((
                Packet,
                Sprite::from_color(Color::WHITE, Vec2::new(30.0, 20.0)),
                Transform::from_xyz(0.0, 0.0, 5.0),
                Visibility::Hidden,
            ))
            .id();
        pool.0.push(e);
    }
    for (k, &e) in pool.0.iter().enumerate() {
        let Ok((mut sprite, mut t, mut vis)) = packets.get_mut(e) else {
            continue;
        };
        match flying.get(k) {
            Some(p) => {
                *vis = Visibility::Visible;
                t.translation = p.pos.extend(if p.current { 6.0 } else { 5.0 });
                let alpha = if p.control { 0.6 } else { 1.0 };
                sprite.color = protocol_color(p.protocol).with_alpha(alpha);
                let size = if p.control {
                    Vec2::new(18.0, 12.0)
                } else {
                    Vec2::new(30.0, 20.0)
                };
                sprite.custom_size = Some(if p.current { size * 1.15 } else { size });
                if p.lost {
                    let red = Color::srgb(1.0, 0.25, 0.2);
                    let d = Vec2::splat(size.y * 0.8);
                    gizmos.line_2d(p.pos - d, p.pos + d, red);
                    gizmos.line_2d(
                        p.pos + Vec2::new(-d.x, d.y),
                        p.pos + Vec2::new(d.x, -d.y),
                        red,
                    );
                }
            }
            None => *vis = Visibility::Hidden,
        }
    }
}

fn fit_camera(
    rect: Res<CentralRect>,
    view: Res<ViewTransform>,
    window: Query<&Window, With<PrimaryWindow>>,
    mut camera: Query<(&mut Camera, &mut Projection, &mut Transform), With<DiagramCamera>>,
) {
    let Ok(window) = window.single() else { return };
    let Ok((mut cam, mut projection, mut transform)) = camera.single_mut() else {
        return;
    };
    let r = rect.0;
    let scale = view.scale(r);
    if let Projection::Orthographic(o) = projection.as_mut()
        && o.scale != scale
    {
        o.scale = scale;
    }
    // The viewport is the central rect in physical pixels, kept inside the window.
    let f = window.scale_factor();
    let size = window.physical_size();
    let min = (r.min * f).round().as_uvec2().min(size);
    let max = (r.max * f).round().as_uvec2().min(size);
    let viewport = (max.x > min.x && max.y > min.y).then(|| Viewport {
        physical_position: min,
        physical_size: max - min,
        ..default()
    });
    let same = match (&cam.viewport, &viewport) {
        (Some(a), Some(b)) => {
            a.physical_position == b.physical_position && a.physical_size == b.physical_size
        }
        (None, None) => true,
        _ => false,
    };
    if !same {
        cam.viewport = viewport;
    }
    let center = view.center().extend(transform.translation.z);
    if transform.translation != center {
        transform.translation = center;
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<CentralRect>()
        .init_resource::<ViewTransform>()
        .init_resource::<PacketPool>()
        .insert_resource(ClearColor(Color::srgb(0.09, 0.10, 0.13)))
        .add_systems(Startup, (setup, load_icons))
        .add_systems(
            Update,
            (rebuild_hosts, update_scene, fit_camera).after(super::model::update_view),
        );
}
