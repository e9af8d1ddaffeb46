/* SPDX-License-Identifier: BSD-3-Clause */
/* Maps of the steering program. Layouts come from common/xdp_steer.h, shared with C++. */
#ifndef DMPD_BPF_STEER_MAPS_H_
#define DMPD_BPF_STEER_MAPS_H_

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "common/xdp_steer.h"

/* Written by the daemon (key 0); see struct dmpd_steer_config. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dmpd_steer_config);
} dmpd_config SEC(".maps");

/* Per-CPU so the packet path never contends; readers sum over CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dmpd_steer_counters);
} dmpd_counters SEC(".maps");

/* Filled by DPDK's af_xdp PMD (it looks the map up by this name) with the socket of each
 * receive queue it serves. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, DMPD_STEER_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* The virtual service's (written by the daemon; see common/xdp_steer.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dmpd_vs_config);
} dmpd_vs_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DMPD_VS_MAX_SERVICES);
	__type(key, struct dmpd_vs_service_key);
	__type(value, __u32);
} dmpd_vs_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DMPD_VS_MAX_VIPS);
	__type(key, __be32);
	__type(value, __u32);
} dmpd_vs_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dmpd_vs_counters);
} dmpd_vs_count SEC(".maps");

#endif /* DMPD_BPF_STEER_MAPS_H_ */
