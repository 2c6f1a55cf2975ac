# Shared setup of the gateway benchmarks (sourced by side-by-side.sh and gateway-cost.sh): the
# nginx upstream, a Keybrake gateway, and the benchmark's key with its full Twilio policy.
# Each caller sets: bench (this folder), work (its work folder), name (for messages).

bench_sid="AC00000000000000000000000000000000"
bench_token="bench-token"
bench_admin_key="bench-admin-key-0123456789"

# wait_http URL NAME: waits up to 5 minutes for URL to answer, else exits.
wait_http() {
  for _ in $(seq 1 600); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.5
  done
  echo "$name: $2 did not come up at $1" >&2
  exit 1
}

# start_nginx PORT [TEMPLATE] [UPSTREAM]: nginx from TEMPLATE (default nginx.conf.template, the
# upstream; nginx-proxy.conf.template forwards to UPSTREAM, host:port) in the background; its pid
# in $!.
start_nginx() {
  local template="${2:-nginx.conf.template}"
  local conf="$work/${template%.template}"
  sed -e "s#@PORT@#$1#g" -e "s#@WORK@#$work#g" -e "s#@UPSTREAM@#${3:-}#g" "$bench/$template" > "$conf"
  nginx -c "$conf" -p "$work" > "${conf%.conf}.out" 2>&1 &
}

# start_keybrake JAR HTTP_PORT GRPC_PORT XDS_PORT UPSTREAM [JAVA_OPTS]: `keybrake up` on a fresh
# data folder in the background; its pid in $!.
start_keybrake() {
  rm -rf "$work/keybrake"
  # shellcheck disable=SC2086 # the options are words
  KEYBRAKE_ADMIN_KEY="$bench_admin_key" KEYBRAKE_UPSTREAM_TWILIO="$5" \
    java ${6:-} -jar "$1" up --http-port "$2" --grpc-port "$3" --xds-port "$4" \
    --data-dir "$work/keybrake" > "$work/keybrake.out" 2>&1 &
}

# create_key HTTP_PORT: the benchmark's key, a full Twilio policy (caps, endpoints, destinations,
# countries, deduplication, expiry); its vault key in $vault.
create_key() {
  local created
  created=$(curl -s -X POST "http://127.0.0.1:$1/keys" -H "X-Admin-Key: $bench_admin_key" \
    -H 'Content-Type: application/json' -d "{\"name\":\"bench\",\"vendor\":\"twilio\",
      \"twilio_account_sid\":\"$bench_sid\",\"twilio_auth_token\":\"$bench_token\",
      \"policy\":{\"daily_usd_cap\":1000000,\"total_usd_cap\":10000000,
        \"allowed_endpoints\":[\"POST /2010-04-01/Accounts/*/Messages.json\"],
        \"allowed_prefixes\":[\"+1\"],\"allowed_countries\":[\"US\"],
        \"dedup_window_seconds\":60,\"expires_in\":\"24h\",\"time_zone\":\"UTC\"}}")
  vault=$(printf '%s' "$created" | sed -n 's/.*"vault_key":"\([^"]*\)".*/\1/p')
  [ -n "$vault" ] || { echo "$name: cannot create a Keybrake key: $created" >&2; exit 1; }
}
