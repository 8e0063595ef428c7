/** The TypeScript reference client of the thread ID contract. */
export { ThreadClient, openClient, neverApplied, type NewThread, type SyncReport, type ThreadClientOptions } from "./client";
export { ThreadsApi, fetchTransport, nodeHttpTransport, isValidIdempotencyKey, type Transport, type HttpRequest, type HttpResponse } from "./api";
export { RetryPolicy, type RetryPolicyOptions } from "./backoff";
export { SystemClock, VirtualClock, seededRandom, type Clock } from "./clock";
export * from "./errors";
export * as mapping from "./mapping";
export { Store, StoreClosed, StoreCorrupt, StoreError, type StoreState } from "./store";
export type { OutboxEntry } from "./outbox";
