-- wrk script of bench/api.py: a bearer token on every request, a rotating case id for reads,
-- a fresh local case ID in every created case; at the end, the figures as one JSON line.
-- Environment: BENCH_TOKEN, BENCH_MODE (get | list | create), BENCH_IDS (file of case ids,
-- one a line, for get), BENCH_BODY (file of a case record with __LOCAL__ for create),
-- BENCH_OUT (where the JSON line goes), BENCH_RUN (letters, part of the local IDs). wrk counts an
-- answer of status 400 or more as a "status" error.

local mode = os.getenv("BENCH_MODE")
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  ["Content-Type"] = "application/json",
}
local threads = {}
local counter = 0
local ids = {}
local body = nil
local prefix = "3dp"

local function read_file(path)
  local handle = assert(io.open(path, "r"))
  local text = handle:read("*a")
  handle:close()
  return text
end

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  if mode == "get" then
    for line in io.lines(os.getenv("BENCH_IDS")) do
      table.insert(ids, line)
    end
  elseif mode == "create" then
    body = read_file(os.getenv("BENCH_BODY"))
  end
  counter = thread_no * 100000  -- threads start far apart in the id list and the local IDs
end

function request()
  counter = counter + 1
  if mode == "get" then
    local id = ids[(counter % #ids) + 1]
    return wrk.format("GET", "/api/v1/registries/" .. prefix .. "/cases/" .. id, headers)
  elseif mode == "list" then
    return wrk.format("GET", "/api/v1/registries/" .. prefix .. "/cases?facility=F0001&limit=50",
                      headers)
  end
  -- letters, then six digits like the demo's IDs (a longer run of digits reads as an MRN)
  local local_id = "3DP-" .. os.getenv("BENCH_RUN") .. "-" .. string.format("%06d", counter)
  return wrk.format("POST", "/api/v1/registries/" .. prefix .. "/cases?facility=F0001", headers,
                    string.gsub(body, "__LOCAL__", local_id))
end

function done(summary, latency, requests)
  local e = summary.errors
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
  out:close()
end
