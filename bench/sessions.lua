-- Requests for session-read and session-write. The driver prepends:
--   cookies = { "slotwise_session=...", ... }   one per established session
--   tokens  = { "...", ... }                    their csrf tokens (same order)
--   path    = "/book/details"                   what session-read GETs
--   write   = true | false                      POST /prefs instead of GET path
--   nthreads = <wrk -t>
-- Each wrk thread takes every nthreads-th session and cycles through them,
-- so concurrent requests rarely share a session (as real visitors would not);
-- with fewer sessions than threads (write-shared: one), every thread takes
-- them all, so every connection writes the same session.
-- session-write alternates theme dark/light per session, so every POST
-- really changes the stored session.

local created = 0
function setup(thread)
  thread:set("offset", created)
  created = created + 1
end

local reqs = {}
local i = 0

function init(args)
  local mine = {}
  if #cookies < nthreads then
    for k = 1, #cookies do
      table.insert(mine, k)
    end
  else
    for k = 1 + offset, #cookies, nthreads do
      table.insert(mine, k)
    end
  end
  -- Pre-format every request: round r of session k is reqs[(r % 2) * #mine + j].
  for parity = 0, 1 do
    for j, k in ipairs(mine) do
      local headers = { ["Cookie"] = cookies[k] }
      local req
      if write then
        local theme = (parity == 0) and "dark" or "light"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = wrk.format("POST", "/prefs", headers, "csrf_token=" .. tokens[k] .. "&theme=" .. theme .. "&next=/")
      else
        req = wrk.format("GET", path, headers)
      end
      reqs[parity * #mine + j] = req
    end
  end
  count = #mine
end

function request()
  local j = i % count
  local parity = math.floor(i / count) % 2
  i = i + 1
  return reqs[parity * count + j + 1]
end
