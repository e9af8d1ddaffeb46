#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""dmpd-perf end to end through fake_dmpdd (tests/libdmpd), no root, no DPDK: `recv` and
`send` with sizes from 1 B to 64 KiB (everything arrives, intact, once, in order, the JSON
says so), a paced send, `ping` against `recv` (latency keys), and a receiver that knows from
--count that messages are missing (exact `lost` and the missing ranges).

    loopback_test.py path/to/dmpd-perf path/to/fake_dmpdd
"""

import json
import os
import subprocess
import sys
import tempfile
import time

DEADLINE_S = 60


def wait_line(proc, needle, deadline_s=DEADLINE_S):
    """Reads proc's stderr until a line containing needle (blocking reads, bounded by the
    process ending; the deadline guards a silent one)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline_s:
        line = proc.stderr.readline()
        if not line:
            raise RuntimeError(f"exited before '{needle}': rc={proc.poll()}")
        if needle in line:
            return line
    raise RuntimeError(f"no '{needle}' within {deadline_s} s")


def run_pair(perf, sock, pipe, send_args, recv_args=(), recv_rc=0):
    recv = subprocess.Popen([perf, "recv", "--socket", sock, "--pipe", str(pipe), "--json",
                             "--timeout", "20", *recv_args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_line(recv, "receiving on")
        send = subprocess.run([perf, "send", "--socket", sock, "--node", "1",
                               "--pipe", str(pipe), "--json", *send_args],
                              capture_output=True, text=True, timeout=DEADLINE_S * 2)
        if send.returncode != 0:
            raise RuntimeError(f"send failed: {send.stdout} {send.stderr}")
        out, err = recv.communicate(timeout=DEADLINE_S * 2)
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait()
    if recv.returncode != recv_rc:
        raise RuntimeError(f"recv exited {recv.returncode}, not {recv_rc}: {out} {err}")
    if recv_rc != 0 and "dmpd-perf: " not in err:
        raise RuntimeError(f"recv exited {recv.returncode} without saying why: {err}")
    return json.loads(send.stdout), json.loads(out)


def check(cond, what, *details):
    if not cond:
        raise AssertionError(what + " " + " ".join(json.dumps(d) for d in details))


def main(argv):
    perf, fake_bin = argv[1], argv[2]
    with tempfile.TemporaryDirectory(prefix="dmpd-perf-test-") as tmp:
        sock = os.path.join(tmp, "pipes.sock")
        fake = subprocess.Popen([fake_bin, "--socket", sock], stdout=subprocess.PIPE, text=True)
        try:
            line = fake.stdout.readline()
            check("listening" in line, "fake_dmpdd did not start:", line)
            pipe = 100
            for size, count in [(1, 3000), (7, 3000), (15, 3000), (16, 20000), (64, 100000),
                                (1500, 20000), (65536, 300)]:
                pipe += 1
                s, r = run_pair(perf, sock, pipe, ["--count", str(count), "--size", str(size),
                                                   "--copies", "2", "--priority", "5"])
                print(f"size {size}: sent {s['sent']} received {r['received']} "
                      f"{r['msgs_per_s']:.0f} msg/s", flush=True)
                check(s["sent"] == count and r["sent"] == count, "sent", s, r)
                check(r["received"] == count, "received", r)
                for k in ("lost", "duplicates", "out_of_order", "corrupt"):
                    check(r[k] == 0, k, r)
                check(r["end_marker"] is True and r["missing"] == [], "end", r)
                for k in ("msgs_per_s", "bytes_per_s"):
                    check(k in s and k in r, k, s, r)
            # Paced: 2000 messages at 20000/s take about 0.1 s.
            pipe += 1
            s, r = run_pair(perf, sock, pipe, ["--count", "2000", "--rate", "20000"])
            check(r["received"] == 2000 and r["lost"] == 0, "paced", r)
            check(s["elapsed_s"] >= 0.09, "pacing too fast", s)
            check(s["msgs_per_s"] < 25000, "pacing too fast", s)
            # ping ↔ recv's echo.
            pipe += 1
            recv = subprocess.Popen([perf, "recv", "--socket", sock, "--pipe", str(pipe),
                                     "--json", "--timeout", "2"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_line(recv, "receiving on")
            p = subprocess.run([perf, "ping", "--socket", sock, "--node", "1", "--pipe",
                                str(pipe), "--count", "500", "--size", "64", "--json"],
                               capture_output=True, text=True, timeout=DEADLINE_S)
            out, _ = recv.communicate(timeout=DEADLINE_S)
            check(p.returncode == 0, "ping failed", p.stdout, p.stderr)
            pj, rj = json.loads(p.stdout), json.loads(out)
            print(f"ping: {pj['latency_us']}", flush=True)
            check(pj["sent"] == 500 and pj["received"] == 500 and pj["lost"] == 0, "ping", pj)
            lat = pj["latency_us"]
            check(0 < lat["p50"] <= lat["p99"] <= lat["p999"], "latency", pj)
            check(rj["pings_echoed"] == 500, "echoed", rj)
            # Nobody answers on this pipe: ping fails and says why (fake_dmpdd counts a
            # message for a pipe nobody opened as having no route; e2e_pipes checks both
            # reasons against a real daemon).
            pipe += 1
            p = subprocess.run([perf, "ping", "--socket", sock, "--node", "1", "--pipe",
                                str(pipe), "--count", "3", "--timeout", "0.2"],
                               capture_output=True, text=True, timeout=DEADLINE_S)
            check(p.returncode == 1 and ("no answer to 3 pings" in p.stderr or
                                         "no route to node 1" in p.stderr),
                  "ping to nobody", p.returncode, p.stdout, p.stderr)
            check("latency_us" in p.stdout and "0.000" in p.stdout, "ping's table", p.stdout)
            # Exact loss: the sender skips every 100th sequence; the end marker names 5000.
            pipe += 1
            s, r = run_pair(perf, sock, pipe, ["--count", "5000", "--drop-every", "100"],
                            recv_rc=1)
            check(s["sent"] == 4950 and s["skipped"] == 50, "skipping sender", s)
            check(r["expected"] == 5000 and r["received"] == 4950 and r["lost"] == 50,
                  "exact loss", r)
            check(r["missing"][:3] == [[99, 99], [199, 199], [299, 299]], "missing", r)
            check(r["duplicates"] == 0 and r["corrupt"] == 0, "clean", r)
            # PIPE-2: both ends grow their rings mid-run, the receiver's from 64 KiB.
            pipe += 1
            s, r = run_pair(perf, sock, pipe,
                            ["--count", "200000", "--buffer", "65536",
                             "--resize-at", "50000", "--resize-to", "8388608"],
                            ["--buffer", "65536", "--resize-at", "100000",
                             "--resize-to", "4194304"])
            print(f"resize: {s['resize']} {r['resize']}", flush=True)
            for side in (s, r):
                check(side["resize"]["outcome"] == "ok", "resize", side)
            check(s["resize"]["ring_bytes"] == 8388608 and r["resize"]["ring_bytes"] == 4194304,
                  "ring sizes", s, r)
            check(r["received"] == 200000 and r["lost"] == 0 and r["out_of_order"] == 0
                  and r["duplicates"] == 0 and r["corrupt"] == 0, "resize delivery", r)
        finally:
            fake.terminate()
            fake.wait(timeout=30)
    print("dmpd-perf loopback: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
