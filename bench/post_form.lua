-- wrk script: POST the urlencoded survey form with the CSRF cookie (from the environment).
-- Each request carries a form token of its own, as a phone that was served the form does (a
-- form is good for one counted answer): BENCH_TOKENS names a file of tokens, one a line;
-- wrk's threads take every BENCH_THREADS-th line from their own offset.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "zona_csrf=" .. os.getenv("BENCH_CSRF")
local body = os.getenv("BENCH_BODY")
local tokens = {}
local started = 0

function setup(thread)
  started = started + 1
  thread:set("offset", started)
end

function init(args)
  local path = os.getenv("BENCH_TOKENS")
  if path then
    for line in io.lines(path) do tokens[#tokens + 1] = line end
  end
  step = tonumber(os.getenv("BENCH_THREADS") or "1")
  index = (offset or 1) - step
end

function request()
  if #tokens == 0 then
    return wrk.format(nil, nil, nil, body)
  end
  index = index + step
  -- Past the end the tokens are used again (such answers are kept as suspect: the
  -- benchmark prints how many).
  local token = tokens[(index - 1) % #tokens + 1]
  return wrk.format(nil, nil, nil, body .. "&t=" .. token)
end
