import { describe, expect, it } from 'vitest';
import { runCli } from './cli';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, env, (line) => out.push(line), (line) => err.push(line));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('eventfold-pg command line', () => {
  it('prints usage for --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('Usage: eventfold-pg migrate');
  });

  it('refuses an unknown command or option with usage and exit code 2', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['upgrade'])).err).toContain('expected the command "migrate", got "upgrade"');
    expect((await run(['migrate', '--bogus'])).code).toBe(2);
  });

  it('needs a database URL', async () => {
    const result = await run(['migrate']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--database-url');
  });

  it('refuses an unsafe schema name before connecting', async () => {
    const result = await run(['migrate', '--database-url', 'postgres://nobody@127.0.0.1:1/none', '--schema', 'x;drop']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('Invalid schema name');
  });

  it('reports a connection failure with exit code 1 and without the password', async () => {
    const result = await run(['migrate'], { DATABASE_URL: 'postgres://user:secret@127.0.0.1:1/none' });
    expect(result.code).toBe(1);
    expect(result.err).toContain('failed');
    expect(result.err).not.toContain('secret');
  });
});
