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

-- Once a scenario has used up its codes or tokens: stop this thread (once) and send a filler
-- request, which answers 404 and is counted apart (see is_filler).
function exhausted_request()
   if exhausted == 0 then
      exhausted = 1
      finish()
   end
   return wrk.format("GET", "/bench-codes-exhausted")
end

function is_filler(status)
   return status == 404 and exhausted == 1
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

-- Pacing: pace(rate) makes delay() space the requests of all connections rate per second
-- apart (on a monotonic clock through LuaJIT's FFI), so a run can hold a fixed offered load
-- below saturation and its latency is what a client sees at that load. Unpaced runs never
-- call pace() and send as fast as the server answers.
local ffi = require("ffi")
ffi.cdef [[
   typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
   int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")
local pace_interval_ms = nil
local next_slot_ms = nil

local function now_ms()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
   return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

function pace(rate)
   if rate and rate > 0 then
      pace_interval_ms = 1000 / rate
   end
end

function delay()
   if pace_interval_ms == nil then
      return 0
   end
   local now = now_ms()
   -- A schedule that fell more than 100 ms behind (the server could not keep up) restarts
   -- from now instead of bursting to catch up.
   if next_slot_ms == nil or next_slot_ms < now - 100 then
      next_slot_ms = now
   end
   next_slot_ms = next_slot_ms + pace_interval_ms
   local wait = next_slot_ms - now
   if wait < 1 then
      return 0
   end
   return math.floor(wait)
end
