/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * lab_loss: random loss on a lab port, for `dmpd-lab loss` (there is no netem in this
 * kernel). Attached with tc (clsact, direct-action) to the bridge-side veth of a node's
 * port, once on its ingress (frames the node sends) and once on its egress (frames the
 * switch hands to the node). The bridge side, because AF_XDP transmit bypasses the node
 * side's qdisc. Both programs share one map, keyed by the veth's ifindex, so one loaded
 * pair serves every lossy port of a lab; a port without an entry is not touched.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "common/lab_loss.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LAB_LOSS_MAX_PORTS);
	__type(key, __u32); /* ifindex of the bridge-side veth */
	__type(value, struct lab_loss_port);
} lab_loss SEC(".maps");

/* One decision per frame and direction; every path counts once. The counters are shared
 * by the CPUs, hence atomic adds (a lab's rates make the contention irrelevant). */
static __always_inline int lab_loss_decide(struct __sk_buff *skb, int egress)
{
	__u32 ifindex = skb->ifindex; /* at ingress and at egress: the veth itself */
	struct lab_loss_port *port = bpf_map_lookup_elem(&lab_loss, &ifindex);

	if (!port)
		return TC_ACT_OK;
	if ((__u64)bpf_get_prandom_u32() < port->threshold) {
		__sync_fetch_and_add(egress ? &port->egress_dropped : &port->ingress_dropped, 1);
		return TC_ACT_SHOT;
	}
	__sync_fetch_and_add(egress ? &port->egress_passed : &port->ingress_passed, 1);
	return TC_ACT_OK;
}

SEC("tc")
int lab_loss_in(struct __sk_buff *skb)
{
	return lab_loss_decide(skb, 0);
}

SEC("tc")
int lab_loss_out(struct __sk_buff *skb)
{
	return lab_loss_decide(skb, 1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
