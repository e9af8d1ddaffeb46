/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interface between the lab's loss program (bpf/lab_loss.bpf.c) and tools/dmpd-lab,
 * which writes and reads the map with bpftool: one entry per lossy port, keyed by the
 * ifindex (__u32, host byte order) of the port's bridge-side veth in the root namespace.
 * All fields host byte order. tools/dmpd-lab packs the value as struct format "=5Q"
 * (LOSS_VALUE_FORMAT there): keep the two in step.
 */
#ifndef DMPD_COMMON_LAB_LOSS_H_
#define DMPD_COMMON_LAB_LOSS_H_

#include <linux/types.h>

#include "common/shared_assert.h"

struct lab_loss_port {
	/* A frame is dropped when bpf_get_prandom_u32() < threshold: threshold =
	 * percent / 100 * 2^32, so 0 drops nothing and 2^32 (hence 64 bits) drops all. */
	__u64 threshold;
	__u64 ingress_passed;  /* frames from the node (the veth's ingress) let through */
	__u64 ingress_dropped; /* frames from the node dropped */
	__u64 egress_passed;   /* frames to the node (the veth's egress) let through */
	__u64 egress_dropped;  /* frames to the node dropped */
};
DMPD_SHARED_ASSERT(sizeof(struct lab_loss_port) == 5 * 8, "lab_loss_port layout");

#define LAB_LOSS_MAP "lab_loss" /* the pinned map's name (at most 15 characters) */
#define LAB_LOSS_MAX_PORTS 1024 /* lossy ports of all labs on the host at once */

#endif /* DMPD_COMMON_LAB_LOSS_H_ */
