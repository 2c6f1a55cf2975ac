#!/usr/bin/env bash
# What one call through Keybrake's local gateway costs the gateway process, less noisy on a shared
# machine than latency alone: CPU microseconds and context switches per call (from /proc), with
# wrk's throughput and latency, at 16 then 1 connection(s), after warm-up rounds; then the low-rate
# run of side-by-side.sh (Pacer.java, 10 calls/s). Same upstream (nginx), key and policy as
# side-by-side.sh.
#
#   bench/gateway-cost.sh [jar] [seconds per row, default 10] [warm-up rounds of 16 connections, default 6]
#   BENCH_LOW_CALLS=300 bench/gateway-cost.sh
#
# Needs nginx, wrk, java 17, curl (Debian: apt-get install -y nginx wrk). KEYBRAKE_JAVA_OPTS is
# passed to the gateway's JVM. Ports: BENCH_PORT_BASE (default 19500) + 80 nginx, 81 Keybrake.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench/.." && pwd)"
jar="${1:-$root/cli/target/keybrake.jar}"
secs="${2:-10}"
rounds="${3:-6}"
low_calls="${BENCH_LOW_CALLS:-200}"
work="$bench/.work/gateway-cost"
base="${BENCH_PORT_BASE:-19500}"
p_nginx=$((base + 80)) p_kb=$((base + 81))
name=gateway-cost
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"
sid="$bench_sid" token="$bench_token"
for tool in nginx wrk java curl; do
  command -v "$tool" >/dev/null || { echo "gateway-cost: $tool is not on PATH" >&2; exit 2; }
done
[ -f "$jar" ] || "$root/keybrake" --version >/dev/null
rm -rf "$work" && mkdir -p "$work"
start_nginx "$p_nginx"
ng=$!
start_keybrake "$jar" "$p_kb" $((base + 51)) $((base + 18)) "http://127.0.0.1:$p_nginx" "${KEYBRAKE_JAVA_OPTS:-}"
kb=$!
trap 'kill $ng $kb 2>/dev/null; wait 2>/dev/null || true' EXIT
wait_http "http://127.0.0.1:$p_kb/healthz" Keybrake
create_key "$p_kb"
auth="Basic $(printf '%s' "$vault:" | base64 -w0)"
path="/twilio/2010-04-01/Accounts/$vault/Messages.json"
hz=$(getconf CLK_TCK)
cpu_us() { awk -v hz="$hz" '{print ($14 + $15) * 1000000 / hz}' "/proc/$kb/stat"; }
switches() { cat /proc/"$kb"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }
row() { # connections label
  local c0 x0 r c1 x1
  c0=$(cpu_us); x0=$(switches)
  r=$(BENCH_KIND=twilio BENCH_PATH="$path" BENCH_AUTH="$auth" BENCH_HEADERS="" BENCH_TAG="$2-$(date +%s%N)" \
    wrk -t1 -c"$1" -d"${secs}s" --timeout 10s -s "$bench/load.lua" "http://127.0.0.1:$p_kb" 2>/dev/null | grep '^RESULT')
  c1=$(cpu_us); x1=$(switches)
  awk -v r=" $r" -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" -v x=$((x1 - x0)) -v s="$secs" -v l="$2" 'BEGIN {
    n = r; sub(/.* requests=/, "", n); sub(/ .*/, "", n)
    p50 = r; sub(/.* p50us=/, "", p50); sub(/ .*/, "", p50)
    p99 = r; sub(/.* p99us=/, "", p99); sub(/ .*/, "", p99)
    printf "| %s | %.0f | %.2f ms | %.2f ms | %.0f us | %.1f |\n", l, n / s, p50 / 1000, p99 / 1000, c / n, x / n }'
}
echo "gateway-cost: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; ${secs}s rows" >&2
echo "| run | req/s | p50 | p99 | gateway CPU per call | context switches per call |"
echo "|---|---|---|---|---|---|"
for i in $(seq 1 "$rounds"); do row 16 "warm-up $i, 16 conns"; done
row 1 "1 conn"
row 16 "16 conns"
r=$(java "$bench/Pacer.java" --url "http://127.0.0.1:$p_kb$path" --kind twilio --auth "$auth" \
  --floor-url "http://127.0.0.1:$p_nginx/2010-04-01/Accounts/$sid/Messages.json" \
  --floor-auth "Basic $(printf '%s' "$sid:$token" | base64 -w0)" --rate 10 --calls "$low_calls" \
  --tag "low-$(date +%s%N)" 2>/dev/null | grep '^RESULT')
echo
echo "low rate ($low_calls calls at 10/s): $r"
