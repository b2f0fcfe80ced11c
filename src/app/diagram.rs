//! The diagram, drawn by bevy: the domains' regions, host icons, links, and the packets moving
//! along them. Where things go is [`crate::layout`]'s, for the size of the diagram's rect; labels
//! and clicks are handled by the egui overlay (`panels`), which knows the same world ↔ screen
//! mapping ([`ViewTransform`]).

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraOutputMode, Viewport};
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy::render::view::Msaa;
use bevy::window::PrimaryWindow;
use bevy_egui::PrimaryEguiContext;

use super::model::{Cursor, Model, Selection};
use crate::layout::{Layout, point_along};
use crate::protocols::Protocol;
use crate::scenario::{HostKind, Service};
use crate::{EventId, EventKind, HostId, TcpFlags};

/// The diagram's part of the window, in egui points (set by the panels each frame), and how many
/// logical window pixels a point is (egui's zoom: 1.35 with the larger text).
#[derive(Resource, Debug, Clone, Copy)]
pub struct CentralRect(pub Rect, pub f32);

impl Default for CentralRect {
    fn default() -> Self {
        let a = crate::layout::diagram_area((1280.0, 720.0), 1.0);
        CentralRect(Rect::new(a.x0, a.y0, a.x1, a.y1), 1.0)
    }
}

/// The layout for the current scenario and diagram size; recomputed when either changes.
#[derive(Resource, Debug, Clone)]
pub struct DiagramLayout(pub Layout);

impl DiagramLayout {
    /// The world point (y up, origin in the middle) of a layout point (y down, origin top-left).
    pub fn world(&self, p: (f32, f32)) -> Vec2 {
        world_of(&self.0, p)
    }
}

/// The world point (y up, origin in the middle of the diagram) of a layout point (points, y
/// down, origin at the diagram's top-left corner).
pub fn world_of(l: &Layout, p: (f32, f32)) -> Vec2 {
    Vec2::new(p.0 - l.size.0 / 2.0, l.size.1 / 2.0 - p.1)
}

/// Zoom and pan chosen with the mouse, on top of fitting the diagram into its rect.
#[derive(Resource, Debug, Clone, Copy)]
pub struct ViewTransform {
    /// 1 = the whole diagram fits.
    pub zoom: f32,
    /// World units the view is moved by (from the centre of what it fits).
    pub pan: Vec2,
    /// The world box to fit (min, max): the layout's.
    pub fit: (Vec2, Vec2),
}

impl Default for ViewTransform {
    fn default() -> Self {
        let half = Vec2::new(640.0, 360.0);
        ViewTransform {
            zoom: 1.0,
            pan: Vec2::ZERO,
            fit: (-half, half),
        }
    }
}

impl ViewTransform {
    /// World units per point in `rect` (1 when the layout was made for it and nothing is zoomed).
    pub fn scale(&self, rect: Rect) -> f32 {
        let size = self.fit.1 - self.fit.0;
        let fit = (size.x / rect.width().max(1.0)).max(size.y / rect.height().max(1.0));
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

/// A domain's region (or the Internet band), a tinted rectangle behind its hosts.
#[derive(Component)]
pub struct RegionShape;

/// The icons, embedded in the binary so the window works from any folder.
#[derive(Resource)]
pub struct Icons {
    computer: Handle<Image>,
    server: Handle<Image>,
    dns: Handle<Image>,
    /// One white pixel sampled nearest: the fill of regions and packets. Bevy's default image
    /// gives the same colours, sampled linearly: on a software renderer, which shades every pixel
    /// of every region each frame, that cost about a third more (callgrind: 34.7M instructions a
    /// frame for the walkthrough's regions, 25.8M this way).
    plain: Handle<Image>,
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
        plain: images.add(Image {
            sampler: ImageSampler::nearest(),
            ..Image::new_fill(
                bevy::render::render_resource::Extent3d::default(),
                bevy::render::render_resource::TextureDimension::D2,
                &[255, 255, 255, 255],
                bevy::render::render_resource::TextureFormat::Rgba8UnormSrgb,
                RenderAssetUsages::RENDER_WORLD,
            )
        }),
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
            // The one copy to the window replaces what is there. Left to itself, bevy blends the
            // second camera's copy over the first's (which it does not know was skipped): a read
            // and a blend of every pixel for nothing (on lavapipe, 3M of the walkthrough's 261M
            // instructions a frame).
            output_mode: CameraOutputMode::Write {
                blend_state: Some(BlendState::REPLACE),
                clear_color: ClearColorConfig::None,
            },
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

/// Lays the diagram out again when the scenario or the diagram's size changes; a new scenario
/// also resets zoom and pan.
fn relayout(
    model: Res<Model>,
    rect: Res<CentralRect>,
    mut layout: ResMut<DiagramLayout>,
    mut view: ResMut<ViewTransform>,
    mut last: Local<Option<(String, usize)>>,
) {
    let size = (rect.0.width().round(), rect.0.height().round());
    let same_size = (layout.0.size.0 - size.0.max(50.0)).abs() < 0.5
        && (layout.0.size.1 - size.1.max(50.0)).abs() < 0.5;
    if !model.is_changed() && same_size {
        return;
    }
    layout.0 = Layout::with_room(
        &model.scenario,
        &model.links,
        size,
        rect.1,
        model.room.as_ref(),
    );
    let half = Vec2::new(layout.0.size.0, layout.0.size.1) / 2.0;
    let which = Some((model.name.clone(), model.scenario.hosts.len()));
    let fresh = *last != which;
    *last = which;
    *view = ViewTransform {
        fit: (-half, half),
        ..if fresh {
            ViewTransform::default()
        } else {
            *view
        }
    };
}

/// What is rebuilt when the layout changes.
type Shapes = Or<(With<HostIcon>, With<RegionShape>)>;

fn rebuild_scene(
    mut commands: Commands,
    model: Res<Model>,
    layout: Res<DiagramLayout>,
    icons: Res<Icons>,
    old: Query<Entity, Shapes>,
) {
    if !layout.is_changed() {
        return;
    }
    for e in &old {
        commands.entity(e).despawn();
    }
    for r in &layout.0.regions {
        let (c, w, h) = (r.rect.center(), r.rect.width(), r.rect.height());
        let tint = if r.domain.is_some() {
            Color::srgb(0.13, 0.15, 0.20)
        } else {
            Color::srgb(0.11, 0.12, 0.15)
        };
        let p = layout.world(c);
        commands.spawn((
            RegionShape,
            Sprite {
                image: icons.plain.clone(),
                color: tint,
                custom_size: Some(Vec2::new(w, h)),
                ..default()
            },
            Transform::from_xyz(p.x, p.y, 0.0),
        ));
    }
    for (i, h) in layout.0.hosts.iter().enumerate() {
        if h.hidden {
            // A room's computer drawn as the icon that stands for the rest.
            continue;
        }
        let w = layout.world(h.center);
        commands.spawn((
            HostIcon(i),
            Sprite {
                image: icon_of(&icons, &model, i),
                custom_size: Some(Vec2::splat(h.icon.width())),
                ..default()
            },
            Transform::from_xyz(w.x, w.y, 1.0),
        ));
    }
}

/// The current event's packet: endpoints, protocol, whether it is a TCP control segment.
pub fn packet_of(model: &Model, event: Option<EventId>) -> Option<(usize, usize, Protocol, bool)> {
    match &model.trace.get(event?)?.kind {
        EventKind::Segment(s) => Some((
            s.from.host.index(),
            s.to.host.index(),
            s.protocol,
            s.payload.is_empty() && !s.flags.has(TcpFlags::RST),
        )),
        EventKind::Datagram(d) => Some((d.from.host.index(), d.to.host.index(), d.protocol, false)),
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
    pub event: EventId,
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
fn lost(model: &Model, i: EventId) -> bool {
    match model.trace.get(i).map(|e| &e.kind) {
        Some(EventKind::Segment(s)) => s.lost,
        Some(EventKind::Datagram(d)) => d.lost,
        _ => false,
    }
}

/// Where a packet from `from` to `to` is when a share `t` of the way along their link.
fn along(layout: &Layout, from: usize, to: usize, t: f32) -> Vec2 {
    world_of(layout, point_along(&layout.path(from, to), t))
}

/// Every packet in flight at the cursor: the current event's, which travels while playing (and
/// stops half-way when stepping, to be read and clicked), and every earlier one that has not yet
/// arrived at the cursor's time, placed by how far along its flight it is.
pub fn packets_in_flight(model: &Model, layout: &Layout, cursor: &Cursor) -> Vec<PacketView> {
    let Some((ci, now)) = cursor
        .event
        .and_then(|c| model.trace.get(c))
        .map(|e| (e.id, e.time))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in model.trace.before(ci).iter().rev() {
        if e.time.0 + model.max_flight < now.0 {
            break;
        }
        let (from, to, arrive, protocol, control) = match &e.kind {
            EventKind::Segment(s) => (
                s.from.host.index(),
                s.to.host.index(),
                s.arrive,
                s.protocol,
                s.payload.is_empty(),
            ),
            EventKind::Datagram(d) => (
                d.from.host.index(),
                d.to.host.index(),
                d.arrive,
                d.protocol,
                false,
            ),
            _ => continue,
        };
        if arrive <= now {
            continue;
        }
        let f = (now.0 - e.time.0) as f32 / (arrive.0 - e.time.0).max(1) as f32;
        // A lost packet gets half-way and stays there, crossed out, until it would have arrived.
        let lost = lost(model, e.id);
        out.push(PacketView {
            event: e.id,
            pos: along(layout, from, to, if lost { f.min(0.5) } else { f }),
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
        out.push(PacketView {
            event: ci,
            pos: along(layout, from, to, t),
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
    layout: Res<DiagramLayout>,
    cursor: Res<Cursor>,
    selection: Res<Selection>,
    mut pool: ResMut<PacketPool>,
    images: Res<Icons>,
    mut icons: Query<(&HostIcon, &mut Sprite, &mut Transform), Without<Packet>>,
    mut packets: Query<(&mut Sprite, &mut Transform, &mut Visibility), With<Packet>>,
    mut gizmos: Gizmos,
) {
    // Regions' borders.
    for r in &layout.0.regions {
        let color = if r.domain.is_some() {
            Color::srgb(0.30, 0.36, 0.48)
        } else {
            Color::srgb(0.24, 0.26, 0.32)
        };
        gizmos.rect_2d(
            layout.world(r.rect.center()),
            Vec2::new(r.rect.width(), r.rect.height()),
            color,
        );
    }
    // Links: every pair of hosts that talk; the current one brighter, a followed mail's gold.
    let drawn = |i: usize| model.room.as_ref().map_or(i, |r| r.drawn_as(i));
    let current = packet_of(&model, cursor.event)
        .map(|(a, b, _, _)| (drawn(a), drawn(b)))
        .map(|(a, b)| (a.min(b), a.max(b)));
    let followed: Vec<(usize, usize)> = selection
        .journey
        .iter()
        .flat_map(|j| j.hops.iter())
        .map(|h| (drawn(h.from.index()), drawn(h.to.index())))
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.min(b), a.max(b)))
        .collect();
    for l in &layout.0.links {
        if layout.0.hosts[l.a].hidden || layout.0.hosts[l.b].hidden {
            // The stand-in's link, drawn once.
            continue;
        }
        let color = if Some((l.a, l.b)) == current {
            Color::srgb(0.85, 0.88, 0.95)
        } else if followed.contains(&(l.a, l.b)) {
            Color::srgb(0.95, 0.75, 0.25)
        } else {
            Color::srgb(0.40, 0.44, 0.52)
        };
        gizmos.linestrip_2d(l.points.iter().map(|&p| layout.world(p)), color);
    }
    // A host pulses when its mailbox, queue or inbox changes at the cursor.
    let pulse_host = cursor.event.and_then(|i| match &model.trace.get(i)?.kind {
        EventKind::Mailbox { host, .. }
        | EventKind::Queue { host, .. }
        | EventKind::Downloaded { host, .. }
        | EventKind::Listed { host, .. }
        | EventKind::Page { host, .. } => Some(host.index()),
        _ => None,
    });
    for (icon, mut sprite, mut t) in &mut icons {
        let pulse = if pulse_host == Some(icon.0) {
            1.0 + 0.3 * (cursor.progress * std::f32::consts::PI).sin().max(0.15)
        } else {
            1.0
        };
        t.scale = Vec3::splat(pulse);
        sprite.color = if selection.host == Some(HostId::new(icon.0)) {
            Color::srgb(1.0, 0.85, 0.4)
        } else {
            Color::srgb(0.86, 0.89, 0.95)
        };
    }
    let flying = packets_in_flight(&model, &layout.0, &cursor);
    // Packets keep their size relative to the icons.
    let grow = layout.0.scale.max(0.5);
    while pool.0.len() < flying.len() {
        let e = commands
            .spawn((
                Packet,
                Sprite {
                    image: images.plain.clone(),
                    custom_size: Some(Vec2::new(30.0, 20.0)),
                    ..default()
                },
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
                let size = grow
                    * if p.control {
                        Vec2::new(14.0, 9.0)
                    } else {
                        Vec2::new(24.0, 16.0)
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
    settings: Res<super::model::Settings>,
    view: Res<ViewTransform>,
    window: Query<&Window, With<PrimaryWindow>>,
    mut camera: Query<(&mut Camera, &mut Projection, &mut Transform), With<DiagramCamera>>,
    mut panels: Query<&mut Camera, (With<PrimaryEguiContext>, Without<DiagramCamera>)>,
) {
    let Ok(window) = window.single() else { return };
    let Ok((mut cam, mut projection, mut transform)) = camera.single_mut() else {
        return;
    };
    // The ladder alone covers the diagram: do not draw it underneath. Then the panels' camera
    // clears the window itself, or each frame's panels would be drawn over the last's.
    let active = settings.view != super::model::View::Ladder;
    if cam.is_active != active {
        cam.is_active = active;
    }
    for mut panels in &mut panels {
        let clears = !matches!(panels.clear_color, ClearColorConfig::None);
        if clears == active {
            panels.clear_color = if active {
                ClearColorConfig::None
            } else {
                ClearColorConfig::Default
            };
        }
    }
    let (r, zoom) = (rect.0, rect.1);
    // World units per logical window pixel: a point is `zoom` of them.
    let scale = view.scale(r) / zoom;
    if let Projection::Orthographic(o) = projection.as_mut()
        && o.scale != scale
    {
        o.scale = scale;
    }
    // The viewport is the central rect in physical pixels, kept inside the window.
    let f = window.scale_factor() * zoom;
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
        .insert_resource(DiagramLayout(Layout::default()))
        .init_resource::<ViewTransform>()
        .init_resource::<PacketPool>()
        .insert_resource(ClearColor(Color::srgb(0.09, 0.10, 0.13)))
        .add_systems(Startup, (setup, load_icons))
        .add_systems(
            Update,
            (relayout, rebuild_scene, update_scene, fit_camera)
                .chain()
                .after(super::model::update_view),
        );
}
