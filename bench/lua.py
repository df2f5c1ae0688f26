"""The wrk scripts: one per scenario, on a common prelude (ids from a file, results as JSON)."""

from __future__ import annotations

import json

PRELUDE = """
local base = {base}
local out_file = {out}
local lines_file = {lines}
local headers = {{["Authorization"] = {auth}, ["Content-Type"] = "application/json"}}
local lines = {{}}
local n = 0
local run_id = {run_id}

init = function(args)
  if lines_file ~= "" then
    for line in io.lines(lines_file) do lines[#lines + 1] = line end
  end
  math.randomseed({seed})
end

local function pick()
  return lines[math.random(#lines)]
end

-- Statuses of the answers that were not 2xx, per thread (counted where `response` is
-- defined); `done` runs in a state of its own and collects them from the threads.
refused = {{}}
local threads = {{}}

setup = function(thread)
  threads[#threads + 1] = thread
end

done = function(summary, latency, requests)
  local e = summary.errors
  local totals = {{}}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("refused") or {{}}) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local statuses = {{}}
  for status, count in pairs(totals) do
    statuses[#statuses + 1] = string.format('"%d": %d', status, count)
  end
  local f = io.open(out_file, "w")
  f:write(string.format(
    '{{"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "refused": {{%s}}}}',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, table.concat(statuses, ", ")))
  f:close()
end
"""

# Writes also count the statuses of refused answers (a Lua callback per answer costs wrk
# time, so reads go without).
RESPONSE = """
response = function(status, headers, body)
  if status >= 300 then refused[status] = (refused[status] or 0) + 1 end
end
"""

# Each body defines request(); `n` counts requests of this wrk thread.
BODIES = {
    "get": """
request = function()
  return wrk.format("GET", base .. "/clients/" .. pick(), headers)
end
""",
    "path": """
request = function()
  return wrk.format("GET", base .. pick(), headers)
end
""",
    "post": """
local firsts = {{"Anna", "Erik", "Lena", "Jonas", "Sofia", "Lars", "Maja", "Nils"}}
local lasts = {{"Berg", "Lund", "Holm", "Dahl", "Ek", "Nyberg", "Strand", "Wik"}}
local cities = {{"Stockholm", "Uppsala", "Malmo", "Lund", "Bergen", "Utrecht"}}
local with_contacts = {contacts}

request = function()
  n = n + 1
  local city = cities[math.random(#cities)]
  local body = string.format(
    '{{"name": "Bench Client %s-%d", "email": "bench.%s.%d@example.com", ' ..
    '"phone": "+46 8 555 %04d", "city": "%s", "country": "SE", "status": "ACTIVE", ' ..
    '"paymentType": "EMAIL", "billingEmail": "invoices.%s.%d@example.com", ' ..
    '"paymentTerms": 30, "tags": ["bench"]',
    run_id, n, run_id, n, n % 10000, city, run_id, n)
  if with_contacts then
    local f1, l1 = firsts[math.random(#firsts)], lasts[math.random(#lasts)]
    local f2, l2 = firsts[math.random(#firsts)], lasts[math.random(#lasts)]
    body = body .. string.format(
      ', "contactPersons": [' ..
      '{{"firstName": "%s", "lastName": "%s", "email": "c1.%s.%d@example.com", ' ..
      '"isMain": true}}, ' ..
      '{{"firstName": "%s", "lastName": "%s", "email": "c2.%s.%d@example.com"}}]',
      f1, l1, run_id, n, f2, l2, run_id, n)
  end
  return wrk.format("POST", base .. "/clients", headers, body .. "}}")
end
""",
    "patch": """
-- Each line is "id version"; the clients are taken in turn, so with more lines than requests
-- no client is patched twice and every If-Match names the current version.
request = function()
  n = n + 1
  local line = lines[(n - 1) % #lines + 1]
  local id, version = line:match("(%S+) (%d+)")
  version = tonumber(version) + math.floor((n - 1) / #lines)
  local h = {{["Authorization"] = headers["Authorization"],
             ["Content-Type"] = "application/json",
             ["If-Match"] = '"' .. version .. '"'}}
  local body = string.format('{{"creditLimit": %d, "paymentTerms": %d}}',
                             math.random(1, 5000) * 100, math.random(0, 90))
  return wrk.format("PATCH", base .. "/clients/" .. id, h, body)
end
""",
}


def script(
    kind: str, *, base: str, out: str, lines: str, key: str, run_id: str, seed: int, **extra: str
) -> str:
    """The Lua text for one wrk run."""
    values = {
        "base": json.dumps(base),
        "out": json.dumps(out),
        "lines": json.dumps(lines),
        "auth": json.dumps(f"Bearer {key}"),
        "run_id": json.dumps(run_id),
        "seed": str(seed),
        **extra,
    }
    tail = RESPONSE if kind in ("post", "patch") else ""
    return PRELUDE.format(**values) + BODIES[kind].format(**values) + tail
