import { main } from './cli-main';

// The `gateway` command (bin/gateway.js runs this file through tsx).
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => stop.abort(signal));
}
const exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: stop.signal,
});
// Let pino flush, then leave even if a library keeps a handle open.
setImmediate(() => process.exit(exitCode));
