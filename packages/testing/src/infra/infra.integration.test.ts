import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, findPostgresServer, findRabbitMq, uniqueName } from './index';

describe('test infrastructure', () => {
  const disposals: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const dispose of disposals.splice(0)) await dispose();
  });

  it('gives each caller its own empty database, and drops it on dispose', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    disposals.push(() => a.dispose(), () => b.dispose());
    if (a.kind === 'pglite' || b.kind === 'pglite') {
      expect(await findPostgresServer()).toBeUndefined();
      return;
    }
    expect(a.connectionString).not.toBe(b.connectionString);
    const client = new pg.Client({ connectionString: a.connectionString });
    await client.connect();
    await client.query('create table marker (id int)');
    await client.end();
    const other = new pg.Client({ connectionString: b.connectionString });
    await other.connect();
    const { rows } = await other.query<{ n: string }>("select count(*) as n from pg_tables where tablename = 'marker'");
    await other.end();
    expect(rows[0]?.n).toBe('0');
  });

  it('resolves RabbitMQ from AMQP_URL when it is set', async () => {
    const url = await findRabbitMq({ purpose: 'the infra self-test' });
    if (process.env['AMQP_URL']) expect(url).toBe(process.env['AMQP_URL']);
    else expect(url).toBeUndefined();
  });

  it('makes unique names', () => {
    expect(uniqueName('q')).toMatch(/^q_[0-9a-f]{12}$/);
    expect(uniqueName('q')).not.toBe(uniqueName('q'));
  });
});
