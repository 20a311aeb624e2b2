#!/usr/bin/env python3
"""The OBS path, as a script: a ScreenCast session through xdg-desktop-portal,
then the PipeWire stream recorded by gst-launch-1.0 (pipewiresrc), the way OBS's
"Screen Capture (PipeWire)" source does it.

usage: portal-screencast.py --frames N --out PATTERN [--cursor-mode M]
                            [--source-types T] [--timeout S] [--src-props P]
       portal-screencast.py --wait-name BUS_NAME [--timeout S]

Needs DBUS_SESSION_BUS_ADDRESS with xdg-desktop-portal (and a ScreenCast
backend) on it, and a PipeWire daemon. Writes each frame as a PNG to PATTERN
(a multifilesink location, e.g. /tmp/x/frame-%03d.png).

stdout, one line each, in this order (a failure ends with "error STEP ..."):
  session HANDLE
  sources-selected
  stream NODE size=WxH source_type=T
  remote-fd
  recording            gst-launch is running; frames arrive as the screen changes
  gst-exit CODE        gst-launch's exit status (or gst-timeout)
  closed
python3-dbus has no main loop of its own without python3-gi: the GLib main
context it attaches to is iterated through ctypes.

pipewiresrc runs with stream.is-live=false. As a live source it syncs every
buffer on its PTS, which xdg-desktop-portal-wlr sets to the frame's
presentation time (CLOCK_MONOTONIC). When xdpw's first buffer is one it marks
CORRUPTED with PTS 0 (it queues an unfilled buffer when the stream pauses
under it), the later absolute PTS are taken as running time and pipewiresrc
waits for them for over an hour: 1 frame, then "out of buffers" in xdpw.
Non-live, nothing waits on timestamps; frames still come only as xdpw sends
them. multifilesink sync=false likewise.
"""
import argparse
import ctypes
import os
import subprocess
import sys
import time

import dbus
import dbus.mainloop.glib

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
    parser.add_argument("--src-props", default="always-copy=true stream-properties=props,stream.is-live=false",
                        help="extra pipewiresrc properties, space-separated")
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

        step = "gst-launch"
        # videoconvert to RGB: pngenc keeps every pixel as it came.
        gst = subprocess.Popen(
            ["gst-launch-1.0", "-q", "pipewiresrc", "fd=%d" % fd, "path=%d" % node,
             "num-buffers=%d" % args.frames] + args.src_props.split() + ["!", "videoconvert", "!",
             "video/x-raw,format=RGB", "!", "pngenc", "!", "multifilesink", "sync=false",
             "location=%s" % args.out],
            pass_fds=(fd,))
        os.close(fd)
        say("recording")
        # Keep the portal's D-Bus traffic moving while gst records.
        if iterate_until(lambda: gst.poll() is not None, args.timeout):
            say("gst-exit %d" % gst.returncode)
        else:
            gst.kill()
            gst.wait()
            say("gst-timeout")

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
