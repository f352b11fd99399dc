#!/usr/bin/env python3
"""Draws the app icons (PNG) for the employee app with the standard library only (no PIL).

A white check mark on the app's green. Run from anywhere:
    python3 crates/hadir-server/web/tools/make_icons.py
"""
import math
import os
import struct
import zlib

GREEN = (11, 107, 58)   # #0b6b3a, the app's theme colour
WHITE = (255, 255, 255)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app")


def png(path, size, pixels):
    rows = b"".join(b"\x00" + bytes(pixels[y * size * 4:(y + 1) * size * 4]) for y in range(size))

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    head = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def icon(size, maskable):
    """maskable: full-bleed square with the mark inside the 80% safe zone; else a rounded tile."""
    px = bytearray(size * size * 4)
    s = size
    radius = 0 if maskable else 0.22 * s
    scale = 0.62 if maskable else 0.8   # mark size relative to the tile
    # Check mark points in a unit box, centred.
    pts = [(0.22, 0.53), (0.42, 0.72), (0.80, 0.30)]
    pts = [((x - 0.5) * scale + 0.5, (y - 0.5) * scale + 0.5) for x, y in pts]
    pts = [(x * s, y * s) for x, y in pts]
    half = 0.06 * s * scale / 0.8
    for y in range(s):
        for x in range(s):
            cx, cy = x + 0.5, y + 0.5
            # Coverage of the rounded tile (anti-aliased edge).
            if radius:
                qx = max(radius - cx, 0, cx - (s - radius))
                qy = max(radius - cy, 0, cy - (s - radius))
                d = math.hypot(qx, qy) - radius
                tile = max(0.0, min(1.0, 0.5 - d))
            else:
                tile = 1.0
            d = min(seg_dist(cx, cy, *pts[0], *pts[1]), seg_dist(cx, cy, *pts[1], *pts[2])) - half
            mark = max(0.0, min(1.0, 0.5 - d))
            r, g, b = (round(GREEN[i] * (1 - mark) + WHITE[i] * mark) for i in range(3))
            i = (y * s + x) * 4
            px[i:i + 4] = bytes((r, g, b, round(255 * tile)))
    return px


for name, size, maskable in [
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("icon-maskable-512.png", 512, True),
    ("apple-touch-icon.png", 180, True),
]:
    png(os.path.join(OUT, name), size, icon(size, maskable))
    print("wrote", name)
