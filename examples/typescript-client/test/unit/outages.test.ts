/**
 * Outages and answers: no answer, a 5xx, a 409 or a 429 never fail anything (the
 * change stays pending and is retried with the same key, a few times per sync
 * run); online() sends everything pending at once; a Retry-After holds on the
 * client's clock. Permanent answers fail the change, naming the status, and a
 * thread's syncStatus covers its messages.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MESSAGE_CREATE, ONE_THREAD, THREAD_CREATE } from "./fake-server";
import { Bench, THREAD, only } from "./helpers";

describe("outages never fail anything", () => {
  for (const status of [500, 503, 409, 429]) {
    test(`a ${status} keeps the change pending, retried with the same key, five times per sync run`, async () => {
      const bench = new Bench();
      bench.server.answerWith(status, "POST", THREAD_CREATE, 7);
      const temporary = bench.client.createThread({ ...THREAD, title: `Answered ${status}` }).id;
      const message = bench.client.sendMessage(temporary, "still here");
      await bench.client.sync();
      assert.deepEqual(
        bench.server.creates().map((s) => [s.key, s.status]),
        Array.from({ length: 5 }, () => [temporary, status]),
      );
      const waiting = only(bench.client.threads());
      assert.equal(waiting.syncStatus, "pending");
      assert.equal(waiting.messages[0]?.syncStatus, "pending");
      await bench.client.sync();
      assert.deepEqual(
        bench.server.creates().map((s) => s.status),
        [...Array.from({ length: 7 }, () => status), 201],
      );
      assert.ok(bench.server.creates().every((s) => s.key === temporary));
      const thread = only(bench.client.threads());
      assert.equal(thread.syncStatus, "synced");
      assert.deepEqual(
        bench.server.creates(MESSAGE_CREATE).map((s) => s.key),
        [message.id],
      );
    });
  }

  test("a message answered 503 keeps the message and its thread pending", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD }).id;
    await bench.client.sync();
    bench.server.answerWith(503, "POST", MESSAGE_CREATE, 5);
    const message = bench.client.sendMessage(temporary, "busy server");
    await bench.client.sync();
    const thread = only(bench.client.threads());
    assert.equal(thread.syncStatus, "pending");
    assert.equal(thread.messages[0]?.syncStatus, "pending");
    await bench.client.sync();
    assert.equal(only(bench.client.threads()).syncStatus, "synced");
    assert.ok(bench.server.creates(MESSAGE_CREATE).every((s) => s.key === message.id));
  });

  test("online() sends every pending change now, each with its own key, whatever its backoff", async () => {
    const bench = new Bench();
    bench.server.offline = true;
    const first = bench.client.createThread({ ...THREAD, title: "First" }).id;
    const second = bench.client.createThread({ ...THREAD, title: "Second" }).id;
    const message = bench.client.sendMessage(first, "typed offline");
    await bench.client.sync();
    await bench.client.sync();
    const creates = bench.client.outbox().filter((e) => e.kind === "createThread");
    assert.ok(creates.every((e) => e.notBefore > bench.clock.now()), "both creates wait on a backoff timer");
    const slept = bench.clock.slept.length;
    const before = bench.server.sent.length;
    bench.server.offline = false;
    const report = await bench.client.online();
    assert.equal(bench.clock.slept.length, slept, "nothing waited");
    const keys = bench.server.sent.slice(before).map((s) => s.key);
    assert.deepEqual([...keys].sort(), [first, message.id, second].sort(), "each once, with its own key");
    assert.ok(keys.indexOf(first) < keys.indexOf(message.id), "a message follows its thread's create");
    assert.equal(report.sent, 3);
    assert.deepEqual(
      bench.client.threads().map((t) => t.syncStatus),
      ["synced", "synced"],
    );
  });

  test("a 429's Retry-After holds on the client's clock: not syncOnce, skipBackoff or online, only advancing time", async () => {
    const bench = new Bench();
    bench.server.answerWith(429, "POST", THREAD_CREATE, 1, 30);
    const temporary = bench.client.createThread({ ...THREAD, title: "Too many requests" }).id;
    await bench.client.syncOnce();
    assert.equal(bench.server.creates().length, 1);
    await bench.client.syncOnce();
    bench.client.skipBackoff();
    await bench.client.syncOnce();
    await bench.client.online();
    assert.equal(bench.server.creates().length, 1, "nothing is sent before the Retry-After has passed");
    assert.equal(only(bench.client.threads()).syncStatus, "pending");
    bench.clock.advance(29);
    await bench.client.syncOnce();
    assert.equal(bench.server.creates().length, 1);
    bench.clock.advance(1.5);
    await bench.client.syncOnce();
    assert.deepEqual(
      bench.server.creates().map((s) => [s.key, s.status]),
      [
        [temporary, 429],
        [temporary, 201],
      ],
    );
    assert.equal(only(bench.client.threads()).syncStatus, "synced");
  });

  test("sync waits out a Retry-After on its virtual clock, then retries with the same key", async () => {
    const bench = new Bench();
    bench.server.answerWith(503, "POST", THREAD_CREATE, 1, 120);
    const temporary = bench.client.createThread({ ...THREAD }).id;
    const start = bench.clock.now();
    await bench.client.sync();
    assert.ok(bench.clock.now() - start >= 120, "the retry came after the Retry-After, on the client's clock");
    assert.deepEqual(
      bench.server.creates().map((s) => [s.key, s.status]),
      [
        [temporary, 503],
        [temporary, 201],
      ],
    );
  });
});

describe("permanent answers", () => {
  for (const status of [400, 401, 422]) {
    test(`a ${status} on a create fails the thread at once, naming the status, and is not retried`, async () => {
      const bench = new Bench();
      bench.server.answerWith(status, "POST", THREAD_CREATE);
      const temporary = bench.client.createThread({ ...THREAD, title: `Refused ${status}` }).id;
      bench.client.sendMessage(temporary, "kept");
      await bench.client.sync();
      await bench.client.online();
      await bench.client.sync();
      assert.deepEqual(
        bench.server.creates().map((s) => s.status),
        [status],
      );
      const thread = only(bench.client.threads());
      assert.equal(thread.syncStatus, "failed");
      assert.match(thread.syncError ?? "", new RegExp(`\\b${status}\\b`));
      assert.deepEqual(
        thread.messages.map((m) => m.content),
        ["kept"],
      );
    });
  }

  test("a message that failed for good makes its thread failed with the reason; retry by the temporary ID resends its key", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD, title: "One message refused" }).id;
    await bench.client.sync();
    bench.server.answerWith(404, "POST", MESSAGE_CREATE);
    const message = bench.client.sendMessage(temporary, "into the void");
    await bench.client.sync();
    const failed = only(bench.client.threads());
    assert.equal(failed.syncStatus, "failed");
    assert.match(failed.syncError ?? "", /createMessage: 404/);
    assert.equal(failed.messages[0]?.syncStatus, "failed");
    bench.client.retryThread(temporary); // an ID the thread had before the swap
    assert.equal(only(bench.client.threads()).syncStatus, "pending");
    await bench.client.sync();
    const thread = only(bench.client.threads());
    assert.equal(thread.syncStatus, "synced");
    assert.equal(thread.syncError, null);
    assert.deepEqual(
      bench.server.creates(MESSAGE_CREATE).map((s) => [s.key, s.status]),
      [
        [message.id, 404],
        [message.id, 201],
      ],
    );
  });

  test("a 404 on a rename fails it; a 404 on a delete is what a delete wants", async () => {
    const bench = new Bench();
    const renamed = bench.client.createThread({ ...THREAD, title: "Renamed" }).id;
    const deleted = bench.client.createThread({ ...THREAD, title: "Deleted" }).id;
    await bench.client.sync();
    const [gone, alsoGone] = bench.client.threads().map((t) => t.id);
    bench.server.deleteElsewhere(gone ?? "");
    bench.server.deleteElsewhere(alsoGone ?? "");
    bench.client.renameThread(renamed, "Too late");
    bench.client.deleteThread(deleted);
    await bench.client.sync();
    const thread = only(bench.client.threads());
    assert.equal(thread.syncStatus, "failed");
    assert.match(thread.syncError ?? "", /404/);
    assert.deepEqual(
      bench.client.outbox().map((e) => e.kind),
      ["updateThread"],
      "the delete is done",
    );
    assert.equal(bench.server.requests("DELETE", ONE_THREAD).length, 1);
  });
});
