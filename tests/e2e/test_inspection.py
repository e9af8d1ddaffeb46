#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Inspection with the standard tools (OPS-4, DP-2): on every port bpftool shows the
program "dmpd_steer" that dmpdctl reports, xdp-loader status shows it, the pinned counters
dump with their BTF field names and agree with dmpdctl (status before <= dump <= status
after, per field, summed over CPUs), and ip/ethtool keep working on the ports.
"""

import json

from labkit import check, nsenter, port_of, run, run_test, say, wait_until

COUNTERS = ("redirected_control", "redirected_data", "passed_to_kernel", "malformed",
            "other_cluster", "not_for_node", "no_socket", "foreign_unicast")


def net_show_ids(lab, n):
    """ifname -> XDP prog id from `bpftool -j net show` in node n's namespace."""
    out = json.loads(lab.ns_run(n, ["bpftool", "-j", "net", "show"]).stdout)
    ids = {}
    for section in out:
        for x in section.get("xdp", []):
            if "id" in x:
                ids[x["devname"]] = x["id"]
            for att in x.get("multi_attachments", []):
                ids.setdefault(x["devname"], att["id"])
    return ids


def dump_counters(lab, n, path):
    """Sums over CPUs of `bpftool -j map dump pinned path`, by BTF field name."""
    out = json.loads(lab.ns_run(n, ["bpftool", "-j", "map", "dump", "pinned", path]).stdout)
    check(len(out) == 1, f"{path}: expected one entry, got {len(out)}")
    entry = out[0]
    check("formatted" in entry, f"{path}: no BTF-formatted values (map without BTF?): "
                                f"{json.dumps(entry)[:300]}")
    values = entry["formatted"]["values"]
    check(len(values) >= 1 and all("cpu" in v for v in values),
          f"{path}: not a per-CPU map dump: {values}")
    sums = {}
    for v in values:
        for k, x in v["value"].items():
            sums[k] = sums.get(k, 0) + x
    check(set(sums) == set(COUNTERS), f"{path}: fields {sorted(sums)}, expected "
                                      f"{sorted(COUNTERS)}")
    return sums


def body(lab):
    wait_until(lambda: all(p["neighbours"] for n in (1, 2) for p in lab.status(n)["ports"]),
               20, "neighbours on every port")
    for n in (1, 2):
        st = lab.status(n)
        net_ids = net_show_ids(lab, n)
        loader = lab.ns_run(n, ["xdp-loader", "status"], check_rc=False)
        check(loader.returncode == 0, f"node {n}: xdp-loader status exited "
                                      f"{loader.returncode}: {loader.stderr}")
        for ifname in lab.ifnames(n):
            where = f"node {n} {ifname}"
            p = port_of(st, ifname)
            link_id = lab.xdp_prog_id(n, ifname)
            check(link_id is not None, f"{where}: `ip -j link` shows no XDP program")
            check(net_ids.get(ifname) == link_id,
                  f"{where}: bpftool net show says prog {net_ids.get(ifname)}, ip link "
                  f"says {link_id}")
            check(p["xdp_prog_id"] == link_id, f"{where}: dmpdctl says xdp_prog_id "
                                               f"{p['xdp_prog_id']}, kernel says {link_id}")
            check(p["xdp_mode"] == "native", f"{where}: xdp_mode {p['xdp_mode']}")
            prog = json.loads(lab.ns_run(n, ["bpftool", "-j", "prog", "show", "id",
                                             link_id]).stdout)
            check(prog["name"] == "dmpd_steer" and prog["type"] == "xdp",
                  f"{where}: prog {link_id} is {prog.get('type')} {prog.get('name')!r}")
            check(prog.get("btf_id"), f"{where}: prog {link_id} has no BTF")
            # `bpftool prog show` (all programs) lists it too.
            allp = json.loads(lab.ns_run(n, ["bpftool", "-j", "prog", "show"]).stdout)
            check(any(x["id"] == link_id and x["name"] == "dmpd_steer" for x in allp),
                  f"{where}: `bpftool prog show` does not list prog {link_id}")
            rows = [l.split() for l in loader.stdout.splitlines()]
            row = next((r for r in rows if r and r[0] == ifname), None)
            check(row is not None and "dmpd_steer" in row and str(link_id) in row,
                  f"{where}: xdp-loader status does not show dmpd_steer id {link_id}:\n"
                  f"{loader.stdout}")
            check("native" in row, f"{where}: xdp-loader says {row}, expected native mode")
            say(f"{where}: prog {link_id} dmpd_steer native; xdp-loader: {' '.join(row)}")

            # Counters: pinned, named, in agreement with dmpdctl.
            path = f"{lab.pin_dir(n)}/{ifname}/counters"
            check(p["pin_dir"] == f"{lab.pin_dir(n)}/{ifname}",
                  f"{where}: dmpdctl pin_dir {p['pin_dir']}, expected "
                  f"{lab.pin_dir(n)}/{ifname}")
            before = port_of(lab.status(n), ifname)["xdp"]
            dump = dump_counters(lab, n, path)
            after = port_of(lab.status(n), ifname)["xdp"]
            for k in COUNTERS:
                check(before[k] <= dump[k] <= after[k],
                      f"{where}: {k}: dmpdctl before {before[k]}, bpftool {dump[k]}, dmpdctl "
                      f"after {after[k]}")
            check(dump["redirected_control"] > 0, f"{where}: no control frames counted")
            say(f"{where}: bpftool map dump pinned {path}: {dump}")
            text = lab.ns_run(n, ["bpftool", "map", "dump", "pinned", path]).stdout
            check("redirected_control" in text and "passed_to_kernel" in text,
                  f"{where}: plain `bpftool map dump` shows no field names:\n{text[:400]}")
            cfg = f"{lab.pin_dir(n)}/{ifname}/config"
            run(nsenter(lab.netns(n), ["bpftool", "map", "show", "pinned", cfg]))

            # The port is still an ordinary kernel interface.
            addr = json.loads(lab.ns_run(n, ["ip", "-j", "addr", "show", "dev",
                                             ifname]).stdout)
            have = [a["local"] for a in addr[0]["addr_info"] if a["family"] == "inet"]
            check(lab.ip(n, ifname) in have, f"{where}: address gone: {have}")
            lab.ns_run(n, ["ethtool", "-i", ifname])
            lab.ns_run(n, ["ethtool", "-S", ifname])


if __name__ == "__main__":
    run_test(body, nodes=2, ports=2)
