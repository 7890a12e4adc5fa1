-- Full authorization-code flows with an existing SSO session and stored consent:
-- GET /authorize (session cookie) -> 303 with a code -> POST /token redeeming it with PKCE and
-- client_secret_basic. wrk gives no per-connection state, so codes go through a FIFO: each
-- response() that carries a code queues it, and the next request() on any connection redeems
-- it; when the queue is empty the next request is a new authorization. A flow counts as done
-- when its token request answers 2xx.
-- args: authorize path (without state/nonce), Cookie header, Authorization header,
-- redirect_uri (form-encoded), code_verifier.
function init(args)
   authorize_path = args[1]
   authorize_headers = { ["Cookie"] = args[2] }
   token_headers = {
      ["Authorization"] = args[3],
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
   body_tail = "&redirect_uri=" .. args[4] .. "&code_verifier=" .. args[5]
   queue, head, tail = {}, 1, 0
   started = 0
end

function request()
   if head <= tail then
      local code = queue[head]
      queue[head] = nil
      head = head + 1
      return wrk.format("POST", "/token", token_headers,
                        "grant_type=authorization_code&code=" .. code .. body_tail)
   end
   started = started + 1
   return wrk.format("GET", authorize_path .. "&state=f" .. started .. "&nonce=n" .. started,
                     authorize_headers)
end

function response(status, headers, body)
   local code = code_from(status, headers)
   if code ~= nil then
      step = step + 1
      tail = tail + 1
      queue[tail] = code
   elseif status >= 200 and status < 300 then
      ok = ok + 1
   else
      bad = bad + 1
   end
end
