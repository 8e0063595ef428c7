-- wrk script for bench/provider.py: one mode per run, the same script for every mode
-- (so the Lua cost per request is the same for the baseline and the measured routes).
--
--   wrk ... -s bench/wrk.lua URL -- MODE NONCE TOKEN COUNT IDS_FILE
--
-- MODE   health  GET /healthz (no auth, no database: the baseline)
--        create  POST /threads with a key never sent before (NONCE-t<thread>-<n>)
--        replay  POST /threads with one of COUNT keys created beforehand (NONCE-<i>),
--                always with the same body, so every answer is a stored replay
--        read    GET /threads/{id}, cycling through the IDs in IDS_FILE (one a line)
-- At the end one line "WRKJSON {...}" carries the totals and latency percentiles (in
-- microseconds); bench/provider.py parses it.

local BODY = '{"agent_id":"bench-agent","model":"bench-model","provider":"bench",'
  .. '"title":"benchmark thread"}'

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "health"
  nonce = args[2] or "bench"
  token = args[3] or ""
  count = tonumber(args[4] or "1")
  ids = {}
  if mode == "read" then
    for line in io.lines(args[5]) do
      if #line > 0 then
        ids[#ids + 1] = line
      end
    end
  end
  tid = tid or 1
  auth = "Bearer " .. token
  create_headers = {
    ["Authorization"] = auth,
    ["Content-Type"] = "application/json",
  }
  read_headers = { ["Authorization"] = auth }
end

function request()
  counter = counter + 1
  if mode == "create" then
    create_headers["Idempotency-Key"] = nonce .. "-t" .. tid .. "-" .. counter
    return wrk.format("POST", "/threads", create_headers, BODY)
  elseif mode == "replay" then
    create_headers["Idempotency-Key"] = nonce .. "-" .. ((counter % count) + 1)
    return wrk.format("POST", "/threads", create_headers, BODY)
  elseif mode == "read" then
    return wrk.format("GET", "/threads/" .. ids[(counter % #ids) + 1], read_headers)
  end
  return wrk.format("GET", "/healthz")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
