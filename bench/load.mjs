// The load generator, in its own process: runs autocannon for each cell bench/run.mjs sends over
// IPC ({ id, url, headers, duration, connections }) and answers with the counts.
import autocannon from 'autocannon';

process.on('message', (cell) => {
  autocannon(
    {
      url: cell.url,
      method: 'GET',
      headers: cell.headers,
      connections: cell.connections,
      pipelining: 1,
      duration: cell.duration,
    },
    (error, result) => {
      if (error) {
        process.send({ id: cell.id, error: String(error) });
        return;
      }
      process.send({
        id: cell.id,
        ok2xx: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        total: result.requests.total,
        seconds: result.duration,
        latencyP50: result.latency.p50,
        latencyP99: result.latency.p99,
      });
    },
  );
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
