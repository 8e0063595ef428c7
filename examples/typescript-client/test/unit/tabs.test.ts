/**
 * Tabs: two clients on one store file at the same time, in this process and in
 * processes of their own. Neither loses the other's writes, each reads the
 * other's without a reload, only one sends at a time, and what a closed tab left
 * pending is sent by the next one that syncs. The cross-process lock (src/lock.ts)
 * recovers from a holder that died.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FileLock, processAlive } from "../../src/lock";
import { Store, type StoreState } from "../../src/store";
import { MESSAGE_CREATE, THREAD_CREATE } from "./fake-server";
import { Bench, THREAD, only, tempDir } from "./helpers";

const COUNT = 150;
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function tabProcess(...args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "test/unit/tab-process.ts", ...args], {
    cwd: PACKAGE_DIR,
    stdio: ["pipe", "pipe", "inherit"],
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((done, fail) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => {
      lines.close();
      done(line);
    });
    child.once("exit", (code) => fail(new Error(`tab process exited (${code}) before answering`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => (child.exitCode !== null ? done(child.exitCode) : child.once("exit", (code) => done(code))));
}

/** Make the lock at `path` look held by `pid` (as another process would leave it). */
function holder(path: string, pid: number, token: string): void {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path);
  writeFileSync(join(path, "owner"), `${pid} ${token}\n`);
}

/** A pid no process has now (a process that ran and ended). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const pid = Number(child.stdout);
  assert.equal(processAlive(pid), false);
  return pid;
}

describe("tabs share one store", () => {
  test("neither tab loses the other's writes, and each reads them without a reload", () => {
    const bench = new Bench();
    const other = bench.tab("b");
    const mine = bench.client.createThread({ ...THREAD, title: "Tab A's" }).id;
    const theirs = other.createThread({ ...THREAD, title: "Tab B's" }).id;
    assert.deepEqual(
      bench.client.threads().map((t) => t.title),
      ["Tab A's", "Tab B's"],
      "tab A sees tab B's thread at once",
    );
    bench.client.sendMessage(theirs, "A writes in B's thread");
    other.sendMessage(mine, "B writes in A's thread");
    other.renameThread(mine, "Tab A's, renamed by B");
    bench.client.selectThread(theirs);
    assert.equal(other.currentThreadId(), theirs, "the current-thread pointer is shared, as localStorage is");
    const onDisk = JSON.parse(readFileSync(bench.storePath, "utf8")) as StoreState;
    for (const view of [bench.client.threads(), other.threads(), onDisk.threads]) {
      assert.deepEqual(
        view.map((t) => [t.title, t.messages.map((m) => m.content)]),
        [
          ["Tab A's, renamed by B", ["B writes in A's thread"]],
          ["Tab B's", ["A writes in B's thread"]],
        ],
      );
    }
    assert.equal(onDisk.outbox.length, 4, "both creates and both messages are queued (the rename rides on A's unsent create)");
  });

  test("writers in three processes at once lose nothing", async () => {
    const path = join(tempDir(), "threads.json");
    const here = new Store(path, { durable: false });
    const start = Date.now() + 1500; // the children are up by then
    const children = ["p1", "p2"].map((name) => tabProcess("write", path, name, String(COUNT), String(start)));
    const answers = children.map((child) => firstLine(child));
    while (Date.now() < start) await new Promise((done) => setTimeout(done, 5));
    for (let i = 0; i < COUNT; i += 1) {
      here.transaction((state) => {
        state.aliases[`here-${i}`] = `thread-${i}`;
      });
    }
    assert.deepEqual(await Promise.all(answers), ["done", "done"]);
    await Promise.all(children.map(exited));
    const state = new Store(path, { durable: false }).snapshot();
    const titles = new Set(state.threads.map((t) => t.title));
    for (const name of ["p1", "p2"]) {
      for (let i = 0; i < COUNT; i += 1) assert.ok(titles.has(`${name}-${i}`), `${name}-${i} is lost`);
    }
    assert.equal(state.threads.length, 2 * COUNT);
    assert.equal(state.outbox.length, 2 * COUNT);
    assert.equal(Object.keys(state.aliases).length, COUNT);
  });

  test("one tab sends at a time: a tab whose sync finds the sender lock taken does nothing", async () => {
    const bench = new Bench();
    const other = bench.tab("b");
    const temporary = bench.client.createThread({ ...THREAD, title: "Sent once" }).id;
    let reports: unknown[] = [];
    bench.server.during("POST", THREAD_CREATE, async () => {
      reports = [await other.sync(), await other.syncOnce(), await other.online()];
      other.sendMessage(temporary, "typed in tab B while A's create is on the wire");
    });
    await bench.client.sync();
    assert.deepEqual(
      bench.server.sent.map((s) => [s.tab, s.method, s.path === "/threads" ? s.key : "message"]),
      [
        ["a", "POST", temporary],
        ["a", "POST", "message"],
      ],
      "tab B sent nothing while tab A was sending; A sent B's message after the swap",
    );
    assert.ok(reports.every((r) => (r as { sent: number }).sent === 0));
    const thread = only(other.threads());
    assert.equal(thread.syncStatus, "synced");
    assert.deepEqual(thread.aliases, [temporary]);
    await other.sync();
    assert.equal(bench.server.sent.length, 2, "once A is done, B's sync finds nothing left to send");
  });

  test("a tab closed while offline leaves its pending work to the next tab that comes online", async () => {
    const bench = new Bench();
    const other = bench.tab("b");
    bench.server.offline = true;
    const temporary = bench.client.createThread({ ...THREAD, title: "Left by a closed tab" }).id;
    const message = bench.client.sendMessage(temporary, "typed offline in tab A");
    await bench.client.sync();
    bench.client.close();
    bench.server.offline = false;
    await other.online();
    const thread = only(other.threads());
    assert.equal(thread.syncStatus, "synced");
    assert.deepEqual(
      bench.server.sent.filter((s) => s.tab === "b").map((s) => s.key),
      [temporary, message.id],
      "tab B sent A's create and message with A's keys",
    );
    assert.equal(bench.server.threads.size, 1);
  });

  test("a tab in another process holding the sender lock keeps this one from sending, until it dies", async () => {
    const bench = new Bench();
    const holder = tabProcess("hold-sender", bench.storePath);
    assert.equal(await firstLine(holder), "holding");
    bench.client.createThread({ ...THREAD, title: "Waits for the other tab" });
    await bench.client.sync();
    assert.deepEqual(bench.server.sent, [], "the other process is the sender");
    holder.kill("SIGKILL"); // dies without releasing: its lock is stale now
    await exited(holder);
    await bench.client.sync();
    assert.equal(bench.server.creates().length, 1);
    assert.equal(only(bench.client.threads()).syncStatus, "synced");
  });
});

describe("the cross-process lock", () => {
  test("a lock whose holder is alive is not taken; one whose holder died is", () => {
    const dir = tempDir();
    const path = join(dir, "x.lock");
    holder(path, process.ppid, "someone-elses");
    const lock = new FileLock(path);
    assert.equal(lock.tryAcquire(), false, "the parent process is alive");
    holder(path, deadPid(), "a-dead-tab");
    assert.equal(lock.tryAcquire(), true);
    assert.match(readFileSync(join(path, "owner"), "utf8"), new RegExp(`^${process.pid} `));
    assert.equal(lock.stillHeld(), true);
    lock.release();
    assert.equal(existsSync(path), false);
    assert.deepEqual(readdirSync(dirname(path)), [], "nothing left behind");
  });

  test("one lock per holder; a lock this process leaked, or an old one, is stale", () => {
    const path = join(tempDir(), "y.lock");
    const first = new FileLock(path);
    const second = new FileLock(path);
    assert.equal(first.tryAcquire(), true);
    assert.equal(second.tryAcquire(), false, "held by a live lock of this process");
    assert.throws(() => second.acquire(30), /held by pid/);
    first.release();
    assert.equal(second.tryAcquire(), true);
    second.release();
    holder(path, process.pid, "leaked-by-a-closed-tab");
    assert.equal(first.tryAcquire(), true, "no live lock here has that token");
    first.release();
    holder(path, process.ppid, "alive-but-stuck");
    const aged = new FileLock(path, { staleAfterMs: 10_000 });
    assert.equal(aged.tryAcquire(), false, "young: its holder may be working");
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(join(path, "owner"), longAgo, longAgo);
    assert.equal(aged.tryAcquire(), true, "older than staleAfterMs");
    aged.release();
  });

  test("the sender lock is released when the tab closes, and only then", async () => {
    const bench = new Bench();
    const other = bench.tab("b");
    bench.client.createThread({ ...THREAD });
    bench.server.during("POST", THREAD_CREATE, () => {
      assert.equal(other.store.tryBecomeSender(), false, "A is sending");
      bench.client.close(); // the page goes away mid-request
      assert.equal(other.store.tryBecomeSender(), true, "the closed tab let go");
      other.store.stopSending();
    });
    await bench.client.sync();
    assert.equal(only(other.threads()).syncStatus, "pending", "the closed tab recorded nothing");
    await other.sync();
    assert.equal(only(other.threads()).syncStatus, "synced");
    assert.equal(bench.server.threads.size, 1, "the same key: the server replayed its answer");
    assert.equal(bench.server.creates(MESSAGE_CREATE).length, 0);
  });
});
