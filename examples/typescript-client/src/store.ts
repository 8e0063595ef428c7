/**
 * The durable local store: one JSON file standing in for localStorage, replaced
 * atomically on every change, and shared by every tab (process) that opens it.
 *
 * The file holds the local threads (LocalThread), the current-thread pointer, the
 * ID aliases (former ID -> current ID), the last ETag seen of each thread and the
 * outbox. Each change is written to a temporary file in the same directory,
 * fsynced, and renamed over the old file, so a crash at any moment leaves the old
 * file or the new one, never a mix, and a reader never sees half a file.
 *
 * Tabs: several instances (processes) may use one store file at once, as browser
 * tabs share localStorage. Every transaction holds the write lock
 * (`<store>.write-lock`, ./lock) and starts from the file as it is then, re-read
 * if another instance replaced it, so no instance loses another's write; reads
 * re-read a replaced file too, so a tab sees the others' committed writes without
 * a reload. Every read and write is synchronous, like localStorage: a transaction
 * never spans a request. Sending is one instance's job at a time: the sender lock
 * (`<store>.sender-lock`) is taken without waiting, for a whole sync run.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import type { LocalThread } from "./api-types";
import { FileLock } from "./lock";
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
  /** Thread ID -> the last ETag the server sent for it (a rename's If-Match). Kept here, not in LocalThread, whose shape the spec fixes. */
  etags: Record<string, string>;
}

export class StoreError extends Error {}
/** The file is not a readable store; it is left untouched. */
export class StoreCorrupt extends StoreError {}
/** The store was closed (the page went away); nothing more is written. */
export class StoreClosed extends StoreError {}

export function emptyState(): StoreState {
  return { format: FORMAT, version: VERSION, threads: [], currentThreadId: null, aliases: {}, outbox: [], etags: {} };
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
  if (data.etags !== undefined && !isRecord(data.etags)) throw new StoreCorrupt(`${path}: etags is not an object`);
  const state = data as unknown as StoreState;
  // Fields a store written before they existed lacks (the Python client's defaults).
  state.etags ??= {};
  for (const entry of state.outbox) {
    entry.retryAfterUntil ??= 0;
    entry.adopt ??= false;
  }
  return state;
}

export function encode(state: StoreState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** Rejects async callbacks at compile time: a transaction must not span an await. */
type NotPromise<T> = T extends PromiseLike<unknown> ? never : T;

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : undefined;
}

export interface StoreOptions {
  /** fsync every write (default true; tests turn it off). */
  durable?: boolean;
  /** How long a transaction waits for another instance's (default 15 s). */
  lockTimeoutMs?: number;
}

export class Store {
  readonly path: string;
  private readonly durable: boolean;
  private readonly lockTimeoutMs: number;
  private readonly writeLock: FileLock;
  private readonly senderLock: FileLock;
  private state: StoreState = emptyState();
  /** The file's text as last read or written (unchanged text: nothing to parse). */
  private raw: string | null = null;
  private working: StoreState | null = null;
  private closed = false;

  constructor(path: string, { durable = true, lockTimeoutMs = 15_000 }: StoreOptions = {}) {
    this.path = path;
    this.durable = durable;
    this.lockTimeoutMs = lockTimeoutMs;
    mkdirSync(dirname(path), { recursive: true });
    // A transaction takes milliseconds: a write lock older than 10 s is a dead holder's.
    this.writeLock = new FileLock(`${path}.write-lock`, { staleAfterMs: 10_000 });
    // A sync run holds the sender lock for long; its holder touches it as it goes.
    this.senderLock = new FileLock(`${path}.sender-lock`, { staleAfterMs: 5 * 60_000 });
    this.writeLock.acquire(this.lockTimeoutMs);
    try {
      this.removeStaleTemporaries();
      if (!this.refresh()) this.write(emptyState());
    } finally {
      this.writeLock.release();
    }
  }

  /** Temporary files a crash left behind (under the write lock: no other writer is mid-write). */
  private removeStaleTemporaries(): void {
    const prefix = `.${basename(this.path)}.`;
    for (const name of readdirSync(dirname(this.path))) {
      if (name.startsWith(prefix) && name.endsWith(".tmp")) {
        try {
          unlinkSync(join(dirname(this.path), name));
        } catch {
          // already gone
        }
      }
    }
  }

  /** Load the file if it changed since this instance last read or wrote it; false if there is none. */
  private refresh(): boolean {
    let raw: string;
    try {
      raw = readFileSync(this.path, "utf8");
    } catch (error) {
      if (errorCode(error) === "ENOENT") return false;
      throw error;
    }
    if (raw !== this.raw) {
      this.state = decode(this.path, raw);
      this.raw = raw;
    }
    return true;
  }

  private write(state: StoreState): void {
    const raw = encode(state);
    writeAtomically(this.path, raw, this.durable);
    this.raw = raw;
    this.state = state;
  }

  /** A private copy of the committed state, as the file holds it now (another tab's writes included). */
  snapshot(): StoreState {
    if (this.working === null && !this.closed) this.refresh();
    return structuredClone(this.state);
  }

  /**
   * Change a copy of the state; when `change` returns, write it atomically and
   * commit. The copy is taken under the write lock from the file as it is now,
   * so every instance's committed writes are kept. If `change` throws, or the
   * write fails, nothing changes, in memory or on disk. Transactions nest: only
   * the outermost one writes.
   */
  transaction<T>(change: (state: StoreState) => NotPromise<T>): T {
    if (this.closed) throw new StoreClosed(`${this.path}: the store is closed`);
    if (this.working !== null) return change(this.working);
    this.writeLock.acquire(this.lockTimeoutMs);
    try {
      if (!this.refresh()) this.state = emptyState(); // removed meanwhile: start again, as after clearing storage
      const working = structuredClone(this.state);
      this.working = working;
      const result = change(working);
      this.write(working);
      return result;
    } finally {
      this.working = null;
      this.writeLock.release();
    }
  }

  // -- the sender lock: one tab sends at a time -------------------------------------

  /** Become the instance that sends (true), unless another holds the sender lock (false). Never waits. */
  tryBecomeSender(): boolean {
    if (this.closed) return false;
    return this.senderLock.tryAcquire();
  }

  /** Whether this instance still is the sender (it did not close, nobody took the lock as stale); refreshes the lock. */
  stillSender(): boolean {
    if (this.closed || !this.senderLock.stillHeld()) return false;
    this.senderLock.touch();
    return true;
  }

  /** Let another instance send. */
  stopSending(): void {
    this.senderLock.release();
  }

  /** Stop: nothing more is written to the store (a reload's new instance owns it); the sender lock is released. */
  close(): void {
    this.closed = true;
    this.senderLock.release();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
