-- wrk script: optional URL rotation, and one JSON line of results at the end.
--
-- BENCH_ROTATE=slugs  each request asks for another product page, /products/bench-NNNNN/
--                     (BENCH_ROTATE_N products, in turn from a random start per thread and run,
--                     so a run seldom asks for a page an earlier run has put in the cache)
-- BENCH_ROTATE=grid_miss  each request adds a random, never-repeated max_price far above every
--                     price (so the same products) to the URL: the catalogue's grid cache key
--                     is new every time, so every request runs the grid's queries, while the
--                     facets and the shop profile stay cached
-- BENCH_ROTATE unset  every request asks for the URL given on the command line
--
-- done() prints: BENCH_JSON {"requests":..,"rps":..,"p50_ms":..,"p95_ms":..,...}
-- Latencies come from wrk's own histogram (microseconds, converted to ms).

local rotate = os.getenv("BENCH_ROTATE")
local rotate_n = tonumber(os.getenv("BENCH_ROTATE_N") or "10000")
local counter = 0
local threads_made = 0

function setup(thread)
  thread:set("tid", threads_made) -- a global in that thread's Lua state
  threads_made = threads_made + 1
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0))
  counter = math.random(0, rotate_n - 1)
end

if rotate == "slugs" then
  function request()
    counter = counter + 1
    local n = (counter % rotate_n) + 1
    return wrk.format("GET", string.format("/products/bench-%05d/", n))
  end
elseif rotate == "grid_miss" then
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  function request()
    local price = string.format("%d.%02d", math.random(100000, 99999999), math.random(0, 99))
    return wrk.format("GET", wrk.path .. sep .. "max_price=" .. price)
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local function ms(us) return us / 1000 end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"bytes":%d,'
      .. '"mean_ms":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    ms(latency.mean), ms(latency:percentile(50)), ms(latency:percentile(90)),
    ms(latency:percentile(95)), ms(latency:percentile(99)), ms(latency.max),
    e.connect, e.read, e.write, e.status, e.timeout))
end
