#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A split switch and its healing (CLU-4: two masters never act at once for long). Four
nodes x two ports, 100 ms cycles, k = 3:

1. `dmpd-lab partition 1,2`: nodes 1, 2 | 3, 4. Each side is watched for a while (what
   each side's nodes say is printed); the side without the old master may elect its own.
2. `dmpd-lab heal`: exactly one master, agreed by all four nodes, each holding the full
   view (4 alive members, 2 up ports each). Measured: seconds and cycles from `heal` to
   agreement and to the full view.
"""

import time

from clusterkit import (NODES, INTERVAL_MS, agreed, cycles, full_view, lab_args, masters,
                        summary, views, wait_agreement, wait_views)
from labkit import check, run_test, say

SIDE_A, SIDE_B = (1, 2), (3, 4)


def body(lab):
    master, term, _, _ = wait_agreement(lab)
    lab.lab("partition", ",".join(map(str, SIDE_A)))
    t0 = time.monotonic()
    say(f"partition {SIDE_A} | {SIDE_B} (master was {master}, term {term})")
    # Each side settles: its nodes agree on a master of their own side (the side with the
    # old master keeps it; the other elects one, having lost its master together).
    side_masters = {}
    for side in (SIDE_A, SIDE_B):
        try:
            vs, s = wait_views(lab, lambda vs: agreed(vs) and agreed(vs)[0] in side, 15,
                               f"side {side} to agree on a master among themselves", side)
            side_masters[side] = agreed(vs)
            say(f"side {side}: master {agreed(vs)[0]} term {agreed(vs)[1]} after "
                f"{time.monotonic() - t0:.2f} s: {summary(vs)}")
        except Exception as e:  # printed, not fatal: the checks that matter follow heal
            side_masters[side] = None
            say(f"side {side}: no agreement while split: {e}")
    time.sleep(20 * INTERVAL_MS / 1000.0)  # pacing: 20 cycles split
    vs = views(lab)
    say(f"split for {time.monotonic() - t0:.1f} s: masters {masters(vs)}: {summary(vs)}")

    lab.lab("heal")
    t_heal = time.monotonic()
    named = []

    def one_master(vs):
        named.append(tuple(masters(vs)))
        return agreed(vs) and len(masters(vs)) == 1
    vs, s_agree = wait_views(lab, one_master, 30, "one master agreed by all after heal")
    vs, s_full = wait_views(lab, lambda vs: agreed(vs) and len(masters(vs)) == 1 and
                            all(full_view(v) for v in vs.values()), 30,
                            "the full view everywhere after heal")
    s_full += s_agree
    final, final_term = agreed(vs)
    two = sum(1 for m in named if len(m) > 1)
    say(f"heal: one master ({final}, term {final_term}) agreed by all after {s_agree:.2f} s "
        f"({cycles(s_agree):.1f} cycles), full view everywhere after {s_full:.2f} s "
        f"({cycles(s_full):.1f} cycles); {two} of {len(named)} polls saw two masters")
    check(masters(vs) == [final], f"after heal: masters {masters(vs)}: {summary(vs)}")
    check(final_term >= term, f"term went back from {term} to {final_term}")
    time.sleep(10 * INTERVAL_MS / 1000.0)  # pacing: 10 cycles, then it must still hold
    vs = views(lab)
    check(agreed(vs) == (final, final_term) and masters(vs) == [final] and
          all(full_view(v) for v in vs.values()),
          f"the cluster moved after healing settled: {summary(vs)}")
    say(f"steady after heal: {summary(vs)}")


if __name__ == "__main__":
    run_test(body, **lab_args())
