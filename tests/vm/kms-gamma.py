#!/usr/bin/env python3
"""kms-gamma.py DEVICE: what the kernel says of each CRTC's gamma.

Prints one line per CRTC: "crtc ID legacy_gamma_size=N gamma_lut_size=N
gamma_lut=BLOB" where BLOB is "none" (no GAMMA_LUT property: the driver has
no colour management), "0" (the property, but no LUT set) or the blob id and
its first, middle and last red/green/blue entries. Reading properties needs
no DRM master, so this works next to the running compositor. libdrm's
modetest is not in the root; these are the same ioctls.
"""
import fcntl
import os
import struct
import sys


def iowr(nr, size):
    return (3 << 30) | (size << 16) | (ord("d") << 8) | nr


MODE_GETRESOURCES = iowr(0xA0, 64)
MODE_GETCRTC = iowr(0xA1, 104)
MODE_GETPROPERTY = iowr(0xAA, 64)
MODE_GETPROPBLOB = iowr(0xAC, 16)
MODE_OBJ_GETPROPERTIES = iowr(0xB9, 32)
OBJECT_CRTC = 0xCCCCCCCC


def buffer(count, item):
    return bytearray(max(count, 1) * item)


def address(buf):
    import ctypes

    return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))


def crtc_ids(fd):
    res = bytearray(64)
    fcntl.ioctl(fd, MODE_GETRESOURCES, res)
    count = struct.unpack_from("<I", res, 36)[0]
    ids = buffer(count, 4)
    struct.pack_into("<QQQQIIII", res, 0, 0, address(ids), 0, 0, 0, count, 0, 0)
    fcntl.ioctl(fd, MODE_GETRESOURCES, res)
    return list(struct.unpack_from("<%dI" % count, ids))


def legacy_gamma_size(fd, crtc):
    arg = bytearray(104)
    struct.pack_into("<QII", arg, 0, 0, 0, crtc)
    fcntl.ioctl(fd, MODE_GETCRTC, arg)
    return struct.unpack_from("<I", arg, 28)[0]


def properties(fd, obj):
    arg = bytearray(32)
    struct.pack_into("<QQIII", arg, 0, 0, 0, 0, obj, OBJECT_CRTC)
    fcntl.ioctl(fd, MODE_OBJ_GETPROPERTIES, arg)
    count = struct.unpack_from("<I", arg, 16)[0]
    ids, values = buffer(count, 4), buffer(count, 8)
    struct.pack_into("<QQIII", arg, 0, address(ids), address(values), count, obj, OBJECT_CRTC)
    fcntl.ioctl(fd, MODE_OBJ_GETPROPERTIES, arg)
    result = {}
    for i in range(count):
        prop = struct.unpack_from("<I", ids, 4 * i)[0]
        parg = bytearray(64)
        struct.pack_into("<QQI", parg, 0, 0, 0, prop)
        fcntl.ioctl(fd, MODE_GETPROPERTY, parg)
        name = bytes(parg[24:56]).split(b"\0")[0].decode()
        result[name] = struct.unpack_from("<Q", values, 8 * i)[0]
    return result


def blob(fd, blob_id):
    arg = bytearray(16)
    struct.pack_into("<IIQ", arg, 0, blob_id, 0, 0)
    fcntl.ioctl(fd, MODE_GETPROPBLOB, arg)
    length = struct.unpack_from("<I", arg, 4)[0]
    data = buffer(length, 1)
    struct.pack_into("<IIQ", arg, 0, blob_id, length, address(data))
    fcntl.ioctl(fd, MODE_GETPROPBLOB, arg)
    return bytes(data[:length])


def main():
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CLOEXEC)
    for crtc in crtc_ids(fd):
        props = properties(fd, crtc)
        line = "crtc %d legacy_gamma_size=%d gamma_lut_size=%d" % (
            crtc, legacy_gamma_size(fd, crtc), props.get("GAMMA_LUT_SIZE", 0))
        if "GAMMA_LUT" not in props:
            line += " gamma_lut=none"
        elif props["GAMMA_LUT"] == 0:
            line += " gamma_lut=0"
        else:
            data = blob(fd, props["GAMMA_LUT"])
            # struct drm_color_lut: red, green, blue, reserved (u16 each)
            entries = [struct.unpack_from("<HHH", data, 8 * i) for i in range(len(data) // 8)]
            picks = [entries[0], entries[len(entries) // 2], entries[-1]] if entries else []
            line += " gamma_lut=%d entries=%d %s" % (
                props["GAMMA_LUT"], len(entries),
                " ".join("%04x,%04x,%04x" % e for e in picks))
        print(line)


if __name__ == "__main__":
    main()
