import { randomUUID } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { preparedStatement, sqlClientOf } from './driver';
import { createPostgresEventStore } from './event-store';
import { paramTexts, queryTextRows } from './pg-text-rows';
import { serverFixture } from './test-support/databases';

const fixture = await serverFixture('the text-rows query tests', { poolSize: 2 });

/** The values as the text parameters queryTextRows takes (as the store's driver converts them). */
function texts(values: readonly unknown[]): (string | null)[] {
  const converted = paramTexts(values);
  if (converted === undefined) throw new Error('a test value has no text form');
  return converted;
}

describe.skipIf(fixture === undefined)('queryTextRows on node-postgres', () => {
  afterAll(async () => {
    await fixture?.dispose();
  });
  if (fixture === undefined) return;
  const { pool, db } = fixture;
  const echo = preparedStatement(
    'select $1::text as s, $2::int8 as n, $3::text[] as a, cardinality($3::text[]) as c, $4::text as nothing, $5::boolean as b',
  );
  const tricky = ['a', 'b,c', '{d}', 'say "hi"', 'back\\slash', 'NULL', '', "it's", 'ünï'];

  it('binds every value as text and returns every column as the server spells it', async () => {
    const rows = await queryTextRows({ pool }, echo.name, echo.text, texts(["'; drop table x; --", 9007199254740993n, tricky, null, false]));
    expect(rows).toEqual([
      [
        "'; drop table x; --",
        '9007199254740993',
        '{a,"b,c","{d}","say \\"hi\\"","back\\\\slash","NULL","",it\'s,ünï}',
        String(tricky.length),
        null,
        'f',
      ],
    ]);
    // The array arrives element for element: pg's own parser reads the literal back to the input.
    const { rows: parsed } = await pool.query<{ a: string[] }>({ text: 'select $1::text[] as a', values: [rows[0]?.[2]] });
    expect(parsed[0]?.a).toEqual(tricky);
  });

  it('rejects with the server error and keeps the connection, which the pool gets back', async () => {
    const pid = preparedStatement('select pg_backend_pid()::text');
    const failing = preparedStatement('select 1 / $1::int as q');
    const [[before]] = (await queryTextRows({ pool }, pid.name, pid.text, texts([]))) as [[string]];
    // Four times the pool's size: a connection kept after an error would hang the later calls.
    for (let i = 0; i < 8; i += 1) {
      await expect(queryTextRows({ pool }, failing.name, failing.text, texts([0]))).rejects.toMatchObject({ code: '22012', message: 'division by zero' });
    }
    for (let i = 0; i < 8; i += 1) expect(await queryTextRows({ pool }, failing.name, failing.text, texts([1]))).toEqual([['1']]);
    // The same backend served before and after: a server error does not cost the connection.
    expect(await queryTextRows({ pool }, pid.name, pid.text, texts([]))).toEqual([[before]]);
    expect(pool.idleCount).toBe(pool.totalCount);
  });

  it('rejects when the connection breaks mid-query, and the pool drops that connection', async () => {
    const sleeper = preparedStatement("select pg_sleep(30), 'text rows sleeper'");
    const sleeping = queryTextRows({ pool }, sleeper.name, sleeper.text, texts([]));
    const outcome = sleeping.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    let terminated = false;
    for (let i = 0; i < 100 && !terminated; i += 1) {
      const { rows } = await pool.query<{ done: boolean }>(
        "select pg_terminate_backend(pid) as done from pg_stat_activity where query like '%text rows sleeper%' and pid <> pg_backend_pid()",
      );
      terminated = rows[0]?.done === true;
      if (!terminated) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(terminated).toBe(true);
    expect(await outcome).toMatchObject({ message: expect.stringMatching(/terminat/) as unknown });
    expect(pool.idleCount).toBe(pool.totalCount);
    expect(pool.totalCount).toBeLessThanOrEqual(1);
    expect(await queryTextRows({ pool }, 'eventfold_text_rows_after', 'select 1', texts([]))).toEqual([['1']]);
  });

  it('parses a statement once per connection, shares it with pg queries of the same name, and recovers from one that does not parse', async () => {
    const client = new pg.Client({ connectionString: fixture.database.connectionString });
    await client.connect();
    try {
      const statement = preparedStatement('select $1::int + 1 as n');
      for (let i = 0; i < 3; i += 1) expect(await queryTextRows({ client }, statement.name, statement.text, texts([i]))).toEqual([[String(i + 1)]]);
      const { rows } = await client.query<{ n: string }>({ text: 'select count(*)::text as n from pg_prepared_statements where name = $1', values: [statement.name] });
      expect(rows[0]?.n).toBe('1');
      // pg's own Query finds the statement parsed and only binds it.
      expect((await client.query({ name: statement.name, text: statement.text, values: [41] })).rows).toEqual([{ n: 42 }]);

      const broken = preparedStatement('selec $1::int');
      await expect(queryTextRows({ client }, broken.name, broken.text, texts([1]))).rejects.toMatchObject({ code: '42601' });
      await expect(queryTextRows({ client }, broken.name, broken.text, texts([1]))).rejects.toMatchObject({ code: '42601' });
      expect(await queryTextRows({ client }, statement.name, statement.text, texts([9]))).toEqual([['10']]);
    } finally {
      await client.end();
    }
  });

  it('runs inside a Drizzle transaction, on its connection', async () => {
    const table = `text_rows_${randomUUID().replaceAll('-', '')}`;
    await pool.query(`create table ${table} (v text)`);
    const insert = preparedStatement(`insert into ${table} (v) values ($1) returning v, pg_current_xact_id()::text as xid`);
    await expect(
      db.transaction(async (tx) => {
        const [row] = await sqlClientOf(tx).queryText(insert, ['inside']);
        const { rows } = await pool.query(`select count(*)::int as n from ${table}`);
        expect(row?.[0]).toBe('inside');
        expect(rows).toEqual([{ n: 0 }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await pool.query(`select count(*)::int as n from ${table}`)).rows).toEqual([{ n: 0 }]);
  });

  it('leaves a pool in pipeline mode to pg\'s own queries: the store still appends', async () => {
    const pipelined = new pg.Pool({ connectionString: fixture.database.connectionString, max: 2, pipeline: true });
    const store = createPostgresEventStore({ db: drizzle(pipelined) });
    try {
      const streamId = `text-rows-${randomUUID()}`;
      const result = await store.append(streamId, [{ type: 'Opened', data: { n: 1 } }], { expectedVersion: 'no_stream' });
      expect(result.nextExpectedVersion).toBe(1);
      const read = [];
      for await (const event of store.readStream(streamId)) read.push(event.data);
      expect(read).toEqual([{ n: 1 }]);
    } finally {
      await store.close();
      await pipelined.end();
    }
  });
});
