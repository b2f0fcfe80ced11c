use super::*;

fn walkthrough() -> Scenario {
    crate::scenario::parse("w", crate::WALKTHROUGH).unwrap()
}

#[test]
fn walkthrough_goes_left_to_right() {
    let s = walkthrough();
    let l = Layout::new(&s, &[], (900.0, 500.0), 1.0);
    let x = |name: &str| l.hosts[s.host_id(name).unwrap()].center.0;
    assert!(x("alice-pc.a.example") < x("smtp.a.example"));
    assert!(x("smtp.a.example") < x("ns.example"));
    assert!(x("ns.example") < x("mx.b.example"));
    assert!(x("mx.b.example") < x("bob-pc.b.example"));
    assert_eq!(l.orientation, Orientation::LeftRight);
    assert_eq!(l.detail, Detail::Full);
}

#[test]
fn a_segment_hits_a_rect_only_through_its_inside() {
    let r = Rect::new(0.0, 0.0, 10.0, 10.0);
    assert!(r.hit_by((-5.0, 5.0), (15.0, 5.0)));
    assert!(r.hit_by((5.0, 5.0), (50.0, 50.0)));
    assert!(!r.hit_by((-5.0, -1.0), (15.0, -1.0)));
    assert!(
        !r.hit_by((-5.0, 0.0), (15.0, 0.0)),
        "along an edge is outside"
    );
    assert!(!r.hit_by((11.0, -5.0), (20.0, 30.0)));
}

#[test]
fn point_along_follows_the_bends() {
    let p = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)];
    assert_eq!(point_along(&p, 0.0), (0.0, 0.0));
    assert_eq!(point_along(&p, 0.5), (10.0, 0.0));
    assert_eq!(point_along(&p, 0.75), (10.0, 5.0));
    assert_eq!(point_along(&p, 1.0), (10.0, 10.0));
}

#[test]
fn regions_are_titled_by_the_scenario_or_by_their_users() {
    let s = walkthrough();
    let l = Layout::new(&s, &[], (900.0, 500.0), 1.0);
    let titles: Vec<&str> = l.regions.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "a.example — Alice's provider",
            "b.example — Bob's provider",
            "the Internet"
        ]
    );
    let text = format!(
        "{}\n[[domain]]\nname = \"a.example\"\nlabel = \"Alice's school\"\n",
        crate::WALKTHROUGH
    );
    let s = crate::scenario::parse("w", &text).unwrap();
    let l = Layout::new(&s, &[], (900.0, 500.0), 1.0);
    assert_eq!(l.regions[0].title, "a.example — Alice's school");
    assert_eq!(l.hosts[s.host_id("ns.example").unwrap()].region, Some(2));
}
