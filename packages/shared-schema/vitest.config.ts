import { eventfoldVitestConfig } from '@eventfold/vitest-config';

export default eventfoldVitestConfig();
