-- wrk script: refresh-token grants against POST /oauth/token. Each wrk thread owns one grant
-- and one connection and follows its rotation: every response carries the next refresh token.
-- A reused token would revoke the grant, so requests on one thread must stay sequential.
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("token", os.getenv("CS_REFRESH_" .. counter))
  table.insert(threads, thread)
end

function init(args)
  basic = os.getenv("CS_BASIC")
  failures = 0
end

function request()
  return wrk.format("POST", "/oauth/token", {
    ["Authorization"] = "Basic " .. basic,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local next_token = body:match('"refresh_token":"([^"]+)"')
  if status == 200 and next_token then
    token = next_token
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  io.write(string.format("refresh_failures %d\n", failed))
end
