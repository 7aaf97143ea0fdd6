-- wrk script for workflow transitions, one connection per thread (-t N -c N), so each thread's
-- responses come back in the order of its requests. Argument 1: a file of
-- "DISPUTE_ID<TAB>VERSION<TAB>PATH<TAB>JSON BODY with {version}" lines; each thread takes its own
-- share of the lines (no two threads touch the same dispute) and keeps each dispute's version
-- current from the answers (200: the dispute's new version; 409 version_conflict: details.current).
local mine = {}
local threads = {}
local last = nil
statuses = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local n = 0
  for line in io.lines(args[1]) do
    local id, version, path, body = line:match("^(%d+)\t(%d+)\t([^\t]+)\t(.+)$")
    if id then
      if n % tonumber(args[2]) == tid then
        table.insert(mine, {id = id, version = tonumber(version), path = path, body = body})
      end
      n = n + 1
    end
  end
  math.randomseed(os.time() + tid * 7919)
end

function request()
  last = mine[math.random(#mine)]
  local body = last.body:gsub("{version}", tostring(last.version))
  local headers = {["Content-Type"] = "application/json"}
  for name, value in pairs(wrk.headers) do headers[name] = value end  -- -H (the bearer token) too
  return wrk.format("POST", last.path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if last == nil or body == nil then return end
  local version = nil
  if status == 200 then
    version = body:match('"version":%s*(%d+)')
  elseif status == 409 then
    version = body:match('"current":%s*(%d+)')
  end
  if version then last.version = tonumber(version) end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d": %d', status, n)) end
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "p50": %d, "p90": %d, "p99": %d, "max": %d, ' ..
    '"mean": %.1f, "socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
