#!/usr/bin/env bash
# The platform with its web console on a fresh machine: builds console/ when needed
# (scripts/console.sh ensure), then `minqing-server demo --demo-items` (the demo items for the console; arguments passed on).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/console.sh ensure
exec cargo run -q -p minqing-server -- demo --demo-items "$@"
