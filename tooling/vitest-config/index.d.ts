import type { UserConfig } from 'vitest/config';
export declare function eventfoldVitestConfig(overrides?: UserConfig): UserConfig;
