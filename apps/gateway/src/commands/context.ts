import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';
import type { ProgressOutput } from '../progress-bar';

/** Where a command writes for people (logs go to the logger, as JSON). */
export interface CommandOutput extends ProgressOutput {
  write(text: string): unknown;
}

export interface CommandContext {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  /** Results (tables, JSON). */
  readonly stdout: CommandOutput;
  /** Messages, progress bars, the URL `serve` prints. */
  readonly stderr: CommandOutput;
  /** Aborted on SIGINT/SIGTERM: long-running commands (serve, relay) stop gracefully. */
  readonly signal: AbortSignal;
}

/** Resolves when `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
