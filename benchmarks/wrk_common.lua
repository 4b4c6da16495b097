-- Shared wrk hooks: per-thread status-code counts and created ids, and a done() that prints one JSON line.
-- Included (textually prepended) by the generated scripts; they define request() themselves.
-- Env: WRK_IDS_FILE — where to write the ids of 2xx responses (one per line) for the lost-write check.

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("tid", thread_count)
   table.insert(threads, thread)
end

codes = {}
ids = {}
nids = 0

function response(status, headers, body)
   local key = tostring(status)
   codes[key] = (codes[key] or 0) + 1
   if status >= 200 and status < 300 and body then
      local id = string.match(body, '"id":(%d+)')
      if id then
         nids = nids + 1
         ids[nids] = id
      end
   end
end

function done(summary, latency, requests)
   local all = {}
   local non2xx = 0
   local idfile = os.getenv("WRK_IDS_FILE")
   local f = nil
   if idfile then f = io.open(idfile, "w") end
   for _, thread in ipairs(threads) do
      local c = thread:get("codes")
      for k, v in pairs(c) do
         all[k] = (all[k] or 0) + v
         if string.sub(k, 1, 1) ~= "2" then non2xx = non2xx + v end
      end
      if f then
         local tids = thread:get("ids")
         for _, v in ipairs(tids) do f:write(v, "\n") end
      end
   end
   if f then f:close() end
   local parts = {}
   for k, v in pairs(all) do table.insert(parts, string.format('"%s":%d', k, v)) end
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,'
         .. '"codes":{%s},"non2xx":%d,"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, table.concat(parts, ","), non2xx,
      e.connect, e.read, e.write, e.timeout))
end
