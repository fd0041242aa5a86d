#!/usr/bin/env node
// `npm start` / `npm test` on a clean machine that has only Node and npm: install the workspace
// with the pinned pnpm (through npx, so nothing global is needed) the first time, then hand over.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installed = existsSync(join(root, 'node_modules', '.modules.yaml'));
if (!installed) {
  const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  console.log(`eventfold: first run, installing dependencies with ${packageManager} ...`);
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  execFileSync(npx, ['--yes', packageManager, 'install', '--frozen-lockfile'], {
    cwd: root,
    stdio: 'inherit',
  });
}
