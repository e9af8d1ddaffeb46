/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parsing through a cursor: every helper checks its bounds against data_end before
 * reading, and returns -1 on a short packet, so callers never touch bytes past the frame.
 */
#ifndef DMPD_BPF_PARSE_HELPERS_H_
#define DMPD_BPF_PARSE_HELPERS_H_

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define DMPD_MAX_VLAN_TAGS 2 /* 802.1ad outer + 802.1Q inner; the C++ decoder agrees */

struct cursor {
	void *pos;
	void *end;
};

struct vlan_tag {
	__be16 tci;
	__be16 inner_proto;
};

static __always_inline int is_vlan_proto(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Consumes the Ethernet header and up to DMPD_MAX_VLAN_TAGS tags; *proto gets the inner
 * EtherType (network order). */
static __always_inline int parse_ethernet(struct cursor *c, __be16 *proto)
{
	struct ethhdr *eth = c->pos;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	*proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < DMPD_MAX_VLAN_TAGS; i++) {
		struct vlan_tag *tag = c->pos;

		if (!is_vlan_proto(*proto))
			break;
		if ((void *)(tag + 1) > c->end)
			return -1;
		c->pos = tag + 1;
		*proto = tag->inner_proto;
	}
	return 0;
}

#endif /* DMPD_BPF_PARSE_HELPERS_H_ */
