#!/usr/bin/env node
// Proves "install a single package" works, the way a user does it: pack every publishable package
// with `pnpm pack`, install each tarball (plus the @eventfold tarballs it depends on, and its peer
// dependencies from the registry) into a fresh npm project outside the workspace, import every
// public entry point from an ESM script, and type-check a small consumer file with tsc.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const packagesDir = join(root, 'packages');
const work = mkdtempSync(join(tmpdir(), 'eventfold-pack-'));
const tarballs = join(work, 'tarballs');
const typescriptVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.typescript;

/** @param {string} cmd @param {string[]} args @param {string} cwd */
function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
}

const manifests = readdirSync(packagesDir)
  .map((dir) => ({ dir: join(packagesDir, dir), pkg: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);
const byName = new Map(manifests.map((m) => [m.pkg.name, m]));

console.log(`test:pack: building ${manifests.length} packages`);
run('pnpm', ['turbo', 'run', 'build', ...manifests.flatMap((m) => ['--filter', m.pkg.name])], root);

const tarballOf = new Map();
for (const { dir, pkg } of manifests) {
  const out = run('pnpm', ['pack', '--pack-destination', tarballs], dir).trim().split('\n').pop();
  tarballOf.set(pkg.name, out.startsWith('/') ? out : join(tarballs, out));
}

/** The @eventfold packages `name` needs at run time, itself included. */
function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  for (const dep of Object.keys(byName.get(name).pkg.dependencies ?? {})) {
    if (byName.has(dep)) closure(dep, seen);
  }
  return seen;
}

const failures = [];
for (const { pkg } of manifests) {
  const project = join(work, pkg.name.replace('@eventfold/', ''));
  const started = Date.now();
  try {
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
    const locals = [...closure(pkg.name)].map((name) => tarballOf.get(name));
    const peers = Object.entries(pkg.peerDependencies ?? {})
      // Required peers only, as a user would install them; optional peers (a second driver,
      // Testcontainers) must not be needed to import the package.
      .filter(([name]) => !byName.has(name) && pkg.peerDependenciesMeta?.[name]?.optional !== true)
      .map(([name, range]) => `${name}@${range}`);
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...locals, ...peers, `typescript@${typescriptVersion}`, '@types/node@20'], project);

    const entries = Object.keys(pkg.exports).filter((key) => key !== './package.json').map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`));
    const imports = entries.map((entry, i) => `import * as m${i} from '${entry}';`).join('\n');
    const checks = entries
      .map((entry, i) => `if (Object.keys(m${i}).length === 0) throw new Error('${entry} exports nothing');`)
      .join('\n');
    writeFileSync(join(project, 'check.mjs'), `${imports}\n${checks}\nconsole.log('ok');\n`);
    run('node', ['check.mjs'], project);

    // skipLibCheck keeps third-party declaration quirks (drizzle, PGlite) out of the verdict; the
    // NotAny check makes sure ours still resolve: an unresolved import in our .d.ts would turn
    // an export into `any` silently.
    const notAny = entries
      .map((_, i) => `export const typed${i}: { [K in keyof typeof m${i}]: NotAny<(typeof m${i})[K]> } = m${i};`)
      .join('\n');
    writeFileSync(
      join(project, 'consumer.ts'),
      `${imports}\ntype NotAny<T> = 0 extends 1 & T ? never : T;\n${notAny}\n`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'], skipLibCheck: true },
        files: ['consumer.ts'],
      }),
    );
    run(join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project);
    console.log(`test:pack: ${pkg.name} ok (${entries.join(', ')}) in ${Date.now() - started} ms`);
  } catch (error) {
    failures.push(pkg.name);
    console.error(`test:pack: ${pkg.name} FAILED: ${error instanceof Error ? error.message : String(error)}`);
    if (error && typeof error === 'object' && 'stdout' in error) console.error(String(error.stdout));
  }
}

rmSync(work, { recursive: true, force: true });
if (failures.length > 0) {
  console.error(`test:pack: ${failures.length} package(s) failed: ${failures.join(', ')}`);
  process.exit(1);
}
console.log('test:pack: every package installs alone, imports and type-checks');
