/** The TypeScript reference client of the thread ID contract. */
export {
  ThreadClient,
  openClient,
  neverApplied,
  LEGACY_SKEW_MS,
  type NewThread,
  type PullReport,
  type SyncReport,
  type ThreadClientOptions,
} from "./client";
export { ThreadsApi, fetchTransport, nodeHttpTransport, isValidIdempotencyKey, type Transport, type HttpRequest, type HttpResponse } from "./api";
export { RetryPolicy, type RetryPolicyOptions } from "./backoff";
export { SystemClock, VirtualClock, seededRandom, type Clock } from "./clock";
export * from "./errors";
export { migrateLegacy, parseDump, type LegacyDefaults, type MigrationReport } from "./legacy";
export { FileLock, LockTimeout } from "./lock";
export * as mapping from "./mapping";
export { Store, StoreClosed, StoreCorrupt, StoreError, type StoreOptions, type StoreState } from "./store";
export type { OutboxEntry } from "./outbox";
