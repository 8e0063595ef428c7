/**
 * The front end's thread logic without React: local first, synced through a
 * durable outbox (the TypeScript counterpart of threadpact.client.sync).
 *
 * Every user action (create, send, rename, delete, select, retry, a legacy
 * import) is one atomic store write that queues what the server must learn, and
 * never touches the network, so the user can go on chatting offline. sync(),
 * syncOnce() and online() send what the outbox holds, each entry with the
 * Idempotency-Key fixed when it was queued (a thread's temporary ID, a message's
 * local ID):
 *
 * - success: the swap (./swap): the server's ID replaces the temporary one
 *   everywhere, which lives on only in `aliases`;
 * - RetryableError (no answer, 408, 409, 425, 429, 5xx): stay pending and retry
 *   after a backoff with jitter, never before a server's Retry-After. Never
 *   failed, however long it lasts: sync() tries an entry `policy.maxAttempts`
 *   times per run, then leaves it queued for the next run or for online();
 * - PermanentError (400, 401, 403, 404 but on a delete, 422, other 4xx): failed
 *   with the reason at once; the thread is failed (a message's failure too);
 * - 412 on a rename (its If-Match, the last ETag seen, was stale): the server
 *   wins, the thread takes the server's title and is synced.
 *
 * A legacy create (`adopt`) first looks for the server thread the old client
 * made (findTwin) and adopts it instead of making a copy. pull() brings in what
 * changed on the server elsewhere.
 *
 * Tabs: several clients (processes) may share one store file (./store). Only the
 * one holding the store's sender lock sends; another tab's sync finds it taken
 * and does nothing, and the outbox it shares is sent by whichever tab syncs next.
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
import { NotFound, PermanentError, PreconditionFailed, RetryableError, errorClass, type ApiError } from "./errors";
import { migrateLegacy, type MigrationReport } from "./legacy";
import { localMessage, localThread, rfc3339ToMs } from "./mapping";
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

export interface PullReport {
  /** Server threads added (made elsewhere). */
  threads: number;
  /** Server messages added. */
  messages: number;
  /** Threads that took a title changed elsewhere. */
  renamed: number;
  /** Threads deleted elsewhere, and now here. */
  removed: number;
}

type Answer =
  | { kind: "thread"; value: ServerThread; etag: string | null }
  | { kind: "message"; value: Message }
  | { kind: "updated"; etag: string | null }
  | { kind: "deleted" };

/** An entry as an attempt sends it, with what the store knew when it started. */
interface Work {
  entry: OutboxEntry;
  /** The last ETag seen of the entry's thread (a rename's If-Match); null if none. */
  etag: string | null;
}

/** How much earlier than the old client's local createdAt its server twin may be stamped (the two clocks differ). */
export const LEGACY_SKEW_MS = 5 * 60 * 1000;

/** One server thread as pull fetched it. */
interface Remote {
  thread: ServerThread;
  etag: string | null;
  messages: Message[];
}

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

/** Whether the server surely never applied `entry` (by this client): never sent, or only ever refused. */
export function neverApplied(entry: OutboxEntry): boolean {
  if (!entry.everSent) return true;
  return (
    entry.state === "failed" &&
    !entry.uncertain &&
    entry.lastStatus !== null &&
    errorClass(entry.lastStatus).prototype instanceof PermanentError
  );
}

/** Whether the server may hold the thread `create` stands for (this client sent it, or the old client made it). */
export function mayExistOnServer(create: OutboxEntry): boolean {
  return create.adopt || !neverApplied(create);
}

/** The local threads with nothing queued or failed: as the server holds them. */
function syncedIds(state: StoreState): Set<string> {
  const busy = new Set(state.outbox.map((e) => e.threadId));
  return new Set(state.threads.filter((t) => !busy.has(t.id)).map((t) => t.id));
}

/** Every ID the store knows a thread by: threads, former IDs, and threads named by queued changes (deletes included). */
function knownIds(state: StoreState): Set<string> {
  const known = new Set<string>();
  for (const thread of state.threads) {
    known.add(thread.id);
    for (const alias of thread.aliases ?? []) known.add(alias);
  }
  for (const [former, current] of Object.entries(state.aliases)) {
    known.add(former);
    known.add(current);
  }
  for (const entry of state.outbox) known.add(entry.threadId);
  return known;
}

/** Whether a create may have made a server thread this store cannot name yet (pull must not add unknown threads then). */
function unresolvedCreate(state: StoreState): boolean {
  return state.outbox.some((e) => e.kind === "createThread" && mayExistOnServer(e));
}

export class ThreadClient {
  readonly store: Store;
  readonly api: ThreadsApi;
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  private readonly random: () => number;
  private readonly ids: () => string;
  /** Sync runs of this client now holding the store's sender lock. */
  private sending = 0;
  /** Entries an attempt of this client is sending now (a concurrent run leaves them alone). */
  private readonly inFlight = new Set<string>();

  constructor(store: Store, api: ThreadsApi, options: ThreadClientOptions = {}) {
    this.store = store;
    this.api = api;
    this.policy = options.policy ?? new RetryPolicy();
    this.clock = options.clock ?? new SystemClock();
    this.random = options.random ?? Math.random;
    this.ids = options.ids ?? randomUUID;
  }

  // -- reading (the file as it is now: another tab's writes included) -----------

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

  /** The last ETag seen of a thread (by any of its IDs); null if none. */
  etag(threadId: string): string | null {
    const state = this.store.snapshot();
    return state.etags[resolve(state, threadId)] ?? null;
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

  /** Add a message now (to a thread named by any of its IDs) and queue its create behind its thread's earlier changes. */
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
      swap.refreshStatus(state, thread);
    });
    return structuredClone(message);
  }

  /** Change a thread's title now; the server follows through the outbox (a PATCH with If-Match). */
  renameThread(threadId: string, title: string): LocalThread {
    checkTitle(title);
    const now = millis(this.clock);
    return this.store.transaction((state) => {
      const thread = ThreadClient.require(state, threadId);
      thread.title = title;
      thread.updatedAt = Math.max(thread.updatedAt, now);
      const chain = state.outbox.filter((e) => e.threadId === thread.id);
      // A create never sent has bound its key to no body yet, so it can carry the new title;
      // not a legacy one, whose title is how its server twin is found.
      const unsentCreate = chain.find((e): e is CreateThreadEntry => e.kind === "createThread" && !e.everSent && !e.adopt);
      const last = chain.at(-1);
      if (unsentCreate) {
        unsentCreate.body = { ...unsentCreate.body, title };
      } else if (last?.kind === "updateThread" && !last.everSent && last.state === "queued") {
        last.body = { title };
      } else {
        state.outbox.push({ ...fresh(this.ids(), thread.id, now), kind: "updateThread", body: { title } });
      }
      swap.refreshStatus(state, thread);
      return structuredClone(thread);
    });
  }

  /** Remove a thread now (by any of its IDs); delete it on the server if the server may have it. */
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
        if (!mayExistOnServer(create)) {
          state.outbox = state.outbox.filter((e) => e !== create); // the server never made it
          delete state.etags[thread.id];
          return;
        }
        if (create.state === "failed") {
          // It may exist there: create it (same key) to learn its ID, then delete.
          create.state = "queued";
          create.attempts = 0;
          create.notBefore = create.retryAfterUntil;
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

  /** Manual retry (by any ID the thread ever had): re-queue its failed entries, with the same keys. */
  retryThread(threadId: string): number {
    return this.store.transaction((state) => {
      const current = resolve(state, threadId);
      const count = swap.resetFailed(state, current);
      if (count === 0 && !findThread(state, current)) throw new RangeError(`no local thread ${JSON.stringify(threadId)}`);
      return count;
    });
  }

  /** Make every entry that waits on a backoff timer due now (a server's Retry-After still holds). */
  skipBackoff(): void {
    this.store.transaction((state) => {
      for (const entry of state.outbox) {
        if (entry.state === "queued") entry.notBefore = entry.retryAfterUntil;
      }
    });
  }

  /** Migrate the old client's localStorage dump into the store (./legacy); it syncs from there. */
  importLegacy(dump: unknown): MigrationReport {
    return migrateLegacy(dump, this.store, { now: millis(this.clock), ids: this.ids });
  }

  /** Stop: nothing more is written to the store (a reload's new client owns it); another tab may send now. */
  close(): void {
    this.store.close();
  }

  // -- talking to the server -------------------------------------------------------

  /**
   * Run `work` as the store's one sender. If another tab holds the sender lock,
   * nothing is sent: `idle` answers. Runs of this client share the lock.
   */
  private async asSender(work: () => Promise<SyncReport>): Promise<SyncReport> {
    if (this.sending === 0 && !this.store.tryBecomeSender()) {
      return { sent: 0, retrying: 0, failed: 0, remaining: this.store.snapshot().outbox.length };
    }
    this.sending += 1;
    try {
      return await work();
    } finally {
      this.sending -= 1;
      if (this.sending === 0) this.store.stopSending();
    }
  }

  /** Try every queued change once now, whatever its backoff timer (never before a server's Retry-After). */
  syncOnce(): Promise<SyncReport> {
    return this.asSender(async () => (await this.pass({ ignoreBackoff: true })).report);
  }

  /**
   * The network is back (the browser's online event): every queued change is due
   * now (a server's Retry-After still holds) and is sent before this resolves.
   */
  online(): Promise<SyncReport> {
    if (!this.store.isClosed) {
      this.store.transaction((state) => {
        for (const entry of state.outbox) {
          if (entry.state !== "queued") continue;
          entry.attempts = 0;
          entry.notBefore = entry.retryAfterUntil;
        }
      });
    }
    return this.asSender(async () => (await this.pass({ ignoreBackoff: false })).report);
  }

  /**
   * Sync, waiting out backoffs on the clock, until nothing more can be sent in
   * this run: the outbox is empty, or every entry left is failed (it waits for a
   * person), queued behind a failed one, or was tried `policy.maxAttempts` times
   * in this run without success (it waits for the network: the next run, or
   * online()). `maxWait` bounds the total time waited, in seconds.
   */
  sync({ maxWait = null }: { maxWait?: number | null } = {}): Promise<SyncReport> {
    return this.asSender(async () => {
      let report: SyncReport = { sent: 0, retrying: 0, failed: 0, remaining: 0 };
      const failures = new Map<string, number>();
      const resting = new Set<string>();
      let waited = 0;
      for (;;) {
        const step = await this.pass({ ignoreBackoff: false, resting });
        report = {
          sent: report.sent + step.report.sent,
          retrying: report.retrying + step.report.retrying,
          failed: report.failed + step.report.failed,
          remaining: step.report.remaining,
        };
        for (const id of step.retried) {
          const count = (failures.get(id) ?? 0) + 1;
          failures.set(id, count);
          if (count >= this.policy.maxAttempts) resting.add(id);
        }
        if (!this.store.stillSender()) return report;
        const deadline = nextDeadline(this.store.snapshot().outbox, new Set([...resting, ...this.inFlight]));
        if (deadline === null) return report;
        const wait = Math.max(deadline - this.clock.now(), 0);
        if (wait === 0 && step.attempts === 0) return report; // nothing could be tried: do not spin
        if (maxWait !== null && waited + wait > maxWait) return report;
        await this.clock.sleep(wait);
        waited += wait;
      }
    });
  }

  /** One pass: each due chain head once (a chain's next entry follows in the same pass on success). */
  private async pass({ ignoreBackoff, resting = new Set() }: { ignoreBackoff: boolean; resting?: ReadonlySet<string> }): Promise<{
    report: SyncReport;
    retried: string[];
    attempts: number;
  }> {
    const tally: Record<Outcome, number> = { sent: 0, retry: 0, failed: 0, skipped: 0 };
    const tried = new Set<string>();
    const retried: string[] = [];
    while (this.store.stillSender()) {
      const ready = due(this.store.snapshot().outbox, this.clock.now(), { ignoreBackoff }).filter(
        (e) => !tried.has(e.id) && !resting.has(e.id) && !this.inFlight.has(e.id),
      );
      const next = ready[0];
      if (!next) break;
      tried.add(next.id);
      const outcome = await this.attempt(next.id);
      tally[outcome] += 1;
      if (outcome === "retry") retried.push(next.id);
    }
    const remaining = this.store.snapshot().outbox.length;
    return { report: { sent: tally.sent, retrying: tally.retry, failed: tally.failed, remaining }, retried, attempts: tried.size };
  }

  /** Send one entry and record the outcome. */
  private async attempt(entryId: string): Promise<Outcome> {
    try {
      const work = this.store.transaction((state): Work | null => {
        const entry = findEntry(state, entryId);
        if (!entry || entry.state !== "queued") return null;
        entry.attempts += 1; // counted before sending: a crash cannot forget it
        entry.everSent = true;
        return { entry: structuredClone(entry), etag: state.etags[entry.threadId] ?? null };
      });
      if (work === null) return "skipped";
      const kind = work.entry.kind;
      let answer: Answer;
      this.inFlight.add(entryId);
      try {
        answer = await this.send(work);
      } catch (error) {
        if (error instanceof RetryableError) return this.recordRetryable(entryId, error);
        if (error instanceof PreconditionFailed && kind === "updateThread") return await this.serverWins(entryId, work.entry);
        if (error instanceof NotFound && kind === "deleteThread") {
          answer = { kind: "deleted" }; // already gone: that is what we wanted
        } else if (error instanceof PermanentError) {
          return this.recordPermanent(entryId, error.message, error.status);
        } else if (error instanceof RangeError) {
          return this.recordPermanent(entryId, `${kind}: cannot send: ${error.message}`, null);
        } else {
          throw error;
        }
      } finally {
        this.inFlight.delete(entryId);
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
  private async send({ entry, etag }: Work): Promise<Answer> {
    switch (entry.kind) {
      case "createThread": {
        if (entry.adopt) {
          const twin = await this.findTwin(entry);
          if (twin !== null) return { kind: "thread", value: twin, etag: null };
        }
        const created = await this.api.createThread(entry.body, this.keyFor(entry));
        return { kind: "thread", value: created.value, etag: created.etag };
      }
      case "createMessage":
        return { kind: "message", value: (await this.api.createMessage(entry.threadId, entry.body, this.keyFor(entry))).value };
      case "updateThread": {
        // If-Match: the last ETag seen of the thread; none seen yet (an old store): read the current one first.
        const ifMatch = etag ?? (await this.api.getThread(entry.threadId)).etag;
        const updated = await this.api.updateThread(entry.threadId, entry.body, ifMatch);
        return { kind: "updated", etag: updated.etag };
      }
      case "deleteThread":
        await this.api.deleteThread(entry.threadId);
        return { kind: "deleted" };
    }
  }

  /**
   * The server thread the old client already made for the migrated thread
   * `create` stands for, if any: not known locally, the same title, agent, model
   * and provider as the queued create, stamped no earlier than the local
   * thread's createdAt (the create's queuedAt once the thread was deleted here)
   * minus LEGACY_SKEW_MS; the earliest such thread.
   */
  private async findTwin(create: CreateThreadEntry): Promise<ServerThread | null> {
    const state = this.store.snapshot();
    const createdAt = findThread(state, create.threadId)?.createdAt ?? create.queuedAt;
    const known = knownIds(state);
    const earliest = createdAt - LEGACY_SKEW_MS;
    const { title, agent_id: agentId, model, provider } = create.body;
    const candidates = (await this.api.allThreads())
      .filter(
        (s) =>
          !known.has(s.id) &&
          s.title === (title ?? "New thread") &&
          s.agent_id === agentId &&
          s.model === model &&
          s.provider === provider &&
          rfc3339ToMs(s.created_at) >= earliest,
      )
      .sort((a, b) => rfc3339ToMs(a.created_at) - rfc3339ToMs(b.created_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return candidates[0] ?? null;
  }

  /** Record a success. */
  private apply(state: StoreState, entry: OutboxEntry, answer: Answer): void {
    switch (answer.kind) {
      case "thread":
        this.adoptCreatedThread(state, entry, answer.value);
        swap.rememberEtag(state, answer.value.id, answer.etag);
        return;
      case "message":
        swap.applyMessageCreated(state, entry, answer.value);
        return;
      case "updated":
        swap.applyThreadUpdated(state, entry, answer.etag);
        return;
      case "deleted":
        swap.removeEntry(state, entry.id);
        delete state.etags[entry.threadId];
        return;
    }
  }

  /** The ID swap (a method of its own so a deliberately broken client can override it). */
  protected adoptCreatedThread(state: StoreState, entry: OutboxEntry, server: ServerThread): void {
    swap.applyThreadCreated(state, entry, server);
  }

  /** A rename met a newer version (412): read the thread, take the server's title, drop the rename. */
  private async serverWins(entryId: string, work: OutboxEntry): Promise<Outcome> {
    let current: { thread: ServerThread; etag: string | null };
    try {
      current = await this.api.getThread(work.threadId);
    } catch (error) {
      if (error instanceof RetryableError) return this.recordRetryable(entryId, error);
      if (error instanceof PermanentError) return this.recordPermanent(entryId, error.message, error.status);
      throw error;
    }
    return this.store.transaction((state) => {
      const entry = findEntry(state, entryId);
      if (!entry) return "skipped";
      swap.takeServerVersion(state, entry, current.thread, current.etag);
      return "sent";
    });
  }

  private recordRetryable(entryId: string, error: ApiError): Outcome {
    return this.store.transaction((state) => {
      const entry = findEntry(state, entryId);
      if (!entry) return "skipped";
      const now = this.clock.now();
      entry.lastStatus = error.status;
      entry.uncertain = true;
      entry.lastError = error.message;
      entry.notBefore = now + this.policy.delay(Math.max(entry.attempts, 1), this.random(), error.retryAfter);
      if (error.retryAfter !== null) entry.retryAfterUntil = now + error.retryAfter;
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

  // -- bringing in what changed elsewhere ----------------------------------------

  /**
   * Apply what the server holds that this store has not seen, in one write:
   *
   * - a server thread the store does not know is added with its messages, unless
   *   one of the store's own creates is unresolved (sent without a clear answer,
   *   or a legacy one whose twin the old client made): the unknown thread may be
   *   that very create, and adding it would show it twice;
   * - a known thread takes the server's title and ETag, unless a rename of it is
   *   queued (the local change is newer and goes out with If-Match); it gets the
   *   server's messages it lacks, unless one of its own message creates is
   *   unresolved;
   * - a thread whose delete is queued (or was, when the fetch began) is never
   *   brought back;
   * - a thread that was synced when the fetch began, still is, and is gone from
   *   the server was deleted elsewhere: it goes here too. A thread swapped in after
   *   the fetch began was not synced then, so it is never taken for deleted.
   */
  async pull(): Promise<PullReport> {
    const before = this.store.snapshot();
    const syncedBefore = syncedIds(before);
    const knownBefore = knownIds(before);
    const deletingBefore = new Set(before.outbox.filter((e) => e.kind === "deleteThread").map((e) => e.threadId));
    const remote: Remote[] = [];
    for (const listed of (await this.api.allThreads()).reverse()) {
      // oldest first, as local threads are ordered
      try {
        const current = await this.api.getThread(listed.id);
        remote.push({ thread: current.thread, etag: current.etag, messages: await this.api.allMessages(listed.id) });
      } catch (error) {
        if (error instanceof NotFound) continue; // deleted while we read: as if never listed
        throw error;
      }
    }
    return this.store.transaction((state) => {
      const report: PullReport = { threads: 0, messages: 0, renamed: 0, removed: 0 };
      const deleting = new Set([...deletingBefore, ...state.outbox.filter((e) => e.kind === "deleteThread").map((e) => e.threadId)]);
      const renaming = new Set(state.outbox.filter((e) => e.kind === "updateThread").map((e) => e.threadId));
      const mayAdd = !unresolvedCreate(state) && !unresolvedCreate(before);
      const onServer = new Set<string>();
      for (const item of remote) {
        const serverId = item.thread.id;
        onServer.add(serverId);
        if (deleting.has(serverId) || deleting.has(resolve(state, serverId))) continue;
        const local = findThread(state, serverId);
        if (!local) {
          if (mayAdd && !knownBefore.has(serverId)) {
            state.threads.push(localThread(item.thread, { messages: item.messages.map((m) => localMessage(m)) }));
            swap.rememberEtag(state, serverId, item.etag);
            report.threads += 1;
            report.messages += item.messages.length;
          }
          continue;
        }
        if (!renaming.has(local.id)) {
          swap.rememberEtag(state, local.id, item.etag);
          if (local.title !== item.thread.title) {
            local.title = item.thread.title;
            report.renamed += 1;
          }
          local.updatedAt = Math.max(local.updatedAt, rfc3339ToMs(item.thread.updated_at));
        }
        const sendingMessages = state.outbox.some((e) => e.kind === "createMessage" && e.threadId === local.id && !neverApplied(e));
        if (!sendingMessages) report.messages += ThreadClient.addMessages(local, item.messages);
      }
      const syncedNow = syncedIds(state);
      const gone = state.threads.filter((t) => syncedBefore.has(t.id) && syncedNow.has(t.id) && !onServer.has(t.id));
      for (const thread of gone) {
        state.threads = state.threads.filter((t) => t !== thread);
        delete state.etags[thread.id];
        if (state.currentThreadId === thread.id) state.currentThreadId = null;
        report.removed += 1;
      }
      return report;
    });
  }

  /** Add the server's messages `local` lacks, after its synced ones (before those still on their way); how many. */
  private static addMessages(local: LocalThread, remote: readonly Message[]): number {
    const known = new Set<string>();
    for (const m of local.messages) {
      known.add(m.id);
      if (m.clientId) known.add(m.clientId);
    }
    const missing = remote.filter((m) => !known.has(m.id)).map((m) => localMessage(m));
    if (missing.length === 0) return 0;
    const firstUnsynced = local.messages.findIndex((m) => m.syncStatus !== "synced");
    const at = firstUnsynced === -1 ? local.messages.length : firstUnsynced;
    local.messages.splice(at, 0, ...missing);
    return missing.length;
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
