#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile input from the wire (REL-1, DP-3): frames with the DMPD EtherType that are
truncated, carry a bad version, a payload length past the frame end, or another cluster
id, or are unicast to a MAC that is not the port's (as a switch floods an unknown
unicast), sent from the neighbour's namespace with a raw socket, are counted exactly
(xdp.malformed, xdp.other_cluster, xdp.foreign_unicast) and dropped; control frames of an unknown kind are
counted by the daemon (daemon.rejected.unknown_kind); the daemon keeps working (status
answers, the neighbour's hellos keep arriving, valid frames, 802.1Q-tagged ones too, still
counted).
"""

from labkit import TestFailure, check, neighbour, port_of, run_test, say, wait_until

TARGET, SENDER, IFNAME = 2, 1, "p0"
COUNT = 200  # of each kind
# Locally administered unicast that no lab port has: the bridge never learns it, so it
# floods these frames to every port, the target's included.
FOREIGN_MAC = "02:ee:00:00:77:01"

# (inject type, extra args, counter path in the target port's status); sent to the target
# port's MAC unless the args give another --dst
CASES = [
    ("truncated", ["--truncate-to", 0], ("xdp", "malformed")),
    ("truncated", ["--truncate-to", 19], ("xdp", "malformed")),
    ("bad-version", ["--version", 2], ("xdp", "malformed")),
    ("bad-version", ["--version", 0], ("xdp", "malformed")),
    ("payload-past-end", [], ("xdp", "malformed")),
    ("payload-past-end", ["--payload-len", 0xFFFF], ("xdp", "malformed")),
    ("other-cluster", [], ("xdp", "other_cluster")),
    ("other-cluster", ["--other-cluster", 0xFFFFFFFF], ("xdp", "other_cluster")),
    ("unknown-kind", ["--kind", 0x7E], ("daemon", "rejected", "unknown_kind")),
    # DP-3: data for another node (a flooded unicast) is dropped in XDP...
    ("data", ["--dst-node", 0x7777], ("xdp", "not_for_node")),
    # ...and a data frame too short to say whom it is for is malformed.
    ("data", ["--dst-node", TARGET, "--payload-len", 4], ("xdp", "malformed")),
    # DP-3: unicast to another MAC (flooded by the switch) is dropped before anything
    # else is looked at, even a valid data frame for this very node.
    ("hello", ["--dst", FOREIGN_MAC], ("xdp", "foreign_unicast")),
    ("data", ["--dst", FOREIGN_MAC, "--dst-node", TARGET], ("xdp", "foreign_unicast")),
]


def dst_args(default, extra):
    return [] if "--dst" in extra else ["--dst", default]


def get(port, path):
    v = port
    for k in path:
        v = v[k]
    return v


def neighbour_hellos(lab):
    st = lab.status(TARGET)
    nb = neighbour(port_of(st, IFNAME), SENDER, 0)
    return nb["hellos"] if nb else 0


def body(lab):
    wait_until(lambda: neighbour_hellos(lab) > 3, 20,
               f"node {TARGET} to hear node {SENDER}")
    dst = lab.mac(TARGET, IFNAME)  # unicast: only the target port sees the frames
    for kind, extra, path in CASES:
        before = port_of(lab.status(TARGET), IFNAME)
        hellos0 = neighbour_hellos(lab)
        dropped0 = lab.peer_tx_dropped(TARGET, IFNAME)
        # Paced: a burst faster than the port's XDP ring drains would be dropped by the
        # switch before the program sees it (counted below, but not the point here).
        out = lab.inject(SENDER, IFNAME, "-t", kind, "-c", COUNT, *dst_args(dst, extra),
                         "--cluster", lab.cluster_id, "--node", SENDER, "--rate", 20000,
                         *extra)
        check(out["sent"] == COUNT, f"{kind}: sent {out['sent']} of {COUNT}")
        name = ".".join(path)

        dropped = lab.peer_tx_dropped(TARGET, IFNAME) - dropped0
        check(dropped <= COUNT // 20, f"{kind}: the switch dropped {dropped} of {COUNT} "
                                      f"frames before the port (XDP ring full)")
        want = COUNT - dropped

        def grown():
            p = port_of(lab.status(TARGET), IFNAME)
            return p if get(p, path) - get(before, path) >= want else None

        try:
            after = wait_until(grown, 10, f"{name} to grow by {want}")
        except TestFailure:
            after = port_of(lab.status(TARGET), IFNAME)
            raise TestFailure(
                f"{kind} {extra}: {name} grew by {get(after, path) - get(before, path)}, "
                f"{COUNT} sent; xdp {diff(before['xdp'], after['xdp'])}, daemon.rejected "
                f"{diff(before['daemon']['rejected'], after['daemon']['rejected'])}")
        grew = get(after, path) - get(before, path)
        say(f"{kind} {extra}: {COUNT} sent ({out['frame_size']} bytes), {name} +{grew}; "
            f"xdp {diff(before['xdp'], after['xdp'])}, rejected "
            f"{diff(before['daemon']['rejected'], after['daemon']['rejected'])}")
        check(grew == want, f"{kind}: {name} grew by {grew}; {COUNT} were sent, {dropped} "
                            f"of them dropped by the switch")
        if path[0] == "xdp":
            # Dropped in the kernel: the daemon never saw them, nothing went to the stack.
            for k in ("rx_frames", "hellos_received", "data_frames"):
                extra_rx = after["daemon"][k] - before["daemon"][k]
                check(extra_rx <= (after["xdp"]["redirected_control"] -
                                   before["xdp"]["redirected_control"]) + 2,
                      f"{kind}: daemon.{k} grew by {extra_rx}, more than the control frames "
                      f"redirected: dropped frames reached the daemon")
        # Hostile frames never go to the kernel. (no_socket may be non-zero from the
        # daemon's startup, between the attach and the socket's entry in xsks_map.)
        check(after["xdp"]["no_socket"] == before["xdp"]["no_socket"],
              f"{kind}: xdp.no_socket grew {before['xdp']['no_socket']} -> "
              f"{after['xdp']['no_socket']}")
        check(after["daemon"]["not_dmpd"] == 0, f"{kind}: daemon.not_dmpd "
                                                f"{after['daemon']['not_dmpd']}")
        # Still alive and still hearing the neighbour.
        wait_until(lambda: neighbour_hellos(lab) >= hellos0 + 2, 10,
                   f"node {SENDER}'s hellos to keep arriving after {kind}")

    # A burst of everything at once, then valid frames are still counted.
    for kind, extra, _ in CASES:
        lab.inject(SENDER, IFNAME, "-t", kind, "-c", 2000, *dst_args(dst, extra), "--cluster",
                   lab.cluster_id, *extra)
    before = port_of(lab.status(TARGET), IFNAME)
    lab.inject(SENDER, IFNAME, "-t", "data", "-c", COUNT, "--dst", dst, "--cluster",
               lab.cluster_id, "--node", SENDER, "--dst-node", TARGET, "--rate", 20000)
    after = wait_until(lambda: (lambda p: p if p["daemon"]["data_frames"] -
                                before["daemon"]["data_frames"] >= COUNT else None)(
        port_of(lab.status(TARGET), IFNAME)), 10, "valid data frames after the burst")
    say(f"after the burst: data_frames +{after['daemon']['data_frames'] - before['daemon']['data_frames']}")
    # 802.1Q-tagged DMPD frames are DMPD frames too (DP-1).
    before = port_of(lab.status(TARGET), IFNAME)
    lab.inject(SENDER, IFNAME, "-t", "data", "-c", COUNT, "--dst", dst, "--cluster",
               lab.cluster_id, "--node", SENDER, "--dst-node", TARGET, "--rate", 20000,
               "--vlan", 5)
    wait_until(lambda: port_of(lab.status(TARGET), IFNAME)["daemon"]["data_frames"] -
               before["daemon"]["data_frames"] >= COUNT, 10,
               "802.1Q-tagged data frames to reach the daemon")
    h = neighbour_hellos(lab)
    wait_until(lambda: neighbour_hellos(lab) >= h + 3, 10, "hellos after the burst")
    lab.refresh()
    check(lab.node(TARGET)["alive"], f"node {TARGET}: daemon died")


def diff(a, b):
    return {k: b[k] - a[k] for k in a if isinstance(a[k], int) and b[k] != a[k]}


if __name__ == "__main__":
    run_test(body, nodes=2, ports=2)
