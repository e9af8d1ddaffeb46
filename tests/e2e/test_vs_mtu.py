#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The virtual service at a larger MTU: the daemon sizes its af_xdp buffers for its ports'
MTU (userspace/daemon/umem_frame_room.h; docs/daemon.md, "Ports and MTU"). A lab of one
node with two ports, every interface at MTU 3500 (`dmpd-lab up --mtu 3500`, near the
largest the buffers hold, 3502), and vs-demo.

1. The daemon reports the port's MTU and the longest frame its buffers hold (3520 B: a
   4096 B UMEM chunk) in `dmpdctl status --json`.
2. A GET through the VIP with a 3000-byte header (one TCP segment of ~3.1 KB: with the
   default buffers, which hold 1792 B, the kernel drops it at the socket and the request
   never arrives) is answered by a backend.
3. A UDP service over an echo server on backend 1: 20 datagrams of 3450 bytes go through
   the VIP and come back whole (frames of 3492 B both ways).
4. Nothing was dropped at the socket (xsk.rx_dropped 0) and the worker refused nothing as
   truncated.
5. An MTU the buffers cannot hold is not refused, it is warned about: node 1 restarted with
   p0 at MTU 3600 logs the warning and runs. With p1 at 1500 at the same time, p1's
   buffers are still sized for the largest MTU (3520 B frames), since the worker forwards
   frames from one port out of the other.
"""

import json
import subprocess
import sys

from labkit import Checks, run, run_test, say, wait_until
from vskit import service, vs_report

MTU = 3500
HEADER_BYTES = 3000
DATAGRAM_BYTES = 3450
DATAGRAMS = 20
TOO_LARGE = 3600  # above 3502, the largest MTU a 4096 B UMEM chunk holds
UDP_SPEC_PORT = 5300
UDP_BACKEND_PORT = 5353
ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(65536)
    s.sendto(data, peer)
"""
BIG_GET = r"""
import socket, sys
vip, size = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((vip, 80), timeout=5)
s.sendall(b"GET / HTTP/1.0\r\nHost: vs\r\nX-Pad: " + b"p" * size + b"\r\n\r\n")
data = b""
while chunk := s.recv(4096):
    data += chunk
print(data.decode(errors="replace").partition("\r\n\r\n")[2].strip())
"""
UDP_CLIENT = r"""
import json, os, socket, sys
vip, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
whole, errors = 0, {}
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    payload = os.urandom(size)
    try:
        s.sendto(payload, (vip, port))
        data, _ = s.recvfrom(65536)
        whole += data == payload
    except OSError as e:
        errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
    finally:
        s.close()
print(json.dumps({"whole": whole, "errors": errors}))
"""


def in_ns(netns, *cmd, timeout=60):
    return run(["nsenter", f"--net=/run/netns/{netns}", "--", *cmd], timeout=timeout)


def port_status(lab, index=0):
    return json.loads(lab.ctl(1, "status", "--json").stdout)["ports"][index]


def body(lab):
    c = Checks()
    p = port_status(lab)
    say(f"node 1 {p['interface']}: mtu {p.get('mtu')}, frames up to {p.get('max_frame_bytes')} B")
    c.check(p.get("mtu") == MTU, f"port MTU {p.get('mtu')} (expected {MTU})")
    c.check((p.get("max_frame_bytes") or 0) >= MTU + 18,
            f"max_frame_bytes {p.get('max_frame_bytes')} < {MTU + 18}")

    demo = json.loads(lab.lab("vs-demo", "--json", timeout=120).stdout)
    client, vip = demo["client_netns"], demo["vip"]
    body_text = in_ns(client, sys.executable, "-c", BIG_GET, vip, str(HEADER_BYTES)).stdout.strip()
    say(f"GET with a {HEADER_BYTES}-byte header through {vip}:80: {body_text!r}")
    c.check(body_text.startswith("backend "), f"answer {body_text!r}")

    echo = subprocess.Popen(["nsenter", f"--net=/run/netns/{demo['backend_netns'][0]}", "--",
                             sys.executable, "-c", ECHO, str(UDP_BACKEND_PORT)],
                            stdin=subprocess.DEVNULL, start_new_session=True)
    lab._children.append(echo)  # stopped by Lab.down, by its pid
    spec = f"{vip}:{UDP_SPEC_PORT}/udp"
    lab.ctl(1, "vs", "add-service", spec, "rr")
    lab.ctl(1, "vs", "add-backend", spec, f"{demo['backends'][0]}:{UDP_BACKEND_PORT}", 1)

    def udp(count):
        return json.loads(in_ns(client, sys.executable, "-c", UDP_CLIENT, vip, str(UDP_SPEC_PORT),
                                str(count), str(DATAGRAM_BYTES), timeout=120).stdout)
    # The echo server is up once one datagram comes back (one sent before is lost).
    wait_until(lambda: udp(1)["whole"] == 1, 20, "the echo server to answer through the VIP")
    out = udp(DATAGRAMS)
    say(f"{DATAGRAMS} datagrams of {DATAGRAM_BYTES} B through {spec}: {out}")
    c.check(out["whole"] == DATAGRAMS and not out["errors"], f"UDP echo {out}")

    p = port_status(lab)
    svc = service(vs_report(lab), spec)
    counters = vs_report(lab)["counters"]
    say(f"xsk {p['xsk']}; vs counters {counters}")
    c.check(p["xsk"].get("rx_dropped") == 0, f"xsk.rx_dropped {p['xsk'].get('rx_dropped')}")
    parse = counters["parse_errors"]
    c.check(parse["truncated_l4"] == 0 and parse["truncated_ip"] == 0,
            f"truncated packets counted: {parse}")
    c.check(svc is not None, "the UDP service is listed")

    lab.stop(1)
    port, other = lab.ifnames(1)[:2]
    run(["ip", "-n", lab.netns(1), "link", "set", "dev", port, "mtu", str(TOO_LARGE)])
    run(["ip", "-n", lab.netns(1), "link", "set", "dev", other, "mtu", "1500"])
    lab.start(1)
    log = lab.daemon_log(1, lines=60)
    c.check(f"{port}: MTU {TOO_LARGE} is more than the af_xdp PMD can receive here" in log,
            f"no warning for MTU {TOO_LARGE} in the daemon's log:\n" + log)
    p = port_status(lab)
    say(f"at MTU {TOO_LARGE}: status mtu {p.get('mtu')}, frames up to {p.get('max_frame_bytes')} B")
    c.check(p.get("mtu") == TOO_LARGE, f"port MTU {p.get('mtu')} after the restart")
    q = port_status(lab, 1)
    say(f"{other} at MTU {q.get('mtu')}: frames up to {q.get('max_frame_bytes')} B")
    c.check(q.get("mtu") == 1500 and q.get("max_frame_bytes") == p.get("max_frame_bytes"),
            f"{other}: mtu {q.get('mtu')}, max_frame_bytes {q.get('max_frame_bytes')} "
            f"(expected 1500 and {p.get('max_frame_bytes')}, as {port}'s)")
    c.done()


if __name__ == "__main__":
    run_test(body, nodes=1, ports=2, mtu=MTU)
