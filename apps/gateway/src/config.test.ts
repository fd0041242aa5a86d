import { describe, expect, it } from 'vitest';
import { isConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('has defaults that need nothing installed: embedded PGlite in ./.data, relay off, 127.0.0.1:3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      dataDir: './.data',
      amqpUrl: undefined,
      host: '127.0.0.1',
      port: 3000,
      eventStoreSchema: 'eventfold',
      relayExchange: 'domain_events',
    });
  });

  it('reads the variables it knows and treats empty ones as unset', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/app',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
      PORT: '0',
      HOST: '0.0.0.0',
      DATA_DIR: ' ',
      RELAY_IN_SERVE: 'false',
    });
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/app');
    expect(config.amqpUrl).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(config.port).toBe(0);
    expect(config.host).toBe('0.0.0.0');
    expect(config.dataDir).toBe('./.data');
    expect(config.relayInServe).toBe(false);
  });

  it('coalesces appends, spaces NOTIFYs 25 ms apart and gives the projector a 100 ms batch window by default', () => {
    expect(loadConfig({})).toMatchObject({ coalesceAppends: true, notifyIntervalMs: 25, projectorBatchWindowMs: 100 });
    expect(loadConfig({ COALESCE_APPENDS: 'false', NOTIFY_INTERVAL_MS: '3', PROJECTOR_BATCH_WINDOW_MS: '0' })).toMatchObject({
      coalesceAppends: false,
      notifyIntervalMs: 3,
      projectorBatchWindowMs: 0,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://root@db/app'],
    ['AMQP_URL', 'http://rabbit'],
    ['LOG_LEVEL', 'loud'],
    ['EVENT_STORE_SCHEMA', 'Robert"; drop table x'],
    ['DB_POOL_SIZE', '0'],
    ['RELAY_IN_SERVE', 'maybe'],
    ['COALESCE_APPENDS', 'sometimes'],
    ['NOTIFY_INTERVAL_MS', '-1'],
    ['PROJECTOR_BATCH_WINDOW_MS', '60001'],
  ])('refuses %s=%j with an error naming the variable', (variable, value) => {
    let caught: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      caught = error;
    }
    expect(isConfigError(caught)).toBe(true);
    if (!isConfigError(caught)) return;
    expect(caught.variable).toBe(variable);
    expect(caught.message).toContain(variable);
  });

  it('refuses several workers on embedded PGlite, which allows one process', () => {
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(/WORKERS=2 needs DATABASE_URL/);
    expect(loadConfig({ WORKERS: '2', DATABASE_URL: 'postgres://postgres@127.0.0.1/app' }).workers).toBe(2);
  });

  it('lists every bad variable, and never echoes a connection string (it may hold a password)', () => {
    let message = '';
    try {
      loadConfig({ PORT: '-1', DATABASE_URL: 'mysql://user:s3cret@db/app' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('s3cret');
  });
});
