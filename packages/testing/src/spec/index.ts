export { given } from './aggregate-spec';
export type { GivenSpec, WhenSpec } from './aggregate-spec';
