import { UnknownProjectionError } from '../errors';
import { createProgressBar } from '../progress-bar';
import { openRuntime, type GatewayRuntime } from '../runtime';
import type { CommandContext } from './context';

interface StatusRow {
  readonly name: string;
  readonly mode: 'inline' | 'async';
  readonly version: number;
  readonly state: string;
  readonly position: number | null;
  readonly lagEvents: number;
  readonly lagMs: number;
  readonly lastError: string | null;
}

async function collectStatus(runtime: GatewayRuntime): Promise<StatusRow[]> {
  const rows: StatusRow[] = runtime.projections.inline.map((projection) => ({
    name: projection.name,
    mode: 'inline',
    version: projection.version,
    // Inline projections commit with the append: they are never behind the log.
    state: 'in-transaction',
    position: null,
    lagEvents: 0,
    lagMs: 0,
    lastError: null,
  }));
  const projector = runtime.createProjector();
  for (const status of await projector.status()) {
    rows.push({
      name: status.name,
      mode: 'async',
      version: status.version,
      state: `${status.state}${status.versionState === 'live' ? '' : ` (${status.versionState})`}`,
      position: status.position.position,
      lagEvents: status.lag.events,
      lagMs: status.lag.ms,
      lastError: status.lastError?.message ?? null,
    });
  }
  return rows;
}

function table(rows: readonly StatusRow[]): string {
  const header = ['projection', 'mode', 'version', 'state', 'position', 'lag (events)', 'lag (ms)', 'last error'];
  const cells = rows.map((r) => [
    r.name,
    r.mode,
    `v${r.version}`,
    r.state,
    r.position === null ? '-' : String(r.position),
    String(r.lagEvents),
    String(r.lagMs),
    r.lastError ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** `gateway projections status [--json]`. */
export async function projectionsStatusCommand({ config, logger, stdout }: CommandContext, json: boolean): Promise<number> {
  const runtime = await openRuntime(config, { logger, migrate: true });
  try {
    const rows = await collectStatus(runtime);
    stdout.write(json ? `${JSON.stringify(rows, null, 2)}\n` : `${table(rows)}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}

/** `gateway projections rebuild <name>`: truncate and replay, with a progress bar on stderr. */
export async function projectionsRebuildCommand({ config, logger, stderr }: CommandContext, name: string): Promise<number> {
  const runtime = await openRuntime(config, { logger, migrate: true });
  try {
    const projection = runtime.projections.all.find((p) => p.name === name);
    if (projection === undefined) throw new UnknownProjectionError(name, runtime.projections.names);
    if (runtime.projections.inline.some((p) => p.name === name)) {
      stderr.write(
        `note: "${name}" is an inline projection. Writes made while it rebuilds are kept (its handlers are idempotent), ` +
          'but reads may miss rows and the double-booking guard (room_nights) is incomplete until it finishes: ' +
          'stop the gateway first.\n',
      );
    }
    const bar = createProgressBar({ label: `rebuild ${name}`, output: stderr });
    const projector = runtime.createProjector({ projections: [projection] });
    try {
      const final = await projector.rebuild(name, { onProgress: (progress) => bar.update(progress.done, progress.total) });
      bar.update(final.done, final.total);
      bar.finish();
      stderr.write(`rebuilt ${name} v${final.version}: ${final.done} positions in ${(final.elapsedMs / 1000).toFixed(1)} s\n`);
    } finally {
      await projector.stop();
    }
    return 0;
  } finally {
    await runtime.close();
  }
}
