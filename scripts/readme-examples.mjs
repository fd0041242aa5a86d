#!/usr/bin/env node
// `pnpm test:readme`: runs every README example marked runnable, as a user would paste it into a
// file and run it, so an example that stops working fails CI instead of misleading readers.
//
// Marking: the line right before a ```ts fence is `<!-- readme-example: run -->`, or
// `<!-- readme-example: run, needs DATABASE_URL AMQP_URL -->` with the variables it reads.
// - Imports resolve from tooling/readme-examples (every @eventfold package from source, plus pg,
//   drizzle-orm, PGlite, zod, amqplib).
// - Each example runs in a temporary folder of its own, so files it writes (a PGlite folder) stay
//   there; one that needs DATABASE_URL gets a database of its own, dropped afterwards.
// - An example that needs a variable that is not set is skipped with a line saying why; under
//   CI=true it fails instead. One that exits non-zero or runs over 60 s fails.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const toolingDir = join(root, 'tooling', 'readme-examples');
const runDir = join(toolingDir, '.run');
const requireFromTooling = createRequire(join(toolingDir, 'package.json'));
const tsxLoader = pathToFileURL(requireFromTooling.resolve('tsx')).href;
const pg = requireFromTooling('pg');
const TIMEOUT_MS = 60_000;
const MARKER = /^<!-- readme-example: run(?:, needs ([A-Z_ ]+))? -->\n```ts\n([\s\S]*?)^```/gm;

/** Every marked example: { readme, index, needs, code }. */
function findExamples() {
  const readmes = ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(root, group))
      .map((dir) => join(root, group, dir, 'README.md'))
      .filter((path) => existsSync(path)),
  );
  return readmes.flatMap((readme) =>
    [...readFileSync(readme, 'utf8').matchAll(MARKER)].map((match, index) => ({
      readme: relative(root, readme),
      index: index + 1,
      needs: (match[1] ?? '').split(' ').filter(Boolean),
      code: match[2],
    })),
  );
}

async function withDatabase(serverUrl, fn) {
  const name = `readme_example_${randomBytes(4).toString('hex')}`;
  const admin = async (statement) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin(`drop database if exists ${name} with (force)`);
  }
}

function runFile(file, env) {
  const cwd = mkdtempSync(join(tmpdir(), 'eventfold-readme-'));
  try {
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--conditions=@eventfold/source', '--import', tsxLoader, file], {
      cwd,
      env,
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
    });
    return { ...result, seconds: ((Date.now() - started) / 1000).toFixed(1) };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

const examples = findExamples();
if (examples.length === 0) {
  console.error('readme-examples: no example is marked <!-- readme-example: run -->; nothing was checked');
  process.exit(1);
}
rmSync(runDir, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });
const ci = process.env.CI === 'true';
let failed = 0;
let skipped = 0;
for (const example of examples) {
  const label = `${example.readme} example ${example.index}`;
  const missing = example.needs.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    if (ci) {
      failed += 1;
      console.log(`FAIL ${label}: needs ${missing.join(', ')}, which CI must set`);
    } else {
      skipped += 1;
      console.log(`skip ${label}: needs ${missing.join(', ')} (set it to run this example)`);
    }
    continue;
  }
  const file = join(runDir, `${example.readme.replaceAll('/', '-').replace(/\.md$/, '')}-${example.index}.ts`);
  writeFileSync(file, example.code);
  const run = (env) => runFile(file, env);
  const result = example.needs.includes('DATABASE_URL')
    ? await withDatabase(process.env.DATABASE_URL, (url) => run({ ...process.env, DATABASE_URL: url }))
    : run(process.env);
  if (result.status === 0) {
    console.log(`ok   ${label} (${result.seconds} s)`);
    continue;
  }
  failed += 1;
  const why = result.error?.code === 'ETIMEDOUT' ? `still running after ${TIMEOUT_MS / 1000} s` : `exit ${result.status ?? result.signal}`;
  console.log(`FAIL ${label}: ${why}\n${`${result.stdout}${result.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
}
rmSync(runDir, { recursive: true, force: true });
console.log(`readme-examples: ${examples.length - failed - skipped} ran, ${skipped} skipped, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
