import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServerTestDatabase } from '@eventfold/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { newReservation } from './support/harness';

// `serve` with WORKERS=2: two processes share the port (node:cluster), both write to the same
// PostgreSQL, and a Ctrl-C stops them all cleanly.
const database = await createServerTestDatabase({ prefix: 'gateway_cluster', purpose: 'the WORKERS=2 test' });
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'gateway.js');

describe.skipIf(database === undefined)('serve with several workers', () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    // Whatever happened in the test, leave no gateway running.
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await database?.dispose();
  });

  it('answers on one port from two processes and stops them all on SIGINT', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: database!.connectionString, WORKERS: '2', PORT: '0', LOG_LEVEL: 'info' };
    delete env['AMQP_URL'];
    const started = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let stdout = '';
    let stderr = '';
    started.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => started.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 60 s:\n${stderr}`)), 60_000);
      started.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    expect(stderr).toContain('2 workers');

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${url}/reservations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(newReservation()) }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 201));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    for (const id of ids) expect((await fetch(`${url}/reservations/${id}`)).status).toBe(200);
    // Both workers served requests: two different pids in the request logs.
    const pids = new Set(
      stdout
        .split('\n')
        .filter((line) => line.includes('"request completed"'))
        .map((line) => (JSON.parse(line) as { pid: number }).pid),
    );
    expect(pids.size).toBe(2);

    started.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 120_000);
});
