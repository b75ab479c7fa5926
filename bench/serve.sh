#!/usr/bin/env bash
# `hopscope serve`: how long each page takes to answer (p50, p95, max over N sequential
# requests with curl), how long the case takes to load, and the server's peak memory.
#
#   bench/serve.sh [SCALE]     (default 10; the issue's 116 M-event case is SCALE=600)
#
# HOPSCOPE=path/to/release/hopscope uses that binary instead of building one (without the
# `sql` feature, which serve does not need); N=requests per page (default 50).
# Needs: cargo, curl, python3. Writes bench/data/serve-SCALE/ (the simulated fleet, its logs
# kept for the evidence page, and its case; delete it after). Talks only to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-10}
N=${N:-50}
DIR=bench/data/serve-$SCALE
PORT=${PORT:-18023}

if [ -n "${HOPSCOPE:-}" ]; then
  BIN=$(realpath "$HOPSCOPE")
else
  cargo build --release -q -p hopscope --no-default-features
  BIN=$(realpath "${CARGO_TARGET_DIR:-target}/release/hopscope")
fi
mkdir -p "$DIR"
if [ ! -s "$DIR/case/manifest.json" ]; then
  rm -rf "$DIR/fleet" "$DIR/case"
  "$BIN" simulate --scenario ntt-2019 --scale "$SCALE" --formats lanl --out "$DIR/fleet" >/dev/null
  (cd "$DIR" && "$BIN" ingest fleet/lanl --inventory fleet --case case >/dev/null)
fi
EVENTS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$DIR/case/manifest.json")

# serve from the case's folder, so the manifest's relative evidence paths resolve
cd "$DIR"
"$BIN" serve --case case --listen "127.0.0.1:$PORT" >serve.url 2>serve.err &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 3600); do
  [ -s serve.url ] && break
  kill -0 $PID 2>/dev/null || { cat serve.err >&2; exit 1; }
  sleep 0.5
done
BASE="http://127.0.0.1:$PORT"
LOAD=$(grep -o 'read in [0-9.]* s' serve.err | grep -o '[0-9.]*')

# the pages an analyst walks: the list, the best alert, its hosts, account, evidence, trace, scope
PAGES=$(curl -s "$BASE/api/alerts" | python3 -c '
import json, sys, urllib.parse as u
d = json.load(sys.stdin)
best = d["alerts"][0]["id"]
import urllib.request
a = json.load(urllib.request.urlopen(sys.argv[1] + "/api/alert?id=" + u.quote(best)))["alert"]
first, last = a["hops"][0], a["hops"][-1]
ev = first["evidence"][0]
pages = [
  ("alerts", "/alerts"),
  ("alerts filtered", "/alerts?q=" + u.quote(first["dst_host"])),
  ("alert", "/alert?id=" + u.quote(best)),
  ("alert JSON", "/api/alert?id=" + u.quote(best)),
  ("host (entry)", "/host?name=" + u.quote(a["entry_host"])),
  ("host (last hop)", "/host?name=" + u.quote(last["dst_host"])),
  ("account", "/account?name=" + u.quote(first["user"] or "")),
  ("evidence", "/evidence?file=" + u.quote(ev["file"]) + "&line=" + str(ev.get("line", 1))),
  ("trace", "/trace?host=" + u.quote(last["dst_host"]) + "&at=" + u.quote(last["time"])),
  ("scope", "/scope?alert=" + u.quote(best)),
]
for name, path in pages:
    print(name + "\t" + path)
' "$BASE")

printf '%s events (ntt-2019, --scale %s, lanl); case loaded in %s s; %s requests a page\n\n' \
  "$EVENTS" "$SCALE" "$LOAD" "$N"
printf '| page | p50 ms | p95 ms | max ms | bytes |\n|---|---|---|---|---|\n'
while IFS=$'\t' read -r name path; do
  times=$(for _ in $(seq 1 "$N"); do
    curl -s -o /dev/null -w '%{time_total} %{size_download} %{http_code}\n' "$BASE$path"
  done)
  echo "$times" | python3 -c '
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
bad = [r for r in rows if r[2] != "200"]
if bad: sys.exit(f"{sys.argv[1]}: HTTP {bad[0][2]}")
t = sorted(float(r[0]) * 1000 for r in rows)
p = lambda q: t[min(len(t) - 1, int(round(q * (len(t) - 1))))]
print(f"| {sys.argv[1]} | {p(0.5):.1f} | {p(0.95):.1f} | {t[-1]:.1f} | {rows[0][1]} |")
' "$name"
done <<< "$PAGES"
RSS=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
printf '\npeak resident memory of the server: %s MiB\n' $((RSS / 1024))
