#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md in one run on one commit (issue 15
# item 6): the photo ingest beside Pillow, libvips and the libjpeg-turbo floor;
# submit latency; the core library's size; sync over loopback HTTP (push, pull,
# upload with its attach push, resume, the mobile link, 1,000 SSE deputies) and
# the store on SQLite and on PostgreSQL with fsync on; escalation; the password
# flood; the console; the reports; push deliveries. PostgreSQL figures come from
# a private cluster with PostgreSQL's default durability (fsync,
# synchronous_commit and full_page_writes on; `scripts/pg.sh` with
# MINQING_PG_DURABLE=1 on port 55433), each bench in a database of its own
# created for the run.
#
#   scripts/bench.sh              # everything (about an hour on 2 cores, most of it building)
#   scripts/bench.sh sync report  # only the named benches
#
# Each bench's output goes to target/bench-run/<commit>/<bench>.log, beside
# `machine.txt` (CPU, load, rustc, PostgreSQL) and `commit.txt`. The working
# tree must be clean, so that the figures are those of the commit named
# (BENCH_ALLOW_DIRTY=1 runs anyway and says so in commit.txt). Run it on an
# otherwise idle machine: the figures are wall-clock times.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

commit="$(git rev-parse --short=12 HEAD)"
dirty=""
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  if [ "${BENCH_ALLOW_DIRTY:-}" != 1 ]; then
    echo "bench.sh: the working tree has changes; commit them (or BENCH_ALLOW_DIRTY=1)" >&2
    exit 1
  fi
  dirty=" (with uncommitted changes)"
fi
out="target/bench-run/$commit"
mkdir -p "$out"

need() { command -v "$1" >/dev/null 2>&1; }
# The ingest bench's baselines.
if ! need vipsthumbnail || ! need djpeg || ! need cjpeg; then
  apt-get update -q && apt-get install -y -q libvips-tools libjpeg-turbo-progs
fi
python3 -c 'import PIL' 2>/dev/null || python3 -m pip install --quiet pillow
# The report bench prints its PDF with Chromium.
[ -x /usr/bin/chromium ] || { apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; }

# PostgreSQL as deployed: fsync on.
pg_url="$(MINQING_PG_PORT=55433 MINQING_PG_DURABLE=1 scripts/pg.sh | sed -n 's/^export MINQING_TEST_DATABASE_URL=//p')"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fsync="$("$pg_bin/psql" "$pg_url" -tAc 'SHOW fsync')"
if [ "$fsync" != on ]; then
  echo "bench.sh: the cluster on 55433 runs with fsync=$fsync; remove ${TMPDIR:-/tmp}/minqing-pg-55433 and run again" >&2
  exit 1
fi

{
  echo "commit $(git rev-parse HEAD)$dirty"
  git log -1 --format='%cd %s' --date=iso
} >"$out/commit.txt"
{
  date -u '+%Y-%m-%d %H:%M UTC'
  grep -m1 'model name' /proc/cpuinfo
  echo "cores: $(nproc)"
  grep MemTotal /proc/meminfo
  rustc --version
  "$pg_bin/postgres" --version
  echo "PostgreSQL fsync=$fsync synchronous_commit=$("$pg_bin/psql" "$pg_url" -tAc 'SHOW synchronous_commit')"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"

# `size` last: the release profile writes to target/release too, and builds
# that differ from the bench profile only in stripping overwrite the bench
# builds' artifacts (the next bench would link everything again).
all=(ingest submit sync escalation flood console report push size)
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${all[@]}")

run() {
  local name="$1"
  shift
  echo "== $name: $*" | tee "$out/$name.log"
  echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/$name.log"
  local t0=$SECONDS
  "$@" 2>&1 | tee -a "$out/$name.log"
  echo "   ($name took $((SECONDS - t0)) s)" | tee -a "$out/$name.log"
}

for b in "${wanted[@]}"; do
  case "$b" in
  ingest) run ingest cargo bench -p minqing-capture --features test-support --bench ingest ;;
  submit) run submit cargo bench -p minqing-core --bench submit ;;
  size)
    size() {
      cargo build --profile mobile -p minqing-core
      cargo build --release -p minqing-core
      echo "| profile | libminqing_core.so bytes |"
      echo "| mobile | $(stat -c %s target/mobile/libminqing_core.so) |"
      echo "| release (baseline) | $(stat -c %s target/release/libminqing_core.so) |"
    }
    run size size
    ;;
  sync) MINQING_BENCH_DATABASE_URL="$pg_url" run sync cargo bench -p minqing-e2e --bench sync ;;
  escalation) MINQING_TEST_DATABASE_URL="$pg_url" run escalation cargo bench -p minqing-server --bench escalation ;;
  flood) run flood cargo bench -p minqing-e2e --bench flood ;;
  console) MINQING_TEST_DATABASE_URL="$pg_url" run console cargo bench -p minqing-server --bench console ;;
  report)
    # Its 100,000-item database is built once and kept; build it again with
    # this commit's code.
    rm -f target/bench-report-*.db target/bench-report-*.db-wal target/bench-report-*.db-shm
    run report cargo bench -p minqing-server --bench report
    ;;
  push) MINQING_TEST_DATABASE_URL="$pg_url" run push cargo bench -p minqing-server --bench push ;;
  *)
    echo "bench.sh: no bench called $b (${all[*]})" >&2
    exit 1
    ;;
  esac
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
echo "bench.sh: logs in $out"
