#!/usr/bin/env bash
# The Wireshark dissector against the library: dmpd_sample_pcap writes sample frames and
# the fields they carry; tshark with tools/wireshark/dmpd.lua must show the same fields
# (kind, sender, sequence, segment index and a few nested fields), and flag nothing as
# malformed. Works as root: Debian's init.lua lets root run Lua scripts.
#   tshark_test.sh <dmpd_sample_pcap> <dmpd.lua> <work dir>
set -euo pipefail
gen=$1 lua=$2 work=$3
mkdir -p "$work"
"$gen" "$work/sample.pcap" "$work/expected.tsv"

fields=(dmpd.kind dmpd.sender_node dmpd.sequence dmpd.segment.index dmpd.node_info.id
        dmpd.port_info.rx_bytes dmpd.hello.name dmpd.sync.cycle dmpd.election.term
        dmpd.leave.reason dmpd.data.dst_pipe dmpd.observation.heartbeats_received)
args=()
for f in "${fields[@]}"; do args+=(-e "$f"); done
tshark -n -X lua_script:"$lua" -r "$work/sample.pcap" -T fields -E separator=/t \
       -E occurrence=a -E aggregator=, "${args[@]}" >"$work/actual.tsv" 2>"$work/tshark.err"
if grep -qi "lua" "$work/tshark.err"; then
  echo "tshark reported a Lua problem:" >&2
  cat "$work/tshark.err" >&2
  exit 1
fi
diff -u "$work/expected.tsv" "$work/actual.tsv"

malformed=$(tshark -n -X lua_script:"$lua" -r "$work/sample.pcap" \
                   -Y "_ws.malformed || _ws.expert.severity == error" 2>/dev/null | wc -l)
if [ "$malformed" -ne 0 ]; then
  echo "the dissector flagged $malformed sample frames as malformed" >&2
  exit 1
fi
echo "tshark_test: $(wc -l <"$work/expected.tsv") frames decoded as the library wrote them"
