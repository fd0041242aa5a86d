/** True under `CI=true` (or `CI=1`): missing infrastructure is then an error, never a skip. */
export function isCi(): boolean {
  const value = process.env['CI'];
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

const reported = new Set<string>();

/** Prints once per reason why tests are skipped (outside CI only). */
export function reportSkip(reason: string): void {
  if (reported.has(reason)) return;
  reported.add(reason);
  console.warn(`[eventfold/testing] skipping: ${reason}`);
}
