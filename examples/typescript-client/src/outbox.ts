/**
 * The durable queue of changes the server has not confirmed yet.
 *
 * Entries of one thread form a chain, sent strictly in order (its create first,
 * then its messages and renames as they were queued); chains of different
 * threads do not wait for each other. An entry that failed for good blocks its
 * chain until a manual retry. Only a permanent answer fails an entry: no answer,
 * a 5xx, a 409 or a 429 leaves it queued, however long that lasts. The shape is the Python reference client's, so
 * either client can open a store the other wrote.
 */
import type { MessageCreate, ThreadCreate, ThreadUpdate } from "./api-types";

interface EntryBase {
  /** The entry's own ID. */
  id: string;
  /** The thread's current local ID; moves with the ID swap. */
  threadId: string;
  /** For createMessage: the local message's ID. */
  messageId: string | null;
  /** The Idempotency-Key (creates only): fixed when queued and never changed. */
  key: string | null;
  /** Attempts started since queued or manually retried; counted before each send. */
  attempts: number;
  /** True once any attempt started; never reset, as the server may have bound the key. */
  everSent: boolean;
  /** True once an attempt ended without a clear answer (it may have been applied). */
  uncertain: boolean;
  /** Seconds since the epoch before which the entry must not be sent (its backoff, never before retryAfterUntil). */
  notBefore: number;
  /** Seconds since the epoch: the server's Retry-After; holds even when back online (0: none). */
  retryAfterUntil: number;
  /** For a legacy createThread: the old client may have made the thread already; look for it (and adopt it) before creating. */
  adopt: boolean;
  state: "queued" | "failed";
  lastError: string | null;
  /** HTTP status of the last failure; null when no answer arrived. */
  lastStatus: number | null;
  /** Unix milliseconds. */
  queuedAt: number;
}

export interface CreateThreadEntry extends EntryBase {
  kind: "createThread";
  key: string;
  /** The JSON body, fixed when queued so every retry sends the same bytes. */
  body: ThreadCreate;
}

export interface CreateMessageEntry extends EntryBase {
  kind: "createMessage";
  key: string;
  messageId: string;
  body: MessageCreate;
}

export interface UpdateThreadEntry extends EntryBase {
  kind: "updateThread";
  body: ThreadUpdate;
}

export interface DeleteThreadEntry extends EntryBase {
  kind: "deleteThread";
  body: Record<string, never>;
}

export type OutboxEntry = CreateThreadEntry | CreateMessageEntry | UpdateThreadEntry | DeleteThreadEntry;
export type EntryKind = OutboxEntry["kind"];

/** The fields every new entry starts with. */
export function fresh(id: string, threadId: string, queuedAt: number): EntryBase {
  return {
    id,
    threadId,
    messageId: null,
    key: null,
    attempts: 0,
    everSent: false,
    uncertain: false,
    notBefore: 0,
    retryAfterUntil: 0,
    adopt: false,
    state: "queued",
    lastError: null,
    lastStatus: null,
    queuedAt,
  };
}

/** The first entry of each thread's chain, in queue order. */
export function chainHeads(entries: readonly OutboxEntry[]): OutboxEntry[] {
  const seen = new Set<string>();
  const heads: OutboxEntry[] = [];
  for (const entry of entries) {
    if (!seen.has(entry.threadId)) {
      seen.add(entry.threadId);
      heads.push(entry);
    }
  }
  return heads;
}

/**
 * Chain heads that may be sent at `now` (seconds): queued, and past their backoff
 * timer, or with `ignoreBackoff` only past a server's Retry-After.
 */
export function due(entries: readonly OutboxEntry[], now: number, { ignoreBackoff = false }: { ignoreBackoff?: boolean } = {}): OutboxEntry[] {
  return chainHeads(entries).filter((e) => e.state === "queued" && (ignoreBackoff ? e.retryAfterUntil : e.notBefore) <= now);
}

/** When the earliest waiting chain head becomes due; null if every chain is blocked (failed, or its head `resting`) or empty. */
export function nextDeadline(entries: readonly OutboxEntry[], resting: ReadonlySet<string> = new Set()): number | null {
  const times = chainHeads(entries)
    .filter((e) => e.state === "queued" && !resting.has(e.id))
    .map((e) => e.notBefore);
  return times.length > 0 ? Math.min(...times) : null;
}
