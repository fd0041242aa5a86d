import { describe, expect, it } from 'vitest';
import { createProgressBar, formatDuration, formatProgress } from './progress-bar';

function recorder(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, output: { isTTY, columns: 100, write: (text: string) => writes.push(text) } };
}

describe('progress bar', () => {
  it('formats durations', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(Number.NaN)).toBe('--');
  });

  it('shows percentage, count, rate and an ETA from the remaining events at the current rate', () => {
    const line = formatProgress('rebuild', { done: 250, total: 1000 }, 50, 100, true);
    expect(line).toContain(' 25.0%');
    expect(line).toContain('250/1,000 events');
    expect(line).toContain('50/s');
    expect(line).toContain('ETA 15s'); // 750 left at 50/s
    expect(line).toMatch(/\[#+-+\]/);
  });

  it('shows count and rate when the total is unknown', () => {
    expect(formatProgress('seed', { done: 12, total: undefined }, 3, 80, false)).toBe('seed 12 events  3/s');
  });

  it('redraws in place on a TTY, throttled, and ends the line on finish', () => {
    let clock = 0;
    const { writes, output } = recorder(true);
    const bar = createProgressBar({ label: 'x', output, intervalMs: 100, now: () => clock });
    bar.update(1, 10); // first update draws
    clock = 50;
    bar.update(2, 10); // throttled
    clock = 1000;
    bar.update(5, 10);
    bar.finish();
    expect(writes.filter((w) => w.startsWith('\r'))).toHaveLength(3);
    expect(writes.at(-1)).toBe('\n');
    expect(writes[2]).toContain('5/10 events');
    expect(writes[2]).toContain('5/s'); // 5 events in 1 s
  });

  it('prints plain lines without escape codes when not a TTY', () => {
    const { writes, output } = recorder(false);
    const bar = createProgressBar({ label: 'x', output, now: () => 0 });
    bar.update(3, 3);
    bar.finish();
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r') && !w.includes('\x1b'))).toBe(true);
  });
});
