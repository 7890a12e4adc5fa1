-- POST /token with grant_type=device_code as a public client (client_id in the form), for
-- device codes nobody approves: the expected answer is 400 authorization_pending (RFC 8628
-- §3.5), counted as ok; anything else (slow_down included) is bad. The codes are used in
-- turn, and delay() holds a request back until the code it will carry was last sent at least
-- min_gap seconds ago, so no code is polled sooner than its interval allows (with a pool too
-- small for the rate, that caps the rate: bench/ways_in.py checks for it). args: file of
-- device codes, form body before the code, min_gap in seconds (0: no holding back).
function init(args)
   codes = {}
   for line in io.lines(args[1]) do
      codes[#codes + 1] = line
   end
   body_prefix = args[2]
   min_gap_ms = tonumber(args[3]) * 1000
   sent_at = {}
   next_code = 1
   headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

-- now_ms() is common.lua's (bench/harness.py puts both in one chunk).
function delay()
   local last = sent_at[next_code]
   if min_gap_ms == 0 or last == nil then
      return 0
   end
   local wait = last + min_gap_ms - now_ms()
   if wait < 1 then
      return 0
   end
   return math.ceil(wait)
end

function request()
   local i = next_code
   next_code = i % #codes + 1
   if min_gap_ms > 0 then
      sent_at[i] = now_ms()
   end
   return wrk.format("POST", "/token", headers, body_prefix .. codes[i])
end

function response(status, headers, body)
   if status == 400 and string.find(body, '"authorization_pending"', 1, true) then
      ok = ok + 1
   else
      bad = bad + 1
   end
end
