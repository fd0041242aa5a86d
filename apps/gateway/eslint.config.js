import { eventfoldEslintConfig } from '@eventfold/eslint-config';

// bin/ holds a small JS shim outside the TypeScript project.
export default [{ ignores: ['bin/**', '.scratch/**'] }, ...eventfoldEslintConfig(import.meta.dirname)];
