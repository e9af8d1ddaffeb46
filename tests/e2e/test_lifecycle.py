#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The daemon's lifecycle on its ports (DP-4, REL-3):

1. SIGTERM: exit 0, no XDP program left on any port, pin dir and control socket gone,
   the ports keep their kernel traffic (ping).
2. Start again: neighbours heard again in both directions.
3. SIGKILL: the program stays attached (stale) and keeps counting: DMPD frames injected
   in the gap are dropped as no_socket in the pinned counters. A new daemon on the same
   ports carries those counters over (status `xdp` includes them, `xdp_carried_over` shows
   them, one log line says so), replaces the program and the pins, and works (neighbours
   heard again). A second SIGKILL + restart carries both gaps over (nothing lost).
4. A foreign XDP program on one port: the daemon refuses to start, says which interface
   and that the program is not dmpd's (name and id), leaves it attached (same id) and
   leaves no program of its own on the other ports. The foreign program is removed at the
   end (only after checking it is still the one we attached).
"""

import json
from pathlib import Path

from labkit import (build_dir, check, neighbour, nsenter, port_of, run, run_test, say,
                    wait_until)

VICTIM = 2
PEER = 1
FOREIGN_IF = "p1"
GAP_IF = "p0"   # the port that receives frames while no daemon runs
GAP_FRAMES = 300


def heard(lab, listener, speaker):
    """{(listener port, speaker port): hellos} as node `listener` reports them."""
    st = lab.status(listener)
    out = {}
    for p in st["ports"]:
        for q in range(len(lab.ifnames(speaker))):
            nb = neighbour(p, speaker, q)
            out[(p["interface"], q)] = nb["hellos"] if nb else None
    return out


def hears_again(lab, listener, speaker, since):
    """True once every port of `listener` heard at least 3 new hellos from every port of
    `speaker` since the counts `since` (None counts as 0)."""
    now = heard(lab, listener, speaker)
    return all(v is not None and v >= (since.get(k) or 0) + 3 for k, v in now.items())


def check_no_xdp(lab, n, why):
    for ifname in lab.ifnames(n):
        pid = lab.xdp_prog_id(n, ifname)
        check(pid is None, f"node {n} {ifname}: XDP program {pid} still attached {why}")


def daemon_exit_code(lab, n):
    lab.refresh()
    return lab.node(n)["exit_code"]


def ping_all(lab, src, dst):
    for ifname in lab.ifnames(dst):
        p = lab.ns_run(src, ["ping", "-c", "2", "-i", "0.2", "-W", "2", lab.ip(dst, ifname)],
                       check_rc=False)
        check(p.returncode == 0, f"ping node {dst} {ifname} ({lab.ip(dst, ifname)}) failed:"
                                 f"\n{p.stdout}{p.stderr}")


def foreign_object():
    obj = build_dir() / "tests" / "bpf" / "foreign_pass.bpf.o"
    return obj if obj.exists() else None


def attach_foreign(lab, n, ifname):
    """Attaches somebody else's program; returns (prog id, name, how to remove it)."""
    obj = foreign_object()
    if obj:
        run(["ip", "-n", lab.netns(n), "link", "set", "dev", ifname, "xdpdrv", "obj", obj,
             "sec", "xdp"])
        detach = ["ip", "-n", lab.netns(n), "link", "set", "dev", ifname, "xdpdrv", "off"]
    else:
        say(f"{obj} not built: using xdp-filter as the foreign program")
        lab.ns_run(n, ["xdp-filter", "load", "--mode", "native", ifname])
        detach = ["nsenter", f"--net=/run/netns/{lab.netns(n)}", "--", "xdp-filter",
                  "unload", ifname]
    pid = lab.xdp_prog_id(n, ifname)
    check(pid is not None, f"node {n} {ifname}: foreign program did not attach")
    prog = json.loads(run(["bpftool", "-j", "prog", "show", "id", pid]).stdout)
    return pid, prog["name"], detach


def pinned_counters(lab, n, ifname, name="counters"):
    """Sums over CPUs of a pinned counters map, by BTF field name; None if no such pin."""
    path = f"{lab.pin_dir(n)}/{ifname}/{name}"
    p = run(nsenter(lab.netns(n), ["bpftool", "-j", "map", "dump", "pinned", path]),
            check_rc=False)
    if p.returncode != 0:
        return None
    sums = {}
    for entry in json.loads(p.stdout):
        values = entry["formatted"].get("values") or [{"value": entry["formatted"]["value"]}]
        for v in values:
            for k, x in v["value"].items():
                sums[k] = sums.get(k, 0) + x
    return sums


def pinned_map_id(lab, n, ifname, name):
    path = f"{lab.pin_dir(n)}/{ifname}/{name}"
    return json.loads(run(nsenter(lab.netns(n), ["bpftool", "-j", "map", "show", "pinned",
                                                 path])).stdout)["id"]


def inject_in_gap(lab):
    """Sends GAP_FRAMES hellos from the peer to the victim's GAP_IF (unicast to its MAC) while
    the victim has no daemon; returns the stale program's no_socket count afterwards (read
    by pin path), which must have grown by at least GAP_FRAMES."""
    before = pinned_counters(lab, VICTIM, GAP_IF)
    check(before is not None, f"node {VICTIM} {GAP_IF}: no pinned counters after SIGKILL")
    out = lab.inject(PEER, GAP_IF, "-t", "hello", "-c", GAP_FRAMES, "--dst",
                     lab.mac(VICTIM, GAP_IF), "--cluster", lab.cluster_id, "--rate", 20000)
    check(out["sent"] == GAP_FRAMES, f"injected {out['sent']} of {GAP_FRAMES}")
    dropped = lab.peer_tx_dropped(VICTIM, GAP_IF)
    after = wait_until(lambda: (lambda c: c if c["no_socket"] - before["no_socket"] >=
                                GAP_FRAMES - dropped else None)(
        pinned_counters(lab, VICTIM, GAP_IF)), 10, "the stale program to count the gap")
    say(f"gap: {GAP_FRAMES} frames injected, stale no_socket {before['no_socket']} -> "
        f"{after['no_socket']}")
    return after


def check_carried(lab, gap_counts, floor):
    """After a restart: xdp_carried_over holds at least what the stale program had counted
    (gap_counts, read just before the restart) and `floor`; xdp includes it."""
    st = lab.status(VICTIM)
    p = port_of(st, GAP_IF)
    carried = p.get("xdp_carried_over")
    check(carried is not None, f"no xdp_carried_over in the status of {GAP_IF}")
    for k, v in gap_counts.items():
        check(carried[k] >= v, f"{GAP_IF}: xdp_carried_over.{k} = {carried[k]}, the stale "
                               f"program had counted {v}")
        check(p["xdp"][k] >= carried[k], f"{GAP_IF}: xdp.{k} = {p['xdp'][k]} does not "
                                         f"include the carried {carried[k]}")
    check(carried["no_socket"] >= floor, f"{GAP_IF}: carried no_socket {carried['no_socket']}"
                                         f" < {floor}")
    # The pins are the new program's now, and the carried values are pinned beside them.
    new_maps = json.loads(run(["bpftool", "-j", "prog", "show", "id",
                               p["xdp_prog_id"]]).stdout)["map_ids"]
    check(pinned_map_id(lab, VICTIM, GAP_IF, "counters") in new_maps,
          f"{GAP_IF}: the counters pin is not the new program's map")
    pinned_carried = pinned_counters(lab, VICTIM, GAP_IF, "carried")
    check(pinned_carried == carried, f"{GAP_IF}: carried pin {pinned_carried}, status "
                                     f"{carried}")
    log = lab.daemon_log(VICTIM, lines=200)
    lines = [l for l in log.splitlines() if f"{GAP_IF}: carried over" in l]
    check(lines and f"no_socket={carried['no_socket']}" in lines[-1],
          f"no log line saying what was carried for {GAP_IF}:\n{log}")
    say(f"carried over: {lines[-1].split('INFO', 1)[-1].strip()}")
    return carried


def body(lab):
    wait_until(lambda: hears_again(lab, PEER, VICTIM, {}) and
               hears_again(lab, VICTIM, PEER, {}), 20, "both nodes to hear each other")
    st = lab.status(VICTIM)
    pin_dir = Path(lab.pin_dir(VICTIM))
    sock = Path(lab.socket(VICTIM))
    check(pin_dir.is_dir(), f"pin dir {pin_dir} missing while the daemon runs")
    for ifname in lab.ifnames(VICTIM):
        check(lab.xdp_prog_id(VICTIM, ifname) == port_of(st, ifname)["xdp_prog_id"],
              f"node {VICTIM} {ifname}: attached program is not the one dmpdctl reports")
        check((pin_dir / ifname / "counters").exists(), f"{pin_dir}/{ifname}/counters "
                                                         f"missing")

    # 1. SIGTERM.
    say("1. SIGTERM")
    lab.lab("stop", VICTIM, timeout=60)
    rc = daemon_exit_code(lab, VICTIM)
    check(rc == 0, f"node {VICTIM}: dmpdd exited with {rc} after SIGTERM, expected 0\n"
                   f"{lab.daemon_log(VICTIM)}")
    check_no_xdp(lab, VICTIM, "after SIGTERM")
    check(not pin_dir.exists(), f"pin dir {pin_dir} left after SIGTERM: "
                                f"{sorted(str(p) for p in pin_dir.rglob('*'))}")
    check(not sock.exists(), f"control socket {sock} left after SIGTERM")
    ping_all(lab, PEER, VICTIM)

    # 2. Start again.
    say("2. start after SIGTERM")
    before = heard(lab, PEER, VICTIM)
    lab.lab("start", VICTIM, timeout=120)
    wait_until(lambda: hears_again(lab, PEER, VICTIM, before), 20,
               f"node {PEER} to hear node {VICTIM} again")
    wait_until(lambda: hears_again(lab, VICTIM, PEER, {}), 20,
               f"restarted node {VICTIM} to hear node {PEER}")

    # 3. SIGKILL: stale program stays; the next daemon replaces it.
    say("3. SIGKILL")
    old_ids = {i: lab.xdp_prog_id(VICTIM, i) for i in lab.ifnames(VICTIM)}
    lab.lab("stop", "--kill", VICTIM, timeout=60)
    rc = daemon_exit_code(lab, VICTIM)
    check(rc == -9, f"node {VICTIM}: exit code {rc} after SIGKILL, expected -9")
    stale = {i: lab.xdp_prog_id(VICTIM, i) for i in lab.ifnames(VICTIM)}
    say(f"after SIGKILL: programs {stale} (were {old_ids})")
    check(all(stale[i] == old_ids[i] for i in stale),
          f"node {VICTIM}: after SIGKILL the programs should stay attached: {stale}, "
          f"were {old_ids}")
    ping_all(lab, PEER, VICTIM)  # the stale program passes IP on
    gap = inject_in_gap(lab)
    before = heard(lab, PEER, VICTIM)
    p = lab.lab("start", VICTIM, timeout=120, check_rc=False)
    check(p.returncode == 0, f"node {VICTIM}: dmpdd did not start after a SIGKILL "
                             f"(stale program and pins):\n{p.stderr}")
    st = lab.status(VICTIM)
    for ifname in lab.ifnames(VICTIM):
        now = lab.xdp_prog_id(VICTIM, ifname)
        check(now == port_of(st, ifname)["xdp_prog_id"],
              f"node {VICTIM} {ifname}: attached prog {now}, dmpdctl says "
              f"{port_of(st, ifname)['xdp_prog_id']}")
        check(now != stale[ifname], f"node {VICTIM} {ifname}: stale program "
                                    f"{stale[ifname]} still attached")
        check(run(["bpftool", "prog", "show", "id", stale[ifname]],
                  check_rc=False).returncode != 0,
              f"stale program {stale[ifname]} still loaded after replacement")
    check("replacing stale dmpd_steer" in lab.daemon_log(VICTIM, lines=200),
          f"node {VICTIM}: the log does not say it replaced the stale program")
    wait_until(lambda: hears_again(lab, PEER, VICTIM, before), 20,
               f"node {PEER} to hear node {VICTIM} after the restart from SIGKILL")
    wait_until(lambda: hears_again(lab, VICTIM, PEER, {}), 20,
               f"node {VICTIM} to hear node {PEER} after the restart from SIGKILL")
    carried = check_carried(lab, gap, GAP_FRAMES)

    # 3b. Killed again: what this run carried is not lost with it.
    say("3b. SIGKILL again")
    lab.lab("stop", "--kill", VICTIM, timeout=60)
    gap2 = inject_in_gap(lab)
    check(pinned_counters(lab, VICTIM, GAP_IF, "carried") == carried,
          "the carried pin changed while no daemon ran")
    lab.lab("start", VICTIM, timeout=120)
    carried2 = check_carried(lab, {k: gap2[k] + carried[k] for k in gap2},
                             carried["no_socket"] + GAP_FRAMES)
    say(f"after the second restart: carried no_socket {carried2['no_socket']} (first gap "
        f"{carried['no_socket']})")

    # 4. A foreign program.
    say("4. foreign program")
    lab.lab("stop", VICTIM, timeout=60)
    check_no_xdp(lab, VICTIM, "after SIGTERM")
    fid, fname, detach = attach_foreign(lab, VICTIM, FOREIGN_IF)
    try:
        say(f"foreign program {fname!r} id {fid} on node {VICTIM} {FOREIGN_IF}")
        p = lab.lab("start", "--timeout", 60, VICTIM, timeout=120, check_rc=False)
        check(p.returncode != 0, f"node {VICTIM}: dmpdd started over a foreign program")
        rc = daemon_exit_code(lab, VICTIM)
        check(rc not in (None, 0), f"node {VICTIM}: dmpdd exit code {rc}, expected non-zero")
        log = lab.daemon_log(VICTIM, lines=60)
        last = [l for l in log.splitlines() if "not dmpd's" in l]
        check(last, f"no \"not dmpd's\" in the daemon's log:\n{log}")
        line = last[-1]
        for word in (FOREIGN_IF, fname, str(fid)):
            check(word in line, f"refusal does not name {word!r}: {line}")
        say(f"refused: {line.strip()}")
        check(lab.xdp_prog_id(VICTIM, FOREIGN_IF) == fid,
              f"node {VICTIM} {FOREIGN_IF}: foreign program {fid} replaced by "
              f"{lab.xdp_prog_id(VICTIM, FOREIGN_IF)}")
        for ifname in lab.ifnames(VICTIM):
            if ifname != FOREIGN_IF:
                check(lab.xdp_prog_id(VICTIM, ifname) is None,
                      f"node {VICTIM} {ifname}: the refusing daemon left program "
                      f"{lab.xdp_prog_id(VICTIM, ifname)} attached")
        check(not sock.exists(), f"control socket {sock} left by the refusing daemon")
    finally:
        if lab.xdp_prog_id(VICTIM, FOREIGN_IF) == fid:
            run(detach)
    check(lab.xdp_prog_id(VICTIM, FOREIGN_IF) is None, "foreign program not removed")

    # And the node works again once the port is free.
    before = heard(lab, PEER, VICTIM)
    lab.lab("start", VICTIM, timeout=120)
    wait_until(lambda: hears_again(lab, PEER, VICTIM, before), 20,
               f"node {PEER} to hear node {VICTIM} once the foreign program is gone")


if __name__ == "__main__":
    run_test(body, nodes=2, ports=2)
