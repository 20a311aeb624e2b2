#!/usr/bin/env python3
"""Compares two binary PPMs (P6, maxval 255) pixel by pixel, for tests/vm/checks.

usage: compare-ppm.py A B [--differ-in X,Y,W,H]

Without --differ-in: exit 0 if both have the same size and every pixel is
equal. With it: exit 0 if every pixel outside the box is equal and some
pixel inside differs (what a cursor drawn into one picture only looks like).
One line on stdout says what was found.
"""
import sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    fields = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError("%s: not a binary 8-bit PPM" % path)
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + width * height * 3]
    if len(pixels) != width * height * 3:
        raise ValueError("%s: short pixel data" % path)
    return width, height, pixels


def main():
    args = sys.argv[1:]
    box = None
    if "--differ-in" in args:
        i = args.index("--differ-in")
        box = [int(v) for v in args[i + 1].split(",")]
        del args[i:i + 2]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        wa, ha, a = load(args[0])
        wb, hb, b = load(args[1])
    except (OSError, ValueError) as e:
        print("unreadable: %s" % e)
        return 1
    if (wa, ha) != (wb, hb):
        print("sizes differ: %dx%d and %dx%d" % (wa, ha, wb, hb))
        return 1
    outside = inside = 0
    first = None
    for y in range(ha):
        row = y * wa * 3
        if a[row:row + wa * 3] == b[row:row + wa * 3]:
            continue
        for x in range(wa):
            p = row + x * 3
            if a[p:p + 3] == b[p:p + 3]:
                continue
            in_box = box is not None and box[0] <= x < box[0] + box[2] and \
                box[1] <= y < box[1] + box[3]
            if in_box:
                inside += 1
            else:
                outside += 1
                if first is None:
                    first = "%d,%d: %s vs %s" % (x, y, a[p:p + 3].hex(), b[p:p + 3].hex())
    if box is None:
        if outside == 0:
            print("%dx%d, every pixel equal" % (wa, ha))
            return 0
        print("%d of %d pixels differ, first at %s" % (outside, wa * ha, first))
        return 1
    if outside == 0 and inside > 0:
        print("%dx%d: equal outside %d,%d %dx%d, %d pixels differ inside" %
              (wa, ha, box[0], box[1], box[2], box[3], inside))
        return 0
    print("%d pixels differ outside the box (first at %s), %d inside" %
          (outside, first or "none", inside))
    return 1


if __name__ == "__main__":
    sys.exit(main())
