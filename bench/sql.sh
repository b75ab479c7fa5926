#!/usr/bin/env bash
# `hopscope sql` against DuckDB on the same Parquet files: the same GROUP BY on `events` (ids
# as stored) and on `logins` (names resolved by the same eight joins in both engines).
#
#   bench/sql.sh [SCALE]     (default 10; the issue's case is SCALE=600, ~116 M events)
#
# HOPSCOPE=path/to/release/hopscope uses that binary instead of building one; RUNS=N timed
# runs per command (default 5).
# Needs: cargo, hyperfine (apt-get install hyperfine), python3 with duckdb (pip install
# duckdb). Writes bench/data/sql-SCALE/ (the simulated fleet and its case; delete it after).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-10}
RUNS=${RUNS:-5}
DIR=bench/data/sql-$SCALE
command -v hyperfine >/dev/null || { echo "hyperfine missing: apt-get install hyperfine" >&2; exit 1; }
python3 -c 'import duckdb' 2>/dev/null || { echo "duckdb missing: pip install duckdb" >&2; exit 1; }

if [ -n "${HOPSCOPE:-}" ]; then
  BIN=$(realpath "$HOPSCOPE")   # a release binary built already
else
  cargo build --release -q -p hopscope
  BIN=$(realpath "${CARGO_TARGET_DIR:-target}/release/hopscope")
fi
mkdir -p "$DIR"
if [ ! -s "$DIR/case/manifest.json" ]; then
  rm -rf "$DIR/fleet" "$DIR/case"
  "$BIN" simulate --scenario ntt-2019 --scale "$SCALE" --formats lanl --out "$DIR/fleet" >/dev/null
  "$BIN" ingest "$DIR/fleet/lanl" --inventory "$DIR/fleet" --case "$DIR/case" >/dev/null
  rm -rf "$DIR/fleet/lanl"   # the case holds what the queries read
fi
CASE=$(realpath "$DIR/case")
EVENTS=$("$BIN" case info --case "$CASE" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
cat "$CASE"/events/*.parquet "$CASE"/*.parquet > /dev/null   # both engines read from memory

# DuckDB: the case's runs (as the manifest lists them) and dictionaries, and `logins` built by
# the same joins as hopscope's view (the columns the queries read; both engines prune the rest)
cat > "$DIR/duck.py" <<'PY'
import json, sys, duckdb
case, query = sys.argv[1], sys.argv[2]
m = json.load(open(f"{case}/manifest.json"))
runs = [f"{case}/{r['file']}" for r in m["runs"]]
con = duckdb.connect()
con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet({runs!r})")
for t in ["hosts", "accounts", "addresses", "auths", "sources"]:
    con.execute(f"CREATE VIEW store_{t} AS SELECT * FROM read_parquet('{case}/{t}.parquet')")
con.execute("""CREATE VIEW logins AS SELECT e.time,
  sh.name AS src_host, dh.name AS dst_host, sa.ip AS src_ip, da.ip AS dst_ip,
  a.name AS account, a.domain AS domain, sa2.name AS src_account, au.auth AS auth,
  CASE e.outcome WHEN 0 THEN 'unknown' WHEN 1 THEN 'success' WHEN 2 THEN 'failure' END AS outcome,
  so.path AS evidence_file
FROM events e
LEFT JOIN store_hosts sh ON sh.id = e.src_host LEFT JOIN store_hosts dh ON dh.id = e.dst_host
LEFT JOIN store_addresses sa ON sa.id = e.src_ip LEFT JOIN store_addresses da ON da.id = e.dst_ip
LEFT JOIN store_accounts a ON a.id = e.user LEFT JOIN store_accounts sa2 ON sa2.id = e.src_user
LEFT JOIN store_auths au ON au.id = e.auth LEFT JOIN store_sources so ON so.id = e.source""")
for row in con.execute(query).fetchall():
    print(",".join(str(x) for x in row))
PY

Q_EVENTS="SELECT dst_host, count(*) AS n FROM events GROUP BY dst_host ORDER BY n DESC, dst_host LIMIT 10"
Q_LOGINS="SELECT account, count(*) AS n, count(DISTINCT dst_host) AS hosts FROM logins WHERE outcome = 'success' GROUP BY account ORDER BY n DESC, account LIMIT 10"

echo "case          $CASE: $EVENTS events, $(du -sh "$CASE" | cut -f1) on disk; $(nproc) cores"
for name in events logins; do
  q=Q_${name^^}; q=${!q}
  # the same answer from both, first
  a=$("$BIN" sql --case "$CASE" --csv "$q" | tail -n +2 | md5sum)
  b=$(python3 "$DIR/duck.py" "$CASE" "$q" | md5sum)
  [ "$a" = "$b" ] || { echo "answers differ on $name" >&2; "$BIN" sql --case "$CASE" --csv "$q" >&2; python3 "$DIR/duck.py" "$CASE" "$q" >&2; exit 1; }
  hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$DIR/$name.json" \
    -n "hopscope sql ($name)" "$BIN sql --case $CASE --csv \"$q\"" \
    -n "hopscope sql --skip-checksums ($name)" "$BIN sql --case $CASE --skip-checksums --csv \"$q\"" \
    -n "duckdb ($name)" "python3 $DIR/duck.py $CASE \"$q\"" >/dev/null
  python3 - "$DIR/$name.json" "$EVENTS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ev = int(sys.argv[2])
duck = r[2]["mean"]
for x in r:
    cpu = x["user"] + x["system"]
    print(f"{x['command']:<40} {x['mean']:7.3f} s ± {x['stddev']:.3f}  CPU {cpu:7.3f} s  "
          f"{ev / x['mean'] / 1e6:6.1f} M events/s  {x['mean'] / duck:4.2f}x DuckDB")
PY
done
