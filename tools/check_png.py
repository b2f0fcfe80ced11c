#!/usr/bin/env python3
"""Checks screenshots: PNGs of the given size, not blank (many distinct colours), all different.

The pixels are decoded (the five PNG row filters undone, RFC 2083 §6), so colours and
differences are of the picture, not of its compressed or filtered bytes.

Usage: check_png.py WIDTH HEIGHT FILE... Standard library only.
"""
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def pixels(path):
    """(width, height, channels, rows of unfiltered bytes) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, idat, w, h, ctype, depth, interlace = 8, b"", 0, 0, None, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body[:13])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and ctype in (2, 6) and interlace == 0, \
        f"{path}: depth {depth}, colour type {ctype}, interlace {interlace}: not 8-bit RGB(A)"
    bpp = {2: 3, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * bpp
    assert len(raw) == h * (stride + 1), f"{path}: {len(raw)} bytes of image data for {w}x{h}"
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif f == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                up_left = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + paeth(left, prev[i], up_left)) & 0xFF
        else:
            assert f == 0, f"{path}: row {y} has filter type {f}"
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def check(path, want_w, want_h):
    w, h, bpp, rows = pixels(path)
    assert (w, h) == (want_w, want_h), f"size {w}x{h}, expected {want_w}x{want_h}"
    colours = set()
    for y in range(0, h, 3):
        row = rows[y]
        for x in range(0, w * bpp, bpp * 3):
            colours.add(row[x:x + 3])
    assert len(colours) > 50, f"{path}: the screenshot looks blank ({len(colours)} colours)"
    print(f"{path}: {w}x{h}, {len(colours)} colours: ok")
    # The picture itself, without alpha, to compare with the others.
    return b"".join(bytes(b for i, b in enumerate(r) if bpp == 3 or i % 4 != 3) for r in rows[::2])


def main():
    want_w, want_h = int(sys.argv[1]), int(sys.argv[2])
    images = [check(p, want_w, want_h) for p in sys.argv[3:]]
    assert images, "no files given"
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert images[i] != images[j], f"{sys.argv[3 + i]} and {sys.argv[3 + j]} are the same picture"
    print(f"{len(images)} screenshots differ from each other: ok")


if __name__ == "__main__":
    main()
