#!/usr/bin/env python3
"""Draws the diagram's icons (assets/icons/*.png) with the standard library only.

Icons are white and light grey on transparent so the window can tint them; thick shapes stay
legible on a projector. Run: python3 tools/make_icons.py
"""
import struct
import zlib
from pathlib import Path

S = 128


def canvas():
    return [[(0, 0, 0, 0) for _ in range(S)] for _ in range(S)]


def rect(img, x0, y0, x1, y1, c, r=0):
    for y in range(max(0, y0), min(S, y1)):
        for x in range(max(0, x0), min(S, x1)):
            # rounded corners
            cx = x0 + r if x < x0 + r else (x1 - 1 - r if x > x1 - 1 - r else x)
            cy = y0 + r if y < y0 + r else (y1 - 1 - r if y > y1 - 1 - r else y)
            if (x - cx) ** 2 + (y - cy) ** 2 <= r * r:
                img[y][x] = c


def circle(img, cx, cy, r, c, ring=0):
    for y in range(S):
        for x in range(S):
            d = (x - cx) ** 2 + (y - cy) ** 2
            if d <= r * r and (ring == 0 or d >= (r - ring) ** 2):
                img[y][x] = c


def save(img, name):
    raw = b"".join(b"\0" + bytes(v for px in row for v in px) for row in img)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", S, S, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    out = Path(__file__).resolve().parent.parent / "assets" / "icons" / name
    out.write_bytes(png)


W = (255, 255, 255, 255)
G = (170, 178, 190, 255)
D = (40, 46, 56, 255)

# A computer: a monitor with a screen, a neck and a foot.
img = canvas()
rect(img, 10, 14, 118, 90, W, r=8)
rect(img, 20, 24, 108, 80, D, r=3)
rect(img, 28, 32, 84, 38, G)
rect(img, 28, 44, 96, 50, G)
rect(img, 28, 56, 72, 62, G)
rect(img, 54, 90, 74, 104, W)
rect(img, 30, 104, 98, 114, W, r=4)
save(img, "computer.png")

# A server: a rack of three units with lights.
img = canvas()
for i, y in enumerate((10, 48, 86)):
    rect(img, 18, y, 110, y + 32, W, r=6)
    rect(img, 28, y + 12, 76, y + 20, D)
    circle(img, 92, y + 16, 5, D)
save(img, "server.png")

# A DNS server: a globe (directory of names) on a base.
img = canvas()
circle(img, 64, 56, 46, W)
circle(img, 64, 56, 40, D)
circle(img, 64, 56, 34, W, ring=6)
rect(img, 61, 16, 67, 96, W)
rect(img, 24, 53, 104, 59, W)
rect(img, 34, 104, 94, 116, W, r=4)
save(img, "dns.png")

# A web browser: a window with a title bar, tabs and page lines.
img = canvas()
rect(img, 8, 14, 120, 114, W, r=8)
rect(img, 16, 34, 112, 106, D, r=3)
circle(img, 20, 24, 4, D)
circle(img, 32, 24, 4, D)
circle(img, 44, 24, 4, D)
rect(img, 24, 44, 104, 52, G)
rect(img, 24, 60, 88, 66, G)
rect(img, 24, 74, 96, 80, G)
save(img, "browser.png")
