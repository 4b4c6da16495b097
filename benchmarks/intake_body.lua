-- POST /api/v1/tickets with varied, realistic Chinese ticket bodies (the dairy pack's labelled customer
-- messages, with random openings, closings, order numbers and quantities) from varied customer phones.
-- Env: WRK_TOKEN (bearer token), WRK_PATH (defaults to /api/v1/tickets), WRK_TEXTS (file, one text per line).
-- For the baseline the same bodies go to /bench/baseline, which only reads "description".

local token = os.getenv("WRK_TOKEN") or ""
local path = os.getenv("WRK_PATH") or "/api/v1/tickets"
local texts = {}
for line in io.lines(os.getenv("WRK_TEXTS")) do
   if #line > 0 then table.insert(texts, line) end
end

local openings = { "", "", "你好，", "您好，", "客服你好，", "麻烦看一下，", "急！", "再问一次，", "我是老客户了，" }
local closings = { "", "", "", "请尽快处理。", "谢谢！", "等你们回复。", "麻烦给个说法。", "今天能解决吗？",
   "已经拍照了。", "希望尽快退款。" }
local channels = { "chat", "chat", "chat", "wechat", "wechat", "app", "phone", "web", "ecommerce", "email", "douyin" }
local surnames = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴" }
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }

function init(args)
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919 + math.floor(os.clock() * 1e6))
end

local function pick(t) return t[math.random(#t)] end

function request()
   local text = pick(openings) .. pick(texts)
   local r = math.random()
   if r < 0.3 then
      text = text .. "订单号" .. tostring(math.random(10000000, 99999999)) .. "。"
   elseif r < 0.45 then
      text = text .. "一共买了" .. tostring(math.random(2, 24)) .. "盒。"
   end
   text = text .. pick(closings)
   -- 80% of customers are seen once; 20% come from a small pool of returning customers.
   local phone
   if math.random() < 0.2 then
      phone = "139" .. string.format("%08d", math.random(0, 4999))
   else
      phone = "13" .. tostring(math.random(0, 9)) .. string.format("%08d", math.random(0, 99999999))
   end
   local body = '{"description":"' .. text .. '","channel":"' .. pick(channels)
      .. '","customer":{"phone":"' .. phone .. '","name":"' .. pick(surnames) .. '先生"}}'
   return wrk.format("POST", path, headers, body)
end
