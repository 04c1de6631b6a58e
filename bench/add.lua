-- wrk script: POST tools/call "add" with random a, b and check every answer's sum.
-- Usage: wrk -s add.lua URL -- legacy SESSION_ID [TOKEN] | wrk -s add.lua URL -- modern "" [TOKEN]
-- TOKEN: a bearer token sent on every request (the auth-on row).
-- The JSON-RPC id encodes both operands (id = a * 1000000 + b), so response() can check
-- the sum without knowing which request a response belongs to.
-- done() prints one line: BENCH {json}.

local threads = {}
local mode, session = "legacy", ""
mismatches, checked = 0, 0 -- globals: done() reads them with thread:get()

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "legacy"
  session = args[2] or ""
  local token = args[3] or ""
  if token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  if mode == "modern" then
    wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
    wrk.headers["Mcp-Method"] = "tools/call"
    wrk.headers["Mcp-Name"] = "add"
  else
    wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
    wrk.headers["Mcp-Session-Id"] = session
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end

local META = ',"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
  .. '"io.modelcontextprotocol/clientCapabilities":{}}'

function request()
  local a = math.random(0, 999999)
  local b = math.random(0, 999999)
  local id = a * 1000000 + b
  local meta = (mode == "modern") and META or ""
  local body = string.format(
    '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"add","arguments":{"a":%d,"b":%d}%s}}',
    id, a, b, meta)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  checked = checked + 1
  local id = tonumber(body:match('"id"%s*:%s*(%d+)'))
  local text = tonumber(body:match('"text"%s*:%s*"(%-?%d+)"'))
  if status ~= 200 or id == nil or text == nil then
    mismatches = mismatches + 1
    return
  end
  local b = id % 1000000
  local a = (id - b) / 1000000
  if text ~= a + b then
    mismatches = mismatches + 1
  end
end

function done(summary, latency, requests)
  local mm, ck = 0, 0
  for _, t in ipairs(threads) do
    mm = mm + (t:get("mismatches") or 0)
    ck = ck + (t:get("checked") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"checked":%d,"mismatches":%d,'
      .. '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), ck, mm,
    e.connect, e.read, e.write, e.status, e.timeout))
end
