-- wrk script: replays the listeners of a split against `segue serve`.
-- 90% GET /v1/users/{id}/recommendations?n=10 for users drawn from USERS
-- (one id per line), 10% POST /v1/events with a batch of 10 plays of ITEMS
-- (one id per line) by those users. Environment: USERS, ITEMS, TOKEN,
-- EVENT_SHARE (default 0.1), N (default 10), SEED.
-- Prints p50/p99/p99.9 in ms and the error count as JSON at the end.
local users, items = {}, {}
local event_share = tonumber(os.getenv("EVENT_SHARE") or "0.1")
local n = os.getenv("N") or "10"
local token = os.getenv("TOKEN") or ""
local counter = 0

local function read_lines(path, into)
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in f:lines() do if #line > 0 then into[#into + 1] = line end end
  f:close()
end

function init(args)
  read_lines(os.getenv("USERS"), users)
  read_lines(os.getenv("ITEMS"), items)
  math.randomseed(tonumber(os.getenv("SEED") or "1") + (tonumber(args[1] or "0") or 0))
end

function request()
  counter = counter + 1
  local user = users[math.random(#users)]
  if math.random() < event_share then
    local events = {}
    for k = 1, 10 do
      events[k] = string.format('{"user":"%s","item":"%s","event":"play"}', user, items[math.random(#items)])
    end
    local body = '{"events":[' .. table.concat(events, ",") .. ']}'
    return wrk.format("POST", "/v1/events",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
  end
  return wrk.format("GET", "/v1/users/" .. user .. "/recommendations?n=" .. n)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
                 summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "p999_ms": %.3f, "max_ms": %.3f, "errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, errors, summary.errors.status))
end
