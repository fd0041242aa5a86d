import { eventfoldEslintConfig } from '@eventfold/eslint-config';

// bin/ holds a two-line JS shim outside the TypeScript project.
export default [{ ignores: ['bin/**'] }, ...eventfoldEslintConfig(import.meta.dirname)];
