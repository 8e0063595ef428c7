/**
 * Temporary IDs keep working after the swap; while a create is in flight its
 * thread is shown once, pending, under its temporary ID, and stays usable; a
 * reload at any point keeps the threads, messages, current-thread pointer and
 * aliases.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LocalThread } from "../../src/api-types";
import { MESSAGE_CREATE, ONE_THREAD, THREAD_CREATE } from "./fake-server";
import { Bench, THREAD, only } from "./helpers";

/** What a reload must keep. */
function kept(bench: Bench): { threads: LocalThread[]; current: string | null } {
  return { threads: bench.client.threads(), current: bench.client.currentThreadId() };
}

describe("temporary IDs after the swap", () => {
  test("select, send, rename, retry and delete by the temporary ID", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD, title: "By its old ID" }).id;
    await bench.client.sync();
    const id = only(bench.client.threads()).id;
    assert.notEqual(id, temporary);
    const other = bench.client.createThread({ ...THREAD, title: "Another, now current", select: true }).id;
    bench.client.deleteThread(other);
    assert.equal(bench.client.currentThreadId(), null);
    bench.client.selectThread(temporary);
    assert.equal(bench.client.currentThreadId(), id, "the pointer names the server's ID");
    bench.server.answerWith(422, "POST", MESSAGE_CREATE);
    const message = bench.client.sendMessage(temporary, "sent by the old ID");
    bench.client.renameThread(temporary, "Renamed by the old ID");
    await bench.client.sync();
    assert.equal(only(bench.client.threads()).syncStatus, "failed");
    assert.equal(bench.client.retryThread(temporary), 1);
    await bench.client.sync();
    assert.deepEqual(
      bench.server.creates(MESSAGE_CREATE).map((s) => [s.path, s.key, s.status]),
      [
        [`/threads/${id}/messages`, message.id, 422],
        [`/threads/${id}/messages`, message.id, 201],
      ],
    );
    assert.equal(bench.server.threads.get(id)?.title, "Renamed by the old ID");
    bench.client.deleteThread(temporary);
    await bench.client.sync();
    assert.deepEqual(
      bench.server.requests("DELETE", ONE_THREAD).map((s) => s.path),
      [`/threads/${id}`],
    );
    assert.deepEqual(bench.client.threads(), []);
  });
});

describe("a create in flight", () => {
  test("the thread is shown once, pending, under its temporary ID, and the user keeps typing", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD, title: "In flight" }).id;
    let during: LocalThread[] = [];
    bench.server.during("POST", THREAD_CREATE, () => {
      bench.client.sendMessage(temporary, "typed while it flies");
      bench.client.selectThread(temporary);
      during = bench.client.threads();
    });
    await bench.client.sync();
    assert.deepEqual(
      during.map((t) => [t.id, t.syncStatus, t.messages.map((m) => m.content)]),
      [[temporary, "pending", ["typed while it flies"]]],
    );
    const thread = only(bench.client.threads());
    assert.equal(thread.syncStatus, "synced");
    assert.equal(bench.client.currentThreadId(), thread.id);
    assert.equal(thread.messages[0]?.syncStatus, "synced");
  });
});

describe("a reload at any point keeps everything", () => {
  test("before any sync", () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD, title: "Never synced" }).id;
    bench.client.sendMessage(temporary, "typed");
    const before = kept(bench);
    bench.reload();
    assert.deepEqual(kept(bench), before);
    assert.equal(before.current, temporary);
  });

  test("with a create in flight: the next page shows it once, pending, and resends it with the same key", async () => {
    const bench = new Bench();
    const page = bench.client;
    const temporary = page.createThread({ ...THREAD, title: "Reloaded mid-flight" }).id;
    page.sendMessage(temporary, "typed before the reload");
    let during: ReturnType<typeof kept> | null = null;
    bench.server.during("POST", THREAD_CREATE, () => {
      bench.reload();
      bench.client.sendMessage(temporary, "typed after the reload");
      during = kept(bench);
    });
    await page.sync(); // the old page's request is answered after it went away
    assert.ok(during);
    const seen = during as ReturnType<typeof kept>;
    assert.deepEqual(
      seen.threads.map((t) => [t.id, t.syncStatus, t.messages.length]),
      [[temporary, "pending", 2]],
    );
    assert.equal(seen.current, temporary);
    await bench.client.sync();
    assert.equal(bench.server.threads.size, 1, "the same key: the server replays its thread");
    assert.ok(bench.server.creates().every((s) => s.key === temporary));
    const thread = only(bench.client.threads());
    assert.deepEqual(thread.aliases, [temporary]);
    assert.deepEqual(
      thread.messages.map((m) => [m.content, m.syncStatus]),
      [
        ["typed before the reload", "synced"],
        ["typed after the reload", "synced"],
      ],
    );
  });

  test("after the swap: the server's ID, the aliases and the pointer", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD }).id;
    bench.client.sendMessage(temporary, "hello");
    await bench.client.sync();
    const before = kept(bench);
    bench.reload();
    assert.deepEqual(kept(bench), before);
    assert.deepEqual(only(before.threads).aliases, [temporary]);
    assert.equal(bench.client.resolve(temporary), before.current);
  });
});
