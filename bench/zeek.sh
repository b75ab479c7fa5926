#!/usr/bin/env bash
# Zeek TSV ingest throughput, one core: records/s through the whole pipeline
# (read, split, map, intern, resolve hosts, SHA-256 of the file), with `wc -l` as the I/O floor.
#
#   bench/zeek.sh [CONN_ROWS] [SSH_ROWS] [CORPUS_DIR]
#       (defaults: 3,000,000 conn rows, 1,000,000 ssh rows, ../shared/corpus beside the checkout)
#
# Inputs are built from the corpus: bat's conn.log rows (HTTP/TLS/DNS: ignored, as most of a
# real conn.log is) with every 10th row turned into an established SSH/RDP/SMB/RPC/WinRM
# connection (an event), and the zed sample ssh.log rows (every row an event), repeated with
# shifted timestamps and source addresses drawn from 65,536 (a large fleet plus scanners).
# `ssh-distinct.log` is the worst case: every row from a new source address, so every row
# creates a host (the cost is then host interning, not parsing). Needs: cargo, python3, GNU time (/usr/bin/time).
# Writes bench/data/.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
CONN_ROWS=${1:-3000000}
SSH_ROWS=${2:-1000000}
corpus="${3:-$here/../shared/corpus}"
target="${CARGO_TARGET_DIR:-$here/target}"
data="$here/bench/data"
mkdir -p "$data"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
(cd "$here" && cargo build --release -q -p hopscope-ingest --example ingest_bench)
bin="$target/release/examples/ingest_bench"

python3 - "$corpus" "$data" "$CONN_ROWS" "$SSH_ROWS" <<'PY'
import gzip, os, sys
corpus, data, conn_rows, ssh_rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def split(lines):
    head = [l for l in lines if l.startswith('#') and not l.startswith('#close')]
    rows = [l.split('\t') for l in lines if not l.startswith('#')]
    return head, rows

def write(path, head, rows, n, tweak, sources=65536):
    if os.path.exists(path) and os.path.getsize(path) > 0:
        return
    with open(path, 'w') as f:
        f.write('\n'.join(head) + '\n')
        t0 = 1521911725.0
        for i in range(n):
            r = list(rows[i % len(rows)])
            r[0] = '%.6f' % (t0 + i * 0.001)                            # shifted timestamps
            j = i % sources
            r[2] = '10.%d.%d.%d' % ((j >> 16) & 255, (j >> 8) & 255, j & 255)
            tweak(i, r)
            f.write('\t'.join(r) + '\n')
        f.write('#close\t2024-04-12-19-34-07\n')

head, conn = split(open(os.path.join(corpus, 'zeek/bat/conn.log')).read().splitlines())
ports = ['22', '3389', '445', '135', '5985']
def conn_tweak(i, r):
    if i % 10 == 0:   # one row in ten: an established remote-access connection
        r[5], r[6], r[11], r[14] = ports[(i // 10) % 5], 'tcp', 'SF', 'ShADadFf'
write(os.path.join(data, 'conn.log'), head, conn, conn_rows, conn_tweak)

lines = gzip.open(os.path.join(corpus, 'zeek/zed-sample-data/ssh.log.gz'), 'rt').read().splitlines()
head, ssh = split(lines)
write(os.path.join(data, 'ssh.log'), head, ssh, ssh_rows, lambda i, r: None)
write(os.path.join(data, 'ssh-distinct.log'), head, ssh, ssh_rows, lambda i, r: None, sources=1 << 24)
PY

for f in conn.log ssh.log ssh-distinct.log; do
  file="$data/$f"
  cat "$file" > /dev/null   # warm the page cache
  echo "== $f: $(du -h "$file" | cut -f1), $(wc -l < "$file") lines"
  /usr/bin/time -f "wc -l: %e s wall" wc -l "$file" > /dev/null
  for run in 1 2 3; do
    RAYON_NUM_THREADS=1 /usr/bin/time -f "%U s user, %S s sys, %e s wall, %M KiB peak" \
      "$bin" --threads 1 --format zeek "$file" 2>&1 | tail -2
  done
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
