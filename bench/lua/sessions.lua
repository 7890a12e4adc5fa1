-- GET /authorize as one of many signed-in browsers: each request carries the session cookie
-- of a session picked in turn from the file (one cookie value per line), for a first-party
-- client, so a live session answers 303 with a code at once.
-- args: cookies file, authorize path (without state).
function init(args)
   cookies = {}
   for line in io.lines(args[1]) do
      cookies[#cookies + 1] = "gh_session=" .. line
   end
   authorize_path = args[2]
   -- Threads and connections start at different points of the list.
   next_cookie = math.random(#cookies)
   sent = 0
end

function request()
   next_cookie = next_cookie % #cookies + 1
   sent = sent + 1
   return wrk.format("GET", authorize_path .. "&state=s" .. sent,
                     { ["Cookie"] = cookies[next_cookie] })
end

function response(status, headers, body)
   if code_from(status, headers) ~= nil then
      ok = ok + 1
   else
      bad = bad + 1
   end
end
