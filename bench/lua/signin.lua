-- POST /login with one pre-minted interaction per request: each line of the file is the
-- request's Cookie header, a tab, and its form body (CSRF token, interaction, login, password),
-- optionally followed by a tab and the login path (a tenant's /t/<name>/login; else /login).
-- A sign-in counts when gatehouse answers 303 onwards (to the client with a code, or to
-- consent), not back to a login page. When the interactions run out the thread stops.
-- args: interactions file.
function init(args)
   attempts = {}
   for line in io.lines(args[1]) do
      local cookie, rest = string.match(line, "^([^\t]*)\t(.*)$")
      local body, path = string.match(rest, "^([^\t]*)\t(.*)$")
      attempts[#attempts + 1] = { cookie, body or rest, path or "/login" }
   end
   next_attempt = 1
end

function request()
   if next_attempt > #attempts then
      return exhausted_request()
   end
   local attempt = attempts[next_attempt]
   next_attempt = next_attempt + 1
   return wrk.format("POST", attempt[3], {
      ["Cookie"] = attempt[1],
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, attempt[2])
end

function response(status, headers, body)
   local location = headers["location"] or headers["Location"] or ""
   if status == 303 and not string.find(location, "/login", 1, true) then
      ok = ok + 1
   elseif is_filler(status) then
      filler = filler + 1
   else
      bad = bad + 1
   end
end
