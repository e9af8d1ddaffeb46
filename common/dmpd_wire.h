/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMPD frame header: what every DMPD frame carries right after the Ethernet header
 * (and its 802.1Q tags). Read by the XDP steering program and by userspace; this is the
 * only definition. Every multi-byte field is in network byte order on the wire.
 *
 * Extensibility: receivers accept only `version == DMPD_PROTO_VERSION`; new frame kinds
 * and new fields go into the payload (kind-specific, TLV sections), never into this header.
 */
#ifndef DMPD_COMMON_DMPD_WIRE_H_
#define DMPD_COMMON_DMPD_WIRE_H_

#include <linux/types.h>

#include "common/shared_assert.h"

/* IEEE 802 "Local Experimental EtherType 1"; the daemon can be configured to another. */
#define DMPD_ETHERTYPE_DEFAULT 0x88B5
#define DMPD_PROTO_VERSION 1

/* Frame kinds below DMPD_KIND_FIRST_DATA are control frames (to the main lcore via the
 * public ring); from it on they are data frames (to pipes). The XDP program counts the
 * two classes apart by this rule alone, so it never needs to know individual kinds. */
#define DMPD_KIND_FIRST_DATA 0x80

enum dmpd_frame_kind {
	DMPD_KIND_HELLO = 0x01, /* neighbour discovery on one port */
	DMPD_KIND_DATA = 0x80,  /* pipe traffic */
};

struct dmpd_hdr {
	__u8 version;       /* DMPD_PROTO_VERSION */
	__u8 kind;          /* enum dmpd_frame_kind */
	__be16 flags;       /* DMPD_HDR_F_*; unknown bits are ignored by receivers */
	__be32 cluster_id;  /* frames of another cluster are filtered (DP-3) */
	__be16 sender_node; /* node_num of the sender */
	__be16 sender_port; /* the sender's port index (its order in the daemon's config) */
	__be32 sequence;    /* per sender port, incremented per frame sent, wraps */
	__be16 payload_len; /* bytes of payload after this header; <= frame length - header */
	__be16 reserved;    /* zero when sent, ignored when received */
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_hdr) == 20, "dmpd_hdr is 20 bytes on the wire");

#endif /* DMPD_COMMON_DMPD_WIRE_H_ */
