#!/usr/bin/env python3
"""Host side of the VM tier's scanout checks (tests/vm/run).

usage: scanout.py SOCKDIR OUTDIR DEVICE

Listens on SOCKDIR/qmp.sock and SOCKDIR/serial.sock, prints "listening", and
waits for qemu to connect to both (qemu is started with -qmp and a
virtserialport chardev in client mode). The guest (tests/vm/checks) writes
"screendump NAME" lines to its virtio port; for each, this asks QEMU's QMP
for a screendump of display device DEVICE (the virtio-gpu's qdev id: the
default console is the machine's VGA) into OUTDIR/NAME.ppm, which is what
the guest's DRM/KMS scanout shows, read from outside the guest, and answers
"done NAME" (or "error NAME WHAT") once QMP returned. What it did goes to
stdout, one line each. Ends when qemu closes the port.
"""
import json
import os
import select
import socket
import sys


def listen(path):
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    return server


class Qmp:
    def __init__(self, conn):
        self.file = conn.makefile("rw", encoding="utf-8", newline="\n")
        self.read()  # the greeting
        self.execute("qmp_capabilities")

    def read(self):
        line = self.file.readline()
        if not line:
            raise RuntimeError("QMP connection closed")
        return json.loads(line)

    def execute(self, command, **arguments):
        message = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        self.file.write(json.dumps(message) + "\n")
        self.file.flush()
        while True:
            reply = self.read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError(reply["error"].get("desc", str(reply["error"])))
            # Asynchronous events (RESET, ...) are not answers: read on.


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    sockdir, outdir, device = sys.argv[1], sys.argv[2], sys.argv[3]
    qmp_server = listen(os.path.join(sockdir, "qmp.sock"))
    serial_server = listen(os.path.join(sockdir, "serial.sock"))
    print("listening", flush=True)
    # qemu connects to both at start-up, in an order of its own.
    conns = {}
    while len(conns) < 2:
        ready, _, _ = select.select([s for s in (qmp_server, serial_server)
                                     if s not in conns], [], [])
        for server in ready:
            conns[server], _ = server.accept()
    qmp_conn, serial_conn = conns[qmp_server], conns[serial_server]
    qmp = Qmp(qmp_conn)
    serial = serial_conn.makefile("rw", encoding="utf-8", newline="\n")
    count = 0
    for line in serial:
        words = line.split()
        if len(words) != 2 or words[0] != "screendump" or "/" in words[1]:
            continue  # the port may carry noise before the guest opens it
        name = words[1]
        path = os.path.join(outdir, name + ".ppm")
        try:
            qmp.execute("screendump", filename=path, device=device, head=0)
            answer = "done %s" % name
            count += 1
        except Exception as e:
            answer = "error %s %s" % (name, e)
        print(answer, flush=True)
        serial.write(answer + "\n")
        serial.flush()
    print("port closed after %d screendumps" % count, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
