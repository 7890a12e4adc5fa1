-- POST /token with grant_type=client_credentials (client_secret_basic), the same request every
-- time. args: Authorization header, form body, and optionally an offered rate per second
-- (paced runs: see pace() in common.lua).
function init(args)
   token_request = wrk.format("POST", "/token", {
      ["Authorization"] = args[1],
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, args[2])
   pace(tonumber(args[3]))
end

function request()
   return token_request
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      bad = bad + 1
   end
end
