-- POST /device_authorization as a public client (RFC 8628 §3.1); every device_code answered
-- is appended to a file, the pool bench/ways_in.py polls from. Stops its thread once the
-- target count is written (wrk's -d bounds time). args: output file, target count, form body.
function init(args)
   out = io.open(args[1], "a")
   target = tonumber(args[2])
   mint_request = wrk.format("POST", "/device_authorization", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, args[3])
end

function request()
   return mint_request
end

function response(status, headers, body)
   local code = status == 200 and string.match(body, '"device_code"%s*:%s*"([^"]+)"')
   if not code then
      bad = bad + 1
      return
   end
   if step < target then
      out:write(code, "\n")
      step = step + 1
      if step % 1000 == 0 or step == target then
         out:flush()
      end
      if step == target then
         finish()
      end
   end
end
