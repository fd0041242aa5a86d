import { eventfoldVitestConfig } from '@eventfold/vitest-config';

// The integration tests wait on real infrastructure (the gap-safe feed can be held back by any
// long transaction on a shared server), and CI runs every package at once on two cores: allow
// more than the preset's 30 s before calling a test stuck.
export default eventfoldVitestConfig({ test: { testTimeout: 120_000, hookTimeout: 120_000 } });
