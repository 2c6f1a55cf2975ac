#!/usr/bin/env bash
# Keybrake's local gateway side by side with the Portkey AI gateway 1.15.2 and Spring Cloud Gateway
# 4.3.0, all in front of the same fixed upstream (nginx), driven by the same load generator (wrk).
# Two reference rows: the upstream alone (nginx) and nginx as a reverse proxy that only forwards
# (nginx-proxy: what forwarding alone adds on this machine).
#
#   bench/side-by-side.sh                        everything (about 18 minutes with the default warm-ups)
#   BENCH_SYSTEMS="nginx keybrake" bench/side-by-side.sh   a subset (nginx is always the floor)
#
# Needs nginx, wrk (Debian: apt-get install -y nginx wrk), node/npm, java 17, redis-server. Builds
# what it runs: Keybrake's jar (./keybrake), bench/spring-cloud-gateway (./mvnw -f), and installs
# @portkey-ai/gateway@1.15.2 from npm into bench/.work. Every system is warmed up with wrk for
# BENCH_WARMUP seconds (default 60: on 2 cores a JVM's JIT compiler is still busy after 20 s at 16
# connections; Keybrake's CPU per call kept falling until about 50 s), then measured for
# BENCH_DURATION seconds (default 20) at 1 and 16 connections (wrk -t1), then at a low rate with
# Pacer.java (BENCH_LOW_CALLS calls, default 300, at 10/s, one sequential keep-alive client, the
# upstream alone measured in the same seconds). Before its low-rate run every system is also warmed
# up by the low-rate run's own client (BENCH_LOW_WARMUP calls, default 4000, sent back to back): a
# JVM's JIT compiled for wrk's requests recompiles for another client's for minutes at 10 calls/s,
# and the row would measure that instead of the system (0 skips it).
# Ports: BENCH_PORT_BASE (default 19000) + 80 nginx, 81 Keybrake, 82 Spring Cloud Gateway,
# 87 Portkey, 83 nginx-proxy, 79 Redis, 51/18 Keybrake's gRPC/xDS. BENCH_KEYBRAKE_JAR runs another Keybrake build.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench/.." && pwd)"
work="$bench/.work"
warmup="${BENCH_WARMUP:-60}"
duration="${BENCH_DURATION:-20}"
low_calls="${BENCH_LOW_CALLS:-300}"
low_warmup="${BENCH_LOW_WARMUP:-4000}"
systems="${BENCH_SYSTEMS:-nginx nginx-proxy keybrake portkey spring-cloud-gateway}"
base="${BENCH_PORT_BASE:-19000}"
p_nginx=$((base + 80)) p_kb=$((base + 81)) p_scg=$((base + 82)) p_pk=$((base + 87)) p_px=$((base + 83))
p_redis=$((base + 79)) p_grpc=$((base + 51)) p_xds=$((base + 18))
name=side-by-side
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"
sid="$bench_sid"
token="$bench_token"
scg_key="vault_key_bench_spring_cloud_gateway"

for tool in nginx wrk node npm java redis-server curl; do
  command -v "$tool" >/dev/null || { echo "side-by-side: $tool is not on PATH (Debian: apt-get install -y nginx wrk nodejs npm redis-server)" >&2; exit 2; }
done
mkdir -p "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
started() { pids+=("$1"); }

b64() { printf '%s' "$1" | base64 -w0; }

# --- build what is needed -------------------------------------------------------------------------
kb_jar="${BENCH_KEYBRAKE_JAR:-$root/cli/target/keybrake.jar}"
if [[ " $systems " == *" keybrake "* && -z "${BENCH_KEYBRAKE_JAR:-}" ]]; then
  "$root/keybrake" --version >/dev/null
fi
scg_jar="$bench/spring-cloud-gateway/target/bench-scg.jar"
if [[ " $systems " == *" spring-cloud-gateway "* ]]; then
  if [ ! -f "$scg_jar" ] || [ -n "$(find "$bench/spring-cloud-gateway" -path '*/target' -prune -o -type f -newer "$scg_jar" -print -quit)" ]; then
    echo "side-by-side: building bench/spring-cloud-gateway" >&2
    (cd "$root" && ./mvnw -q -B -ntp -f bench/spring-cloud-gateway/pom.xml package -DskipTests) >&2
  fi
fi
portkey="$work/portkey/node_modules/@portkey-ai/gateway/build/start-server.js"
if [[ " $systems " == *" portkey "* && ! -f "$portkey" ]]; then
  echo "side-by-side: installing @portkey-ai/gateway@1.15.2 into bench/.work/portkey" >&2
  mkdir -p "$work/portkey"
  (cd "$work/portkey" && npm install --no-audit --no-fund --silent @portkey-ai/gateway@1.15.2) >&2
fi

# --- start the systems ----------------------------------------------------------------------------
start_nginx "$p_nginx"
started $!
upstream="http://127.0.0.1:$p_nginx"
twilio_path="/2010-04-01/Accounts/$sid/Messages.json"
wait_http "$upstream/" nginx

# Each system runs alone: started just before its rows and stopped after them, so nothing one
# leaves running (Keybrake's price reconciler working through the calls it just settled at their
# estimate, a JVM's compiler) takes CPU from the next one's measurement.
declare -A sys_pids
start_system() {
  local p=()
  case "$1" in
    nginx-proxy)
      start_nginx "$p_px" nginx-proxy.conf.template "127.0.0.1:$p_nginx"
      p+=($!)
      wait_http "http://127.0.0.1:$p_px/" nginx-proxy
      ;;
    keybrake)
      start_keybrake "$kb_jar" "$p_kb" "$p_grpc" "$p_xds" "$upstream" "${BENCH_KEYBRAKE_JAVA_OPTS:-}"
      p+=($!)
      wait_http "http://127.0.0.1:$p_kb/healthz" Keybrake
      create_key "$p_kb"
      ;;
    portkey)
      NODE_ENV=production node "$portkey" --port="$p_pk" --headless > "$work/portkey.out" 2>&1 &
      p+=($!)
      wait_http "http://127.0.0.1:$p_pk/" Portkey
      ;;
    spring-cloud-gateway)
      redis-server --port "$p_redis" --bind 127.0.0.1 --save '' --appendonly no > "$work/redis.out" 2>&1 &
      p+=($!)
      java -jar "$scg_jar" --server.port="$p_scg" --bench.upstream="$upstream" \
        --bench.api-key="$scg_key" --bench.account-sid="$sid" --bench.auth-token="$token" \
        --spring.data.redis.port="$p_redis" > "$work/scg.out" 2>&1 &
      p+=($!)
      wait_http "http://127.0.0.1:$p_scg/" "Spring Cloud Gateway"
      ;;
  esac
  for pid in "${p[@]}"; do started "$pid"; done
  sys_pids[$1]="${p[*]}"
}
stop_system() {
  local pid
  for pid in ${sys_pids[$1]:-}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# --- drive them -----------------------------------------------------------------------------------
rows=()
lows=()
target() { # system -> KIND URL AUTH HEADERS FLOOR_URL FLOOR_AUTH
  case "$1" in
    nginx) echo "twilio|$upstream$twilio_path|Basic $(b64 "$sid:$token")||$upstream$twilio_path|Basic $(b64 "$sid:$token")" ;;
    nginx-proxy) echo "twilio|http://127.0.0.1:$p_px$twilio_path|Basic $(b64 "$sid:$token")||$upstream$twilio_path|Basic $(b64 "$sid:$token")" ;;
    keybrake) echo "twilio|http://127.0.0.1:$p_kb/twilio/2010-04-01/Accounts/$vault/Messages.json|Basic $(b64 "$vault:")||$upstream$twilio_path|Basic $(b64 "$sid:$token")" ;;
    portkey) echo "openai|http://127.0.0.1:$p_pk/v1/chat/completions|Bearer sk-bench|x-portkey-provider: openai|x-portkey-custom-host: $upstream/v1|$upstream/v1/chat/completions|Bearer sk-bench" ;;
    spring-cloud-gateway) echo "twilio|http://127.0.0.1:$p_scg/twilio/2010-04-01/Accounts/$scg_key/Messages.json|Basic $(b64 "$scg_key:")||$upstream$twilio_path|Basic $(b64 "$sid:$token")" ;;
  esac
}
run_wrk() { # system conns seconds
  local kind url auth headers spec
  spec=$(target "$1")
  kind=$(cut -d'|' -f1 <<<"$spec"); url=$(cut -d'|' -f2 <<<"$spec"); auth=$(cut -d'|' -f3 <<<"$spec")
  headers=$(cut -d'|' -f4- <<<"$spec" | rev | cut -d'|' -f3- | rev)
  local hostport="${url#http://}"; hostport="${hostport%%/*}"
  local path="/${url#http://*/}"
  BENCH_KIND="$kind" BENCH_PATH="$path" BENCH_AUTH="$auth" BENCH_HEADERS="$headers" \
    BENCH_TAG="$1-$2-$(date +%s%N)" wrk -t1 -c"$2" -d"$3"s --timeout 10s -s "$bench/load.lua" \
    "http://$hostport" 2>>"$work/wrk.err" | grep '^RESULT' || echo "RESULT requests=0 seconds=1 p50us=0 p99us=0 non2xx=0 errors=-1"
}
field() { sed -n "s/.* $1=\([-0-9.]*\).*/\1/p" <<<" $2"; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }

echo "side-by-side: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start" >&2
for s in $systems; do
  start_system "$s"
  echo "side-by-side: $s: warming up for ${warmup}s" >&2
  run_wrk "$s" 16 "$warmup" >/dev/null
  for c in 1 16; do
    r=$(run_wrk "$s" "$c" "$duration")
    req=$(field requests "$r"); secs=$(field seconds "$r")
    rps=$(awk -v n="$req" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    rows+=("| $s | $c | $rps | $(ms "$(field p50us "$r")") | $(ms "$(field p99us "$r")") | $(field non2xx "$r") / $(field errors "$r") | $(cut -d' ' -f1 /proc/loadavg) |")
    echo "side-by-side: $s, $c conn: $r" >&2
  done
  if [ "$s" != nginx ]; then
    spec=$(target "$s")
    kind=$(cut -d'|' -f1 <<<"$spec"); url=$(cut -d'|' -f2 <<<"$spec"); auth=$(cut -d'|' -f3 <<<"$spec")
    floor_url=$(rev <<<"$spec" | cut -d'|' -f2 | rev); floor_auth=$(rev <<<"$spec" | cut -d'|' -f1 | rev)
    hargs=()
    IFS='|' read -r -a hs <<<"$(cut -d'|' -f4- <<<"$spec" | rev | cut -d'|' -f3- | rev)"
    for h in "${hs[@]}"; do [ -n "$h" ] && hargs+=(--header "$h"); done
    pace() { # rate calls
      java "$bench/Pacer.java" --url "$url" --kind "$kind" --auth "$auth" --floor-url "$floor_url" \
        --floor-auth "$floor_auth" --rate "$1" --calls "$2" --tag "$s-$(date +%s%N)" "${hargs[@]}" 2>>"$work/pacer.err" | grep '^RESULT'
    }
    if [ "$low_warmup" -gt 0 ]; then
      echo "side-by-side: $s: low-rate client's warm-up, $low_warmup calls back to back: $(pace 100000 "$low_warmup")" >&2
    fi
    echo "side-by-side: $s: low rate, $low_calls calls at 10/s" >&2
    r=$(pace 10 "$low_calls")
    echo "side-by-side: $s, low rate: $r" >&2
    lows+=("| $s | $(ms "$(field p50us "$r")") | $(ms "$(field p99us "$r")") | $(ms "$(field upstream_p50us "$r")") | $(ms "$(field upstream_p99us "$r")") | $(ms "$(field added_p50us "$r")") | $(ms "$(field added_p99us "$r")") | $(field non2xx "$r") | $(cut -d' ' -f1 /proc/loadavg) |")
  fi
  stop_system "$s"
done

echo
echo "wrk -t1, ${duration}s per row after a ${warmup}s warm-up at 16 connections; $(nproc) cores"
echo
echo "| system | conns | req/s | p50 | p99 | non-2xx / socket errors | load avg |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
if [ ${#lows[@]} -gt 0 ]; then
  echo
  echo "low rate: $low_calls calls at 10/s, one sequential keep-alive client (after $low_warmup calls of it back to back); upstream alone measured between them"
  echo
  echo "| system | p50 | p99 | upstream p50 | upstream p99 | added p50 | added p99 | non-2xx | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${lows[@]}"
fi
