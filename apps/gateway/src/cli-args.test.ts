import { describe, expect, it } from 'vitest';
import { isUsageError, parseCommandLine } from './cli-args';

describe('parseCommandLine', () => {
  it.each([
    [['serve'], { name: 'serve' }],
    [['migrate'], { name: 'migrate' }],
    [['relay'], { name: 'relay' }],
    [['projections', 'status'], { name: 'projections-status', json: false }],
    [['projections', 'status', '--json'], { name: 'projections-status', json: true }],
    [['projections', 'rebuild', 'room_occupancy'], { name: 'projections-rebuild', projection: 'room_occupancy' }],
    [['seed', '--reservations', '100'], { name: 'seed', reservations: 100, rooms: 50 }],
    [['seed', '--reservations=5', '--rooms', '3'], { name: 'seed', reservations: 5, rooms: 3 }],
    [[], { name: 'help' }],
    [['--help'], { name: 'help' }],
  ])('%j', (argv, expected) => {
    expect(parseCommandLine(argv)).toEqual(expected);
  });

  it.each([
    [['launch'], /Unknown command "launch"/],
    [['serve', 'now'], /takes no arguments/],
    [['serve', '--json'], /does not take --json/],
    [['projections'], /needs "status" or "rebuild/],
    [['projections', 'rebuild'], /exactly one projection name/],
    [['projections', 'rebuild', 'a', 'b'], /exactly one projection name/],
    [['projections', 'rebuild', 'a', '--json'], /does not take --json/],
    [['seed'], /--reservations needs a whole number/],
    [['seed', '--reservations', '-3'], /--reservations|argument/],
    [['seed', '--reservations', '1e3'], /--reservations needs a whole number/],
    [['serve', '--port', '1'], /Unknown option/],
  ])('refuses %j', (argv, message) => {
    let caught: unknown;
    try {
      parseCommandLine(argv);
    } catch (error) {
      caught = error;
    }
    expect(isUsageError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});
