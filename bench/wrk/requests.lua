-- wrk script: each request is drawn at random from a file of "METHOD<TAB>PATH" lines (argument 1);
-- headers (the bearer token or the session cookie) come from wrk's -H. At the end it prints one
-- JSON line: requests, duration, latency percentiles (µs) and the count of each HTTP status.
local lines = {}
local threads = {}
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local method, path = line:match("^(%u+)\t(.+)$")
    if method then table.insert(lines, wrk.format(method, path)) end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  return lines[math.random(#lines)]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function percentiles(latency)
  return string.format('"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f',
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean)
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d": %d', status, n)) end
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, %s, "socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, percentiles(latency),
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
