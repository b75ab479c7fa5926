#!/usr/bin/env bash
# Latency of `hopscope watch`: a writer process appends simulator output (the ntt-2019 case,
# normalised JSON lines in time order) to a followed file at a fixed rate; we measure from
# the moment the line of the intrusion's first hop is appended to the moment its alert line
# appears in --alerts FILE, plus watch's CPU time and peak RSS (/usr/bin/time -v).
# Figures go to docs/performance.md#watch-latency.
#
#   bench/watch-latency.sh [RATE_LINES_PER_S] [SCALE]     (defaults: 50000, 1)
#   HOPSCOPE=path/to/hopscope to pick a binary (default target/release/hopscope)
set -euo pipefail
B=${HOPSCOPE:-target/release/hopscope}
RATE=${1:-50000}
SCALE=${2:-1}
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$B" simulate --scenario ntt-2019 --scale "$SCALE" --out "$work/sim" >/dev/null 2>&1
"$B" ingest "$work/sim/logs" --inventory "$work/sim" --case "$work/case" >/dev/null 2>&1
"$B" export --case "$work/case" --out "$work/all.jsonl"
# the intrusion's alert, as a replay reports it: its first hop is the line to time
"$B" watch "$work/all.jsonl" --inventory "$work/sim" --once --budget 0 --alerts "$work/replay.jsonl" 2>/dev/null
echo "input: $(wc -l < "$work/all.jsonl") lines, $(du -h "$work/all.jsonl" | cut -f1); appended at $RATE lines/s"

: > "$work/live.jsonl"
/usr/bin/time -v -o "$work/time.txt" "$B" watch "$work/live.jsonl" --inventory "$work/sim" --budget 0 \
  --alerts "$work/alerts.jsonl" --poll 10 --exit-idle 3s 2>"$work/watch.err" &
watch_pid=$!
python3 - "$work" "$RATE" <<'EOF'
import json, os, sys, time
work, rate = sys.argv[1], int(sys.argv[2])
# the intrusion: the alert whose hops include sg-ops-03 -> th-app-02
alerts = [json.loads(l) for l in open(f"{work}/replay.jsonl")]
intrusion = next(a["alert"] for a in alerts if a["event"] == "raised" and any(
    h["src_host"] == "sg-ops-03" and h["dst_host"] == "th-app-02" for h in a["alert"]["hops"]))
first = intrusion["hops"][0]
lines = open(f"{work}/all.jsonl", "rb").read().splitlines(keepends=True)
def is_first(l):
    e = json.loads(l)
    return e["time"][:19] == first["time"][:19] and e["src_host"] == first["src_host"] and e["dst_host"] == first["dst_host"]
key = next(i for i, l in enumerate(lines) if first["time"][:19].encode() in l and is_first(l))
print(f"timed hop: line {key + 1}, {first['time']} {first['src_host']} -> {first['dst_host']} (alert {intrusion['id']})")
out = open(f"{work}/live.jsonl", "ab", buffering=0)
t0 = time.monotonic()
step = max(1, rate // 100)  # every 10 ms
appended_at = None
seen_at = None
alerts_path = f"{work}/alerts.jsonl"
def alert_seen():
    try:
        with open(alerts_path, "rb") as f:
            return any(json.loads(l)["alert"]["id"] == intrusion["id"] for l in f if l.strip())
    except FileNotFoundError:
        return False
i = 0
while i < len(lines):
    chunk = lines[i:i + step]
    out.write(b"".join(chunk))
    if appended_at is None and i <= key < i + step:
        appended_at = time.monotonic()
    i += step
    if appended_at is not None and seen_at is None and alert_seen():
        seen_at = time.monotonic()
    # keep the rate: sleep until this chunk's slot
    slot = t0 + i / rate
    delay = slot - time.monotonic()
    if delay > 0:
        time.sleep(delay)
wrote = time.monotonic() - t0
while seen_at is None and time.monotonic() - appended_at < 30:
    if alert_seen():
        seen_at = time.monotonic()
    time.sleep(0.001)
print(f"appended {len(lines)} lines in {wrote:.2f} s ({len(lines) / wrote:,.0f} lines/s)")
if seen_at is None:
    print("alert NOT written within 30 s")
else:
    print(f"latency: first hop appended -> alert line written: {(seen_at - appended_at) * 1000:.0f} ms "
          f"(writer checks the alerts file every 10 ms: resolution ~10 ms)")
EOF
wait "$watch_pid" || true
grep -E "Elapsed|User time|System time|Percent of CPU|Maximum resident" "$work/time.txt"
tail -1 "$work/watch.err"
