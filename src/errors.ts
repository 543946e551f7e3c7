/**
 * One error hierarchy for the whole engine.
 *
 * - Local errors (bad input, a locked data directory, a job that is not there) are thrown to the caller.
 * - Persisted failures (an activity or workflow that failed) travel through the journal as
 *   {@link SerializedError} and come back as the MemFlow classes with their upstream codes.
 * - Suspension is not an error at all here: a durable call that has to wait simply never settles in
 *   the current run, so user code never has to catch-and-rethrow engine control flow.
 *
 * Check kinds with {@link isHotMeshError} or the `kind` field rather than bare `instanceof`, which breaks
 * when two copies of the package are loaded.
 */

export { ErrorCode, HotMeshError, isHotMeshError, type SerializedError, type StoredFailure } from './errors/base.js';
export * from './errors/job-errors.js';
export * from './errors/memflow-errors.js';
export * from './errors/setup-errors.js';
