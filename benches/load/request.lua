-- wrk script for the load harness: one request shape taken from the command line, and one machine-readable
-- summary line at the end (latencies in microseconds; errors counts sockets and non-2xx/3xx answers).
-- usage: wrk ... -s request.lua URL -- METHOD PATH [TOKEN [JSON_BODY]]

function init(args)
  wrk.method = args[1]
  wrk.path = args[2]
  if args[3] and args[3] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[3]
  end
  if args[4] then
    wrk.body = args[4]
    wrk.headers["Content-Type"] = "application/json"
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("wrk-summary requests=%d duration_us=%d errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
