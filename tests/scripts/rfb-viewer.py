#!/usr/bin/env python3
"""A minimal VNC (RFB 3.8) viewer driven line by line on stdin, for tests.

usage: rfb-viewer.py HOST PORT

It asks for 32-bit true colour (0x00RRGGBB little-endian words) and the raw
encoding only, so what it holds is exactly what the server sent: no lossy
compression. After the first (full) update it keeps one incremental update
request outstanding, so every later update carries only what the server
believes changed, i.e. the damage the compositor reported to wayvnc.

stdout (one line each):
  connected WxH NAME
  update N rects=K area=A RECTS   RECTS = x,y,wxh;...
  cursor WxH hotspot=X,Y          a Cursor pseudo-encoding rectangle
  desktop-size WxH                a DesktopSize pseudo-encoding rectangle
  dumped PATH | pointer-sent | key-sent | error MESSAGE | closed
stdin:
  dump PATH          binary PPM of the framebuffer as received so far
  dump-cursor PATH   the last Cursor pseudo-encoding rectangle as received:
                     "W H HOTSPOT_X HOTSPOT_Y\n", then W*H pixels (4 bytes
                     each, as the framebuffer's), then the bitmask; answers
                     "cursor-dumped PATH" (or "error no cursor")
  pointer X Y [MASK] a PointerEvent (MASK: button bits, default 0)
  key KEYSYM DOWN    a KeyEvent (KEYSYM: X keysym, 0x61 = 'a'; DOWN: 1 press, 0 release)
  full               a non-incremental update request
  quit
"""
import socket
import struct
import sys
import threading

ENC_RAW = 0
ENC_CURSOR = -239
ENC_DESKTOP_SIZE = -223

lock = threading.Lock()


def say(line):
    with lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Viewer:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.settimeout(None)
        self.send_lock = threading.Lock()
        self.updates = 0

    def recv(self, n):
        data = bytearray()
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError("server closed the connection")
            data += chunk
        return bytes(data)

    def send(self, data):
        with self.send_lock:
            self.sock.sendall(data)

    def handshake(self):
        version = self.recv(12)
        if not version.startswith(b"RFB "):
            raise RuntimeError("not an RFB server: %r" % version)
        self.send(b"RFB 003.008\n")
        count = self.recv(1)[0]
        if count == 0:
            length = struct.unpack(">I", self.recv(4))[0]
            raise RuntimeError("refused: " + self.recv(length).decode(errors="replace"))
        types = self.recv(count)
        if 1 not in types:
            raise RuntimeError("no 'None' security type offered: %s" % list(types))
        self.send(bytes([1]))
        if struct.unpack(">I", self.recv(4))[0] != 0:
            raise RuntimeError("security handshake failed")
        self.send(bytes([1]))  # shared
        self.width, self.height = struct.unpack(">HH", self.recv(4))
        self.recv(16)  # the server's pixel format
        name = self.recv(struct.unpack(">I", self.recv(4))[0]).decode(errors="replace")
        self.fb = bytearray(self.width * self.height * 4)
        # SetPixelFormat: 32 bpp, depth 24, little-endian, true colour, red at bit 16.
        self.send(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0))
        encodings = [ENC_RAW, ENC_CURSOR, ENC_DESKTOP_SIZE]
        self.send(struct.pack(">BxH", 2, len(encodings)) +
                  b"".join(struct.pack(">i", e) for e in encodings))
        say("connected %dx%d %s" % (self.width, self.height, name))
        self.request(incremental=False)

    def request(self, incremental=True):
        self.send(struct.pack(">BBHHHH", 3, 1 if incremental else 0, 0, 0,
                              self.width, self.height))

    def read_update(self):
        self.recv(1)
        count = struct.unpack(">H", self.recv(2))[0]
        rects = []
        area = 0
        for _ in range(count):
            x, y, w, h, enc = struct.unpack(">HHHHi", self.recv(12))
            if enc == ENC_RAW:
                data = self.recv(w * h * 4)
                with lock:
                    for row in range(h):
                        start = ((y + row) * self.width + x) * 4
                        self.fb[start:start + w * 4] = data[row * w * 4:(row + 1) * w * 4]
                rects.append("%d,%d,%dx%d" % (x, y, w, h))
                area += w * h
            elif enc == ENC_CURSOR:
                data = self.recv(w * h * 4 + ((w + 7) // 8) * h)
                with lock:
                    self.cursor = (w, h, x, y, data)
                say("cursor %dx%d hotspot=%d,%d" % (w, h, x, y))
            elif enc == ENC_DESKTOP_SIZE:
                with lock:
                    self.width, self.height = w, h
                    self.fb = bytearray(w * h * 4)
                say("desktop-size %dx%d" % (w, h))
            else:
                raise RuntimeError("unexpected encoding %d" % enc)
        if rects:
            self.updates += 1
            say("update %d rects=%d area=%d %s" % (self.updates, len(rects), area,
                                                   ";".join(rects)))
        self.request(incremental=True)

    def run(self):
        try:
            while True:
                kind = self.recv(1)[0]
                if kind == 0:
                    self.read_update()
                elif kind == 1:  # SetColourMapEntries: not with true colour
                    self.recv(3)
                    self.recv(struct.unpack(">H", self.recv(2))[0] * 6)
                elif kind == 2:  # Bell
                    pass
                elif kind == 3:  # ServerCutText
                    self.recv(3)
                    self.recv(struct.unpack(">I", self.recv(4))[0])
                else:
                    raise RuntimeError("unexpected server message %d" % kind)
        except Exception as e:  # the test reads this line
            say("closed %s" % e)

    def dump_cursor(self, path):
        with lock:
            cursor = getattr(self, "cursor", None)
        if cursor is None:
            return False
        w, h, x, y, data = cursor
        with open(path, "wb") as f:
            f.write(b"%d %d %d %d\n" % (w, h, x, y))
            f.write(data)
        return True

    def dump(self, path):
        with lock:
            pixels = bytes(self.fb)
            width, height = self.width, self.height
        out = bytearray()
        for i in range(0, len(pixels), 4):
            out += bytes((pixels[i + 2], pixels[i + 1], pixels[i]))
        with open(path, "wb") as f:
            f.write(b"P6 %d %d 255\n" % (width, height))
            f.write(out)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        viewer = Viewer(sys.argv[1], int(sys.argv[2]))
        viewer.handshake()
    except Exception as e:
        say("error %s" % e)
        return 1
    threading.Thread(target=viewer.run, daemon=True).start()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "dump":
                viewer.dump(words[1])
                say("dumped %s" % words[1])
            elif words[0] == "dump-cursor":
                if viewer.dump_cursor(words[1]):
                    say("cursor-dumped %s" % words[1])
                else:
                    say("error no cursor")
            elif words[0] == "pointer":
                mask = int(words[3]) if len(words) > 3 else 0
                viewer.send(struct.pack(">BBHH", 5, mask, int(words[1]), int(words[2])))
                say("pointer-sent")
            elif words[0] == "key":
                viewer.send(struct.pack(">BBxxI", 4, int(words[2]), int(words[1], 0)))
                say("key-sent")
            elif words[0] == "full":
                viewer.request(incremental=False)
            elif words[0] == "quit":
                break
            else:
                say("error unknown command %s" % words[0])
        except Exception as e:
            say("error %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
