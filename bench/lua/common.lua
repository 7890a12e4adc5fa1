-- Shared by every bench scenario (bench/harness.py prepends it to the scenario's script).
-- wrk counts 4xx/5xx as requests; these counters tell the kinds apart, and done() prints them
-- as one JSON line for bench/run.py.
ok = 0         -- 2xx responses the scenario counts (tokens issued)
bad = 0        -- anything unexpected: non-2xx, or a 303 without a code
step = 0       -- intermediate successes: /authorize answered 303 with a code
filler = 0     -- requests sent after the codes ran out (404 by design), not counted
exhausted = 0  -- 1 once a scenario ran out of codes and stopped its thread

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

-- Stop this thread and ask bench/harness.py to end wrk now (wrk would otherwise sleep until
-- its -d is over and report that whole time).
function finish()
   wrk.thread:stop()
   io.stderr:write("BENCH-STOP\n")
   io.stderr:flush()
end

-- The code of a "303 See Other" to the client's redirect URI, or nil.
function code_from(status, headers)
   if status ~= 303 then
      return nil
   end
   local location = headers["location"] or headers["Location"]
   return location and string.match(location, "[?&]code=([^&]+)")
end

function done(summary, latency, requests)
   local totals = { ok = 0, bad = 0, step = 0, filler = 0, exhausted = 0 }
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + (thread:get(name) or 0)
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH {"ok":%d,"bad":%d,"step":%d,"filler":%d,"exhausted":%d,"requests":%d,' ..
      '"duration_us":%d,"p50_us":%d,"p99_us":%d,"connect":%d,"read":%d,"write":%d,' ..
      '"timeout":%d,"status":%d}\n',
      totals.ok, totals.bad, totals.step, totals.filler, totals.exhausted, summary.requests,
      summary.duration, latency:percentile(50), latency:percentile(99), e.connect, e.read,
      e.write, e.timeout, e.status))
end
