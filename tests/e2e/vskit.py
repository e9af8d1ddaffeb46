# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for test_vs.py (the virtual service, issue 9). Standard library only.

Two halves:
- test side: `Client`, a helper process in the vs-demo's client namespace (this file run
  as a script under nsenter), spoken to by lines on its stdin and stdout, so the test can
  read the daemon's counters between the client's steps; and small readers of `dmpdctl vs`;
- client side (`python3 vskit.py`): the commands the helper runs, in the client namespace:
    get HOST PORT COUNT THREADS SPORT [rst]   COUNT HTTP GETs, one connection each, from
                                        client ports SPORT, SPORT + 1, ...; prints JSON
    serve                               reads commands from stdin (see Session), one JSON
                                        line per command on stdout

Every connection to the service is made from a client port the test chose, never one the
kernel picks: a SYN from a client port whose earlier connection is still in the daemon's
table (fin_wait lasts 120 s, and the client side of an HTTP/1.0 exchange keeps no
TIME_WAIT, so the kernel may pick that port again at once) goes to the old connection's
backend, not the scheduler's next one (counted `port_reused`); the counts stay exact when
no port is reused.
"""

import json
import random
import select
import socket
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HTTP_TIMEOUT_S = 5.0
REQUEST = b"GET / HTTP/1.0\r\nHost: vs\r\n\r\n"

# ----------------------------------------------------------------------------- test side


def vs_report(lab, n=1):
    """`dmpdctl vs --json` of node n, parsed."""
    return json.loads(lab.ctl(n, "vs", "--json").stdout)


def service(report, spec):
    """The service `spec` (e.g. "198.19.100.1:80/tcp", matched on vip, vport and proto) in a
    `vs` report, or None."""
    addr, rest = spec.rsplit(":", 1)
    port, proto = rest.split("/")
    for s in report["services"]:
        if s["vip"] == addr and int(s["vport"]) == int(port) and s["proto"] == proto:
            return s
    return None


def backend(report, spec, address):
    s = service(report, spec)
    if s is None:
        return None
    return next((b for b in s["backends"] if b["address"] == address), None)


class Client:
    """`python3 vskit.py serve` in namespace `netns`, started in its own session and
    registered with the lab, so that `Lab.down` stops it (by its pid) on every exit path."""

    def __init__(self, lab, netns, args=()):
        """netns None: the root namespace (to send on a bridge port's veth end)."""
        cmd = [sys.executable, __file__, "serve", *[str(a) for a in args]]
        if netns:
            cmd = ["nsenter", f"--net=/run/netns/{netns}", "--"] + cmd
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, bufsize=1,
                                  start_new_session=True)
        lab._children.append(self.p)

    def ask(self, line, timeout=30):
        """Sends one command; returns its JSON answer (raises AssertionError on none)."""
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the client helper did not answer {line!r} in {timeout} s")
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                out = self.p.stdout.readline()
                if not out:
                    err = self.p.stderr.read() if self.p.poll() is not None else ""
                    raise AssertionError(f"the client helper exited ({self.p.poll()}) on "
                                         f"{line!r}: {err.strip()}")
                return json.loads(out)


def run_get(lab, netns, host, port, count, sport, threads=8, rst=False, timeout=120):
    """`count` GETs to host:port from `netns`, from client ports sport.., :
    {"ok", "bodies": {body: n}, "errors": {e: n}}."""
    cmd = ["nsenter", f"--net=/run/netns/{netns}", "--", sys.executable, __file__, "get",
           host, port, count, threads, sport] + (["rst"] if rst else [])
    from labkit import run  # the test's runner (stdin closed, timeout, failure on rc)
    return json.loads(run(cmd, timeout=timeout).stdout)


# --------------------------------------------------------------------------- client side


def connect(host, port, sport, timeout=HTTP_TIMEOUT_S):
    """A TCP connection to host:port from client port sport."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sport)))
        s.settimeout(timeout)
        s.connect((host, int(port)))
    except BaseException:
        s.close()
        raise
    return s


def http_get(host, port, sport, rst=False, timeout=HTTP_TIMEOUT_S):
    """One GET / on a new connection: the body (str). With rst, the connection ends with an
    RST (SO_LINGER 0) rather than a FIN, so the daemon's entry expires after the `close`
    timeout (10 s) instead of `fin_wait` (120 s)."""
    s = connect(host, port, sport, timeout)
    try:
        s.sendall(REQUEST)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        if rst:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status + b" ":
        raise OSError(f"status {status!r}")
    return body.decode(errors="replace")


def cmd_get(host, port, count, threads, sport, rst=False):
    def one(i):
        try:
            return ("ok", http_get(host, int(port), int(sport) + i, rst))
        except Exception as e:  # counted by kind
            return ("error", type(e).__name__ + ": " + str(e)[:80])

    bodies, errors = {}, {}
    with ThreadPoolExecutor(int(threads)) as pool:
        for kind, what in pool.map(one, range(int(count))):
            d = bodies if kind == "ok" else errors
            d[what] = d.get(what, 0) + 1
    print(json.dumps({"ok": sum(bodies.values()), "bodies": bodies, "errors": errors}))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10


def tcp_segment(src, dst, sport, dport, flags, seq=1, payload=b""):
    """A 20-byte TCP header (+ payload) with a correct checksum."""
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(
        "!BBH", 0, socket.IPPROTO_TCP, len(hdr) + len(payload))
    csum = checksum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:] + payload


def ipv4(src, dst, l4, options=b"", frag=0, ident=1, bad_checksum=False):
    """An IPv4 header (+ options) before l4, its checksum right unless bad_checksum."""
    ihl = (20 + len(options)) // 4
    total = 20 + len(options) + len(l4)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, ident, frag, 64,
                      socket.IPPROTO_TCP, 0, socket.inet_aton(src), socket.inet_aton(dst))
    hdr += options
    csum = checksum(hdr)
    if bad_checksum:
        csum ^= 0x5A5A
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + l4


class Session:
    """The `serve` commands, one per stdin line, each answered with one JSON line:
      raw DST_MAC SRC_MAC CLIENT VIP VPORT [IFNAME]   an AF_PACKET socket on IFNAME (eth0)
      hold SPORT           a connection to VIP:VPORT with half of a request line sent
      hostile              five frames: a first fragment (MF), IP options, a TCP header cut
                           to 8 bytes, an RST and a FIN for no connection (client ports
                           1000 and 1001)
      badsum               one SYN with a bad IPv4 header checksum
      flood N SEED         N SYNs from distinct random client ports in 1024..15999 (no
                           port of a real connection of the test's)
      finish               the rest of the held request; the answer's body
      open N PORT SPORT    N connections to VIP:PORT from SPORT.., held (nothing sent)
      extra PORT SECONDS SPORT   one more connect to VIP:PORT: "ok" or the error
      close                closes the held connections
    """

    def __init__(self):
        self.pkt = None
        self.held = None
        self.conns = []
        self.flood_ports = None

    def raw(self, dst_mac, src_mac, client, vip, vport, ifname="eth0"):
        self.eth = mac_bytes(dst_mac) + mac_bytes(src_mac) + b"\x08\x00"
        self.client, self.vip, self.vport = client, vip, int(vport)
        self.pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.pkt.bind((ifname, 0))
        return {"ok": True}

    def send(self, ip_packet):
        self.pkt.send(self.eth + ip_packet)

    def hold(self, sport):
        self.held = connect(self.vip, self.vport, sport)
        self.held.sendall(b"GET / HTTP/1.0\r\n")
        return {"ok": True, "port": self.held.getsockname()[1]}

    def hostile(self):
        c, v, p = self.client, self.vip, self.vport
        syn = tcp_segment(c, v, 2000, p, TCP_SYN)
        self.send(ipv4(c, v, syn, frag=0x2000, ident=11))                  # MF, offset 0
        self.send(ipv4(c, v, tcp_segment(c, v, 2001, p, TCP_SYN),
                       options=b"\x01\x01\x01\x00", ident=12))            # NOP NOP NOP EOL
        self.send(ipv4(c, v, syn[:8], ident=13))                           # TCP cut to 8 B
        self.send(ipv4(c, v, tcp_segment(c, v, 1000, p, TCP_RST), ident=15))
        self.send(ipv4(c, v, tcp_segment(c, v, 1001, p, TCP_FIN | TCP_ACK), ident=16))
        return {"ok": True, "frames": 5}

    def badsum(self):
        c, v, p = self.client, self.vip, self.vport
        self.send(ipv4(c, v, tcp_segment(c, v, 2003, p, TCP_SYN), ident=14, bad_checksum=True))
        return {"ok": True, "frames": 1}

    def flood(self, n, seed):
        if self.flood_ports is None:
            self.flood_ports = random.Random(int(seed)).sample(range(1024, 16000), 14000)
        ports, self.flood_ports = self.flood_ports[:int(n)], self.flood_ports[int(n):]
        c, v, p = self.client, self.vip, self.vport
        for i, sport in enumerate(ports):
            self.send(ipv4(c, v, tcp_segment(c, v, sport, p, TCP_SYN, seq=sport * 7919),
                           ident=(100 + i) & 0xFFFF))
        return {"ok": True, "sent": len(ports)}

    def finish(self):
        self.held.sendall(b"Host: vs\r\n\r\n")
        data = b""
        while True:
            chunk = self.held.recv(4096)
            if not chunk:
                break
            data += chunk
        self.held.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return {"ok": b" 200 " in head.split(b"\r\n", 1)[0] + b" ",
                "body": body.decode(errors="replace")}

    def open(self, n, port, sport):
        errors = []
        for i in range(int(n)):
            try:
                self.conns.append(connect(self.vip, port, int(sport) + i))
            except OSError as e:
                errors.append(str(e))
        return {"connected": len(self.conns), "errors": errors[:5], "failed": len(errors)}

    def extra(self, port, seconds, sport):
        try:
            s = connect(self.vip, port, sport, float(seconds))
        except OSError as e:
            return {"connected": False, "error": f"{type(e).__name__}: {e}"}
        self.conns.append(s)
        return {"connected": True}

    def close(self):
        for s in self.conns:
            s.close()
        n = len(self.conns)
        self.conns = []
        return {"closed": n}


def cmd_serve():
    session = Session()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            answer = getattr(session, words[0])(*words[1:])
        except Exception as e:  # answered, so the test sees what went wrong
            answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "get":
        cmd_get(*sys.argv[2:7], rst=sys.argv[7:8] == ["rst"])
    elif sys.argv[1] == "serve":
        cmd_serve()
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
