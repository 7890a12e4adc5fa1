-- POST <tenant>/token with grant_type=refresh_token (client_secret_basic), rotating, as
-- refresh.lua does, for refresh tokens of many tenants: each line of the file is the token
-- endpoint of the token's tenant (/token or /t/<name>/token), a tab, and the token. wrk tells
-- a response nothing of its request, so the rotated token's endpoint is read from the access
-- token beside it: its `iss` (the tenant's issuer) without scheme and host, then /token.
-- args: tokens file, Authorization header.
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local sextets = {}
for i = 1, #alphabet do
   sextets[alphabet:byte(i)] = i - 1
end

local function base64url_decode(text)
   local out, bits, count = {}, 0, 0
   for i = 1, #text do
      local value = sextets[text:byte(i)]
      if value ~= nil then
         bits = bits * 64 + value
         count = count + 6
         if count >= 8 then
            count = count - 8
            local scale = 2 ^ count
            out[#out + 1] = string.char(math.floor(bits / scale))
            bits = bits % scale
         end
      end
   end
   return table.concat(out)
end

function init(args)
   queue, head, tail = {}, 1, 0
   for line in io.lines(args[1]) do
      local path, token = string.match(line, "^([^\t]*)\t(.*)$")
      tail = tail + 1
      queue[tail] = { path, token }
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
   local item = queue[head]
   queue[head] = nil
   head = head + 1
   return wrk.format("POST", item[1], token_headers,
                     "grant_type=refresh_token&refresh_token=" .. item[2])
end

local function token_path(body)
   local access = string.match(body, '"access_token"%s*:%s*"([^"]+)"')
   local payload = access and string.match(access, "^[^.]+%.([^.]+)%.")
   local issuer = payload and string.match(base64url_decode(payload), '"iss"%s*:%s*"([^"]+)"')
   if issuer == nil then
      return nil
   end
   return (string.match(issuer, "^https?://[^/]+(.*)$") or "") .. "/token"
end

function response(status, headers, body)
   local rotated = status == 200 and string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
   local path = rotated and token_path(body)
   if path then
      ok = ok + 1
      tail = tail + 1
      queue[tail] = { path, rotated }
   elseif is_filler(status) then
      filler = filler + 1
   else
      bad = bad + 1
   end
end
