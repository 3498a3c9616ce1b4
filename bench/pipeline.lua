-- wrk script: every write carries `depth` pipelined GET / requests (default 16).
--   wrk -t1 -c50 -d10s -s bench/pipeline.lua http://127.0.0.1:8000/ -- 16
-- wrk counts each response it parses, so Requests/sec counts requests, not writes.

local batch

function init(args)
  local depth = tonumber(args[1]) or 16
  local one = wrk.format("GET", "/")
  local parts = {}
  for i = 1, depth do
    parts[i] = one
  end
  batch = table.concat(parts)
end

function request()
  return batch
end
