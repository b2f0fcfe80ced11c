//! The diagram's layout for the networks teachers write: generated ones with 1–6 domains, 1–3
//! computers each, with and without webmail, and every bundled scenario, at the window sizes a
//! class meets (1280×720 and 1920×1080, with and without the larger text). What must hold: no
//! label overlaps another label, an icon or a region's title; no link passes through a host it
//! does not end at, or through a region's title; every computer is inside its domain's region; everything is inside the
//! diagram.

use mailsim::layout::{Detail, Rect, WindowLayout, for_window};
use mailsim::scenario::{HostKind, Scenario};

/// Everything wrong with a layout, in words.
fn problems(s: &Scenario, w: &WindowLayout) -> Vec<String> {
    let l = &w.layout;
    let mut out = Vec::new();
    let name = |i: usize| s.hosts[i].name.as_str();
    for (i, h) in l.hosts.iter().enumerate() {
        if h.hidden {
            // A room's computer drawn as the icon that stands for the rest: checked there.
            continue;
        }
        if !w.diagram.contains(&h.block()) {
            out.push(format!("{} is not inside the diagram", name(i)));
        }
        for (j, g) in l.hosts.iter().enumerate().skip(i + 1) {
            if !g.hidden && h.block().intersects(&g.block()) {
                out.push(format!("{} and {} overlap", name(i), name(j)));
            }
        }
        for (k, line) in h.lines.iter().enumerate() {
            for other in &h.lines[k + 1..] {
                if line.rect.intersects(&other.rect) {
                    out.push(format!("two lines of {}'s label overlap", name(i)));
                }
            }
            if line.rect.intersects(&h.icon) {
                out.push(format!("{}'s label covers its icon", name(i)));
            }
        }
        for r in &l.regions {
            if h.block().intersects(&r.title_rect) {
                out.push(format!("{} covers the title {:?}", name(i), r.title));
            }
        }
        // Computers in their domain's region, whole.
        if s.hosts[i].kind == HostKind::Computer
            && let Some(d) = s.hosts[i].place()
        {
            match l
                .regions
                .iter()
                .find(|r| r.domain.as_deref() == Some(d.as_str()))
            {
                Some(r) if r.rect.contains(&h.block()) => {}
                Some(_) => out.push(format!("{} is outside the region of {d}", name(i))),
                None => out.push(format!("{d} has no region")),
            }
        }
    }
    for (a, r) in l.regions.iter().enumerate() {
        if !r.rect.contains(&r.title_rect) {
            out.push(format!("the title {:?} sticks out of its region", r.title));
        }
        for q in &l.regions[a + 1..] {
            if r.rect.intersects(&q.rect) {
                out.push(format!("regions {:?} and {:?} overlap", r.title, q.title));
            }
        }
    }
    for link in &l.links {
        for seg in link.points.windows(2) {
            for (i, h) in l.hosts.iter().enumerate() {
                // A hidden computer's link is its stand-in's (the host at its spot).
                let stands_for = |k: usize, e: usize| {
                    l.hosts[e].hidden && l.hosts[k].center == l.hosts[e].center
                };
                let end = |k: usize| {
                    k == link.a
                        || k == link.b
                        || l.hosts[k].hidden
                        || stands_for(k, link.a)
                        || stands_for(k, link.b)
                };
                if !end(i) && h.block().hit_by(seg[0], seg[1]) {
                    out.push(format!(
                        "the link {} - {} passes through {}",
                        name(link.a),
                        name(link.b),
                        name(i)
                    ));
                }
            }
        }
        for seg in link.points.windows(2) {
            for r in &l.regions {
                if r.title_rect.hit_by(seg[0], seg[1]) {
                    out.push(format!(
                        "the link {} - {} crosses the title {:?}",
                        name(link.a),
                        name(link.b),
                        r.title
                    ));
                }
            }
        }
        let (first, last) = (link.points[0], link.points[link.points.len() - 1]);
        if first != l.hosts[link.a].center || last != l.hosts[link.b].center {
            out.push(format!(
                "the link {} - {} does not end at its hosts",
                name(link.a),
                name(link.b)
            ));
        }
    }
    out
}

const SIZES: [(f32, f32, bool); 4] = [
    (1280.0, 720.0, false),
    (1280.0, 720.0, true),
    (1920.0, 1080.0, false),
    (1920.0, 1080.0, true),
];

#[test]
fn teachers_networks_lay_out_without_overlaps() {
    let mut worst: Option<(f32, String)> = None;
    let mut count = 0;
    for domains in 1..=6 {
        for computers in 1..=3 {
            for webmail in [false, true] {
                let text = mailsim::generate::teacher(domains, computers, webmail);
                let s = mailsim::scenario::parse("t", &text).unwrap();
                for (w, h, large) in SIZES {
                    let l = for_window(&s, (w, h), large);
                    let what = format!(
                        "{domains} domains × {computers} computers{} at {w}×{h}{}",
                        if webmail { " + webmail" } else { "" },
                        if large { " (larger text)" } else { "" }
                    );
                    let p = problems(&s, &l);
                    assert!(p.is_empty(), "{what}:\n  {}", p.join("\n  "));
                    // Labels stay: up to six domains of three hosts, the names are never
                    // hidden at these sizes.
                    assert!(l.layout.detail < Detail::Hover, "{what}: labels hidden");
                    let font = 14.0 * l.layout.scale;
                    if worst.as_ref().is_none_or(|(f, _)| font < *f) {
                        worst = Some((font, format!("{what}: {:?}", l.layout.detail)));
                    }
                    count += 1;
                }
            }
        }
    }
    let (font, what) = worst.expect("some layouts");
    println!(
        "layout: {count} layouts, none overlapping; smallest label font {font:.1} px ({what})"
    );
}

#[test]
fn bundled_scenarios_lay_out_without_overlaps() {
    let files = std::fs::read_dir("scenarios")
        .unwrap()
        .chain(std::fs::read_dir("tests/networks").unwrap());
    for entry in files {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let s = mailsim::scenario::parse(&path.display().to_string(), &text).unwrap();
        for (w, h, large) in SIZES {
            let l = for_window(&s, (w, h), large);
            let p = problems(&s, &l);
            assert!(
                p.is_empty(),
                "{} at {w}×{h} {large}:\n  {}",
                path.display(),
                p.join("\n  ")
            );
            // Bundled networks show host names too, except with the larger text, which gives
            // their room to bigger labels.
            let most = if large { Detail::Label } else { Detail::Name };
            assert!(
                l.layout.detail <= most,
                "{} at {w}×{h} {large}: {:?}",
                path.display(),
                l.layout.detail
            );
        }
    }
}

#[test]
fn the_diagram_uses_its_space() {
    // The walkthrough's five hosts grow with the window: bigger at 1920×1080 than at 1280×720,
    // and fill most of the diagram's width.
    let s = mailsim::scenario::parse("w", mailsim::WALKTHROUGH).unwrap();
    let small = for_window(&s, (1280.0, 720.0), false);
    let big = for_window(&s, (1920.0, 1080.0), false);
    assert!(
        big.layout.scale > small.layout.scale * 1.3,
        "{} {}",
        big.layout.scale,
        small.layout.scale
    );
    for w in [&small, &big] {
        let used = w
            .layout
            .hosts
            .iter()
            .map(|h| h.block())
            .reduce(|a, b| a.union(&b))
            .unwrap();
        assert!(
            used.width() > 0.8 * w.diagram.width(),
            "{used:?} in {:?}",
            w.diagram
        );
    }
}

#[test]
fn a_position_in_the_scenario_wins() {
    let text = mailsim::WALKTHROUGH.replace(
        "label = \"DNS server\"",
        "label = \"DNS server\"\nposition = [500, 600]",
    );
    let s = mailsim::scenario::parse("w", &text).unwrap();
    let w = for_window(&s, (1280.0, 720.0), false);
    let ns = &w.layout.hosts[s.host_id("ns.example").unwrap()];
    assert!((ns.center.0 - (w.diagram.x0 + w.diagram.x1) / 2.0).abs() < 1.0);
    assert!((ns.center.1 - w.diagram.y0).abs() < 1.0);
    assert!(ns.placed);
}

#[test]
fn json_names_every_host_region_and_link() {
    let s = mailsim::scenario::parse("w", mailsim::WALKTHROUGH).unwrap();
    let w = for_window(&s, (1280.0, 720.0), false);
    let v: serde_json::Value = serde_json::from_str(&w.to_json()).unwrap();
    assert_eq!(v["hosts"].as_array().unwrap().len(), 5);
    assert_eq!(v["regions"].as_array().unwrap().len(), 3);
    assert_eq!(v["links"][0]["from"], "alice-pc.a.example");
    let r: Rect = Rect::new(
        v["diagram"]["x0"].as_f64().unwrap() as f32,
        v["diagram"]["y0"].as_f64().unwrap() as f32,
        v["diagram"]["x1"].as_f64().unwrap() as f32,
        v["diagram"]["y1"].as_f64().unwrap() as f32,
    );
    assert_eq!(r, w.diagram);
}

#[test]
fn a_packets_label_never_covers_a_host() {
    // Every packet of every bundled run, half-way along its link, with a label as long as the
    // window makes them (60 characters of 13-point monospace): the label finds a place that
    // covers no host's icon or label and no region's title.
    let mut files: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .chain(std::fs::read_dir("tests/networks").unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut placed = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let s = mailsim::scenario::parse("s", &text).unwrap();
        let mut sim = mailsim::Sim::new(&s, None);
        sim.run_to_end();
        for (w, h, large) in SIZES {
            let l = for_window(&s, (w, h), large).layout;
            let area = l
                .regions
                .iter()
                .map(|r| r.rect)
                .reduce(|a, b| a.union(&b))
                .unwrap();
            for e in &sim.trace().events {
                let (a, b) = match &e.kind {
                    mailsim::EventKind::Segment(s) => (s.from.host.index(), s.to.host.index()),
                    mailsim::EventKind::Datagram(d) => (d.from.host.index(), d.to.host.index()),
                    _ => continue,
                };
                let at = mailsim::layout::point_along(&l.path(a, b), 0.5);
                let spot = l.label_spot(at, (60.0 * 0.61 * 13.0, 22.0), area);
                for (i, host) in l.hosts.iter().enumerate() {
                    assert!(
                        !spot.intersects(&host.block()),
                        "{}: event {}'s label covers {} at {w}×{h} {large}",
                        path.display(),
                        e.id,
                        s.hosts[i].name
                    );
                }
                assert!(l.regions.iter().all(|r| !spot.intersects(&r.title_rect)));
                placed += 1;
            }
        }
    }
    println!("layout: {placed} packet labels placed, none over a host");
}

#[test]
fn a_classrooms_computers_are_a_few_icons_newest_first() {
    // Thirty computers of a room talking to the classroom scenario's servers: the four most
    // recently active get icons of their own, newest first, in a place of their own; one icon
    // stands for the other 26; the layout keeps its labels, overlaps nothing, and every hidden
    // computer's packets still have a way (the stand-in's).
    let text = std::fs::read_to_string("scenarios/classroom.toml").unwrap();
    let mut s = mailsim::scenario::parse("classroom", &text).unwrap();
    let servers: Vec<usize> = (0..s.hosts.len())
        .filter(|&i| !s.hosts[i].services.is_empty() && s.hosts[i].name.starts_with("mail"))
        .collect();
    assert!(
        servers.len() >= 2,
        "{:?}",
        s.hosts.iter().map(|h| &h.name).collect::<Vec<_>>()
    );
    let first = s.hosts.len();
    let mut pairs = Vec::new();
    for k in 0..30u8 {
        let ip = std::net::IpAddr::from([10, 1, 0, 10 + k]);
        s.hosts.push(mailsim::bridge::computer_host(ip));
        let me = first + k as usize;
        pairs.push((servers[k as usize % servers.len()], me));
        if k % 3 == 0 {
            pairs.push((servers[(k as usize + 1) % servers.len()], me));
        }
    }
    pairs.sort_unstable();
    // Newest first: the last to connect, then backwards.
    let members: Vec<usize> = (first..first + 30).rev().collect();
    let room = mailsim::layout::Room {
        title: "the room — 30 computers".into(),
        members: members.clone(),
        shown: 4,
    };
    for (w, h, large) in SIZES {
        let win = mailsim::layout::window_layout(&s, &pairs, (w, h), large, Some(&room));
        let l = &win.layout;
        let what = format!("{w}×{h}{}", if large { " (larger text)" } else { "" });
        let p = problems(&s, &win);
        assert!(p.is_empty(), "{what}:\n  {}", p.join("\n  "));
        assert!(l.detail < Detail::Hover, "{what}: labels hidden");
        let place = l
            .regions
            .iter()
            .position(|r| r.domain.as_deref() == Some(mailsim::layout::ROOM_PLACE))
            .expect("a place for the room");
        assert_eq!(l.regions[place].title, room.title, "{what}");
        let shown = &members[..5];
        for &i in shown {
            assert!(!l.hosts[i].hidden, "{what}");
            assert_eq!(l.hosts[i].region, Some(place), "{what}");
            assert!(
                l.regions[place].rect.contains(&l.hosts[i].block()),
                "{what}"
            );
        }
        // Newest first: down the place, or across it.
        let along = |i: usize| match l.orientation {
            mailsim::layout::Orientation::LeftRight => l.hosts[i].center.1,
            mailsim::layout::Orientation::TopBottom => l.hosts[i].center.0,
        };
        assert!(
            shown.windows(2).all(|w| along(w[0]) < along(w[1])),
            "{what}: not newest first"
        );
        let stand_in = &l.hosts[members[4]];
        let label: Vec<&str> = stand_in
            .lines
            .iter()
            .filter(|l| l.kind == mailsim::layout::LineKind::Label)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(label.join(" "), "+26 more computers", "{what}");
        // It stands for many: no one computer's name or address under it.
        assert!(
            stand_in
                .lines
                .iter()
                .all(|l| l.kind == mailsim::layout::LineKind::Label),
            "{what}: {:?}",
            stand_in.lines
        );
        for &i in &members[5..] {
            assert!(l.hosts[i].hidden, "{what}");
            assert_eq!(l.hosts[i].center, stand_in.center, "{what}");
        }
        for &(a, b) in &pairs {
            let path = l.path(a, b);
            assert!(
                l.links.iter().any(|k| (k.a, k.b) == (a, b)),
                "{what}: no link {a}-{b}"
            );
            assert_eq!(path[0], l.hosts[a].center, "{what}");
            assert_eq!(*path.last().unwrap(), l.hosts[b].center, "{what}");
        }
    }
}
