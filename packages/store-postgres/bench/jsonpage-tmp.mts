import pg from 'pg';
const url = 'postgres://postgres@127.0.0.1:5432/w1c';
const c = new pg.Client({ connectionString: url }); await c.connect();
const sid = 'w3-stream-jp';
const { rows: ex } = await c.query('select count(*)::int n from eventfold.events where stream_id = $1', [sid]);
if (ex[0].n === 0) {
  await c.query(`insert into eventfold.streams (id, type, version) values ($1, 'w3', 1000)`, [sid]);
  await c.query(`insert into eventfold.events (stream_id, stream_type, version, event_id, type, data, metadata)
    select $1, 'w3', v, gen_random_uuid(), 'ReservationCreated', '{"reservationId":"7d1c1c44-5a43-4c55-9d6c-1b7f3f7b2a10","guestId":"1f0b6b1e-43c8-4b7e-9f44-2b8e5a1d9c01","guestName":"Ada Lovelace","startDate":"2026-12-01T00:00:00.000Z","nights":3}', '{"correlationId":"c0ffee00-0000-4000-8000-000000000001"}' from generate_series(1,1000) v`, [sid]);
}
const cols = `e.event_id as id, e.stream_id, e.stream_type, e.version, e.global_position, e.type, e.data, e.metadata, round(date_part('epoch', e.occurred_at) * 1000) as occurred_ms`;
const A = { name: 'jpA', text: `select ${cols} from eventfold.events e where e.stream_id = $1 and e.version >= $2 and e.version <= $3 order by e.version limit $4` };
const B = { name: 'jpB', text: `select coalesce(json_agg(json_build_array(e.event_id, e.stream_type, e.version, e.global_position, e.type, e.data, e.metadata, round(date_part('epoch', e.occurred_at) * 1000)) order by e.version), '[]') as page
  from (select * from eventfold.events e where e.stream_id = $1 and e.version >= $2 and e.version <= $3 order by e.version limit $4) e` };
const C = { name: 'jpC', text: A.text, rowMode: 'array' as const };
const toEvA = (r: any) => ({ id: r.id, streamId: r.stream_id, streamType: r.stream_type, version: r.version, globalPosition: Number(r.global_position), type: r.type, data: r.data, metadata: r.metadata, occurredAt: new Date(r.occurred_ms) });
const toEvC = (r: any[]) => ({ id: r[0], streamId: r[1], streamType: r[2], version: r[3], globalPosition: Number(r[4]), type: r[5], data: r[6], metadata: r[7], occurredAt: new Date(r[8]) });
const toEvB = (r: any[]) => ({ id: r[0], streamId: sid, streamType: r[1], version: r[2], globalPosition: r[3], type: r[4], data: r[5], metadata: r[6], occurredAt: new Date(r[7]) });
const runs: Record<string, () => Promise<unknown[]>> = {
  A: async () => (await c.query({ ...A, values: [sid, 1, 1000000, 1001] })).rows.map(toEvA),
  C: async () => (await c.query({ ...C, values: [sid, 1, 1000000, 1001] })).rows.map(toEvC),
  B: async () => ((await c.query({ ...B, values: [sid, 1, 1000000, 1001] })).rows[0].page as any[][]).map(toEvB),
};
for (const round of [1, 2]) for (const k of ['A', 'C', 'B']) {
  for (let i = 0; i < 20; i++) await runs[k]!();
  const t: number[] = [];
  let n = 0;
  for (let i = 0; i < 150; i++) { const t0 = performance.now(); n = (await runs[k]!()).length; t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  console.log(round, k, n, 'p50', t[75]!.toFixed(2), 'ms');
}
await c.end();
