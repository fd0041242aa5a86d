// Child process for migrate.integration.test.ts: loads everything, prints "ready", waits for "go"
// on stdin, then runs `eventfold-pg migrate` with its arguments. Two children released together
// really do migrate at the same moment.
import { createInterface } from 'node:readline';
import { runCli } from '../cli';

process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === 'go') break;
}
lines.close();
process.exitCode = await runCli(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`), (line) =>
  process.stderr.write(`${line}\n`),
);
