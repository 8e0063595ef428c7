/**
 * What a send's outcome changes in the store: the ID swap and the failure marks.
 *
 * Functions over a StoreState inside one transaction, so each outcome is one
 * atomic write: the thread's ID, the current-thread pointer, the aliases and
 * every queued entry that names the temporary ID move together.
 */
import type { LocalThread, Message, ServerThread } from "./api-types";
import { adoptServerMessage, adoptServerThread, rfc3339ToMs } from "./mapping";
import type { OutboxEntry } from "./outbox";
import { findThread, type StoreState } from "./store";

/** Drop a finished entry from the outbox. */
export function removeEntry(state: StoreState, entryId: string): void {
  state.outbox = state.outbox.filter((e) => e.id !== entryId);
}

/**
 * Derive a thread's sync status from all of its outbox entries, messages
 * included: failed if any failed for good (with the first one's reason),
 * pending if any is queued, synced otherwise.
 */
export function refreshStatus(state: StoreState, thread: LocalThread): void {
  const mine = state.outbox.filter((e) => e.threadId === thread.id);
  const failed = mine.find((e) => e.state === "failed");
  if (failed) {
    thread.syncStatus = "failed";
    thread.syncError = failed.lastError;
  } else {
    thread.syncStatus = mine.length > 0 ? "pending" : "synced";
    thread.syncError = null;
  }
}

/** Fold a second local copy of one server thread into the first (never show it twice). */
function mergeInto(existing: LocalThread, duplicate: LocalThread): void {
  const known = new Set<string>();
  for (const m of existing.messages) {
    known.add(m.id);
    if (m.clientId) known.add(m.clientId);
  }
  existing.messages.push(...duplicate.messages.filter((m) => !known.has(m.id)));
  const aliases = (existing.aliases ??= []);
  for (const alias of [...(duplicate.aliases ?? []), duplicate.id]) {
    if (alias !== existing.id && !aliases.includes(alias)) aliases.push(alias);
  }
}

/** Point everything that names `oldId` at `newId`; `oldId` lives on as an alias. */
export function moveThreadId(state: StoreState, oldId: string, newId: string): void {
  if (oldId === newId) return;
  const etag = state.etags[oldId];
  if (etag !== undefined) {
    state.etags[newId] = etag;
    delete state.etags[oldId];
  }
  for (const entry of state.outbox) {
    if (entry.threadId === oldId) entry.threadId = newId;
  }
  if (state.currentThreadId === oldId) state.currentThreadId = newId;
  for (const [former, current] of Object.entries(state.aliases)) {
    if (current === oldId) state.aliases[former] = newId;
  }
  state.aliases[oldId] = newId;
  delete state.aliases[newId];
}

/** Keep the last ETag the server sent for a thread (a rename's If-Match). */
export function rememberEtag(state: StoreState, threadId: string, etag: string | null): void {
  if (etag !== null) state.etags[threadId] = etag;
}

/** The swap: the thread created by `entry` takes the server's ID everywhere. */
export function applyThreadCreated(state: StoreState, entry: OutboxEntry, server: ServerThread): void {
  const oldId = entry.threadId;
  const newId = server.id;
  removeEntry(state, entry.id);
  const index = state.threads.findIndex((t) => t.id === oldId);
  const local = state.threads[index];
  if (local) {
    const adopted = adoptServerThread(local, server);
    const existing = state.threads.find((t) => t.id === newId && t !== local);
    if (existing) {
      mergeInto(existing, adopted);
      state.threads.splice(index, 1);
    } else {
      state.threads[index] = adopted;
    }
  }
  moveThreadId(state, oldId, newId);
  const thread = findThread(state, newId);
  if (thread) refreshStatus(state, thread);
}

/** A rename reached the server; `etag` is the thread's new version. */
export function applyThreadUpdated(state: StoreState, entry: OutboxEntry, etag: string | null): void {
  removeEntry(state, entry.id);
  rememberEtag(state, entry.threadId, etag);
  const thread = findThread(state, entry.threadId);
  if (thread) refreshStatus(state, thread);
}

/**
 * A rename met a newer version (412): the server wins over that rename. The
 * rename is dropped and the thread takes the server's ETag, and its title unless
 * a later rename is queued (the user's newer change, sent next with that ETag).
 * The thread is synced (unless something else of it is queued or failed), not failed.
 */
export function takeServerVersion(state: StoreState, entry: OutboxEntry, server: ServerThread, etag: string | null): void {
  removeEntry(state, entry.id);
  rememberEtag(state, entry.threadId, etag);
  const thread = findThread(state, entry.threadId);
  if (!thread) return;
  const later = state.outbox.some((e) => e.threadId === thread.id && e.kind === "updateThread");
  if (!later) {
    thread.title = server.title;
    thread.updatedAt = Math.max(thread.updatedAt, rfc3339ToMs(server.updated_at));
  }
  refreshStatus(state, thread);
}

/** A message reached the server: it takes the server's ID, its own kept as clientId. */
export function applyMessageCreated(state: StoreState, entry: OutboxEntry, server: Message): void {
  removeEntry(state, entry.id);
  const thread = findThread(state, entry.threadId);
  if (!thread) return;
  const index = thread.messages.findIndex((m) => m.id === entry.messageId);
  const local = thread.messages[index];
  if (local) thread.messages[index] = adoptServerMessage(local, server);
  refreshStatus(state, thread);
}

/** Stop retrying `entry`: it waits, with its reason, for a manual retry. */
export function markFailed(state: StoreState, entry: OutboxEntry, reason: string): void {
  entry.state = "failed";
  entry.lastError = reason;
  const thread = findThread(state, entry.threadId);
  if (!thread) return;
  if (entry.kind === "createMessage") {
    for (const message of thread.messages) {
      if (message.id === entry.messageId) message.syncStatus = "failed";
    }
  }
  refreshStatus(state, thread);
}

/** Re-queue every failed entry of a thread (keys unchanged); returns how many. */
export function resetFailed(state: StoreState, threadId: string): number {
  let count = 0;
  for (const entry of state.outbox) {
    if (entry.threadId === threadId && entry.state === "failed") {
      entry.state = "queued";
      entry.attempts = 0;
      entry.notBefore = 0;
      entry.lastError = null;
      count += 1;
    }
  }
  const thread = findThread(state, threadId);
  if (thread) {
    for (const message of thread.messages) {
      if (message.syncStatus === "failed") message.syncStatus = "pending";
    }
    refreshStatus(state, thread);
  }
  return count;
}
