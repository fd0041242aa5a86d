import type { Linter } from 'eslint';
export declare function eventfoldEslintConfig(tsconfigRootDir: string): Linter.Config[];
