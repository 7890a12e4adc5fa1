-- GET /authorize with the SSO session cookie; every "303 …?code=" is appended to a file for
-- the token phase. Stops its thread once the target count is written (wrk's -d bounds time).
-- args: output file, target count, authorize path (without state), Cookie header.
function init(args)
   out = io.open(args[1], "w")
   target = tonumber(args[2])
   authorize_path = args[3]
   authorize_headers = { ["Cookie"] = args[4] }
   sent = 0
end

function request()
   sent = sent + 1
   return wrk.format("GET", authorize_path .. "&state=m" .. sent, authorize_headers)
end

function response(status, headers, body)
   local code = code_from(status, headers)
   if code == nil then
      bad = bad + 1
      return
   end
   out:write(code, "\n")
   step = step + 1
   if step % 1000 == 0 or step == target then
      out:flush()
   end
   if step == target then
      finish()
   end
end
