/**
 * A lock shared by the processes (tabs) that open one store file.
 *
 * Node has no flock, so a lock is a directory that exists while it is held, with
 * an `owner` file in it naming the holder (its pid and a random token). It is
 * made complete under a private name and then renamed to the lock's name:
 * rename(2) is atomic and fails when the name is a directory that is not empty,
 * so exactly one process gets the lock, and a lock is never seen without its
 * owner. Releasing renames it away (the name is free at once) and removes it,
 * only if it is still ours.
 *
 * A holder that died (killed, crashed) cannot release: its lock is stale when
 * its pid no longer runs (`process.kill(pid, 0)` throws ESRCH), when it names
 * this process but no live lock here holds its token, or when it is older than
 * `staleAfterMs` (a guard against pid reuse; the holder refreshes its owner
 * file's time with `touch()` while it works). Removing a stale lock is done
 * under a second, short-lived lock (`<name>.break`) and only if the lock still
 * names what was seen to be stale, so two processes recovering at once cannot
 * remove a lock a live process took meanwhile. (Only if that breaker lock's own
 * holder died mid-break, and two processes then break both at once, could they
 * race: a window of microseconds after a crash inside microseconds.)
 *
 * `acquire()` waits (a synchronous sleep on Atomics.wait, as localStorage
 * writes are synchronous) up to `timeoutMs`; `tryAcquire()` tries once.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class LockTimeout extends Error {}

/** Every lock this process holds now, by token (to tell our live locks from leaked ones, and to release them at exit). */
const HELD = new Map<string, FileLock>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const lock of [...HELD.values()]) lock.release();
  });
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));
/** The file in a lock directory that names its holder. */
const OWNER = "owner";

/** Block this thread for `ms` milliseconds (no event loop turn: a transaction is synchronous). */
export function sleepSync(ms: number): void {
  Atomics.wait(SLEEPER, 0, 0, ms);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : undefined;
}

/** Whether a process with this pid runs (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === "EPERM";
  }
}

interface Holder {
  raw: string;
  pid: number;
  token: string;
  ageMs: number;
}

export interface FileLockOptions {
  /** A lock file older than this (not touched by its holder) is stale, whoever holds it; null: never. */
  staleAfterMs?: number | null;
}

export class FileLock {
  readonly path: string;
  private readonly staleAfterMs: number | null;
  private token: string | null = null;

  constructor(path: string, { staleAfterMs = null }: FileLockOptions = {}) {
    this.path = path;
    this.staleAfterMs = staleAfterMs;
  }

  get held(): boolean {
    return this.token !== null;
  }

  /** Try once; true if this lock is now held. */
  tryAcquire(): boolean {
    if (this.token !== null) return true;
    for (let round = 0; round < 3; round += 1) {
      const token = randomBytes(8).toString("hex");
      if (FileLock.place(this.path, token)) {
        this.token = token;
        HELD.set(token, this);
        installExitHook();
        return true;
      }
      const holder = FileLock.read(this.path);
      if (holder === null) continue; // released meanwhile: try again
      if (!this.isStale(holder)) return false;
      FileLock.breakStale(this.path, holder);
    }
    return false;
  }

  /** Wait until this lock is held (at most `timeoutMs`). */
  acquire(timeoutMs = 15_000): void {
    const deadline = Date.now() + timeoutMs;
    let pause = 1;
    while (!this.tryAcquire()) {
      if (Date.now() >= deadline) {
        const holder = FileLock.read(this.path);
        throw new LockTimeout(`${this.path}: held by pid ${holder?.pid ?? "?"} for more than ${timeoutMs} ms`);
      }
      sleepSync(pause);
      pause = Math.min(pause * 2, 20);
    }
  }

  /** Whether the lock file still is ours (nobody took it as stale). */
  stillHeld(): boolean {
    return this.token !== null && FileLock.read(this.path)?.token === this.token;
  }

  /** Refresh the lock's time: its holder is alive and working. */
  touch(): void {
    if (this.token === null) return;
    try {
      const now = new Date();
      utimesSync(join(this.path, OWNER), now, now);
    } catch {
      // gone: stillHeld() will say so
    }
  }

  release(): void {
    const token = this.token;
    if (token === null) return;
    this.token = null;
    HELD.delete(token);
    if (FileLock.read(this.path)?.token === token) FileLock.remove(this.path, token);
  }

  private isStale(holder: Holder): boolean {
    if (holder.pid === process.pid) return !HELD.has(holder.token); // a lock this process leaked
    if (!processAlive(holder.pid)) return true;
    return this.staleAfterMs !== null && holder.ageMs > this.staleAfterMs;
  }

  /** Make the lock `path` with our pid and `token` in it; false if it is held. */
  private static place(path: string, token: string): boolean {
    const pending = `${path}.${token}.pending`;
    mkdirSync(pending, { mode: 0o700 });
    try {
      writeFileSync(join(pending, OWNER), `${process.pid} ${token}\n`, { mode: 0o600 });
      renameSync(pending, path);
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOTEMPTY" || code === "EEXIST") return false;
      throw error;
    } finally {
      rmSync(pending, { recursive: true, force: true });
    }
  }

  /** Move the lock `path` away (its name is free at once) and delete it. */
  private static remove(path: string, token: string): void {
    const gone = `${path}.${token}.released`;
    try {
      renameSync(path, gone);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return;
      throw error;
    }
    rmSync(gone, { recursive: true, force: true });
  }

  /** Who holds the lock at `path`; null if nobody. */
  private static read(path: string): Holder | null {
    let raw: string;
    let mtimeMs: number;
    try {
      raw = readFileSync(join(path, OWNER), "utf8");
      mtimeMs = statSync(join(path, OWNER)).mtimeMs;
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
      try {
        mtimeMs = statSync(path).mtimeMs; // a lock without an owner (not made by this code): nobody's, stale
        raw = "";
      } catch (missing) {
        if (errorCode(missing) === "ENOENT") return null;
        throw missing;
      }
    }
    const [pid = "", token = ""] = raw.trim().split(/\s+/);
    return { raw, pid: Number(pid), token, ageMs: Date.now() - mtimeMs };
  }

  /** Remove the stale lock `seen`, if `path` still is that one (under `<path>.break`). */
  private static breakStale(path: string, seen: Holder): void {
    const breaker = new FileLock(`${path}.break`, { staleAfterMs: 5_000 });
    if (!breaker.tryAcquire()) return; // another process is breaking it
    try {
      if (FileLock.read(path)?.raw === seen.raw) FileLock.remove(path, `stale-${randomBytes(6).toString("hex")}`);
    } finally {
      breaker.release();
    }
  }
}
