import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { newReservation } from './support/harness';

// The first command a new user types: no DATABASE_URL, no AMQP_URL. The gateway runs on embedded
// PGlite in its data folder, prints its URL, and keeps the data across a restart.
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'gateway.js');
const dataDir = mkdtempSync(join(tmpdir(), 'gateway-embedded-'));

/** Every process started, so a failed test still stops them. */
const spawned: ChildProcess[] = [];

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: string[];
}

/** Starts `gateway serve` as a user would, and resolves with the URL it prints. */
function serve(): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  delete env['DATABASE_URL'];
  delete env['AMQP_URL'];
  const child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(child);
  const stdout: string[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 60 s:\n${stderr}`)), 60_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ child, url: match[1], stdout });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${String(code)} before listening:\n${stderr}`));
    });
  });
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => resolve(code));
    started.child.kill('SIGINT');
  });
}

describe('embedded start (no DATABASE_URL)', () => {
  afterAll(async () => {
    // Whatever happened in the test, leave no gateway running.
    for (const child of spawned) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves from ./.data, prints its URL, and keeps the data across a restart', async () => {
    const first = await serve();
    const body = newReservation({ guestName: 'Barbara Liskov' });
    const created = await fetch(`${first.url}/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await fetch(`${first.url}/reservations/${id}`)).status).toBe(200);
    expect(((await (await fetch(`${first.url}/ready`)).json()) as { status: string }).status).toBe('ready');
    // Relay off, said once in the logs.
    expect(first.stdout.join('').match(/relay off: AMQP_URL is not set/g)).toHaveLength(1);
    expect(await stop(first)).toBe(0);

    const second = await serve();
    const read = await fetch(`${second.url}/reservations/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, guestName: 'Barbara Liskov', status: 'PENDING', version: 1 });
    const history = (await (await fetch(`${second.url}/reservations/${id}/events`)).json()) as { events: unknown[] };
    expect(history.events).toHaveLength(1);
    expect(await stop(second)).toBe(0);
  }, 180_000);
});
