-- wrk script: refresh-token grants against POST /oauth/token.
-- Each wrk thread gets its own comma-separated list of refresh tokens (CS_REFRESH_TOKENS_<n>),
-- one grant per connection of that thread, and keeps them in a pool: a request takes a token
-- out, its response puts the rotated one back. A token is therefore never presented twice
-- (a reused refresh token would revoke its grant), and every connection stays busy.
-- wrk calls request() once more on the first thread before the run (it checks the script), and
-- that request is never sent: each thread therefore gets one spare grant.
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("tokens", os.getenv("CS_REFRESH_TOKENS_" .. counter))
  table.insert(threads, thread)
end

function init(args)
  basic = os.getenv("CS_BASIC")
  failures = 0
  pool = {}
  for t in string.gmatch(tokens or "", "[^,]+") do table.insert(pool, t) end
end

function request()
  -- Empty only after failures lost chains: an unknown token fails without side effects.
  local token = table.remove(pool) or "cs_rt_exhausted"
  return wrk.format("POST", "/oauth/token", {
    ["Authorization"] = "Basic " .. basic,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local next_token = body:match('"refresh_token":"([^"]+)"')
  if status == 200 and next_token then
    table.insert(pool, next_token)
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  io.write(string.format("refresh_failures %d\n", failed))
end
