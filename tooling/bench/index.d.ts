export declare function rawLimitScript(): string;
export declare function measureRawLimit(options?: {
  concurrency?: number[];
  seconds?: number;
  databaseUrl?: string;
}): Record<string, number>;
export declare function report(
  result: Record<string, unknown> & { eventsPerSec?: number },
  raw?: { key: string; eventsPerSec: number },
): Record<string, unknown>;
export declare function percentile(values: readonly number[], p: number): number;
export declare function rssMb(): number;
