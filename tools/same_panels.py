#!/usr/bin/env python3
"""Checks that two screenshots of one moment, in two views, show the same panels.

The panels (narration, inspector, timeline, event list) do not depend on the view; only the
middle of the window does. Where a view's frame is drawn over the last one's instead of over a
cleared window, old text shows through the panels, which this catches. Colours may differ by
a rounding step or two (the two views blend over a cleared window by different passes).

Usage: same_panels.py A.png B.png X0,Y0,X1,Y1 ... (the rectangles to compare, in pixels, the
right and bottom edges excluded). Standard library only.
"""
import sys

from check_png import pixels

TOLERANCE = 2


def main():
    a, b, rects = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert rects, "no rectangles given"
    wa, ha, bpa, ra = pixels(a)
    wb, hb, bpb, rb = pixels(b)
    assert (wa, ha) == (wb, hb), f"{a} is {wa}x{ha}, {b} is {wb}x{hb}"
    for rect in rects:
        x0, y0, x1, y1 = (int(v) for v in rect.split(","))
        assert 0 <= x0 < x1 <= wa and 0 <= y0 < y1 <= ha, f"{rect} is not inside {wa}x{ha}"
        bad = []
        for y in range(y0, y1):
            for x in range(x0, x1):
                p, q = ra[y][x * bpa:x * bpa + 3], rb[y][x * bpb:x * bpb + 3]
                if max(abs(i - j) for i, j in zip(p, q)) > TOLERANCE:
                    bad.append((x, y))
        assert not bad, (
            f"{a} and {b} differ in {rect} at {len(bad)} pixels, first at {bad[0]}: "
            "a view drew over an old frame?"
        )
        print(f"{a} and {b}: the same in {rect}")


if __name__ == "__main__":
    main()
