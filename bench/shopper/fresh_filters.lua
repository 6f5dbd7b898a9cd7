-- wrk script: every request a filter combination nobody asked before, with a session cookie.
--
-- Category, size, colour, stock and sort drawn at random, and a max_price drawn from a wide
-- range with cents (10 million values, above most prices: the combination is new, the products
-- mostly the same), so the page and its grid miss the cache on every request while the cards,
-- the facets, the profile and the catalogue index stay warm. BENCH_COOKIE (optional) is sent as
-- the Cookie header. done() prints the same BENCH_JSON line as bench/wrk_report.lua.

local cookie = os.getenv("BENCH_COOKIE")
local categories = {"", "", "shirts", "trousers", "dresses", "jackets", "knitwear"}
local sizes = {"", "", "XS", "S", "M", "L", "XL"}
local colours = {"", "", "Indigo", "Oat%20white", "Black", "Rust", "Sage", "Navy", "Charcoal", "Sand"}
local sorts = {"newest", "price_asc", "price_desc", "rating"}
local threads_made = 0

function setup(thread)
  thread:set("tid", threads_made)
  threads_made = threads_made + 1
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

local function pick(list) return list[math.random(1, #list)] end

function request()
  local parts = {}
  local c, s, k = pick(categories), pick(sizes), pick(colours)
  if c ~= "" then parts[#parts + 1] = "category=" .. c end
  if s ~= "" then parts[#parts + 1] = "size=" .. s end
  if k ~= "" then parts[#parts + 1] = "colour=" .. k end
  if math.random() < 0.5 then parts[#parts + 1] = "in_stock=on" end
  parts[#parts + 1] = "sort=" .. pick(sorts)
  parts[#parts + 1] = string.format("max_price=%d.%02d", math.random(400, 9999999), math.random(0, 99))
  local headers = {}
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", "/products/?" .. table.concat(parts, "&"), headers)
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
