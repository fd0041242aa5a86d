import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServerTestDatabase } from '@eventfold/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { shippedMigrations } from './migrate';

const database = await createServerTestDatabase({ prefix: 'store_pg_migrate', purpose: 'the two-process migrate test' });
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

interface Child {
  readonly ready: Promise<void>;
  go(): void;
  readonly done: Promise<{ code: number | null; out: string; err: string }>;
}

/** `eventfold-pg migrate` from source in its own Node process, started when `go()` is called. */
function migrateInChildProcess(url: string, schema: string): Child {
  const child = spawn(
    process.execPath,
    ['--conditions=@eventfold/source', '--import', 'tsx', 'src/test-support/migrate-on-signal.ts', 'migrate', '--database-url', url, '--schema', schema],
    { cwd: packageRoot, env: { ...process.env, DATABASE_URL: '' }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady();
      resolve({ code, out: out.replace(/^ready\n/, ''), err });
    });
  });
  return { ready, done, go: () => child.stdin.end('go\n') };
}

/** Starts every child, waits until all are loaded, releases them together. */
async function migrateTogether(url: string, schema: string, count: number) {
  const children = Array.from({ length: count }, () => migrateInChildProcess(url, schema));
  await Promise.all(children.map((child) => child.ready));
  for (const child of children) child.go();
  return Promise.all(children.map((child) => child.done));
}

describe.skipIf(database === undefined)('migrate from two processes at once', () => {
  afterAll(async () => {
    await database?.dispose();
  });

  it('succeeds in both; one applies every migration, the other finds the schema up to date', async () => {
    const url = database!.connectionString;
    const tags = (await shippedMigrations()).map((migration) => migration.tag);
    const results = await migrateTogether(url, 'racing', 2);
    for (const result of results) expect(result, result.err).toMatchObject({ code: 0 });
    const outputs = results.map((result) => result.out.trim()).sort();
    expect(outputs).toEqual([`eventfold-pg: schema "racing" is up to date.`, `eventfold-pg: schema "racing": applied ${tags.join(', ')}.`].sort());

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ tag: string }>('select tag from racing.__eventfold_migrations order by tag');
      expect(rows.map((row) => row.tag)).toEqual(tags);
      const fn = await client.query("select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'racing' and p.proname = 'append_events'");
      expect(fn.rowCount).toBe(1);
    } finally {
      await client.end();
    }
    // A third run, later, changes nothing.
    expect((await migrateTogether(url, 'racing', 1))[0]?.out.trim()).toBe('eventfold-pg: schema "racing" is up to date.');
  }, 60_000);
});
