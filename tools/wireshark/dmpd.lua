-- SPDX-License-Identifier: BSD-3-Clause
-- Wireshark/tshark dissector for DMPD (docs/protocol.md), EtherType 0x88B5.
--   tshark -X lua_script:tools/wireshark/dmpd.lua -r capture.pcap -V
-- Or copy it to ~/.local/lib/wireshark/plugins/. Every frame kind, TLV and field group of
-- protocol version 1. Segments are shown as such (message id, index, count, bytes); they
-- are not reassembled here. The field lists mirror the X-macros of common/*_info.h and
-- common/master_observation.h; tests/protocol/tshark_test.sh compares this dissector's
-- output with what the library wrote.

local dmpd = Proto("dmpd", "DMPD (DPDK multi-port dynamic monitoring protocol)")

local KINDS = {
  [0x01] = "hello", [0x02] = "time_sync", [0x03] = "heartbeat",
  [0x04] = "heartbeat_response", [0x05] = "candidacy", [0x06] = "vote",
  [0x07] = "announce", [0x08] = "leave", [0x80] = "data",
}
local TLVS = {
  [0x0001] = "sync", [0x0002] = "view", [0x0003] = "response", [0x0004] = "election",
  [0x0005] = "leave", [0x0010] = "node", [0x0011] = "node_info", [0x0012] = "port_info",
  [0x0013] = "pipe_info", [0x0014] = "observation", [0x0015] = "receipt", [0x0020] = "hello_mac",
  [0x0021] = "hello_port_count", [0x0022] = "hello_term", [0x0023] = "hello_name",
}
local LEAVE_REASONS = {
  [1] = "shutdown", [2] = "all_ports_down", [3] = "lcore_stalled", [4] = "memory_limit",
  [5] = "cpu_limit", [6] = "operator", [7] = "sustained_loss",
}
local F_AUTH, F_SEGMENT, TLV_CRITICAL = 0x0001, 0x0002, 0x8000

local f = {}
local function add(key, field) f[key] = field end
add("version", ProtoField.uint8("dmpd.version", "Version"))
add("kind", ProtoField.uint8("dmpd.kind", "Kind", base.HEX, KINDS))
add("flags", ProtoField.uint16("dmpd.flags", "Flags", base.HEX))
add("flag_auth", ProtoField.bool("dmpd.flags.auth", "Authenticated", 16, nil, F_AUTH))
add("flag_segment", ProtoField.bool("dmpd.flags.segment", "Segment", 16, nil, F_SEGMENT))
add("cluster", ProtoField.uint32("dmpd.cluster_id", "Cluster id", base.HEX))
add("node", ProtoField.uint16("dmpd.sender_node", "Sender node"))
add("port", ProtoField.uint16("dmpd.sender_port", "Sender port"))
add("seq", ProtoField.uint32("dmpd.sequence", "Sequence"))
add("len", ProtoField.uint16("dmpd.payload_len", "Payload length"))
add("reserved", ProtoField.uint16("dmpd.reserved", "Reserved", base.HEX))
add("seg_id", ProtoField.uint32("dmpd.segment.message_id", "Message id"))
add("seg_index", ProtoField.uint16("dmpd.segment.index", "Segment index"))
add("seg_count", ProtoField.uint16("dmpd.segment.count", "Segment count"))
add("seg_data", ProtoField.bytes("dmpd.segment.data", "Segment data"))
add("epoch", ProtoField.uint64("dmpd.auth.epoch", "Sender epoch (us)"))
add("mac", ProtoField.bytes("dmpd.auth.mac", "MAC (HMAC-SHA256/128)"))
add("tlv_type", ProtoField.uint16("dmpd.tlv.type", "TLV type", base.HEX, TLVS, 0x7FFF))
add("tlv_critical", ProtoField.bool("dmpd.tlv.critical", "Critical", 16, nil, TLV_CRITICAL))
add("tlv_len", ProtoField.uint16("dmpd.tlv.length", "TLV length"))
add("tlv_value", ProtoField.bytes("dmpd.tlv.value", "Value"))
add("extra", ProtoField.bytes("dmpd.extra", "Bytes of a newer version"))
-- Fixed-layout TLVs: {name, offset, width, kind}
local FIXED = {
  [0x0001] = {{"term", 0, 4}, {"cycle", 4, 4}, {"master_time_ns", 8, 8},
              {"interval_us", 16, 4}, {"reply_delay_us", 20, 4}},
  [0x0002] = {{"term", 0, 4}, {"cycle", 4, 4}, {"master_time_ns", 8, 8}},
  [0x0003] = {{"term", 0, 4}, {"cycle", 4, 4}, {"node_time_ns", 8, 8}},
  [0x0004] = {{"term", 0, 4}, {"node", 4, 2}, {"priority", 6, 1}, {"view_cycle", 8, 4}},
  [0x0005] = {{"reason", 0, 1}, {"term", 4, 4}},
}
local FIXED_PREFIX = {[0x0001] = "sync", [0x0002] = "view", [0x0003] = "response",
                      [0x0004] = "election", [0x0005] = "leave"}
local ProtoUint = {[1] = ProtoField.uint8, [2] = ProtoField.uint16, [4] = ProtoField.uint32,
                   [8] = ProtoField.uint64}
for t, layout in pairs(FIXED) do
  for _, fl in ipairs(layout) do
    local key = FIXED_PREFIX[t] .. "." .. fl[1]
    local vs = (key == "leave.reason") and LEAVE_REASONS or nil
    add(key, ProtoUint[fl[3]]("dmpd." .. key, fl[1], base.DEC, vs))
  end
end
-- Field groups: {bit, name, type}; types u8 u16 u32 u64 i32 mac. Append only, as in C++.
local GROUPS = {
  [0x0011] = {"node_info", {
    {0, "cores", "u16"}, {1, "cpu_util_ppm", "u32"}, {2, "load1_milli", "u32"},
    {3, "load5_milli", "u32"}, {4, "load15_milli", "u32"}, {5, "io_util_ppm", "u32"},
    {6, "mem_bytes", "u64"}, {7, "mem_util_ppm", "u32"}, {8, "temperature_mc", "i32"},
    {9, "voltage_mv", "u32"}, {10, "current_ma", "u32"}, {11, "processes", "u32"},
    {12, "threads", "u32"}, {13, "health", "u8"}, {14, "net_bps", "u64"},
    {15, "net_load_ppm", "u32"}, {16, "member_state", "u8"}, {17, "last_seen_cycle", "u32"}}},
  [0x0012] = {"port_info", {
    {0, "mac", "mac"}, {1, "state", "u8"}, {2, "speed_bps", "u64"}, {3, "rx_bytes", "u64"},
    {4, "tx_bytes", "u64"}, {5, "rx_packets", "u64"}, {6, "tx_packets", "u64"},
    {7, "errors", "u64"}, {8, "drops", "u64"}, {9, "queue_overflows", "u64"},
    {10, "util_ppm", "u32"}, {11, "loss_ppm", "u32"}, {12, "load_ppm", "u32"}}},
  [0x0013] = {"pipe_info", {
    {0, "state", "u8"}, {1, "priority", "u8"}, {2, "buffer_bytes", "u64"},
    {3, "fill_bytes", "u64"}, {4, "threshold_bps", "u64"}, {5, "tx_bps", "u64"},
    {6, "rx_bps", "u64"}, {7, "drops", "u64"}}},
  [0x0014] = {"observation", {
    {0, "master_port", "u16"}, {1, "heartbeats_received", "u64"},
    {2, "last_sequence", "u32"}, {3, "sync_delay_us", "i32"}}},
  [0x0015] = {"receipt", {
    {0, "sender_node", "u16"}, {1, "received", "u64"}, {2, "numbered", "u64"}}},
}
local WIDTH = {u8 = 1, u16 = 2, u32 = 4, u64 = 8, i32 = 4, mac = 6}
for _, g in pairs(GROUPS) do
  local prefix = g[1]
  add(prefix .. ".id", ProtoField.uint16("dmpd." .. prefix .. ".id", "id"))
  add(prefix .. ".present", ProtoField.uint32("dmpd." .. prefix .. ".present", "Present", base.HEX))
  for _, fl in ipairs(g[2]) do
    local key, name, ty = prefix .. "." .. fl[2], fl[2], fl[3]
    if ty == "mac" then
      add(key, ProtoField.ether("dmpd." .. key, name))
    elseif ty == "i32" then
      add(key, ProtoField.int32("dmpd." .. key, name))
    else
      add(key, ProtoUint[WIDTH[ty]]("dmpd." .. key, name))
    end
  end
end
add("hello.mac", ProtoField.ether("dmpd.hello.mac", "Port MAC"))
add("hello.port_count", ProtoField.uint16("dmpd.hello.port_count", "Port count"))
add("hello.term", ProtoField.uint32("dmpd.hello.term", "Term"))
add("hello.name", ProtoField.string("dmpd.hello.name", "Host name"))
for _, n in ipairs({"src_node", "dst_node", "src_pipe", "dst_pipe"}) do
  add("data." .. n, ProtoField.uint16("dmpd.data." .. n, n))
end
add("data.type", ProtoField.uint8("dmpd.data.type", "type"))
add("data.flags", ProtoField.uint8("dmpd.data.flags", "flags", base.HEX))
add("data.hdr_len", ProtoField.uint8("dmpd.data.hdr_len", "hdr_len"))
add("data.epoch", ProtoField.uint8("dmpd.data.epoch", "epoch"))
add("data.sequence", ProtoField.uint32("dmpd.data.sequence", "sequence"))
add("data.payload", ProtoField.bytes("dmpd.data.payload", "payload"))
local list = {}
for _, v in pairs(f) do list[#list + 1] = v end
dmpd.fields = list

local e_malformed = ProtoExpert.new("dmpd.malformed", "Malformed DMPD", expert.group.MALFORMED,
                                    expert.severity.ERROR)
dmpd.experts = {e_malformed}

local function dissect_group(tvb, tree, def)
  local prefix, fields = def[1], def[2]
  if tvb:len() < 6 then tree:add_proto_expert_info(e_malformed, "group shorter than 6") return end
  tree:add(f[prefix .. ".id"], tvb(0, 2))
  tree:add(f[prefix .. ".present"], tvb(2, 4))
  local present = tvb(2, 4):uint()
  local off = 6
  for _, fl in ipairs(fields) do
    if bit.band(present, bit.lshift(1, fl[1])) ~= 0 then
      local w = WIDTH[fl[3]]
      if off + w > tvb:len() then
        tree:add_proto_expert_info(e_malformed, fl[2] .. " runs past the group")
        return
      end
      tree:add(f[prefix .. "." .. fl[2]], tvb(off, w))
      off = off + w
    end
  end
  if off < tvb:len() then tree:add(f.extra, tvb(off)) end
end

local HELLO = {[0x0020] = "hello.mac", [0x0021] = "hello.port_count", [0x0022] = "hello.term",
               [0x0023] = "hello.name"}

local dissect_tlvs
local function dissect_value(t, tvb, tree)
  if t == 0x0010 then return dissect_tlvs(tvb, tree) end
  if GROUPS[t] then return dissect_group(tvb, tree, GROUPS[t]) end
  if FIXED[t] then
    for _, fl in ipairs(FIXED[t]) do
      if fl[2] + fl[3] > tvb:len() then
        tree:add_proto_expert_info(e_malformed, "value too short")
        return
      end
      tree:add(f[FIXED_PREFIX[t] .. "." .. fl[1]], tvb(fl[2], fl[3]))
    end
    return
  end
  if HELLO[t] and tvb:len() > 0 then return tree:add(f[HELLO[t]], tvb()) end
  if tvb:len() > 0 then tree:add(f.tlv_value, tvb()) end
end

dissect_tlvs = function(tvb, tree)
  local off = 0
  while off < tvb:len() do
    if tvb:len() - off < 4 then
      tree:add_proto_expert_info(e_malformed, "truncated TLV header")
      return
    end
    local t, len = tvb(off, 2):uint(), tvb(off + 2, 2):uint()
    if off + 4 + len > tvb:len() then
      tree:add_proto_expert_info(e_malformed, "TLV length past its parent")
      return
    end
    local base_t = bit.band(t, 0x7FFF)
    local st = tree:add(dmpd, tvb(off, 4 + len), TLVS[base_t] or string.format("TLV 0x%04x", t))
    st:add(f.tlv_type, tvb(off, 2))
    st:add(f.tlv_critical, tvb(off, 2))
    st:add(f.tlv_len, tvb(off + 2, 2))
    if len > 0 then
      dissect_value(base_t, tvb(off + 4, len):tvb(), st)
    end
    off = off + 4 + len
  end
end

local function dissect_data(tvb, tree)
  if tvb:len() < 16 then tree:add_proto_expert_info(e_malformed, "short data header") return end
  for i, n in ipairs({"src_node", "dst_node", "src_pipe", "dst_pipe"}) do
    tree:add(f["data." .. n], tvb((i - 1) * 2, 2))
  end
  tree:add(f["data.type"], tvb(8, 1))
  tree:add(f["data.flags"], tvb(9, 1))
  tree:add(f["data.hdr_len"], tvb(10, 1))
  tree:add(f["data.epoch"], tvb(11, 1))
  tree:add(f["data.sequence"], tvb(12, 4))
  local hl = tvb(10, 1):uint()
  if hl < 16 or hl > tvb:len() then
    tree:add_proto_expert_info(e_malformed, "bad hdr_len")
    return
  end
  if hl < tvb:len() then tree:add(f["data.payload"], tvb(hl)) end
end

function dmpd.dissector(tvb, pinfo, root)
  if tvb:len() < 20 then return 0 end
  pinfo.cols.protocol = "DMPD"
  local kind = tvb(1, 1):uint()
  local flags = tvb(2, 2):uint()
  local plen = tvb(16, 2):uint()
  local tree = root:add(dmpd, tvb(0, math.min(tvb:len(), 20 + plen)))
  tree:add(f.version, tvb(0, 1))
  tree:add(f.kind, tvb(1, 1))
  local ft = tree:add(f.flags, tvb(2, 2))
  ft:add(f.flag_auth, tvb(2, 2))
  ft:add(f.flag_segment, tvb(2, 2))
  tree:add(f.cluster, tvb(4, 4))
  tree:add(f.node, tvb(8, 2))
  tree:add(f.port, tvb(10, 2))
  tree:add(f.seq, tvb(12, 4))
  tree:add(f.len, tvb(16, 2))
  tree:add(f.reserved, tvb(18, 2))
  local name = KINDS[kind] or string.format("kind 0x%02x", kind)
  pinfo.cols.info = string.format("%s node=%d port=%d seq=%d", name, tvb(8, 2):uint(),
                                  tvb(10, 2):uint(), tvb(12, 4):uint())
  if 20 + plen > tvb:len() then
    tree:add_proto_expert_info(e_malformed, "payload_len past the frame")
    return tvb:len()
  end
  local body_off, body_len = 20, plen
  if bit.band(flags, F_AUTH) ~= 0 then
    if body_len < 24 then tree:add_proto_expert_info(e_malformed, "no room for the MAC") return end
    body_len = body_len - 24
    tree:add(f.epoch, tvb(body_off + body_len, 8))
    tree:add(f.mac, tvb(body_off + body_len + 8, 16))
  end
  if bit.band(flags, F_SEGMENT) ~= 0 then
    if body_len < 8 then tree:add_proto_expert_info(e_malformed, "short segment header") return end
    tree:add(f.seg_id, tvb(body_off, 4))
    tree:add(f.seg_index, tvb(body_off + 4, 2))
    tree:add(f.seg_count, tvb(body_off + 6, 2))
    if body_len > 8 then tree:add(f.seg_data, tvb(body_off + 8, body_len - 8)) end
    pinfo.cols.info:append(string.format(" segment %d/%d of message %d",
                                         tvb(body_off + 4, 2):uint() + 1,
                                         tvb(body_off + 6, 2):uint(), tvb(body_off, 4):uint()))
    return tvb:len()
  end
  if body_len == 0 then return tvb:len() end
  local body = tvb(body_off, body_len):tvb()
  if kind >= 0x80 then dissect_data(body, tree) else dissect_tlvs(body, tree) end
  return tvb:len()
end

DissectorTable.get("ethertype"):add(0x88B5, dmpd)
