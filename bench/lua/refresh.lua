-- POST /token with grant_type=refresh_token (client_secret_basic), rotating: every refresh
-- token is presented once, and the rotated one its response carries goes to the back of a
-- FIFO that the next request on any connection takes from (wrk has no per-connection state).
-- The pool starts from a file of fresh tokens, many more than connections, so the FIFO never
-- runs dry while requests succeed; if it does (failures lose tokens) the thread stops.
-- args: refresh tokens file, Authorization header.
function init(args)
   queue, head, tail = {}, 1, 0
   for line in io.lines(args[1]) do
      tail = tail + 1
      queue[tail] = line
   end
   token_headers = {
      ["Authorization"] = args[2],
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
end

function request()
   if head > tail then
      return exhausted_request()
   end
   local token = queue[head]
   queue[head] = nil
   head = head + 1
   return wrk.format("POST", "/token", token_headers,
                     "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
   local rotated = status == 200 and string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
   if rotated then
      ok = ok + 1
      tail = tail + 1
      queue[tail] = rotated
   elseif is_filler(status) then
      filler = filler + 1
   else
      bad = bad + 1
   end
end
