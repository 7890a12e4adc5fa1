-- POST /token redeeming one pre-minted code per request (authorization_code + PKCE,
-- client_secret_basic). args: codes file, Authorization header, redirect_uri (form-encoded),
-- code_verifier, and "cycle" to reuse the codes (only for the ceiling, which checks none).
-- When the codes run out the thread stops; the few requests already due go to a path that
-- answers 404 and are counted as filler, not as results.
function init(args)
   codes = {}
   for line in io.lines(args[1]) do
      codes[#codes + 1] = line
   end
   token_headers = {
      ["Authorization"] = args[2],
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
   body_tail = "&redirect_uri=" .. args[3] .. "&code_verifier=" .. args[4]
   cycle = args[5] == "cycle"
   next_code = 1
end

function request()
   if next_code > #codes then
      if cycle then
         next_code = 1
      else
         return exhausted_request()
      end
   end
   local code = codes[next_code]
   next_code = next_code + 1
   return wrk.format("POST", "/token", token_headers,
                     "grant_type=authorization_code&code=" .. code .. body_tail)
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   elseif is_filler(status) then
      filler = filler + 1
   else
      bad = bad + 1
   end
end
