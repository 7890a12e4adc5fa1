-- POST <path> with grant_type=client_credentials (client_secret_basic), the paths taken in
-- turn from a file: one token endpoint a line (/token, or /t/<tenant>/token for each tenant),
-- so the requests of all connections spread over the tenants round robin. The same client id
-- and secret are registered in every tenant. args: paths file, Authorization header, form body.
function init(args)
   token_requests = {}
   for path in io.lines(args[1]) do
      token_requests[#token_requests + 1] = wrk.format("POST", path, {
         ["Authorization"] = args[2],
         ["Content-Type"] = "application/x-www-form-urlencoded",
      }, args[3])
   end
   next_request = 0
end

function request()
   next_request = next_request % #token_requests + 1
   return token_requests[next_request]
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      bad = bad + 1
   end
end
