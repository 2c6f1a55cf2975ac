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
sid="AC00000000000000000000000000000000" token="bench-token" admin="bench-admin-key-0123456789"
for tool in nginx wrk java curl; do
  command -v "$tool" >/dev/null || { echo "gateway-cost: $tool is not on PATH" >&2; exit 2; }
done
[ -f "$jar" ] || "$root/keybrake" --version >/dev/null
rm -rf "$work" && mkdir -p "$work"
sed -e "s#@PORT@#$p_nginx#g" -e "s#@WORK@#$work#g" "$bench/nginx.conf.template" > "$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work" > "$work/nginx.out" 2>&1 &
ng=$!
KEYBRAKE_ADMIN_KEY="$admin" KEYBRAKE_UPSTREAM_TWILIO="http://127.0.0.1:$p_nginx" \
  java ${KEYBRAKE_JAVA_OPTS:-} -jar "$jar" up --http-port "$p_kb" --grpc-port $((base + 51)) \
  --xds-port $((base + 18)) --data-dir "$work/keybrake" > "$work/keybrake.out" 2>&1 &
kb=$!
trap 'kill $ng $kb 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$p_kb/healthz" && break; sleep 0.5; done
created=$(curl -s -X POST "http://127.0.0.1:$p_kb/keys" -H "X-Admin-Key: $admin" -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench\",\"vendor\":\"twilio\",\"twilio_account_sid\":\"$sid\",\"twilio_auth_token\":\"$token\",
       \"policy\":{\"daily_usd_cap\":1000000,\"total_usd_cap\":10000000,
         \"allowed_endpoints\":[\"POST /2010-04-01/Accounts/*/Messages.json\"],
         \"allowed_prefixes\":[\"+1\"],\"allowed_countries\":[\"US\"],
         \"dedup_window_seconds\":60,\"expires_in\":\"24h\",\"time_zone\":\"UTC\"}}")
vault=$(printf '%s' "$created" | sed -n 's/.*"vault_key":"\([^"]*\)".*/\1/p')
[ -n "$vault" ] || { echo "gateway-cost: cannot create a key: $created" >&2; exit 1; }
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
