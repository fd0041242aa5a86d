import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` writes drizzle/NNNN_*.sql from src/schema.ts, for the schema
// "eventfold". migrate() substitutes the configured (validated, quoted) schema name at run time.
// Functions live in custom migrations: `npx drizzle-kit generate --custom --name=<what>`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './drizzle',
  schemaFilter: ['eventfold'],
});
