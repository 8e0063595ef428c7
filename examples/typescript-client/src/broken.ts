/**
 * Deliberately broken clients: the conformance suite must catch each one.
 *
 * - ignores-response: the original bug. It creates the thread on the server but
 *   throws the answer away, keeping its temporary ID for good (rule swap).
 * - new-key-per-retry: retries a create with a fresh Idempotency-Key each time,
 *   so a lost answer turns into a second server thread (rule same-key-on-retry).
 *
 * Each is the reference client with one thing broken.
 */
import { randomUUID } from "node:crypto";
import type { ServerThread } from "./api-types";
import { ThreadClient } from "./client";
import type { CreateMessageEntry, CreateThreadEntry, OutboxEntry } from "./outbox";
import { findThread, type StoreState } from "./store";
import * as swap from "./swap";

/** Marks the thread synced but never adopts the server's ID. */
export class IgnoresResponseClient extends ThreadClient {
  protected override adoptCreatedThread(state: StoreState, entry: OutboxEntry, server: ServerThread): void {
    void server; // the bug: the answer is thrown away
    swap.removeEntry(state, entry.id);
    const thread = findThread(state, entry.threadId);
    if (thread) swap.refreshStatus(state, thread);
  }
}

/** Sends the entry's key the first time, and a new key on every retry. */
export class NewKeyPerRetryClient extends ThreadClient {
  private readonly seen = new Set<string>();

  protected override keyFor(entry: CreateThreadEntry | CreateMessageEntry): string {
    if (this.seen.has(entry.key)) return randomUUID();
    this.seen.add(entry.key);
    return entry.key;
  }
}

export const VARIANTS = {
  "ignores-response": IgnoresResponseClient,
  "new-key-per-retry": NewKeyPerRetryClient,
} as const;

export type Variant = keyof typeof VARIANTS;

export function isVariant(name: string): name is Variant {
  return Object.hasOwn(VARIANTS, name);
}
