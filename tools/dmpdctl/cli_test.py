#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""dmpdctl's command line, without a daemon (no root): help that fits a 100-column terminal,
one line per command in `--help`, every command's own help (`help COMMAND`, `COMMAND --help`),
`--version`, short errors with "did you mean" for a mistyped command or option (exit 2), and
tables that round the numbers of a reply (from a socket that answers once).

    cli_test.py path/to/dmpdctl VERSION
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

WIDTH = 100

# Numbers as the daemon's JSON may carry them: binary fractions, a hair below zero.
NOISY_PIPES = {"pipes": [{"pipe": 1, "state": "open", "pid": 7, "priority": 0, "copies": 1,
                          "rate_bytes_per_s": 0.1 + 0.2, "ring_bytes": 4096,
                          "tx_fill_bytes": -1e-17, "rx_fill_bytes": 2.5e-7}],
               "max_pipes": 64, "sessions": 1, "memory_bytes": 4096,
               "memory_limit_bytes": 1 << 20, "routes": 0.1 * 3, "engine": {},
               "closed": [{"pipe": 21, "state": "closed", "pid": 99, "closed_by": "reclaimed",
                           "closed_unix_ms": 1, "sent_messages": 0,
                           "received_messages": 123457, "dropped_rx_full": 2}],
               "closed_kept": 64}
NOISY_LB = {"policy": "balanced", "criterion": {"name": "load-gap"}, "period": 3,
            "fallbacks": 0, "counters": {},
            "local": {"ports": [{"port": 0, "mac": "02:00:00:00:00:01", "available": True,
                                 "load": -1e-12}],
                      "mean_load": 1.1e-5, "stddev": 3e-7, "wl": 0.0},
            "destinations": [], "active_keys_total": 1,
            "active_keys": [{"src_node": 1, "dst_node": 2, "bits_per_second": 3e5 + 6e-11}]}


def answer_once(path, reply):
    """A control socket that answers one request with `reply` (JSON)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def serve():
        c, _ = server.accept()
        c.recv(4096)
        c.sendall(json.dumps(reply).encode())
        c.close()
        server.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t


def main(argv):
    binary, version = argv[1], argv[2]
    failures = []

    def check(cond, msg):
        print(("ok   " if cond else "FAIL ") + msg, flush=True)
        if not cond:
            failures.append(msg)

    with tempfile.TemporaryDirectory() as d:
        # Nothing here may reach a daemon: a socket path where none listens.
        sock = os.path.join(d, "none.sock")

        def run(*args):
            return subprocess.run([binary, "--socket", sock, *args], capture_output=True,
                                  text=True, timeout=30)

        def fits(what, text):
            long = [line for line in text.splitlines() if len(line) > WIDTH]
            check(not long, f"{what}: every line fits {WIDTH} columns"
                            + (f" (longest {max(map(len, long))}: {long[0][:60]!r}...)"
                               if long else ""))

        p = run("--help")
        check(p.returncode == 0 and p.stdout.startswith("usage: dmpdctl"),
              f"--help: exit {p.returncode}, usage on stdout")
        fits("--help", p.stdout)
        check(run("-h").stdout == p.stdout and run("help").stdout == p.stdout,
              "-h and `help` print the same help as --help")
        lines = p.stdout.splitlines()
        check("commands:" in lines, "--help has a list of commands")
        commands = []
        if "commands:" in lines:
            for line in lines[lines.index("commands:") + 1:]:
                if not line.strip():
                    break
                check(line.startswith("  ") and not line.startswith("   "),
                      f"--help: one line per command: {line.strip()[:40]!r}")
                commands.append(line.split()[0])
        for name in ("status", "node", "ports", "history", "cluster", "neighbours", "leave",
                     "join", "pipes", "lb", "vs", "port-bandwidth", "help"):
            check(name in commands, f"--help lists {name}")

        for name in commands:
            h = run("help", name)
            check(h.returncode == 0 and h.stdout.startswith(f"usage: dmpdctl [OPTION...] {name}"),
                  f"help {name}: exit {h.returncode}, its usage first")
            fits(f"help {name}", h.stdout)
            c = run(name, "--help")
            check(c.returncode == 0 and c.stdout == h.stdout,
                  f"{name} --help: exit {c.returncode}, the same as `help {name}`")

        for how in (["help", "vs"], ["vs", "--help"]):
            out = run(*how).stdout.splitlines()
            for form in ("add-service VIP:PORT/PROTO [rr|wrr|lc]", "remove-service VIP:PORT/PROTO",
                         "add-backend VIP:PORT/PROTO ADDRESS:PORT [WEIGHT]",
                         "remove-backend VIP:PORT/PROTO ADDRESS:PORT"):
                check(f"       dmpdctl [OPTION...] vs {form}" in out,
                      f"{' '.join(how)}: the form `vs {form}` on a line of its own")
        h = run("help", "history").stdout
        check("PORT" in h and "index" in h and "name" in h,
              "help history: PORT is an index or a name")

        p = run("--version")
        check(p.returncode == 0 and p.stdout == f"dmpdctl {version}\n",
              f"--version: exit {p.returncode}, {p.stdout!r} (want 'dmpdctl {version}')")

        def short_error(args, want):
            p = run(*args)
            err = p.stderr.splitlines()
            check(p.returncode == 2, f"{' '.join(args)}: exit {p.returncode}, want 2")
            check(bool(err) and want in err[0], f"{' '.join(args)}: says {want!r}: {err[:1]}")
            check(len(err) <= 8 and not p.stdout,
                  f"{' '.join(args)}: a short error, not the whole help ({len(err)} lines)")
            fits(' '.join(args), p.stderr)
            return p.stderr

        err = short_error(["statsu"], "unknown command 'statsu' (did you mean 'status'?)")
        check("see `dmpdctl --help`" in err, "statsu: points to `dmpdctl --help`")
        short_error(["--jsno", "status"], "unknown option '--jsno' (did you mean '--json'?)")
        short_error(["status", "--jsno"], "unknown option '--jsno' (did you mean '--json'?)")
        short_error(["--tiemout=3", "status"], "(did you mean '--timeout'?)")
        short_error(["help", "pots"], "(did you mean 'ports'?)")
        short_error(["statsu", "--help"], "(did you mean 'status'?)")
        short_error(["frobnicate"], "unknown command 'frobnicate'")
        err = short_error(["history"], "history: too few operands")
        check("usage: dmpdctl [OPTION...] history PORT" in err and "dmpdctl help history" in err,
              "history without PORT: its usage and where to read more")
        short_error(["port-bandwidth", "0", "100", "7"], "port-bandwidth: too many operands")
        short_error(["--timeout", "0", "status"], "--timeout '0'")
        short_error(["status", "--socket"], "--socket needs PATH")

        # Tables round: no 0.30000000000000004, no -0.000.
        for command, reply in (("pipes", NOISY_PIPES), ("lb", NOISY_LB)):
            path = os.path.join(d, f"{command}.sock")
            t = answer_once(path, reply)
            p = subprocess.run([binary, "--socket", path, command], capture_output=True,
                               text=True, timeout=30)
            t.join(5)
            check(p.returncode == 0 and "0000000" not in p.stdout and "-0" not in p.stdout,
                  f"{command}: numbers rounded (exit {p.returncode}): {p.stdout!r} "
                  f"{p.stderr.strip()}")
            if command == "pipes":  # a closed pipe's last counters stay readable
                rows = [line.split() for line in p.stdout.splitlines()]
                check("recently closed (the last 64 kept, newest first):" in p.stdout and
                      any(r[:2] == ["21", "99"] and "reclaimed" in r and "123457" in r
                          for r in rows), f"pipes: the closed pipe's row: {p.stdout!r}")

        p = run()
        check(p.returncode == 2 and "commands:" in p.stderr,
              f"no command: exit {p.returncode}, the list of commands on stderr")
        fits("no command", p.stderr)

    print("PASS" if not failures else f"FAIL: {len(failures)} check(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
