/**
 * The durable local store: one JSON file standing in for localStorage, replaced
 * atomically on every change.
 *
 * The file holds the local threads (LocalThread), the current-thread pointer, the
 * ID aliases (former ID -> current ID) and the outbox. Each change is written to
 * a temporary file in the same directory, fsynced, and renamed over the old file,
 * so a crash at any moment leaves the old file or the new one, never a mix.
 * Every read and write is synchronous, like localStorage: a transaction is never
 * interleaved with another, even while a request is in flight. Opening the same
 * path again (a page reload) sees every committed change.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import type { LocalThread } from "./api-types";
import type { OutboxEntry } from "./outbox";

export const FORMAT = "threadpact-client-store";
export const VERSION = 1;

export interface StoreState {
  format: typeof FORMAT;
  version: typeof VERSION;
  threads: LocalThread[];
  currentThreadId: string | null;
  /** Former thread ID (temporary) -> the thread's current ID. */
  aliases: Record<string, string>;
  outbox: OutboxEntry[];
}

export class StoreError extends Error {}
/** The file is not a readable store; it is left untouched. */
export class StoreCorrupt extends StoreError {}
/** The store was closed (the page went away); nothing more is written. */
export class StoreClosed extends StoreError {}

export function emptyState(): StoreState {
  return { format: FORMAT, version: VERSION, threads: [], currentThreadId: null, aliases: {}, outbox: [] };
}

/** The current ID for `threadId`, following aliases (itself if none). */
export function resolve(state: StoreState, threadId: string): string {
  const seen = new Set<string>();
  let current = threadId;
  while (Object.hasOwn(state.aliases, current) && !seen.has(current)) {
    seen.add(current);
    current = state.aliases[current] ?? current;
  }
  return current;
}

/** The thread with this ID or former ID. */
export function findThread(state: StoreState, threadId: string): LocalThread | undefined {
  const wanted = resolve(state, threadId);
  return state.threads.find((t) => t.id === wanted);
}

/** The outbox entry with this ID. */
export function findEntry(state: StoreState, entryId: string): OutboxEntry | undefined {
  return state.outbox.find((e) => e.id === entryId);
}

function fsyncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, "r");
    fsyncSync(fd);
  } catch {
    // Directories cannot be opened everywhere; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Replace `path` with `data` so that readers see all of it or none of it. */
export function writeAtomically(path: string, data: string, durable = true): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw error;
  }
  if (durable) fsyncDirectory(dirname(path));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parse a store file, or say precisely why it is not one. */
export function decode(path: string, raw: string): StoreState {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (error) {
    throw new StoreCorrupt(`${path}: not JSON (${String(error)})`);
  }
  if (!isRecord(data) || data.format !== FORMAT) throw new StoreCorrupt(`${path}: not a ${FORMAT} file`);
  if (data.version !== VERSION) throw new StoreCorrupt(`${path}: format version ${String(data.version)} is not ${VERSION}`);
  if (!Array.isArray(data.threads) || !Array.isArray(data.outbox) || !isRecord(data.aliases)) {
    throw new StoreCorrupt(`${path}: threads, outbox or aliases missing`);
  }
  if (data.currentThreadId !== null && typeof data.currentThreadId !== "string") {
    throw new StoreCorrupt(`${path}: currentThreadId is neither a string nor null`);
  }
  return data as unknown as StoreState;
}

export function encode(state: StoreState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** Rejects async callbacks at compile time: a transaction must not span an await. */
type NotPromise<T> = T extends PromiseLike<unknown> ? never : T;

export class Store {
  readonly path: string;
  private readonly durable: boolean;
  private state: StoreState;
  private working: StoreState | null = null;
  private closed = false;

  constructor(path: string, { durable = true }: { durable?: boolean } = {}) {
    this.path = path;
    this.durable = durable;
    mkdirSync(dirname(path), { recursive: true });
    this.removeStaleTemporaries();
    if (existsSync(path)) {
      this.state = decode(path, readFileSync(path, "utf8"));
    } else {
      this.state = emptyState();
      writeAtomically(path, encode(this.state), durable);
    }
  }

  private removeStaleTemporaries(): void {
    const prefix = `.${basename(this.path)}.`;
    for (const name of readdirSync(dirname(this.path))) {
      if (name.startsWith(prefix) && name.endsWith(".tmp")) {
        try {
          unlinkSync(join(dirname(this.path), name));
        } catch {
          // another process's, or already gone
        }
      }
    }
  }

  /** A private copy of the committed state. */
  snapshot(): StoreState {
    return structuredClone(this.state);
  }

  /**
   * Change a copy of the state; when `change` returns, write it atomically and
   * commit. If it throws, or the write fails, nothing changes, in memory or on
   * disk. Transactions nest: only the outermost one writes.
   */
  transaction<T>(change: (state: StoreState) => NotPromise<T>): T {
    if (this.closed) throw new StoreClosed(`${this.path}: the store is closed`);
    if (this.working !== null) return change(this.working);
    const working = structuredClone(this.state);
    this.working = working;
    try {
      const result = change(working);
      writeAtomically(this.path, encode(working), this.durable);
      this.state = working;
      return result;
    } finally {
      this.working = null;
    }
  }

  /** Stop writing: a later transaction throws StoreClosed (a reload's new store owns the file). */
  close(): void {
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
