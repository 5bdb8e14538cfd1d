-- Used by benches/load/run.sh: at the end of a wrk run, print one machine-readable line with
-- the exact figures (latencies in microseconds, unrounded), so that the script does not have
-- to parse wrk's human-readable summary ("1.23ms", "12.34k").
--
-- summary.requests counts completed responses (any status); errors.status counts responses
-- with a status >= 400; connect/read/write/timeout are socket errors.

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
