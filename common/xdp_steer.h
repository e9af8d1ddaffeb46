/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interface between the XDP steering program (bpf/dmpd_steer.bpf.c) and the daemon:
 * the configuration map the daemon writes and the per-CPU counters both read.
 * Host byte order unless a field says otherwise.
 */
#ifndef DMPD_COMMON_XDP_STEER_H_
#define DMPD_COMMON_XDP_STEER_H_

#include <linux/types.h>

#include "common/shared_assert.h"

/* Written into dmpd_steer_config.magic by the daemon once the rest is valid. Until then
 * the program steers with the defaults (EtherType DMPD_ETHERTYPE_DEFAULT, no filtering),
 * so it also works under a plain af_xdp consumer such as dpdk-testpmd. "DMPD" in ASCII. */
#define DMPD_STEER_CONFIG_MAGIC 0x444d5044u

/* dmpd_steer_config.flags */
#define DMPD_STEER_F_FILTER_CLUSTER (1u << 0) /* drop DMPD frames of another cluster id */
#define DMPD_STEER_F_FILTER_NODE (1u << 1)    /* drop data frames for another node (DP-3) */
/* Drop DMPD frames sent to a unicast MAC other than port_mac (DP-3): a switch floods a
 * unicast frame to every port until it learns where the destination is. Off where a
 * device between the nodes rewrites MACs (daemon setting accept_foreign_unicast). */
#define DMPD_STEER_F_FILTER_UNICAST (1u << 2)

struct dmpd_steer_config {
	__u32 magic;       /* DMPD_STEER_CONFIG_MAGIC when configured */
	__be16 ethertype;  /* network byte order, compared as read from the frame */
	__be16 local_node; /* network byte order: this node's number, for FILTER_NODE */
	__be32 cluster_id; /* network byte order, compared as read from the frame */
	__u32 flags;       /* DMPD_STEER_F_* */
	__u8 port_mac[6];  /* the port's own MAC, in wire order (as in h_dest), for FILTER_UNICAST */
	__u8 pad[2];       /* zero; keeps the size a multiple of 4 on both sides */
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_steer_config) == 24, "dmpd_steer_config layout");

/*
 * The counters, defined once: X(field, description). The struct below, the daemon's
 * names and the docs all come from this list. Every frame the program sees moves exactly
 * one counter, so their sum is the number of frames seen.
 */
#define DMPD_STEER_COUNTERS(X)                                                         \
	X(redirected_control, "DMPD control frames redirected to the AF_XDP socket")     \
	X(redirected_data, "DMPD data frames redirected to the AF_XDP socket")           \
	X(passed_to_kernel, "non-DMPD frames passed to the kernel stack")                \
	X(malformed, "DMPD frames dropped: truncated, bad version or bad payload length") \
	X(other_cluster, "DMPD frames dropped: another cluster id")                      \
	X(not_for_node, "DMPD data frames dropped: addressed to another node")           \
	X(no_socket, "DMPD frames dropped: the queue has no AF_XDP socket")               \
	X(foreign_unicast, "DMPD frames dropped: unicast to another MAC (flooded by a switch)")

struct dmpd_steer_counters {
#define DMPD_STEER_COUNTER_FIELD(name, desc) __u64 name;
	DMPD_STEER_COUNTERS(DMPD_STEER_COUNTER_FIELD)
#undef DMPD_STEER_COUNTER_FIELD
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_steer_counters) == 8 * 8, "dmpd_steer_counters layout");

/* Map names as the kernel shows them (at most 15 characters). */
#define DMPD_STEER_PROG_NAME "dmpd_steer"
#define DMPD_STEER_CONFIG_MAP "dmpd_config"
#define DMPD_STEER_COUNTERS_MAP "dmpd_counters"
#define DMPD_STEER_XSKS_MAP "xsks_map" /* the name DPDK's af_xdp PMD looks up */
/* Made by the daemon, not the program: counters carried over from a crashed run (an ARRAY
 * of one struct dmpd_steer_counters, with the counters map's BTF), pinned beside them so
 * that they survive the next crash too. */
#define DMPD_STEER_CARRIED_MAP "dmpd_carried"
#define DMPD_STEER_MAX_QUEUES 64

/*
 * The virtual service (issue 9, docs/vs.md): IPv4 TCP/UDP to a service's vip:vport (a
 * client's request) or to a VIP with a destination port in the vdport range (a backend's
 * reply) goes to the AF_XDP socket; everything else to a VIP (ARP is not IPv4; ICMP, the
 * node's own SSH on other ports, non-first fragments, packets too short to show their
 * ports) stays the kernel's, counted passed_to_kernel like all other traffic. Until the
 * daemon writes DMPD_VS_CONFIG_MAGIC, the program looks at no IPv4 frame.
 */
#define DMPD_VS_CONFIG_MAGIC 0x44564e54u /* "DVNT" */

struct dmpd_vs_config {
	__u32 magic;         /* DMPD_VS_CONFIG_MAGIC when services are configured */
	__u16 vdport_first;  /* host order, inclusive */
	__u16 vdport_last;
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_vs_config) == 8, "dmpd_vs_config layout");

/* A service: its VIP and port as read from the frame (network order), its protocol. */
struct dmpd_vs_service_key {
	__be32 vip;
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;   /* zero */
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_vs_service_key) == 8, "dmpd_vs_service_key layout");

/* Frames of the service: X(field, description); each moves exactly one of these and none
 * of DMPD_STEER_COUNTERS. */
#define DMPD_VS_COUNTERS(X)                                                          \
	X(redirected_vs, "IPv4 frames of the virtual service redirected to the AF_XDP socket") \
	X(vs_no_socket, "virtual service frames dropped: the queue has no AF_XDP socket")

struct dmpd_vs_counters {
#define DMPD_VS_COUNTER_FIELD(name, desc) __u64 name;
	DMPD_VS_COUNTERS(DMPD_VS_COUNTER_FIELD)
#undef DMPD_VS_COUNTER_FIELD
};

#define DMPD_VS_CONFIG_MAP "dmpd_vs_cfg"
#define DMPD_VS_SERVICES_MAP "dmpd_vs_svc"   /* dmpd_vs_service_key -> __u32 (unused, 1) */
#define DMPD_VS_VIPS_MAP "dmpd_vs_vips"      /* __be32 VIP -> __u32 services on it */
#define DMPD_VS_COUNTERS_MAP "dmpd_vs_count"
#define DMPD_VS_MAX_SERVICES 1024
#define DMPD_VS_MAX_VIPS 256

#endif /* DMPD_COMMON_XDP_STEER_H_ */
