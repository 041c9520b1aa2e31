-- wrk script for bench/run: POST /v1/envelopes creating and sending one envelope per request.
-- The body (a real PDF as base64, one signer with a signature field, "status": "sent") is built
-- by bench/run and passed in CS_ENVELOPE_BODY_FILE; the bearer token in CS_TOKEN.
local f = assert(io.open(os.getenv("CS_ENVELOPE_BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CS_TOKEN")

function done(summary, latency, requests)
  io.write(string.format("non_2xx %d\n", summary.errors.status))
end
