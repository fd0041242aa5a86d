/** Label values of one sample, e.g. `{ kind: 'room' }`. */
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  /** Current value for these labels (for tests and logs). */
  get(labels?: Labels): number;
}

/**
 * A tiny Prometheus registry: counters the app increments, and gauges collected on each scrape
 * (projection and relay lag come from their owners when /metrics is read).
 */
export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  /**
   * A metric read from its owner on each scrape. `type` is `gauge` by default; use `counter` for
   * totals another component keeps (the relay's published count).
   */
  gauge(
    name: string,
    help: string,
    collect: () => Promise<readonly Sample[]> | readonly Sample[],
    type?: 'gauge' | 'counter',
  ): void;
  /** The Prometheus text exposition format (version 0.0.4). */
  render(): Promise<string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelKey(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const keys = Object.keys(labels).sort();
  for (const key of keys) if (!LABEL_NAME.test(key)) throw new Error(`Invalid metric label name "${key}".`);
  return keys.map((key) => `${key}="${escapeLabelValue(labels[key] ?? '')}"`).join(',');
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function line(name: string, key: string, value: number): string {
  return `${name}${key === '' ? '' : `{${key}}`} ${formatValue(value)}`;
}

export function createMetricsRegistry(): MetricsRegistry {
  const counters = new Map<string, { help: string; values: Map<string, number> }>();
  const gauges = new Map<
    string,
    { help: string; type: 'gauge' | 'counter'; collect: () => Promise<readonly Sample[]> | readonly Sample[] }
  >();

  const assertNew = (name: string) => {
    if (!METRIC_NAME.test(name)) throw new Error(`Invalid metric name "${name}".`);
    if (counters.has(name) || gauges.has(name)) throw new Error(`Metric "${name}" is registered twice.`);
  };

  return {
    counter(name, help) {
      assertNew(name);
      const values = new Map<string, number>();
      counters.set(name, { help, values });
      return {
        inc(labels, by = 1) {
          const key = labelKey(labels);
          values.set(key, (values.get(key) ?? 0) + by);
        },
        get(labels) {
          return values.get(labelKey(labels)) ?? 0;
        },
      };
    },
    gauge(name, help, collect, type = 'gauge') {
      assertNew(name);
      gauges.set(name, { help, type, collect });
    },
    async render() {
      const out: string[] = [];
      for (const [name, { help, values }] of counters) {
        out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
        if (values.size === 0) out.push(line(name, '', 0));
        for (const [key, value] of values) out.push(line(name, key, value));
      }
      for (const [name, { help, type, collect }] of gauges) {
        let samples: readonly Sample[];
        try {
          samples = await collect();
        } catch {
          // A failing collector must not break the scrape; the gauge is simply absent this time.
          continue;
        }
        out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const sample of samples) out.push(line(name, labelKey(sample.labels), sample.value));
      }
      return `${out.join('\n')}\n`;
    },
  };
}

/** The counters the gateway's write path increments. */
export interface GatewayCounters {
  /** Successful appends (one per command that wrote events). */
  readonly appends: Counter;
  /** Events appended. */
  readonly eventsAppended: Counter;
  /** Refused writes: `kind` = concurrency (stream moved), precondition (If-Match), room (double booking). */
  readonly conflicts: Counter;
  /** Idempotent replays of POST /reservations. */
  readonly idempotentReplays: Counter;
  /** HTTP responses by status class. */
  readonly httpResponses: Counter;
}

export function registerGatewayCounters(registry: MetricsRegistry): GatewayCounters {
  return {
    appends: registry.counter('eventfold_gateway_appends_total', 'Commands that appended events to the log.'),
    eventsAppended: registry.counter('eventfold_gateway_events_appended_total', 'Events appended to the log.'),
    conflicts: registry.counter(
      'eventfold_gateway_conflicts_total',
      'Writes refused by a conflict, by kind (concurrency, precondition, room).',
    ),
    idempotentReplays: registry.counter(
      'eventfold_gateway_idempotent_replays_total',
      'POST /reservations answered from a stored Idempotency-Key outcome.',
    ),
    httpResponses: registry.counter('eventfold_gateway_http_responses_total', 'HTTP responses by method and status code.'),
  };
}
