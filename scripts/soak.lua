-- Mixed load for scripts/soak.sh, one Lua state per wrk thread:
--   95% conditional polls of a random feed with the ETag this thread last saw,
--    4% full fetches (no validators; half of them asking for gzip),
--    1% authenticated PUT by-external-id.
-- Arguments (after `--`): FEEDS_FILE TOKEN BASE_URL SLUGS
--   FEEDS_FILE has one "PATH ETAG" per line; SLUGS is comma-separated.
-- Any response other than 2xx or 304 counts as an error.

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

local feeds, slugs, token, base
-- Globals, so that done() can read them from each thread with thread:get.
polls, fulls, writes, not_modified, ok, errors = 0, 0, 0, 0, 0, 0
local write_serial = 0

function init(args)
   feeds = {}
   for line in io.lines(args[1]) do
      local path, etag = line:match("^(%S+) (.+)$")
      if path then
         table.insert(feeds, { path = path, etag = etag })
      end
   end
   token = args[2]
   base = args[3]
   slugs = {}
   for slug in args[4]:gmatch("[^,]+") do
      table.insert(slugs, slug)
   end
   math.randomseed(os.time() * 1000 + id)
end

local by_path = nil

local function index_feeds()
   by_path = {}
   for _, feed in ipairs(feeds) do
      by_path[feed.path] = feed
   end
end

function request()
   local roll = math.random(100)
   if roll <= 95 then
      polls = polls + 1
      local feed = feeds[math.random(#feeds)]
      return wrk.format("GET", feed.path, { ["If-None-Match"] = feed.etag })
   elseif roll <= 99 then
      fulls = fulls + 1
      local feed = feeds[math.random(#feeds)]
      local headers = {}
      if math.random(2) == 1 then
         headers["Accept-Encoding"] = "gzip"
      end
      return wrk.format("GET", feed.path, headers)
   else
      writes = writes + 1
      write_serial = write_serial + 1
      local key = "soak-" .. math.random(50)
      local slug = slugs[math.random(#slugs)]
      local body = string.format(
         '{"category":"%s","title":"压力测试 %d-%d","content_html":"<p>soak %d</p>","source":{"name":"soak","url":"https://soak.example/%d"}}',
         slug, id, write_serial, write_serial, write_serial)
      return wrk.format("PUT", "/api/v1/articles/by-external-id/" .. key, {
         ["Authorization"] = "Bearer " .. token,
         ["Content-Type"] = "application/json",
      }, body)
   end
end

-- A 200 feed names itself (self link / feed_url) before anything else from
-- this service: that says which ETag to remember. Gzip bodies are skipped.
function response(status, headers, body)
   if status == 304 then
      not_modified = not_modified + 1
   elseif status >= 200 and status < 300 then
      ok = ok + 1
      local etag = headers["ETag"] or headers["etag"]
      if etag and body then
         local at = body:find(base .. "/feeds/", 1, true)
         if at then
            local path = body:match("^(/feeds/[%w%-]+%.%a+)", at + #base)
            if by_path == nil then index_feeds() end
            local feed = path and by_path[path]
            if feed then feed.etag = etag end
         end
      end
   else
      errors = errors + 1
   end
end

function done(summary, latency, requests)
   local totals = { polls = 0, fulls = 0, writes = 0, not_modified = 0, ok = 0, errors = 0 }
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + thread:get(name)
      end
   end
   local e = summary.errors
   local socket_errors = e.connect + e.read + e.write + e.timeout
   local seconds = summary.duration / 1e6
   print(string.format("SOAK requests %d", summary.requests))
   print(string.format("SOAK seconds %.1f", seconds))
   print(string.format("SOAK requests_per_s %.0f", summary.requests / seconds))
   print(string.format("SOAK latency_p50_ms %.2f", latency:percentile(50) / 1000))
   print(string.format("SOAK latency_p99_ms %.2f", latency:percentile(99) / 1000))
   print(string.format("SOAK latency_max_ms %.2f", latency.max / 1000))
   print(string.format("SOAK polls %d", totals.polls))
   print(string.format("SOAK full_fetches %d", totals.fulls))
   print(string.format("SOAK writes %d", totals.writes))
   print(string.format("SOAK responses_304 %d", totals.not_modified))
   print(string.format("SOAK responses_2xx %d", totals.ok))
   print(string.format("SOAK bad_status %d", totals.errors))
   print(string.format("SOAK socket_errors %d", socket_errors))
   print(string.format("SOAK errors %d", totals.errors + socket_errors))
end
