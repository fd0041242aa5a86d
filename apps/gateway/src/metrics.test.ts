import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './metrics';

describe('metrics registry', () => {
  it('renders counters and collected gauges in the Prometheus text format', async () => {
    const registry = createMetricsRegistry();
    const conflicts = registry.counter('app_conflicts_total', 'Conflicts.');
    conflicts.inc({ kind: 'room' });
    conflicts.inc({ kind: 'room' });
    conflicts.inc({ kind: 'precondition' }, 3);
    registry.gauge('app_lag_events', 'Lag.', () => [{ labels: { projection: 'room_occupancy' }, value: 7 }]);
    const text = await registry.render();
    expect(text).toContain('# TYPE app_conflicts_total counter');
    expect(text).toContain('app_conflicts_total{kind="room"} 2');
    expect(text).toContain('app_conflicts_total{kind="precondition"} 3');
    expect(text).toContain('# TYPE app_lag_events gauge');
    expect(text).toContain('app_lag_events{projection="room_occupancy"} 7');
    expect(text.endsWith('\n')).toBe(true);
    expect(conflicts.get({ kind: 'room' })).toBe(2);
  });

  it('shows an untouched counter as 0 and escapes label values', async () => {
    const registry = createMetricsRegistry();
    registry.counter('app_total', 'All.');
    registry.counter('app_labelled_total', 'Labelled.').inc({ path: 'a"b\\c\nd' });
    const text = await registry.render();
    expect(text).toContain('app_total 0');
    expect(text).toContain('app_labelled_total{path="a\\"b\\\\c\\nd"} 1');
  });

  it('leaves out a gauge whose collector fails instead of failing the scrape', async () => {
    const registry = createMetricsRegistry();
    registry.gauge('app_broken', 'Broken.', () => {
      throw new Error('down');
    });
    registry.gauge('app_ok', 'Ok.', async () => [{ value: 1 }]);
    const text = await registry.render();
    expect(text).not.toContain('app_broken');
    expect(text).toContain('app_ok 1');
  });

  it('refuses invalid or duplicate names', () => {
    const registry = createMetricsRegistry();
    expect(() => registry.counter('bad name', 'x')).toThrow(/Invalid metric name/);
    registry.counter('dup', 'x');
    expect(() => registry.gauge('dup', 'x', () => [])).toThrow(/twice/);
  });
});
