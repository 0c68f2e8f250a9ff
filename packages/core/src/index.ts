// The public API of @ritual/core. Everything a user or an observer needs is
// exported here and nowhere else.
export * from './errors.js';
export type * from './run-record.js';
export type * from './observer.js';
export { toSacredTime, fromSacredTime } from './time.js';
