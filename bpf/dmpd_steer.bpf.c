/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * dmpd_steer: steers DMPD frames (DP-1) into the AF_XDP socket of the receive queue and
 * passes every other frame to the kernel untouched. Never drops non-DMPD traffic; drops
 * only DMPD frames that are malformed, (when configured, DP-3) unicast to another MAC, of
 * another cluster or data for another node, or that arrive on a queue with no socket.
 * Every path leaves through COUNT_AND_RETURN, so each frame moves exactly one counter.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "common/dmpd_wire.h"
#include "common/xdp_steer.h"
#include "parse_helpers.h"
#include "steer_maps.h"

#define COUNT_AND_RETURN(counters, field, action)   \
	do {                                          \
		if (counters)                         \
			(counters)->field++;          \
		return (action);                      \
	} while (0)

/* Unicast (I/G bit clear) to a MAC other than ours. Byte by byte: neither side is known
 * to be aligned, and six compares cost nothing next to the map lookups. */
static __always_inline int is_foreign_unicast(const __u8 *dst, const __u8 *own)
{
	if (dst[0] & 1) /* broadcast or multicast: every port may take it */
		return 0;
	return (dst[0] ^ own[0]) | (dst[1] ^ own[1]) | (dst[2] ^ own[2]) | (dst[3] ^ own[3]) |
	       (dst[4] ^ own[4]) | (dst[5] ^ own[5]);
}

SEC("xdp")
int dmpd_steer(struct xdp_md *ctx)
{
	struct cursor c = { .pos = (void *)(long)ctx->data, .end = (void *)(long)ctx->data_end };
	__u32 key = 0;
	struct dmpd_steer_counters *counters = bpf_map_lookup_elem(&dmpd_counters, &key);
	struct dmpd_steer_config *cfg = bpf_map_lookup_elem(&dmpd_config, &key);
	__be16 ethertype = bpf_htons(DMPD_ETHERTYPE_DEFAULT);
	struct ethhdr *eth = c.pos; /* bounds checked by parse_ethernet before any read */
	struct dmpd_hdr *hdr;
	__be16 proto;
	long verdict;

	if (cfg && cfg->magic == DMPD_STEER_CONFIG_MAGIC)
		ethertype = cfg->ethertype;

	/* A runt the kernel may still want (it counts it as an error): not ours to drop. */
	if (parse_ethernet(&c, &proto) < 0 || proto != ethertype)
		COUNT_AND_RETURN(counters, passed_to_kernel, XDP_PASS);

	/* Flooded to us by a switch that has not learnt where the destination is: not ours,
	 * whatever is in it, so it is judged before anything else in the frame (DP-3). */
	if (cfg && cfg->magic == DMPD_STEER_CONFIG_MAGIC &&
	    (cfg->flags & DMPD_STEER_F_FILTER_UNICAST) &&
	    is_foreign_unicast(eth->h_dest, cfg->port_mac))
		COUNT_AND_RETURN(counters, foreign_unicast, XDP_DROP);

	hdr = c.pos;
	if ((void *)(hdr + 1) > c.end || hdr->version != DMPD_PROTO_VERSION)
		COUNT_AND_RETURN(counters, malformed, XDP_DROP);
	if ((void *)(hdr + 1) + bpf_ntohs(hdr->payload_len) > c.end)
		COUNT_AND_RETURN(counters, malformed, XDP_DROP);

	if (cfg && cfg->magic == DMPD_STEER_CONFIG_MAGIC &&
	    (cfg->flags & DMPD_STEER_F_FILTER_CLUSTER) && hdr->cluster_id != cfg->cluster_id)
		COUNT_AND_RETURN(counters, other_cluster, XDP_DROP);

	/* Flooded by the switch before it learnt the port's MAC: a data frame for another
	 * node is not ours to see (DP-3). Its data header must be complete to tell. */
	if (hdr->kind >= DMPD_KIND_FIRST_DATA && cfg && cfg->magic == DMPD_STEER_CONFIG_MAGIC &&
	    (cfg->flags & DMPD_STEER_F_FILTER_NODE)) {
		struct dmpd_data_hdr *data = (void *)(hdr + 1);

		if ((void *)(data + 1) > c.end || bpf_ntohs(hdr->payload_len) < sizeof(*data))
			COUNT_AND_RETURN(counters, malformed, XDP_DROP);
		if (data->dst_node != cfg->local_node)
			COUNT_AND_RETURN(counters, not_for_node, XDP_DROP);
	}

	/* A queue without a socket (the PMD attaches the program before it inserts the
	 * socket; after a crash the socket is gone) drops DMPD frames, counted: the kernel
	 * has no use for them, and DMPD frames never reach it. Other traffic is unaffected. */
	verdict = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_DROP);
	if (verdict != XDP_REDIRECT)
		COUNT_AND_RETURN(counters, no_socket, XDP_DROP);
	if (hdr->kind >= DMPD_KIND_FIRST_DATA)
		COUNT_AND_RETURN(counters, redirected_data, XDP_REDIRECT);
	COUNT_AND_RETURN(counters, redirected_control, XDP_REDIRECT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
