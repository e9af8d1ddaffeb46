/* SPDX-License-Identifier: BSD-3-Clause */
/* A stand-in for somebody else's XDP program: the daemon must refuse to replace it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int foreign_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
