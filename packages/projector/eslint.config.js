import { eventfoldEslintConfig } from '@eventfold/eslint-config';

export default eventfoldEslintConfig(import.meta.dirname);
