-- POST /login with one pre-minted interaction per request: each line of the file is the
-- request's Cookie header, a tab, and its form body (CSRF token, interaction, login, password).
-- A sign-in counts when gatehouse answers 303 onwards (to the client with a code, or to
-- consent), not back to /login. When the interactions run out the thread stops.
-- args: interactions file.
function init(args)
   attempts = {}
   for line in io.lines(args[1]) do
      local cookie, body = string.match(line, "^([^\t]*)\t(.*)$")
      attempts[#attempts + 1] = { cookie, body }
   end
   next_attempt = 1
end

function request()
   if next_attempt > #attempts then
      return exhausted_request()
   end
   local attempt = attempts[next_attempt]
   next_attempt = next_attempt + 1
   return wrk.format("POST", "/login", {
      ["Cookie"] = attempt[1],
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, attempt[2])
end

function response(status, headers, body)
   local location = headers["location"] or headers["Location"] or ""
   if status == 303 and not string.find(location, "^/login") then
      ok = ok + 1
   elseif is_filler(status) then
      filler = filler + 1
   else
      bad = bad + 1
   end
end
