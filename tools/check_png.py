#!/usr/bin/env python3
"""Checks screenshots: PNGs of the given size, not blank (many distinct colours), all different.

Usage: check_png.py WIDTH HEIGHT FILE... Standard library only.
"""
import struct
import sys
import zlib


def check(path, want_w, want_h):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert (w, h) == (want_w, want_h), f"size {w}x{h}, expected {want_w}x{want_h}"
    channels = {2: 3, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * channels + 1
    colours = set()
    # Sample every 7th row, raw bytes (filters make this approximate, but a blank image stays tiny).
    for y in range(0, h, 7):
        row = raw[y * stride + 1:(y + 1) * stride]
        for x in range(0, w * channels, channels * 5):
            colours.add(row[x:x + 3])
    assert len(colours) > 50, f"the screenshot looks blank ({len(colours)} colours)"
    print(f"{path}: {w}x{h}, {len(colours)} sampled colours: ok")
    return raw


def main():
    want_w, want_h = int(sys.argv[1]), int(sys.argv[2])
    images = [check(p, want_w, want_h) for p in sys.argv[3:]]
    assert images, "no files given"
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert images[i] != images[j], f"{sys.argv[3 + i]} and {sys.argv[3 + j]} are the same picture"
    print(f"{len(images)} screenshots differ from each other: ok")


main()
