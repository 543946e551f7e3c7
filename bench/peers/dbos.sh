#!/usr/bin/env bash
# The DBOS comparison (issue 12), in one run: DBOS Transact 5.3.0 and this repository's packed build,
# the same 1-activity workflow, on the local PostgreSQL, interleaved (never two at a time), then the
# table of both and this project's advantage as a ratio (the only figure that survives a shared,
# noisy machine).
#
#   bash bench/peers/dbos.sh                 # from the repository root
#   PEERS=/path/to/peers WF_N=500 bash bench/peers/dbos.sh
#
# It runs the team's shared harness (PEERS, default ../shared/bench/peers: run.sh, bench-*.mjs) from
# a scratch copy whose two databases get names of their own (bench_dbos_<tag>, bench_ours_<tag>), so
# two runs on one server never drop each other's database; both are dropped at the end. The harness
# installs DBOS and the packed project into the scratch directory, never into the repository.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench/peers}
export PGBASE=${PGBASE:-postgres://postgres@127.0.0.1:5432}
[ -f "$PEERS/run.sh" ] || { echo "no DBOS harness at $PEERS (set PEERS)" >&2; exit 2; }

TAG=$(date +%s)_$$
HARNESS=$(mktemp -d -t hotmesh-dbos-harness.XXXXXX)
export SCRATCH=${SCRATCH:-$(mktemp -d -t hotmesh-dbos-run.XXXXXX)}
cp "$PEERS"/run.sh "$PEERS"/*.mjs "$HARNESS/"
# the scratch databases: the harness names them in one line each
sed -i "s/const DB = 'bench_dbos';/const DB = 'bench_dbos_$TAG';/" "$HARNESS/bench-dbos.mjs"
sed -i "s/const DB = 'bench_ours';/const DB = 'bench_ours_$TAG';/" "$HARNESS/bench-ours.mjs"
grep -q "bench_dbos_$TAG" "$HARNESS/bench-dbos.mjs" && grep -q "bench_ours_$TAG" "$HARNESS/bench-ours.mjs" \
  || { echo "the harness no longer names its databases as expected; not running it on shared ones" >&2; exit 2; }

cleanup() {
  for db in "bench_dbos_$TAG" "bench_ours_$TAG"; do
    psql -q "$PGBASE/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$HARNESS"
}
trap cleanup EXIT

echo "hotmesh vs DBOS: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), databases *_$TAG"
bash "$HARNESS/run.sh" "$ROOT" 2> >(grep -v "^npm notice" >&2)
