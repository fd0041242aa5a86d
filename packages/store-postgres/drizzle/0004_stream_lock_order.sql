-- Custom migration (drizzle-kit generate --custom): append_events takes its stream locks in one order.
--
-- Before, a batch took two kinds of stream locks in item order: it inserted its new streams' rows,
-- and it then locked (FOR UPDATE) the streams that another transaction had created in the meantime.
-- Two concurrent batches naming the same new streams in different orders (coalesced appends with
-- expected version "any" racing to create the same streams) could each hold a row the other waited
-- for. PostgreSQL found the deadlock after deadlock_timeout (1 s by default) and aborted one batch,
-- whose appends the store then retried one by one. Measured with 8 concurrent batches of the same 4
-- new streams in shuffled orders, 20 rounds: 33 deadlocks in 160 batches before, none after; with
-- only the insert sorted, 25 (the re-locking loop is where the cycles formed).
--
-- Now both go in id order (COLLATE "C": the order of the lock query on existing streams and of the
-- create statements). Everything else is as in 0002_append_json_arrays.sql.
CREATE OR REPLACE FUNCTION "eventfold".append_events(
  p_stream_ids text[],
  p_stream_types text[],
  p_expected bigint[],
  p_counts integer[],
  p_event_ids text[],
  p_types text[],
  p_data jsonb,
  p_metadata jsonb,
  p_channel text,
  p_check_ids boolean
) RETURNS TABLE (item integer, status smallint, stream_version integer, stream_type text, positions bigint[], occurred_at timestamptz)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
  n integer := coalesce(cardinality(p_stream_ids), 0);
  v_now timestamptz := date_trunc('milliseconds', now());
  v_ids uuid[] := p_event_ids::uuid[];
  v_found_ids text[];
  v_found_versions integer[];
  v_found_types text[];
  v_found_last xid8[];
  v_last xid8;
  v_me xid8;
  v_used uuid[];
  v_created text[];
  v_cur integer[];
  v_type text[] := p_stream_types;
  v_status smallint[];
  v_exists boolean[];
  v_off integer[];
  v_version integer;
  v_stype text;
  v_updates integer := 0;
  v_writes integer := 0;
  i integer;
  k integer;
  o integer := 0;
BEGIN
  IF n = 0 THEN
    RETURN;
  END IF;
  v_cur := array_fill(0, ARRAY[n]);
  v_status := array_fill(0::smallint, ARRAY[n]);
  v_exists := array_fill(false, ARRAY[n]);
  v_off := array_fill(0, ARRAY[n]);

  -- Lock the existing streams, in id order in every call, so concurrent batches cannot deadlock.
  SELECT array_agg(s.id), array_agg(s.version), array_agg(s.type), array_agg(s.last_transaction_id)
    INTO v_found_ids, v_found_versions, v_found_types, v_found_last
    FROM (SELECT st.id, st.version, st.type, st.last_transaction_id FROM "eventfold".streams st
          WHERE st.id = ANY (p_stream_ids) ORDER BY st.id FOR UPDATE) s;

  -- The feed is ordered by (transaction id, position). A transaction that got its id before the
  -- stream's last writer did would sort its events before that writer's: refuse the item (status 3)
  -- so it is retried in a new, younger transaction.
  v_me := pg_current_xact_id();

  -- Event ids already recorded (read after the locks: a concurrent append to a locked stream is seen).
  IF p_check_ids THEN
    SELECT array_agg(e.event_id) INTO v_used FROM "eventfold".events e WHERE e.event_id = ANY (v_ids);
  END IF;

  FOR i IN 1 .. n LOOP
    v_off[i] := o;
    k := coalesce(array_position(v_found_ids, p_stream_ids[i]), 0);
    IF k > 0 THEN
      v_cur[i] := v_found_versions[k];
      v_type[i] := v_found_types[k];
      v_exists[i] := true;
    END IF;
    IF k > 0 AND v_found_last[k] > v_me THEN
      v_status[i] := 3;
    ELSIF v_used IS NOT NULL AND v_ids[o + 1 : o + p_counts[i]] && v_used THEN
      v_status[i] := 1;
    ELSIF NOT (p_expected[i] = -1 OR (p_expected[i] = -2 AND v_cur[i] = 0)
             OR (p_expected[i] = -3 AND v_cur[i] > 0) OR v_cur[i] = p_expected[i]) THEN
      v_status[i] := 2;
    ELSIF v_exists[i] THEN
      v_updates := v_updates + 1;
    END IF;
    o := o + p_counts[i];
  END LOOP;

  -- New streams, in id order (as the lock query above and the create statements), so that two
  -- batches inserting the same new streams wait for each other in one direction only.
  -- ON CONFLICT: another transaction created the stream after the lock query above (we waited for
  -- it to commit); those items are decided again below with the row locked.
  WITH created AS (
    INSERT INTO "eventfold".streams AS st (id, type, version, created_at, updated_at, last_transaction_id)
    SELECT p_stream_ids[g.i], v_type[g.i], p_counts[g.i], v_now, v_now, v_me
      FROM generate_series(1, n) AS g(i)
     WHERE v_status[g.i] = 0 AND NOT v_exists[g.i]
     ORDER BY p_stream_ids[g.i] COLLATE "C"
    ON CONFLICT (id) DO NOTHING
    RETURNING st.id
  )
  SELECT array_agg(created.id) INTO v_created FROM created;

  -- The streams created meanwhile are locked in id order too (in item order, concurrent batches
  -- deadlocked here).
  FOR i IN SELECT g.i FROM generate_series(1, n) AS g(i) ORDER BY p_stream_ids[g.i] COLLATE "C" LOOP
    IF v_status[i] = 0 AND NOT v_exists[i] AND NOT (p_stream_ids[i] = ANY (coalesce(v_created, '{}'))) THEN
      SELECT st.version, st.type, st.last_transaction_id INTO v_version, v_stype, v_last FROM "eventfold".streams st
       WHERE st.id = p_stream_ids[i] FOR UPDATE;
      v_cur[i] := v_version;
      v_type[i] := v_stype;
      v_exists[i] := true;
      IF v_last > v_me THEN
        v_status[i] := 3;
      ELSIF p_check_ids AND EXISTS (SELECT 1 FROM "eventfold".events e WHERE e.event_id = ANY (v_ids[v_off[i] + 1 : v_off[i] + p_counts[i]])) THEN
        v_status[i] := 1;
      ELSIF NOT (p_expected[i] = -1 OR (p_expected[i] = -2 AND v_cur[i] = 0)
             OR (p_expected[i] = -3 AND v_cur[i] > 0) OR v_cur[i] = p_expected[i]) THEN
        v_status[i] := 2;
      ELSE
        v_updates := v_updates + 1;
      END IF;
    END IF;
    IF v_status[i] = 0 THEN
      v_writes := v_writes + 1;
    END IF;
  END LOOP;

  IF v_updates > 0 THEN
    UPDATE "eventfold".streams AS st
       SET version = st.version + p_counts[g.i], updated_at = v_now, last_transaction_id = v_me
      FROM generate_series(1, n) AS g(i)
     WHERE v_status[g.i] = 0 AND v_exists[g.i] AND st.id = p_stream_ids[g.i];
  END IF;

  IF v_writes > 0 AND p_channel IS NOT NULL THEN
    PERFORM pg_notify(p_channel, '');
  END IF;

  -- Rows are inserted in (item, version) order, so positions grow with versions inside a stream.
  RETURN QUERY
  WITH inserted AS (
    INSERT INTO "eventfold".events (stream_id, stream_type, version, event_id, type, data, metadata, occurred_at)
    SELECT p_stream_ids[g.i], v_type[g.i], v_cur[g.i] + g.j, v_ids[v_off[g.i] + g.j], p_types[v_off[g.i] + g.j],
           p_data -> (v_off[g.i] + g.j - 1), p_metadata -> (v_off[g.i] + g.j - 1), v_now
      FROM (SELECT s.i, generate_series(1, p_counts[s.i]) AS j
              FROM generate_series(1, n) AS s(i) WHERE v_status[s.i] = 0) AS g
     ORDER BY g.i, g.j
    RETURNING events.stream_id, events.version, events.global_position
  ), per_stream AS (
    SELECT inserted.stream_id, array_agg(inserted.global_position ORDER BY inserted.version) AS positions
      FROM inserted GROUP BY inserted.stream_id
  )
  SELECT g.i, v_status[g.i],
         CASE WHEN v_status[g.i] = 0 THEN v_cur[g.i] + p_counts[g.i] ELSE v_cur[g.i] END,
         v_type[g.i], per_stream.positions, v_now
    FROM generate_series(1, n) AS g(i)
    LEFT JOIN per_stream ON per_stream.stream_id = p_stream_ids[g.i]
   ORDER BY g.i;
END;
$fn$;
