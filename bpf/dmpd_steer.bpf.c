/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * dmpd_steer: steers DMPD frames (DP-1) into the AF_XDP socket of the receive queue and
 * passes every other frame to the kernel untouched. Never drops non-DMPD traffic; drops
 * only DMPD frames that are malformed, (when configured, DP-3) unicast to another MAC, of
 * another cluster or data for another node, or that arrive on a queue with no socket.
 * Every path leaves through COUNT_AND_RETURN, so each frame moves exactly one counter.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
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

/* The virtual service's frames (common/xdp_steer.h): 1 if this IPv4 packet (at c->pos) is
 * one, else 0 (the kernel's). Reads only within the frame. */
static __always_inline int is_virtual_service(const struct cursor *c)
{
	__u32 key = 0;
	struct dmpd_vs_config *cfg = bpf_map_lookup_elem(&dmpd_vs_cfg, &key);
	struct iphdr *ip = c->pos;
	struct dmpd_vs_service_key svc = {};
	__be16 *ports;
	__u16 dport;

	if (!cfg || cfg->magic != DMPD_VS_CONFIG_MAGIC)
		return 0;
	if ((void *)(ip + 1) > c->end || ip->version != 4 || ip->ihl < 5)
		return 0;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return 0;
	if (!bpf_map_lookup_elem(&dmpd_vs_vips, &ip->daddr))
		return 0;
	/* A fragment after the first has no ports: the kernel's (it owns the VIP). */
	if (ip->frag_off & bpf_htons(0x1FFF))
		return 0;
	ports = (void *)ip + ((ip->ihl & 0xF) * 4);
	if ((void *)(ports + 2) > c->end)
		return 0;
	svc.vip = ip->daddr;
	svc.port = ports[1];
	svc.proto = ip->protocol;
	if (bpf_map_lookup_elem(&dmpd_vs_svc, &svc))
		return 1; /* a client's request */
	dport = bpf_ntohs(ports[1]);
	return dport >= cfg->vdport_first && dport <= cfg->vdport_last; /* a backend's reply */
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
	if (parse_ethernet(&c, &proto) < 0)
		COUNT_AND_RETURN(counters, passed_to_kernel, XDP_PASS);
	if (proto == bpf_htons(ETH_P_IP) && is_virtual_service(&c)) {
		struct dmpd_vs_counters *vs = bpf_map_lookup_elem(&dmpd_vs_count, &key);

		verdict = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_DROP);
		if (verdict != XDP_REDIRECT) /* no socket: the kernel has no use for it either */
			COUNT_AND_RETURN(vs, vs_no_socket, XDP_DROP);
		COUNT_AND_RETURN(vs, redirected_vs, XDP_REDIRECT);
	}
	if (proto != ethertype)
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
