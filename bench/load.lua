-- wrk script of the side-by-side benchmark. BENCH_KIND=twilio: a Twilio message creation whose Body
-- is unique (run tag + counter), so Keybrake reserves, settles and writes an audit row for every
-- call instead of replaying; BENCH_KIND=openai: an OpenAI chat completion (the Portkey gateway).
-- BENCH_PATH, BENCH_AUTH (Authorization value), BENCH_TAG, BENCH_HEADERS (extra "name: value" lines
-- joined by "|") come from side-by-side.sh. Prints one RESULT line: requests, seconds, p50/p99 in
-- microseconds, non-2xx answers, socket errors.
local kind = os.getenv("BENCH_KIND") or "twilio"
local path = os.getenv("BENCH_PATH")
local tag = os.getenv("BENCH_TAG") or tostring(os.time())
local headers = {}
headers["Authorization"] = os.getenv("BENCH_AUTH")
if kind == "twilio" then
  headers["Content-Type"] = "application/x-www-form-urlencoded"
else
  headers["Content-Type"] = "application/json"
end
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^|]+") do
  local name, value = string.match(line, "^%s*([^:]+):%s*(.*)$")
  headers[name] = value
end

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local counter = 0
bad = 0
function request()
  counter = counter + 1
  local body
  if kind == "twilio" then
    body = "To=%2B14155552671&From=%2B15005550006&Body=bench+" .. tag .. "+" .. id .. "+" .. counter
  else
    body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"bench ' .. tag .. ' ' .. id .. ' ' .. counter .. '"}]}'
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad <= 3 then
      io.stderr:write("non-2xx " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local nonok = 0
  for _, t in ipairs(threads) do
    nonok = nonok + (t:get("bad") or 0)
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f p50us=%d p99us=%d non2xx=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    nonok, e.connect + e.read + e.write + e.timeout))
end
