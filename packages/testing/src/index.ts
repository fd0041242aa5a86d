// Each folder has its own barrel with explicit named exports; this file only joins them.
export * from './conformance/index';
export * from './spec/index';
export * from './infra/index';
