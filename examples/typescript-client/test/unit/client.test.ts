import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { IgnoresResponseClient, NewKeyPerRetryClient } from "../../src/broken";
import { MESSAGE_CREATE, THREAD_CREATE } from "./fake-server";
import { Bench, THREAD, only } from "./helpers";

describe("the swap", () => {
  test("a create is pending under its temporary ID, which is its Idempotency-Key", async () => {
    const bench = new Bench();
    const created = bench.client.createThread({ ...THREAD, title: "Refund for order 1042" });
    const [pending] = bench.client.threads();
    assert.equal(pending?.id, created.id);
    assert.equal(pending?.syncStatus, "pending");
    assert.equal(bench.client.currentThreadId(), created.id);
    await bench.client.sync();
    assert.deepEqual(
      bench.server.creates().map((s) => s.key),
      [created.id],
    );
  });

  test("the server's ID replaces the temporary one everywhere; the temporary ID stays an alias", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD, title: "Swap me" }).id;
    await bench.client.sync();
    const server = only([...bench.server.threads.values()]);
    const thread = only(bench.client.threads());
    assert.equal(thread.id, server.id);
    assert.notEqual(thread.id, temporary);
    assert.deepEqual(thread.aliases, [temporary]);
    assert.equal(thread.syncStatus, "synced");
    assert.equal(thread.syncError, null);
    assert.equal(thread.createdAt, Date.parse(server.created_at));
    assert.equal(bench.client.currentThreadId(), server.id);
    assert.equal(bench.client.resolve(temporary), server.id, "an old link still finds the thread");
    assert.deepEqual(bench.client.outbox(), []);
  });

  test("messages typed while the create is in flight follow the swap, in order, each with its own key", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD, title: "Typed while creating" }).id;
    const typed: string[] = [];
    bench.server.during("POST", THREAD_CREATE, () => {
      typed.push(bench.client.sendMessage(temporary, "Where is my refund?").id);
      typed.push(bench.client.sendMessage(temporary, "Let me check.", "assistant").id);
    });
    await bench.client.sync();
    const thread = only(bench.client.threads());
    const server = only([...bench.server.threads.values()]);
    assert.equal(thread.id, server.id);
    assert.deepEqual(
      bench.server.creates(MESSAGE_CREATE).map((s) => [s.path, s.key]),
      typed.map((key) => [`/threads/${server.id}/messages`, key]),
    );
    const remote = bench.server.messages.get(server.id) ?? [];
    assert.deepEqual(
      thread.messages.map((m) => [m.id, m.clientId, m.syncStatus, m.content]),
      remote.map((m, i) => [m.id, typed[i], "synced", m.content]),
    );
  });

  test("a message sent under the temporary ID after the swap goes to the server's thread", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD }).id;
    await bench.client.sync();
    bench.client.sendMessage(temporary, "late, by an old link");
    await bench.client.sync();
    const thread = only(bench.client.threads());
    assert.equal(bench.server.messages.get(thread.id)?.length, 1);
    assert.equal(thread.messages[0]?.syncStatus, "synced");
  });

  test("three rapid creates make three server threads with three keys", async () => {
    const bench = new Bench();
    const ids = [1, 2, 3].map((n) => bench.client.createThread({ ...THREAD, title: `Rapid ${n}` }).id);
    await bench.client.sync();
    assert.deepEqual(bench.server.creates().map((s) => s.key), ids);
    assert.equal(bench.server.threads.size, 3);
    assert.deepEqual(
      bench.client.threads().map((t) => t.aliases),
      ids.map((id) => [id]),
    );
  });
});

describe("the outbox", () => {
  test("survives a reload: the next page sends what the last one queued, with the same key", async () => {
    const bench = new Bench();
    bench.server.offline = true;
    const temporary = bench.client.createThread({ ...THREAD, title: "Queued before a reload" }).id;
    bench.client.sendMessage(temporary, "typed offline");
    await bench.client.syncOnce();
    assert.equal(only(bench.client.threads()).syncStatus, "pending");
    const onDisk = JSON.parse(readFileSync(bench.storePath, "utf8")) as { outbox: Array<{ key: string; attempts: number }> };
    assert.equal(onDisk.outbox.length, 2, "both the create and the message are on disk");
    assert.equal(onDisk.outbox[0]?.key, temporary);

    bench.server.offline = false;
    const reloaded = bench.reload();
    const before = only(reloaded.threads());
    assert.equal(before.id, temporary);
    assert.equal(before.syncStatus, "pending");
    await reloaded.sync();
    const after = only(reloaded.threads());
    assert.equal(after.syncStatus, "synced");
    assert.equal(bench.server.threads.size, 1);
    assert.deepEqual(new Set(bench.server.creates().map((s) => s.key)), new Set([temporary]));
    assert.equal(bench.server.messages.get(after.id)?.length, 1);
  });

  test("a lost answer is retried with the same key and makes no duplicate", async () => {
    const bench = new Bench();
    bench.server.loseResponse("POST", THREAD_CREATE);
    const temporary = bench.client.createThread({ ...THREAD, title: "The answer got lost" }).id;
    await bench.client.sync();
    const creates = bench.server.creates();
    assert.deepEqual(
      creates.map((s) => [s.key, s.fault]),
      [
        [temporary, "lost"],
        [temporary, null],
      ],
    );
    assert.equal(bench.server.threads.size, 1);
    assert.equal(only(bench.client.threads()).id, only([...bench.server.threads.keys()]));
  });

  test("a lost message answer is retried with the message's key and appears once", async () => {
    const bench = new Bench();
    bench.server.loseResponse("POST", MESSAGE_CREATE);
    const temporary = bench.client.createThread({ ...THREAD }).id;
    const message = bench.client.sendMessage(temporary, "only once, please");
    await bench.client.sync();
    assert.deepEqual(
      bench.server.creates(MESSAGE_CREATE).map((s) => s.key),
      [message.id, message.id],
    );
    const thread = only(bench.client.threads());
    assert.equal(bench.server.messages.get(thread.id)?.length, 1);
  });

  test("offline, sync backs off exponentially with jitter on the virtual clock, tries five times, and leaves the thread pending", async () => {
    const bench = new Bench();
    bench.server.offline = true;
    const temporary = bench.client.createThread({ ...THREAD, title: "Never reached the server" }).id;
    bench.client.sendMessage(temporary, "waiting");
    await bench.client.sync();
    assert.equal(bench.server.creates().length, 5, "five attempts, the per-sync limit");
    assert.equal(bench.clock.slept.length, 4);
    bench.clock.slept.forEach((wait, i) => {
      const ceiling = Math.min(30, 0.5 * 2 ** i);
      assert.ok(wait >= ceiling / 2 && wait <= ceiling, `wait ${i + 1} is ${wait}, ceiling ${ceiling}`);
    });
    const thread = only(bench.client.threads());
    assert.equal(thread.syncStatus, "pending", "being offline never fails anything");
    assert.equal(thread.syncError, null);
    assert.equal(thread.messages[0]?.syncStatus, "pending");
    assert.equal(bench.client.outbox()[0]?.state, "queued");
    assert.ok(bench.server.creates().every((s) => s.key === temporary));

    await bench.client.sync();
    assert.equal(bench.server.creates().length, 10, "the next sync tries five times more");
    assert.equal(only(bench.client.threads()).syncStatus, "pending");

    bench.server.offline = false;
    await bench.client.sync();
    const synced = only(bench.client.threads());
    assert.equal(synced.syncStatus, "synced");
    assert.ok(bench.server.creates().every((s) => s.key === temporary));
    assert.equal(bench.server.messages.get(synced.id)?.length, 1);
  });

  test("retry() re-queues a failed thread with the same key, and it syncs", async () => {
    const bench = new Bench();
    bench.server.answerWith(400, "POST", THREAD_CREATE);
    const temporary = bench.client.createThread({ ...THREAD }).id;
    bench.client.sendMessage(temporary, "waiting");
    await bench.client.sync();
    assert.equal(only(bench.client.threads()).syncStatus, "failed");
    bench.client.retryThread(temporary);
    assert.equal(only(bench.client.threads()).syncStatus, "pending");
    await bench.client.sync();
    const thread = only(bench.client.threads());
    assert.equal(thread.syncStatus, "synced");
    assert.deepEqual(new Set(bench.server.creates().map((s) => s.key)), new Set([temporary]));
    assert.equal(bench.server.messages.get(thread.id)?.length, 1);
  });

  test("syncOnce ignores backoff timers and skipBackoff makes waiting entries due", async () => {
    const bench = new Bench();
    bench.server.offline = true;
    bench.client.createThread({ ...THREAD });
    await bench.client.syncOnce();
    await bench.client.syncOnce();
    assert.equal(bench.server.creates().length, 2, "syncOnce tried again despite the backoff");
    const waiting = bench.client.outbox()[0];
    assert.ok((waiting?.notBefore ?? 0) > bench.clock.now());
    bench.client.skipBackoff();
    assert.equal(bench.client.outbox()[0]?.notBefore, 0);
    assert.equal(bench.clock.slept.length, 0, "nothing waited");
  });

  test("retryable statuses (409, 429, 503) are retried with the same key", async () => {
    const bench = new Bench();
    bench.server.answerWith(409, "POST", THREAD_CREATE);
    bench.server.answerWith(429, "POST", THREAD_CREATE);
    bench.server.answerWith(503, "POST", THREAD_CREATE);
    const temporary = bench.client.createThread({ ...THREAD }).id;
    await bench.client.sync();
    assert.deepEqual(
      bench.server.creates().map((s) => [s.key, s.status]),
      [
        [temporary, 409],
        [temporary, 429],
        [temporary, 503],
        [temporary, 201],
      ],
    );
    assert.equal(only(bench.client.threads()).syncStatus, "synced");
  });
});

describe("permanent errors", () => {
  test("a 422 fails the thread at once with the reason and keeps its data", async () => {
    const bench = new Bench();
    bench.server.answerWith(422, "POST", THREAD_CREATE);
    const temporary = bench.client.createThread({ ...THREAD, title: "Key collision" }).id;
    bench.client.sendMessage(temporary, "kept no matter what");
    await bench.client.sync();
    await bench.client.sync();
    assert.deepEqual(
      bench.server.creates().map((s) => s.status),
      [422],
    );
    const thread = only(bench.client.threads());
    assert.equal(thread.syncStatus, "failed");
    assert.match(thread.syncError ?? "", /422/);
    assert.equal(thread.title, "Key collision");
    assert.deepEqual(
      thread.messages.map((m) => m.content),
      ["kept no matter what"],
    );
  });

  test("a 401 fails the thread; after signing in again (a reload), retry() syncs it with the same key", async () => {
    const bench = new Bench();
    bench.reload("not-a-token-the-server-knows");
    const temporary = bench.client.createThread({ ...THREAD, title: "Signed out" }).id;
    bench.client.sendMessage(temporary, "sent while signed out");
    await bench.client.sync();
    assert.deepEqual(
      bench.server.creates().map((s) => s.status),
      [401],
    );
    assert.match(only(bench.client.threads()).syncError ?? "", /401/);

    const signedIn = bench.reload();
    assert.equal(only(signedIn.threads()).syncStatus, "failed", "the failure survives a reload");
    signedIn.retryThread(temporary);
    await signedIn.sync();
    const thread = only(signedIn.threads());
    assert.equal(thread.syncStatus, "synced");
    assert.ok(bench.server.creates().every((s) => s.key === temporary));
    assert.equal(bench.server.messages.get(thread.id)?.length, 1);
  });

  test("a 404 on a message marks the message failed and blocks only that thread", async () => {
    const bench = new Bench();
    const gone = bench.client.createThread({ ...THREAD, title: "Deleted elsewhere" }).id;
    const kept = bench.client.createThread({ ...THREAD, title: "Still there" }).id;
    await bench.client.sync();
    bench.server.answerWith(404, "POST", MESSAGE_CREATE);
    bench.client.sendMessage(gone, "into the void");
    bench.client.sendMessage(kept, "delivered");
    await bench.client.sync();
    const [first, second] = bench.client.threads();
    assert.equal(first?.messages[0]?.syncStatus, "failed");
    assert.equal(second?.messages[0]?.syncStatus, "synced");
    assert.equal(bench.client.resolve(kept), second?.id);
  });

  test("a body the spec refuses is refused locally", () => {
    const bench = new Bench();
    assert.throws(() => bench.client.createThread({ ...THREAD, agentId: "" }), RangeError);
    assert.throws(() => bench.client.createThread({ ...THREAD, title: "x".repeat(201) }), RangeError);
    const id = bench.client.createThread({ ...THREAD }).id;
    assert.throws(() => bench.client.sendMessage(id, ""), RangeError);
    assert.throws(() => bench.client.sendMessage("no-such-thread", "hi"), RangeError);
    assert.equal(bench.client.threads().length, 1);
  });
});

describe("rename and delete", () => {
  test("a rename before the first send changes the create's body; after the swap it is a PATCH", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD, title: "Draft" }).id;
    bench.client.renameThread(temporary, "Final");
    await bench.client.sync();
    const server = only([...bench.server.threads.values()]);
    assert.equal(server.title, "Final");
    bench.client.renameThread(temporary, "Renamed later");
    await bench.client.sync();
    assert.equal(bench.server.threads.get(server.id)?.title, "Renamed later");
    assert.equal(only(bench.client.threads()).syncStatus, "synced");
  });

  test("deleting a never-sent thread sends nothing; deleting a synced one deletes it there", async () => {
    const bench = new Bench();
    const draft = bench.client.createThread({ ...THREAD, title: "Never sent" }).id;
    bench.client.deleteThread(draft);
    const synced = bench.client.createThread({ ...THREAD, title: "Synced" }).id;
    await bench.client.sync();
    assert.equal(bench.server.creates().length, 1);
    bench.client.deleteThread(synced);
    assert.equal(bench.client.currentThreadId(), null);
    await bench.client.sync();
    assert.equal(bench.server.threads.size, 0);
    assert.deepEqual(bench.client.threads(), []);
    assert.deepEqual(bench.client.outbox(), []);
  });
});

describe("the broken clients differ from the reference only where they should", () => {
  test("ignores-response keeps the temporary ID after a successful create", async () => {
    const bench = new Bench(IgnoresResponseClient);
    const temporary = bench.client.createThread({ ...THREAD }).id;
    await bench.client.sync();
    const thread = only(bench.client.threads());
    assert.equal(thread.id, temporary);
    assert.equal(thread.syncStatus, "synced");
    assert.equal(bench.server.threads.size, 1);
  });

  test("new-key-per-retry sends a new key when it retries", async () => {
    const bench = new Bench(NewKeyPerRetryClient);
    bench.server.loseResponse("POST", THREAD_CREATE);
    const temporary = bench.client.createThread({ ...THREAD }).id;
    await bench.client.sync();
    const keys = bench.server.creates().map((s) => s.key);
    assert.equal(keys[0], temporary);
    assert.notEqual(keys[1], temporary);
    assert.equal(bench.server.threads.size, 2, "the lost answer became a duplicate");
  });
});
