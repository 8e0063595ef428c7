/**
 * Migrate the old client's localStorage dump into the store and queue it for the
 * server (the counterpart of threadpact.client.legacy).
 *
 * The old client kept its threads under IDs it made itself (crypto.randomUUID(),
 * or Date.now() strings in its oldest builds), posted each create without an ID
 * and never read the answer, so the server may hold the thread under an ID the
 * dump does not know. A dump looks like:
 *
 *     {"threads": [{"id": "...", "title": "...", "agentId": "...", "model": "...",
 *                   "provider": "...", "artifactId": null,
 *                   "createdAt": 1717000000000, "updatedAt": 1717000000000,
 *                   "messages": [{"id": "...", "role": "user", "content": "...",
 *                                 "timestamp": 1717000000000}]}],
 *      "currentThreadId": "..."}
 *
 * optionally wrapped as {"state": {...}, "version": 0} (the persist wrapper).
 * Times are Unix milliseconds or ISO 8601 strings. Each thread becomes a pending
 * LocalThread whose create is queued with its old ID as the Idempotency-Key (so a
 * crash halfway through the first sync cannot make it twice) and marked `adopt`:
 * before creating it, the sync looks for the server thread the old client made
 * and adopts it (ThreadClient's rule, findTwin; the entry's queuedAt is the
 * legacy createdAt, so the rule holds even for a thread deleted here before its
 * first sync, whose copy is then deleted). Its messages are queued after it,
 * each keyed by its old ID. Old IDs that cannot be keys, or that repeat, get fresh
 * ones; the old ID stays an alias. Running the migration again adds nothing twice.
 */
import type { LocalMessage, LocalThread, Role, ThreadCreate } from "./api-types";
import { isValidIdempotencyKey } from "./api";
import { fresh, type CreateMessageEntry, type CreateThreadEntry } from "./outbox";
import { findThread, type Store, type StoreState } from "./store";

const CONTROL = /[\u0000-\u001f\u007f]/g;
const ROLES: Readonly<Record<string, Role>> = {
  user: "user",
  human: "user",
  assistant: "assistant",
  ai: "assistant",
  bot: "assistant",
  system: "system",
};
const MAX_NAME = 100;
const MAX_TITLE = 200;

export interface LegacyDefaults {
  agentId: string;
  model: string;
  provider: string;
  title: string;
}

export const DEFAULTS: LegacyDefaults = { agentId: "default", model: "unknown", provider: "unknown", title: "New thread" };

export interface MigrationReport {
  threads: number;
  messages: number;
  alreadyMigrated: number;
  /** One line per thing that was changed or left out. */
  notes: string[];
}

type Time = number | string | null | undefined;

interface LegacyMessage {
  id: string | number | null;
  role: string;
  content: string | null;
  timestamp: Time;
}

interface LegacyThread {
  id: string | number;
  title: string | null;
  agentId: string | null;
  model: string | null;
  provider: string | null;
  artifactId: string | null;
  createdAt: Time;
  updatedAt: Time;
  messages: LegacyMessage[];
}

interface LegacyDump {
  threads: LegacyThread[];
  currentThreadId: string | number | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown, where: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new TypeError(`not legacy thread data: ${where} is not a string`);
  return value;
}

function time(value: unknown, where: string): Time {
  if (value === undefined || value === null || typeof value === "number" || typeof value === "string") return value;
  throw new TypeError(`not legacy thread data: ${where} is not a time`);
}

function id(value: unknown, where: string): string | number {
  if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) return value;
  throw new TypeError(`not legacy thread data: ${where} is not an ID`);
}

/** Read a legacy dump (bare, or inside the {"state": ...} persist wrapper). */
export function parseDump(data: unknown): LegacyDump {
  let root = data;
  if (isRecord(root) && isRecord(root.state)) root = root.state;
  if (!isRecord(root)) throw new TypeError("not legacy thread data: not an object");
  const rawThreads = root.threads ?? [];
  if (!Array.isArray(rawThreads)) throw new TypeError("not legacy thread data: threads is not a list");
  const threads = rawThreads.map((raw: unknown, i): LegacyThread => {
    const where = `threads[${i}]`;
    if (!isRecord(raw)) throw new TypeError(`not legacy thread data: ${where} is not an object`);
    const rawMessages = raw.messages ?? [];
    if (!Array.isArray(rawMessages)) throw new TypeError(`not legacy thread data: ${where}.messages is not a list`);
    return {
      id: id(raw.id, `${where}.id`),
      title: optionalString(raw.title, `${where}.title`),
      agentId: optionalString(raw.agentId, `${where}.agentId`),
      model: optionalString(raw.model, `${where}.model`),
      provider: optionalString(raw.provider, `${where}.provider`),
      artifactId: optionalString(raw.artifactId, `${where}.artifactId`),
      createdAt: time(raw.createdAt, `${where}.createdAt`),
      updatedAt: time(raw.updatedAt, `${where}.updatedAt`),
      messages: rawMessages.map((m: unknown, j): LegacyMessage => {
        const at = `${where}.messages[${j}]`;
        if (!isRecord(m)) throw new TypeError(`not legacy thread data: ${at} is not an object`);
        return {
          id: m.id === undefined || m.id === null ? null : id(m.id, `${at}.id`),
          role: optionalString(m.role, `${at}.role`) ?? "user",
          content: optionalString(m.content, `${at}.content`),
          timestamp: time(m.timestamp, `${at}.timestamp`),
        };
      }),
    };
  });
  const current = root.currentThreadId;
  return {
    threads,
    currentThreadId: typeof current === "string" || typeof current === "number" ? current : null,
  };
}

/** A legacy time (Unix ms, or an ISO 8601 string) as Unix ms; null if unreadable. */
export function toMs(value: Time): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isFinite(value) ? Math.max(Math.trunc(value), 0) : null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const zoned = /([zZ]|[+-]\d{2}:?\d{2})$/.test(text) || /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : `${text}Z`;
  const parsed = Date.parse(zoned);
  return Number.isNaN(parsed) ? null : Math.max(parsed, 0);
}

/** Text the server accepts: no control characters, at most `limit` characters. */
export function clean(text: string | null, limit: number, fallback: string): string {
  const cleaned = (text ?? "").replace(CONTROL, " ").trim().slice(0, limit).trim();
  return cleaned || fallback;
}

/** One thread per old ID: a repeat's new messages join the first copy. */
function mergeRepeats(threads: LegacyThread[], report: MigrationReport): LegacyThread[] {
  const merged = new Map<string, LegacyThread>();
  for (const legacy of threads) {
    const first = merged.get(String(legacy.id));
    if (!first) {
      merged.set(String(legacy.id), structuredClone(legacy));
      continue;
    }
    const known = new Set(first.messages.filter((m) => m.id !== null).map((m) => String(m.id)));
    const extra = legacy.messages.filter((m) => m.id === null || !known.has(String(m.id)));
    first.messages.push(...extra);
    report.notes.push(`thread ${JSON.stringify(String(legacy.id))}: saved twice; merged (${extra.length} more message(s))`);
  }
  return [...merged.values()];
}

class Migration {
  readonly report: MigrationReport = { threads: 0, messages: 0, alreadyMigrated: 0, notes: [] };
  private readonly used: Set<string>;

  constructor(
    private readonly state: StoreState,
    private readonly defaults: LegacyDefaults,
    private readonly now: number,
    private readonly ids: () => string,
  ) {
    this.used = new Set<string>();
    for (const entry of state.outbox) if (entry.key) this.used.add(entry.key);
    for (const thread of state.threads) for (const m of thread.messages) this.used.add(m.clientId ?? m.id);
  }

  /** A key for an old ID: the old ID itself when it can be one; else a fresh one (and the old ID to keep as an alias). */
  private keyFor(old: string | number | null, what: string): [string, string | null] {
    const text = old === null ? null : String(old);
    if (text !== null && isValidIdempotencyKey(text) && !this.used.has(text)) {
      this.used.add(text);
      return [text, null];
    }
    const made = this.ids();
    this.used.add(made);
    this.report.notes.push(`${what} ${JSON.stringify(text)}: new key ${made} (old ID unusable or repeated)`);
    return [made, text];
  }

  thread(legacy: LegacyThread): void {
    const oldId = String(legacy.id);
    if (Object.hasOwn(this.state.aliases, oldId) || findThread(this.state, oldId)) {
      this.report.alreadyMigrated += 1;
      return;
    }
    const [threadId, alias] = this.keyFor(oldId, "thread");
    const title = clean(legacy.title, MAX_TITLE, this.defaults.title);
    const body: ThreadCreate = {
      agent_id: clean(legacy.agentId, MAX_NAME, this.defaults.agentId),
      model: clean(legacy.model, MAX_NAME, this.defaults.model),
      provider: clean(legacy.provider, MAX_NAME, this.defaults.provider),
      title,
    };
    const messages = legacy.messages.map((m) => this.message(oldId, m)).filter((m): m is LocalMessage => m !== null);
    const firstMessage = messages.length > 0 ? Math.min(...messages.map((m) => m.createdAt)) : null;
    const created = toMs(legacy.createdAt) || firstMessage || this.now;
    const updated = Math.max(toMs(legacy.updatedAt) || created, created);
    const thread: LocalThread = {
      id: threadId,
      title,
      agentId: body.agent_id,
      model: body.model,
      provider: body.provider,
      messages,
      createdAt: created,
      updatedAt: updated,
      artifactId: legacy.artifactId,
      syncStatus: "pending",
      syncError: null,
      aliases: alias ? [alias] : [],
    };
    this.state.threads.push(thread);
    if (alias) this.state.aliases[alias] = threadId;
    // queuedAt: when the old client made it, so the twin can still be found after a delete removed the thread here.
    const create: CreateThreadEntry = { ...fresh(this.ids(), threadId, created), kind: "createThread", key: threadId, body, adopt: true };
    this.state.outbox.push(create);
    for (const message of messages) {
      const entry: CreateMessageEntry = {
        ...fresh(this.ids(), threadId, this.now),
        kind: "createMessage",
        messageId: message.id,
        key: message.id,
        body: { role: message.role, content: message.content },
      };
      this.state.outbox.push(entry);
    }
    this.report.threads += 1;
    this.report.messages += messages.length;
  }

  private message(threadId: string, legacy: LegacyMessage): LocalMessage | null {
    const role = ROLES[legacy.role.trim().toLowerCase()];
    const content = (legacy.content ?? "").replaceAll("\u0000", "");
    const where = `thread ${JSON.stringify(threadId)} message ${JSON.stringify(legacy.id)}`;
    if (role === undefined) {
      this.report.notes.push(`${where}: left out (unknown role ${JSON.stringify(legacy.role)})`);
      return null;
    }
    if (!content.trim()) {
      this.report.notes.push(`${where}: left out (no content)`);
      return null;
    }
    const [key] = this.keyFor(legacy.id, "message");
    return { id: key, role, content: content.slice(0, 32_000), createdAt: toMs(legacy.timestamp) || this.now, syncStatus: "pending", clientId: null };
  }
}

/** Move a legacy dump into `store` in one atomic write and queue it for sync. */
export function migrateLegacy(
  data: unknown,
  store: Store,
  { now, ids, defaults = DEFAULTS }: { now: number; ids: () => string; defaults?: LegacyDefaults },
): MigrationReport {
  const dump = parseDump(data);
  return store.transaction((state) => {
    const run = new Migration(state, defaults, now, ids);
    const report: MigrationReport = run.report;
    const threads = mergeRepeats(dump.threads, report);
    const createdOr = (t: LegacyThread): number => toMs(t.createdAt) || now;
    threads.sort((a, b) => createdOr(a) - createdOr(b)); // stable: equal times keep the dump's order
    for (const legacy of threads) run.thread(legacy);
    if (dump.currentThreadId !== null && state.currentThreadId === null) {
      state.currentThreadId = findThread(state, String(dump.currentThreadId))?.id ?? null;
    }
    return report;
  });
}
