-- wrk script: home pages for the listeners of a split, against `segue serve`.
-- GET /v1/users/{id}/home for users drawn from USERS (one id per line); with
-- probability PLAY_SHARE (default 0.3) a thread's next request instead posts a
-- play of a card it was just shown, with the card's impression id (the path by
-- which pages learn). Environment: USERS, TOKEN, PLAY_SHARE, SEED.
-- Prints throughput and latency (all requests, and home pages alone) as JSON.
local users = {}
local play_share = tonumber(os.getenv("PLAY_SHARE") or "0.3")
local token = os.getenv("TOKEN") or ""
local pending = nil  -- {user, item, impression} to post next

local function read_lines(path, into)
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in f:lines() do if #line > 0 then into[#into + 1] = line end end
  f:close()
end

function init(args)
  read_lines(os.getenv("USERS"), users)
  math.randomseed(tonumber(os.getenv("SEED") or "1") + (tonumber(args[1] or "0") or 0))
end

local last_user = nil

function request()
  if pending then
    local p = pending
    pending = nil
    local body = string.format('{"events":[{"user":"%s","item":"%s","event":"play","impression":"%s"}]}',
      p.user, p.item, p.impression)
    return wrk.format("POST", "/v1/events",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
  end
  last_user = users[math.random(#users)]
  return wrk.format("GET", "/v1/users/" .. last_user .. "/home")
end

function response(status, headers, body)
  if last_user and status == 200 and math.random() < play_share then
    -- A card from somewhere on the page: the n-th impression, n uniform in 1..10.
    local n, k = math.random(10), 0
    for impression, item in string.gmatch(body, '"impression":"([0-9a-f]+:[0-9]+)","item":"([^"]+)"') do
      k = k + 1
      if k == n then pending = {user = last_user, item = item, impression = impression} break end
    end
  end
  last_user = nil
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
