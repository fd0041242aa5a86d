import type { ProjectionTransaction } from './database';
import { physicalTable, physicalTableName, type Projection, type ProjectionContext } from './define-projection';
import { NoTransactionError } from './errors';

/** The `ctx` handlers, `setup` and `reset` get for one version of a projection. */
export function createProjectionContext(
  projection: Projection,
  options: { readonly mode: 'inline' | 'async'; readonly tx: ProjectionTransaction | undefined },
): ProjectionContext {
  const { version } = projection;
  const { tx } = options;
  return {
    projection: projection.name,
    version,
    mode: options.mode,
    schema: projection.schema,
    get tx(): ProjectionTransaction {
      if (tx === undefined) throw new NoTransactionError(projection.name);
      return tx;
    },
    table: (logicalName) => physicalTable(projection, logicalName, version),
    tableName: (logicalName) => physicalTableName(projection, logicalName, version),
  };
}
