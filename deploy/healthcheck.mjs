// The container health check of deploy/Dockerfile (the slim image has no curl):
// `node /app/healthcheck.mjs /health/ready` asks the server on this container's port
// (PRX_VOICE_SERVER__PORT, default 8080) and exits 0 on a 2xx answer, 1 otherwise.
const path = process.argv[2] ?? '/health/ready';
const port = process.env.PRX_VOICE_SERVER__PORT ?? '8080';
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS ?? '4000');

try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) process.stderr.write(`${path}: HTTP ${res.status}\n`);
  process.exitCode = res.ok ? 0 : 1;
} catch (err) {
  process.stderr.write(`${path}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
