/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMPD frame header: what every DMPD frame carries right after the Ethernet header
 * (and its 802.1Q tags). Read by the XDP steering program and by userspace; this is the
 * only definition. Every multi-byte field is in network byte order on the wire.
 *
 * Extensibility: receivers accept only `version == DMPD_PROTO_VERSION`; new frame kinds
 * and new fields go into the payload (kind-specific, TLV sections), never into this header.
 * docs/protocol.md describes every layout below byte by byte.
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

/* The frame kinds, defined once: X(NAME, value, "name"). The enum, the C++ names, the
 * docs and the Wireshark dissector follow this list. Values are never reused. */
#define DMPD_FRAME_KINDS(X)                                                               \
	X(HELLO, 0x01, "hello")                           /* neighbour discovery, per port */ \
	X(TIME_SYNC, 0x02, "time_sync")                   /* master -> all: cycle start */    \
	X(HEARTBEAT, 0x03, "heartbeat")                   /* master -> all: cluster view */   \
	X(HEARTBEAT_RESPONSE, 0x04, "heartbeat_response") /* node -> master */                \
	X(CANDIDACY, 0x05, "candidacy")                   /* election: I stand in term T */   \
	X(VOTE, 0x06, "vote")                             /* election: I vote for N in T */   \
	X(ANNOUNCE, 0x07, "announce")                     /* election: N is master of T */    \
	X(LEAVE, 0x08, "leave")                           /* a node leaves on its own */      \
	X(DATA, 0x80, "data")                             /* pipe traffic */

enum dmpd_frame_kind {
#define DMPD_FRAME_KIND_ENUM(name, value, str) DMPD_KIND_##name = value,
	DMPD_FRAME_KINDS(DMPD_FRAME_KIND_ENUM)
#undef DMPD_FRAME_KIND_ENUM
};

/* dmpd_hdr.flags (host-order values; the field is big-endian on the wire). */
#define DMPD_HDR_F_AUTH 0x0001    /* payload ends with struct dmpd_auth_trailer */
#define DMPD_HDR_F_SEGMENT 0x0002 /* payload starts with struct dmpd_segment_hdr */
/* Every flag of this version. A flag changes how the payload is framed, which a receiver
 * that does not know it cannot skip: frames with any other bit set are refused. */
#define DMPD_HDR_F_KNOWN (DMPD_HDR_F_AUTH | DMPD_HDR_F_SEGMENT)

/* Node numbers are 0 .. 65534; 0xFFFF is no node (never a sender, refused if seen). */
#define DMPD_NODE_NONE 0xFFFF

struct dmpd_hdr {
	__u8 version;       /* DMPD_PROTO_VERSION */
	__u8 kind;          /* enum dmpd_frame_kind */
	__be16 flags;       /* DMPD_HDR_F_*; other bits must be 0 (receivers refuse them) */
	__be32 cluster_id;  /* frames of another cluster are filtered (DP-3) */
	__be16 sender_node; /* node_num of the sender, 0 .. 65534 (not DMPD_NODE_NONE) */
	__be16 sender_port; /* the sender's port index (its order in the daemon's config) */
	__be32 sequence;    /* per sender port, incremented per frame sent, wraps */
	__be16 payload_len; /* bytes of payload after this header; <= frame length - header */
	__be16 reserved;    /* zero when sent, ignored when received */
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_hdr) == 20, "dmpd_hdr is 20 bytes on the wire");

/* With DMPD_HDR_F_SEGMENT: one numbered piece of a message body too large for one frame.
 * The pieces of one message share (sender_node, kind, message_id); the receiver joins
 * them in index order. Followed by this segment's share of the body. */
struct dmpd_segment_hdr {
	__be32 message_id; /* the cycle for heartbeats; a per-sender counter otherwise */
	__be16 index;      /* 0 .. count - 1 */
	__be16 count;      /* segments in the message, >= 1 */
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_segment_hdr) == 8, "dmpd_segment_hdr layout");

/* With DMPD_HDR_F_AUTH: the last bytes of the payload (counted in payload_len). The MAC is
 * HMAC-SHA256 with the cluster key, truncated to 16 bytes, over the header as sent and
 * every payload byte before `mac` (so over `epoch` too). */
#define DMPD_AUTH_MAC_LEN 16
struct dmpd_auth_trailer {
	__be64 epoch; /* the sender's start time (us since 1970): a restarted sender is newer */
	__u8 mac[DMPD_AUTH_MAC_LEN];
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_auth_trailer) == 24, "dmpd_auth_trailer layout");

/* A data frame's payload starts with this; the pipe's bytes follow at hdr_len. Fixed
 * offsets (no TLV) because the fast path and the XDP program read it per frame. */
struct dmpd_data_hdr {
	__be16 src_node;
	__be16 dst_node; /* the XDP program may filter frames for other nodes on it (DP-3) */
	__be16 src_pipe;
	__be16 dst_pipe;
	__u8 type;     /* the application's message type (LB key Ptype) */
	__u8 flags;    /* DMPD_DATA_F_* */
	__u8 hdr_len;  /* bytes of this header; newer senders may append fields, >= 16 */
	__u8 epoch;    /* the sending pipe's incarnation, 1..255 (0: none given): a pipe closed and
	                * opened again numbers its messages from 1 under a new epoch, and the
	                * receiver starts that pipe's dedup window afresh (PIPE-5) */
	__be32 sequence; /* per (src pipe, dst pipe) flow; reordering and dedup (LB-6, PIPE-5) */
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_data_hdr) == 16, "dmpd_data_hdr layout");

/* dmpd_data_hdr.flags */
#define DMPD_DATA_F_MULTI_SEND 0x01 /* sent on several ports; the receiver delivers once */
#define DMPD_DATA_F_SEGMENT 0x02    /* after this header a struct dmpd_segment_hdr: one piece of a
                                     * message larger than a frame (message_id numbers the
                                     * sender node's segmented messages) */
#define DMPD_DATA_F_CREDIT 0x04     /* flow control: no message; the payload is 1 ..
                                     * DMPD_CREDIT_MAX_ENTRIES struct dmpd_credit_entry */

/* One path of a CREDIT frame: the receiver (src_node) took off the wire, among the data
 * frames dst_node sent from its port sender_port to the receiver's port receiver_mac, the
 * one with this DMPD header sequence last. One path delivers in order, so every earlier
 * frame on it has arrived or is lost: the sender no longer counts them in flight. */
struct dmpd_credit_entry {
	__be16 sender_port;
	__u8 receiver_mac[6];
	__be32 sequence;
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_credit_entry) == 12, "dmpd_credit_entry layout");
#define DMPD_CREDIT_MAX_ENTRIES 64

/* Every control payload is a sequence of TLVs (common/tlv_types.h has the registry). */
struct dmpd_tlv_hdr {
	__be16 type;   /* DMPD_TLV_F_CRITICAL set: a receiver that does not know it rejects */
	__be16 length; /* bytes of value after this header */
};
DMPD_SHARED_ASSERT(sizeof(struct dmpd_tlv_hdr) == 4, "dmpd_tlv_hdr layout");
#define DMPD_TLV_F_CRITICAL 0x8000

#endif /* DMPD_COMMON_DMPD_WIRE_H_ */
