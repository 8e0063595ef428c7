/**
 * The front end's thread logic without React: local first, synced through a
 * durable outbox (the TypeScript counterpart of threadpact.client.sync).
 *
 * Every user action (create, send, rename, delete, select, retry) is one atomic
 * store write that queues what the server must learn, and never touches the
 * network, so the user can go on chatting offline. sync() and syncOnce() send
 * what the outbox holds, each entry with the Idempotency-Key fixed when it was
 * queued (a thread's temporary ID, a message's local ID):
 *
 * - success: the swap (./swap): the server's ID replaces the temporary one
 *   everywhere, which lives on only in `aliases`;
 * - RetryableError (network, 408, 409, 425, 429, 5xx): stay pending, retry after
 *   a backoff with jitter; after the retry limit, failed with the reason;
 * - PermanentError (400, 401, 403, 404, 412, 422, other 4xx): failed with the
 *   reason at once.
 *
 * Nothing is deleted locally on failure; retryThread() re-queues a failed thread
 * with the same keys. No store write spans a request, so a message sent while the
 * create is in flight is queued behind it and follows the swap.
 */
import { randomUUID } from "node:crypto";
import type { LocalMessage, LocalThread, Message, Role, ServerThread, ThreadCreate } from "./api-types";
import { ThreadsApi } from "./api";
import { RetryPolicy } from "./backoff";
import { SystemClock, millis, type Clock } from "./clock";
import { NotFound, PermanentError, RetryableError, errorClass } from "./errors";
import {
  due,
  fresh,
  nextDeadline,
  type CreateMessageEntry,
  type CreateThreadEntry,
  type OutboxEntry,
} from "./outbox";
import { Store, StoreClosed, findEntry, findThread, resolve, type StoreState } from "./store";
import * as swap from "./swap";

export type Outcome = "sent" | "retry" | "failed" | "skipped";

export interface SyncReport {
  /** Entries the server confirmed. */
  sent: number;
  /** Failed attempts that will be retried. */
  retrying: number;
  /** Entries that failed for good in this run. */
  failed: number;
  /** Entries still in the outbox afterwards (waiting, blocked or failed). */
  remaining: number;
}

type Answer =
  | { kind: "thread"; value: ServerThread }
  | { kind: "message"; value: Message }
  | { kind: "updated" }
  | { kind: "deleted" };

export interface ThreadClientOptions {
  policy?: RetryPolicy;
  clock?: Clock;
  /** A uniform draw in [0, 1) for the backoff's jitter. */
  random?: () => number;
  /** Makes the client's own IDs (temporary thread IDs, message IDs, entry IDs). */
  ids?: () => string;
}

export interface NewThread {
  agentId: string;
  model: string;
  provider: string;
  title?: string;
  artifactId?: string | null;
  /** Make it the current thread (default true). */
  select?: boolean;
}

// The spec's constraints on what is sent (Name, Title, Content): refuse locally what the server would refuse.
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkName(field: string, value: string): void {
  if (value.length < 1 || value.length > 100 || CONTROL.test(value)) {
    throw new RangeError(`${field} must be 1 to 100 characters without control characters`);
  }
}

function checkTitle(value: string): void {
  if (value.length > 200 || CONTROL.test(value)) throw new RangeError("title must be at most 200 characters without control characters");
}

function checkContent(value: string): void {
  if (value.length < 1 || value.length > 32000 || value.includes("\u0000")) {
    throw new RangeError("content must be 1 to 32000 characters without NUL");
  }
}

function checkRole(value: string): asserts value is Role {
  if (value !== "user" && value !== "assistant" && value !== "system") throw new RangeError(`unknown role ${JSON.stringify(value)}`);
}

/** Whether the server surely never applied `entry`: never sent, or only ever refused. */
export function neverApplied(entry: OutboxEntry): boolean {
  if (!entry.everSent) return true;
  return (
    entry.state === "failed" &&
    !entry.uncertain &&
    entry.lastStatus !== null &&
    errorClass(entry.lastStatus).prototype instanceof PermanentError
  );
}

export class ThreadClient {
  readonly store: Store;
  readonly api: ThreadsApi;
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  private readonly random: () => number;
  private readonly ids: () => string;
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(store: Store, api: ThreadsApi, options: ThreadClientOptions = {}) {
    this.store = store;
    this.api = api;
    this.policy = options.policy ?? new RetryPolicy();
    this.clock = options.clock ?? new SystemClock();
    this.random = options.random ?? Math.random;
    this.ids = options.ids ?? randomUUID;
  }

  // -- reading ------------------------------------------------------------------

  /** Every local thread (copies), in the order they were made. */
  threads(): LocalThread[] {
    return this.store.snapshot().threads;
  }

  /** A thread by its ID or a former ID (an old link still works). */
  thread(threadId: string): LocalThread | undefined {
    return findThread(this.store.snapshot(), threadId);
  }

  /** The current ID of the thread once called `threadId`; null if unknown. */
  resolve(threadId: string): string | null {
    return this.thread(threadId)?.id ?? null;
  }

  /** The thread the user has open. */
  currentThreadId(): string | null {
    return this.store.snapshot().currentThreadId;
  }

  /** Queued and failed entries (copies), in queue order. */
  outbox(): OutboxEntry[] {
    return this.store.snapshot().outbox;
  }

  // -- user actions (local, atomic, offline-safe) --------------------------------

  private static require(state: StoreState, threadId: string): LocalThread {
    const thread = findThread(state, threadId);
    if (!thread) throw new RangeError(`no local thread ${JSON.stringify(threadId)}`);
    return thread;
  }

  /** Make a thread now under a temporary ID and queue its create, keyed by that ID (one atomic write). */
  createThread({ agentId, model, provider, title = "New thread", artifactId = null, select = true }: NewThread): LocalThread {
    checkName("agent_id", agentId);
    checkName("model", model);
    checkName("provider", provider);
    checkTitle(title);
    const body: ThreadCreate = { agent_id: agentId, model, provider, title };
    const temporary = this.ids();
    const now = millis(this.clock);
    const thread: LocalThread = {
      id: temporary,
      title,
      agentId,
      model,
      provider,
      messages: [],
      createdAt: now,
      updatedAt: now,
      artifactId,
      syncStatus: "pending",
      syncError: null,
      aliases: [],
    };
    const entry: CreateThreadEntry = { ...fresh(this.ids(), temporary, now), kind: "createThread", key: temporary, body };
    this.store.transaction((state) => {
      state.threads.push(thread);
      state.outbox.push(entry);
      if (select) state.currentThreadId = temporary;
    });
    return structuredClone(thread);
  }

  /** Add a message now and queue its create behind its thread's earlier changes (its create first). */
  sendMessage(threadId: string, content: string, role: Role = "user"): LocalMessage {
    checkRole(role);
    checkContent(content);
    const messageId = this.ids();
    const now = millis(this.clock);
    const message: LocalMessage = { id: messageId, role, content, createdAt: now, syncStatus: "pending", clientId: null };
    this.store.transaction((state) => {
      const thread = ThreadClient.require(state, threadId);
      thread.messages.push(message);
      thread.updatedAt = Math.max(thread.updatedAt, now);
      const entry: CreateMessageEntry = {
        ...fresh(this.ids(), thread.id, now),
        kind: "createMessage",
        messageId,
        key: messageId,
        body: { role, content },
      };
      state.outbox.push(entry);
    });
    return structuredClone(message);
  }

  /** Change a thread's title now; the server follows through the outbox. */
  renameThread(threadId: string, title: string): LocalThread {
    checkTitle(title);
    const now = millis(this.clock);
    return this.store.transaction((state) => {
      const thread = ThreadClient.require(state, threadId);
      thread.title = title;
      thread.updatedAt = Math.max(thread.updatedAt, now);
      const chain = state.outbox.filter((e) => e.threadId === thread.id);
      const unsentCreate = chain.find((e): e is CreateThreadEntry => e.kind === "createThread" && !e.everSent);
      const unsentUpdate = chain.find((e) => e.kind === "updateThread" && !e.everSent);
      if (unsentCreate) {
        unsentCreate.body = { ...unsentCreate.body, title }; // never sent: its key is bound to no body yet
      } else if (unsentUpdate && unsentUpdate.kind === "updateThread" && unsentUpdate === chain.at(-1)) {
        unsentUpdate.body = { title };
      } else {
        state.outbox.push({ ...fresh(this.ids(), thread.id, now), kind: "updateThread", body: { title } });
      }
      swap.refreshStatus(state, thread);
      return structuredClone(thread);
    });
  }

  /** Remove a thread now; delete it on the server if the server may have it. */
  deleteThread(threadId: string): void {
    const now = millis(this.clock);
    this.store.transaction((state) => {
      const thread = ThreadClient.require(state, threadId);
      state.threads = state.threads.filter((t) => t !== thread);
      if (state.currentThreadId === thread.id) state.currentThreadId = null;
      const create = state.outbox.find((e) => e.threadId === thread.id && e.kind === "createThread");
      // Its other queued changes are moot now; only the create may matter.
      state.outbox = state.outbox.filter((e) => e.threadId !== thread.id || e === create);
      if (create) {
        if (neverApplied(create)) {
          state.outbox = state.outbox.filter((e) => e !== create); // the server never made it
          return;
        }
        if (create.state === "failed") {
          // It may exist there: create it (same key) to learn its ID, then delete.
          create.state = "queued";
          create.attempts = 0;
          create.notBefore = 0;
        }
      }
      state.outbox.push({ ...fresh(this.ids(), thread.id, now), kind: "deleteThread", body: {} });
    });
  }

  /** Open a thread (by any of its IDs); returns its current ID. */
  selectThread(threadId: string): string {
    return this.store.transaction((state) => {
      const thread = ThreadClient.require(state, threadId);
      state.currentThreadId = thread.id;
      return thread.id;
    });
  }

  /** Manual retry: re-queue the failed entries of a thread, with the same keys. */
  retryThread(threadId: string): number {
    return this.store.transaction((state) => {
      const current = resolve(state, threadId);
      const count = swap.resetFailed(state, current);
      if (count === 0 && !findThread(state, current)) throw new RangeError(`no local thread ${JSON.stringify(threadId)}`);
      return count;
    });
  }

  /** Make every entry that waits on a backoff timer due now. */
  skipBackoff(): void {
    this.store.transaction((state) => {
      for (const entry of state.outbox) {
        if (entry.state === "queued") entry.notBefore = 0;
      }
    });
  }

  /** Stop: nothing more is written to the store (a reload's new client owns it). */
  close(): void {
    this.store.close();
  }

  // -- talking to the server -------------------------------------------------------

  /** Runs `work` after any sync already running (one sync at a time per client). */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.syncing.then(work, work);
    this.syncing = run.catch(() => undefined);
    return run;
  }

  /** Try every queued change once now, ignoring backoff timers (chains in order). */
  syncOnce(): Promise<SyncReport> {
    return this.exclusive(() => this.pass(true));
  }

  /**
   * Sync, waiting out backoffs on the clock, until the outbox is empty or blocked
   * (every remaining entry is failed, or queued behind a failed one). `maxWait`
   * bounds the total time waited, in seconds (default: until the retry limit decides).
   */
  sync({ maxWait = null }: { maxWait?: number | null } = {}): Promise<SyncReport> {
    return this.exclusive(async () => {
      let report: SyncReport = { sent: 0, retrying: 0, failed: 0, remaining: 0 };
      let waited = 0;
      for (;;) {
        const step = await this.pass(false);
        report = {
          sent: report.sent + step.sent,
          retrying: report.retrying + step.retrying,
          failed: report.failed + step.failed,
          remaining: step.remaining,
        };
        if (this.store.isClosed) return report;
        const deadline = nextDeadline(this.store.snapshot().outbox);
        if (deadline === null) return report;
        const wait = Math.max(deadline - this.clock.now(), 0);
        if (maxWait !== null && waited + wait > maxWait) return report;
        await this.clock.sleep(wait);
        waited += wait;
      }
    });
  }

  /** One pass: each due chain head once (a chain's next entry follows in the same pass on success). */
  private async pass(ignoreBackoff: boolean): Promise<SyncReport> {
    const tally: Record<Outcome, number> = { sent: 0, retry: 0, failed: 0, skipped: 0 };
    const tried = new Set<string>();
    while (!this.store.isClosed) {
      const ready = due(this.store.snapshot().outbox, ignoreBackoff ? null : this.clock.now()).filter((e) => !tried.has(e.id));
      const next = ready[0];
      if (!next) break;
      tried.add(next.id);
      tally[await this.attempt(next.id)] += 1;
    }
    return { sent: tally.sent, retrying: tally.retry, failed: tally.failed, remaining: this.store.snapshot().outbox.length };
  }

  /** Send one entry and record the outcome. */
  private async attempt(entryId: string): Promise<Outcome> {
    try {
      const work = this.store.transaction((state) => {
        const entry = findEntry(state, entryId);
        if (!entry || entry.state !== "queued") return null;
        entry.attempts += 1; // counted before sending: a crash cannot forget it
        entry.everSent = true;
        return structuredClone(entry);
      });
      if (work === null) return "skipped";
      let answer: Answer;
      try {
        answer = await this.send(work);
      } catch (error) {
        if (error instanceof RetryableError) return this.recordRetryable(entryId, error.message, error.status, error.retryAfter);
        if (error instanceof NotFound && work.kind === "deleteThread") {
          answer = { kind: "deleted" }; // already gone: that is what we wanted
        } else if (error instanceof PermanentError) {
          return this.recordPermanent(entryId, error.message, error.status);
        } else if (error instanceof RangeError) {
          return this.recordPermanent(entryId, `${work.kind}: cannot send: ${error.message}`, null);
        } else {
          throw error;
        }
      }
      const done = answer;
      return this.store.transaction((state) => {
        const entry = findEntry(state, entryId);
        if (!entry) return "skipped";
        this.apply(state, entry, done);
        return "sent";
      });
    } catch (error) {
      if (error instanceof StoreClosed) return "skipped"; // the page went away; the next one resends (same key)
      throw error;
    }
  }

  /** The Idempotency-Key an attempt sends: always the one fixed when the entry was queued. */
  protected keyFor(entry: CreateThreadEntry | CreateMessageEntry): string {
    return entry.key;
  }

  /** The request an entry stands for. */
  private async send(entry: OutboxEntry): Promise<Answer> {
    switch (entry.kind) {
      case "createThread":
        return { kind: "thread", value: (await this.api.createThread(entry.body, this.keyFor(entry))).value };
      case "createMessage":
        return { kind: "message", value: (await this.api.createMessage(entry.threadId, entry.body, this.keyFor(entry))).value };
      case "updateThread":
        await this.api.updateThread(entry.threadId, entry.body);
        return { kind: "updated" };
      case "deleteThread":
        await this.api.deleteThread(entry.threadId);
        return { kind: "deleted" };
    }
  }

  /** Record a success. */
  private apply(state: StoreState, entry: OutboxEntry, answer: Answer): void {
    switch (answer.kind) {
      case "thread":
        this.adoptCreatedThread(state, entry, answer.value);
        return;
      case "message":
        swap.applyMessageCreated(state, entry, answer.value);
        return;
      case "updated":
        swap.applyThreadUpdated(state, entry);
        return;
      case "deleted":
        swap.removeEntry(state, entry.id);
        return;
    }
  }

  /** The ID swap (a method of its own so a deliberately broken client can override it). */
  protected adoptCreatedThread(state: StoreState, entry: OutboxEntry, server: ServerThread): void {
    swap.applyThreadCreated(state, entry, server);
  }

  private recordRetryable(entryId: string, reason: string, status: number | null, retryAfter: number | null): Outcome {
    return this.store.transaction((state) => {
      const entry = findEntry(state, entryId);
      if (!entry) return "skipped";
      entry.lastStatus = status;
      entry.uncertain = true;
      if (this.policy.givesUp(entry.attempts)) {
        swap.markFailed(state, entry, `gave up after ${entry.attempts} attempts; last: ${reason}`);
        return "failed";
      }
      const wait = this.policy.delay(Math.max(entry.attempts, 1), this.random(), retryAfter);
      entry.notBefore = this.clock.now() + wait;
      entry.lastError = reason;
      return "retry";
    });
  }

  private recordPermanent(entryId: string, reason: string, status: number | null): Outcome {
    return this.store.transaction((state) => {
      const entry = findEntry(state, entryId);
      if (!entry) return "skipped";
      entry.lastStatus = status;
      swap.markFailed(state, entry, reason);
      return "failed";
    });
  }
}

export interface OpenOptions extends ThreadClientOptions {
  baseUrl: string;
  token: string;
  storePath: string;
  transport?: import("./api").Transport;
  timeoutMs?: number;
}

/** A client on the store at `storePath` talking to `baseUrl` as the bearer of `token`. */
export function openClient({ baseUrl, token, storePath, transport, timeoutMs, ...options }: OpenOptions): ThreadClient {
  const api = new ThreadsApi(baseUrl, token, { ...(transport ? { transport } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
  return new ThreadClient(new Store(storePath), api, options);
}
