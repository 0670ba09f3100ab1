-- Loaded by every scenario script: the request builders, and the report that
-- wrk prints at the end (statuses counted per thread, latencies in microseconds,
-- on one line that bench/load.py reads).

local threads = {}
statuses = {}
sent = 0

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

function seed_random(args_seed)
   math.randomseed(os.time() * 1000 + id * 7919 + (args_seed or 0))
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

local function with_headers(extra)
   local headers = {}
   for name, value in pairs(wrk.headers) do headers[name] = value end
   for name, value in pairs(extra or {}) do headers[name] = value end
   return headers
end

function get(path)
   return wrk.format("GET", path, with_headers())
end

-- A create with a code no other request of the run uses: prefix, thread, count.
function create(prefix, idempotent)
   sent = sent + 1
   local codigo = string.format("%s-%d-%d", prefix, id, sent)
   local extra = {}
   if idempotent then extra["Idempotency-Key"] = codigo end
   local body = string.format(
      '{"codigoCliente":"%s","nombre":"Cliente %s","tipoCliente":"EMPRESA",' ..
      '"tipoDocumento":"RUC","numeroDocumento":"20123456789","email":"c%d@example.com"}',
      codigo, codigo, sent)
   return wrk.format("POST", "/api/clientes", with_headers(extra), body)
end

-- A partial update of a random seeded Cliente, to an address never used before.
function update(last_id)
   sent = sent + 1
   local body = string.format('{"direccion":"Av. Bench %d-%d-%d"}', id, sent, math.random(1e9))
   return wrk.format("PATCH", "/api/clientes/" .. math.random(last_id), with_headers(), body)
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(counts) do
      table.insert(parts, string.format('"%d": %d', status, n))
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
      '"max_us": %d, "socket_errors": %d, "statuses": {%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency.max, errors.connect + errors.read + errors.write + errors.timeout,
      table.concat(parts, ", ")))
end
