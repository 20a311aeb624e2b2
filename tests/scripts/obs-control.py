#!/usr/bin/env python3
"""Drives a running OBS Studio through obs-websocket (protocol 5), for tests/test-obs.c.

usage: obs-control.py --port PORT [--timeout S]

Connects to ws://127.0.0.1:PORT (retrying until OBS listens, at most
--timeout seconds), identifies without authentication and then reads commands
from stdin, one a line, answering each with one line on stdout:

  record-status              -> "record-status ACTIVE FRAMES BYTES" (ACTIVE 0|1;
                                FRAMES: outputDuration in ms, as OBS counts
                                the frames it has written)
  screenshot SOURCE FILE     -> "screenshot WxH": SOURCE's current picture as
                                PNG in FILE (GetSourceScreenshot, source size)
  start-record               -> "started" once OBS says the recording output
                                started (StartRecord, RecordStateChanged)
  stop-record                -> "stopped PATH" once OBS says the recording
                                output stopped (RecordStateChanged)
  quit                       -> exits
Any failure answers "error COMMAND WHAT". The first line is "connected
OBS_VERSION WEBSOCKET_VERSION" (or "error connect ...").

The standard library has no WebSocket client; RFC 6455 needs little for this:
an HTTP upgrade, masked client frames, unmasked server frames (possibly
fragmented), ping/pong and close.
"""
import argparse
import base64
import json
import os
import socket
import struct
import sys
import time


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class WebSocket:
    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: obswebsocket.json\r\n\r\n" % (port, key)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("connection closed during the upgrade")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise RuntimeError("upgrade refused: %s" % status.decode(errors="replace"))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed by OBS")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def close(self):
        """A clean close (status 1000), so OBS does not see the connection drop."""
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
            while True:
                b0, b1 = self._read(2)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._read(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._read(8))[0]
                self._read(n + (4 if b1 & 0x80 else 0))
                if b0 & 0x0F == 0x8:
                    break
        except (RuntimeError, OSError):
            pass
        self.sock.close()

    def send(self, obj):
        self._send_frame(0x1, json.dumps(obj).encode())

    def receive(self):
        """The next complete text message, decoded from JSON."""
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 0
                raise RuntimeError("closed by OBS: %d %s" % (code, payload[2:].decode(errors="replace")))
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return json.loads(message)


class Obs:
    def __init__(self, port, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.ws = WebSocket(port, timeout)
                break
            except (ConnectionRefusedError, ConnectionResetError, RuntimeError):
                # OBS opens its port only once its modules are loaded.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        hello = self.ws.receive()
        if hello.get("op") != 0:
            raise RuntimeError("expected Hello, got %s" % hello)
        if "authentication" in hello["d"]:
            raise RuntimeError("OBS asks for authentication: auth_required is not off")
        self.versions = hello["d"].get("obsWebSocketVersion", "?")
        # Event subscription 1 << 6: Outputs (RecordStateChanged).
        self.ws.send({"op": 1, "d": {"rpcVersion": 1, "eventSubscriptions": 1 << 6}})
        identified = self.ws.receive()
        if identified.get("op") != 2:
            raise RuntimeError("expected Identified, got %s" % identified)
        self.counter = 0
        self.events = []

    def request(self, kind, data=None):
        self.counter += 1
        rid = "r%d" % self.counter
        self.ws.send({"op": 6, "d": {"requestType": kind, "requestId": rid,
                                     "requestData": data or {}}})
        while True:
            msg = self.ws.receive()
            if msg.get("op") == 5:
                self.events.append(msg["d"])
                continue
            if msg.get("op") == 7 and msg["d"].get("requestId") == rid:
                status = msg["d"]["requestStatus"]
                if not status.get("result"):
                    raise RuntimeError("%s failed: code %s %s" % (kind, status.get("code"),
                                                                 status.get("comment", "")))
                return msg["d"].get("responseData", {})

    def wait_event(self, predicate):
        while True:
            for i, event in enumerate(self.events):
                if predicate(event):
                    del self.events[i]
                    return event
            msg = self.ws.receive()
            if msg.get("op") == 5:
                self.events.append(msg["d"])


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise RuntimeError("screenshot is not a PNG")
    return struct.unpack("!II", data[16:24])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    try:
        obs = Obs(args.port, args.timeout)
        version = obs.request("GetVersion")
        say("connected %s %s" % (version.get("obsVersion", "?"), obs.versions))
    except Exception as e:  # the test reads this line
        say("error connect %s" % str(e).replace("\n", " "))
        return 1
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command = words[0]
        try:
            if command == "quit":
                break
            elif command == "record-status":
                status = obs.request("GetRecordStatus")
                say("record-status %d %d %d" % (1 if status["outputActive"] else 0,
                                                status["outputDuration"], status["outputBytes"]))
            elif command == "screenshot" and len(words) == 3:
                shot = obs.request("GetSourceScreenshot", {"sourceName": words[1],
                                                           "imageFormat": "png"})
                data = shot["imageData"]
                data = base64.b64decode(data[data.index(",") + 1:])
                with open(words[2], "wb") as f:
                    f.write(data)
                say("screenshot %dx%d" % png_size(data))
            elif command == "start-record":
                obs.request("StartRecord")
                obs.wait_event(lambda e: e.get("eventType") == "RecordStateChanged" and
                               e["eventData"].get("outputState") ==
                               "OBS_WEBSOCKET_OUTPUT_STARTED")
                say("started")
            elif command == "stop-record":
                obs.request("StopRecord")
                event = obs.wait_event(lambda e: e.get("eventType") == "RecordStateChanged" and
                                       e["eventData"].get("outputState") ==
                                       "OBS_WEBSOCKET_OUTPUT_STOPPED")
                say("stopped %s" % event["eventData"].get("outputPath", ""))
            else:
                say("error %s unknown command" % command)
        except Exception as e:
            say("error %s %s" % (command, str(e).replace("\n", " ")))
    obs.ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
