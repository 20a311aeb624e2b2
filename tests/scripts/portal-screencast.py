#!/usr/bin/env python3
"""The OBS path, as a script: a ScreenCast session through xdg-desktop-portal,
then the PipeWire stream recorded by a consumer that connects the way OBS's
"Screen Capture (PipeWire)" source and browsers' WebRTC capture do: one
pw_stream, autoconnected, active from the start, never paused until it
disconnects (tests/scripts/pw_consumer.py, libpipewire-0.3 through ctypes).

usage: portal-screencast.py --frames N --out PATTERN [--cursor-mode M]
                            [--source-types T] [--timeout S]
       portal-screencast.py --wait-name BUS_NAME [--timeout S]

Needs DBUS_SESSION_BUS_ADDRESS with xdg-desktop-portal (and a ScreenCast
backend) on it, and a PipeWire daemon. Writes each of the first N frames as
an RGB PNG to PATTERN % index (e.g. /tmp/x/frame-%03d.png, from 0); buffers
the producer flags CORRUPTED are counted, not written.

stdout, one line each, in this order (a failure ends with "error STEP ..."):
  session HANDLE
  sources-selected
  stream NODE size=WxH source_type=T
  remote-fd
  recording            the consumer's stream is streaming: the screen may change
  frame I WxH FORMAT   each frame as it is written
  consumer frames=N corrupted=C short=S states=S1,S2,...
                       the frames written, the buffers flagged CORRUPTED or
                       too small for a picture, the consumer stream's states
  (or consumer-timeout: fewer than N frames in S seconds)
  closed
python3-dbus has no main loop of its own without python3-gi: the GLib main
context it attaches to is iterated through ctypes.

gst-launch-1.0's pipewiresrc is not the consumer: it pauses its stream once
while it starts (tests/test-portal.c says why that matters).
"""
import argparse
import ctypes
import os
import sys
import time

import dbus
import dbus.mainloop.glib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from pw_consumer import Consumer, FORMAT_NAMES, write_png  # noqa: E402

PORTAL = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SCREENCAST = "org.freedesktop.portal.ScreenCast"
REQUEST = "org.freedesktop.portal.Request"

glib = ctypes.CDLL("libglib-2.0.so.0")
glib.g_main_context_iteration.argtypes = [ctypes.c_void_p, ctypes.c_int]


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def iterate_until(done, timeout):
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        if not glib.g_main_context_iteration(None, 0):
            time.sleep(0.005)
    return done()


class Portal:
    def __init__(self, timeout):
        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        self.bus = dbus.SessionBus()
        self.sender = self.bus.get_unique_name()[1:].replace(".", "_")
        self.screencast = dbus.Interface(self.bus.get_object(PORTAL, PORTAL_PATH), SCREENCAST)
        self.timeout = timeout
        self.counter = 0

    def request(self, step, method, *args):
        """Calls a method that answers through a Request object's Response signal."""
        self.counter += 1
        token = "pinhole%d_%d" % (os.getpid(), self.counter)
        path = "/org/freedesktop/portal/desktop/request/%s/%s" % (self.sender, token)
        result = {}

        def on_response(code, results):
            result["code"] = int(code)
            result["results"] = results

        match = self.bus.add_signal_receiver(on_response, "Response", REQUEST, PORTAL, path)
        options = args[-1]
        options["handle_token"] = token
        handle = getattr(self.screencast, method)(*args)
        if str(handle) != path:
            raise RuntimeError("%s: request handle %s, expected %s" % (step, handle, path))
        if not iterate_until(lambda: "code" in result, self.timeout):
            match.remove()
            raise RuntimeError("%s: no Response within %d s" % (step, self.timeout))
        match.remove()
        if result["code"] != 0:
            raise RuntimeError("%s: Response code %d (1 = cancelled, 2 = other error)" %
                               (step, result["code"]))
        return result["results"]


def wait_name(name, timeout):
    """Waits until a bus name has an owner: daemons are ready once they own theirs."""
    bus = dbus.SessionBus()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bus.name_has_owner(name):
            say("name-owned %s" % name)
            return 0
        time.sleep(0.05)
    say("error wait-name %s has no owner after %d s" % (name, timeout))
    return 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wait-name", help="only wait until this bus name is owned")
    parser.add_argument("--frames", type=int)
    parser.add_argument("--out")
    parser.add_argument("--cursor-mode", type=int, default=2,
                        help="1 hidden, 2 embedded (paint_cursors), 4 metadata")
    parser.add_argument("--source-types", type=int, default=1, help="1 monitor, 2 window")
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    if args.wait_name:
        return wait_name(args.wait_name, args.timeout)
    if args.frames is None or args.out is None:
        parser.error("--frames and --out are needed")

    step = "connect"
    try:
        portal = Portal(args.timeout)
        step = "CreateSession"
        results = portal.request(step, "CreateSession", dbus.Dictionary({
            "session_handle_token": "pinhole%d" % os.getpid(),
        }, signature="sv"))
        session = str(results["session_handle"])
        say("session %s" % session)

        step = "SelectSources"
        portal.request(step, "SelectSources", dbus.ObjectPath(session), dbus.Dictionary({
            "types": dbus.UInt32(args.source_types),
            "multiple": False,
            "cursor_mode": dbus.UInt32(args.cursor_mode),
        }, signature="sv"))
        say("sources-selected")

        step = "Start"
        results = portal.request(step, "Start", dbus.ObjectPath(session), "",
                                 dbus.Dictionary({}, signature="sv"))
        streams = results.get("streams", [])
        if len(streams) != 1:
            raise RuntimeError("Start: %d streams" % len(streams))
        node, props = streams[0]
        size = props.get("size", (0, 0))
        say("stream %d size=%dx%d source_type=%d" % (node, size[0], size[1],
                                                    props.get("source_type", 0)))

        step = "OpenPipeWireRemote"
        fd = portal.screencast.OpenPipeWireRemote(dbus.ObjectPath(session),
                                                  dbus.Dictionary({}, signature="sv"))
        fd = fd.take()
        say("remote-fd")

        step = "consumer"
        consumer = Consumer(fd, node, args.frames)
        written = 0
        recording = False
        deadline = time.monotonic() + args.timeout
        try:
            while written < args.frames and time.monotonic() < deadline:
                # Keep the portal's D-Bus traffic moving while the stream runs.
                glib.g_main_context_iteration(None, 0)
                frames = consumer.frames_since(written, 0.05)
                if not recording and "streaming" in consumer.states:
                    say("recording")
                    recording = True
                for frame in frames:
                    write_png(args.out % written, frame.width, frame.height, frame.stride,
                              frame.video_format, frame.pixels)
                    say("frame %d %dx%d %s" % (written, frame.width, frame.height,
                                               FORMAT_NAMES.get(frame.video_format, "?")))
                    written += 1
        finally:
            consumer.close()
        if written < args.frames:
            say("consumer-timeout")
        say("consumer frames=%d corrupted=%d short=%d states=%s" % (
            written, consumer.corrupted, consumer.short, ",".join(consumer.states)))

        step = "Close"
        session_object = dbus.Interface(portal.bus.get_object(PORTAL, session),
                                        "org.freedesktop.portal.Session")
        session_object.Close()
        say("closed")
    except Exception as e:  # the test reads this line
        say("error %s %s" % (step, str(e).replace("\n", " ")))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
