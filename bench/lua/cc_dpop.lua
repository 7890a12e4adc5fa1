-- POST /token with grant_type=client_credentials (client_secret_basic) and a DPoP proof
-- (RFC 9449), one pre-made proof per request: a proof is accepted once, and its iat must be
-- recent, so bench/dpop.py signs a fresh batch just before each run. args: proofs file,
-- Authorization header, form body, and "cycle" to reuse the proofs (only for the ceiling,
-- which remembers none). When the proofs run out the thread stops; the few requests already
-- due go to a path that answers 404 and are counted as filler, not as results.
function init(args)
   proofs = {}
   for line in io.lines(args[1]) do
      proofs[#proofs + 1] = line
   end
   authorization = args[2]
   body = args[3]
   cycle = args[4] == "cycle"
   next_proof = 1
end

function request()
   if next_proof > #proofs then
      if cycle then
         next_proof = 1
      else
         return exhausted_request()
      end
   end
   local proof = proofs[next_proof]
   next_proof = next_proof + 1
   return wrk.format("POST", "/token", {
      ["Authorization"] = authorization,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["DPoP"] = proof,
   }, body)
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
