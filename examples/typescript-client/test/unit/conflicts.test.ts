/**
 * Conflicting edits and changes made elsewhere: renames carry If-Match with the
 * last ETag seen (kept in the store, not in LocalThread); on a 412 the server
 * wins; pull adds, renames and removes what other devices did, and never
 * resurrects a deleted thread or shows a thread twice.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { StoreState } from "../../src/store";
import { ONE_THREAD, THREAD_CREATE } from "./fake-server";
import { Bench, THREAD, only } from "./helpers";

const LOCAL_THREAD_KEYS = [
  "agentId",
  "aliases",
  "artifactId",
  "createdAt",
  "id",
  "messages",
  "model",
  "provider",
  "syncError",
  "syncStatus",
  "title",
  "updatedAt",
];

const renames = (bench: Bench) => bench.server.requests("PATCH", ONE_THREAD);

describe("renames carry If-Match", () => {
  test("with the create's ETag, then each rename's own; kept in the store, not in LocalThread", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD, title: "Draft" }).id;
    await bench.client.sync();
    const id = only(bench.client.threads()).id;
    bench.client.renameThread(temporary, "Second");
    await bench.client.sync();
    bench.client.renameThread(id, "Third");
    await bench.client.sync();
    assert.deepEqual(
      renames(bench).map((s) => [s.ifMatch, s.status]),
      [
        ['"1"', 200],
        ['"2"', 200],
      ],
    );
    assert.equal(bench.server.threads.get(id)?.title, "Third");
    const onDisk = JSON.parse(readFileSync(bench.storePath, "utf8")) as StoreState;
    assert.deepEqual(onDisk.etags, { [id]: '"3"' });
    assert.deepEqual(Object.keys(only(onDisk.threads)).sort(), LOCAL_THREAD_KEYS);
    assert.equal(bench.client.etag(temporary), '"3"', "found by any of the thread's IDs");
  });

  test("a store that never saw the thread's ETag reads it first, and sends that", async () => {
    const bench = new Bench();
    bench.client.createThread({ ...THREAD, title: "Old store" });
    await bench.client.sync();
    const id = only(bench.client.threads()).id;
    bench.client.store.transaction((state) => {
      state.etags = {}; // as a store written before ETags were kept
    });
    bench.server.renameElsewhere(id, "Renamed elsewhere");
    bench.client.renameThread(id, "Mine");
    await bench.client.sync();
    assert.deepEqual(
      bench.server.sent.slice(-2).map((s) => [s.method, s.ifMatch, s.status]),
      [
        ["GET", null, 200],
        ["PATCH", '"2"', 200],
      ],
    );
    assert.equal(bench.server.threads.get(id)?.title, "Mine");
  });

  test("on a 412 the server wins: the thread takes the server's title and ETag and is synced, not failed", async () => {
    const bench = new Bench();
    const temporary = bench.client.createThread({ ...THREAD, title: "Original" }).id;
    await bench.client.sync();
    const id = only(bench.client.threads()).id;
    bench.server.renameElsewhere(id, "Renamed on the phone");
    bench.client.renameThread(temporary, "Renamed here");
    assert.equal(only(bench.client.threads()).title, "Renamed here", "optimistic");
    await bench.client.sync();
    assert.deepEqual(
      renames(bench).map((s) => [s.ifMatch, s.status]),
      [['"1"', 412]],
    );
    const thread = only(bench.client.threads());
    assert.equal(thread.title, "Renamed on the phone");
    assert.equal(thread.syncStatus, "synced");
    assert.equal(thread.syncError, null);
    assert.deepEqual(bench.client.outbox(), []);
    assert.equal(bench.client.etag(id), '"2"');
    bench.client.renameThread(id, "Renamed here, knowing");
    await bench.client.sync();
    assert.equal(bench.server.threads.get(id)?.title, "Renamed here, knowing", "the next rename is based on the server's version");
  });

  test("a 412 drops only the stale rename: one queued after it is the user's newer change and still goes out", async () => {
    const bench = new Bench();
    bench.client.createThread({ ...THREAD, title: "Original" });
    await bench.client.sync();
    const id = only(bench.client.threads()).id;
    bench.server.renameElsewhere(id, "Elsewhere");
    bench.client.renameThread(id, "First try");
    bench.server.during("PATCH", ONE_THREAD, () => {
      bench.client.renameThread(id, "Second thought"); // typed while the first rename is on the wire
    });
    await bench.client.sync();
    assert.deepEqual(
      renames(bench).map((s) => [s.ifMatch, s.status]),
      [
        ['"1"', 412],
        ['"2"', 200],
      ],
    );
    assert.equal(only(bench.client.threads()).title, "Second thought");
    assert.equal(bench.server.threads.get(id)?.title, "Second thought");
  });
});

describe("pull", () => {
  test("adds threads and messages made elsewhere, following every page", async () => {
    const bench = new Bench();
    const made = ["One", "Two", "Three"].map((title) => bench.server.make(title));
    bench.server.messageElsewhere(made[0]?.id ?? "", "from the phone");
    const report = await bench.client.pull();
    assert.deepEqual(report, { threads: 3, messages: 1, renamed: 0, removed: 0 });
    const threads = bench.client.threads();
    assert.deepEqual(
      threads.map((t) => [t.id, t.title, t.syncStatus]),
      made.map((t) => [t.id, t.title, "synced"]),
      "oldest first, synced",
    );
    assert.deepEqual(
      threads[0]?.messages.map((m) => [m.content, m.syncStatus]),
      [["from the phone", "synced"]],
    );
    assert.deepEqual(await bench.client.pull(), { threads: 0, messages: 0, renamed: 0, removed: 0 }, "nothing twice");
    bench.client.renameThread(made[1]?.id ?? "", "Renamed after a pull");
    await bench.client.sync();
    assert.equal(renames(bench)[0]?.ifMatch, '"1"', "a pull keeps the ETags it read");
  });

  test("applies renames and deletes made elsewhere, keeps a rename still queued here", async () => {
    const bench = new Bench();
    for (const title of ["Renamed there", "Deleted there", "Renamed both places"]) bench.client.createThread({ ...THREAD, title });
    await bench.client.sync();
    const [renamed, deleted, both] = bench.client.threads().map((t) => t.id) as [string, string, string];
    bench.client.selectThread(deleted);
    bench.server.renameElsewhere(renamed, "New title from the phone");
    bench.server.deleteElsewhere(deleted);
    bench.server.renameElsewhere(both, "The phone's title");
    bench.server.offline = true;
    bench.client.renameThread(both, "This tab's title");
    await bench.client.syncOnce();
    bench.server.offline = false;
    const report = await bench.client.pull();
    assert.deepEqual(report, { threads: 0, messages: 0, renamed: 1, removed: 1 });
    assert.deepEqual(
      bench.client.threads().map((t) => [t.id, t.title]),
      [
        [renamed, "New title from the phone"],
        [both, "This tab's title"],
      ],
    );
    assert.equal(bench.client.currentThreadId(), null, "the current thread was deleted elsewhere");
  });

  test("never brings back a thread whose delete is queued", async () => {
    const bench = new Bench();
    const queued = bench.client.createThread({ ...THREAD, title: "Delete queued" }).id;
    await bench.client.sync();
    bench.client.deleteThread(queued); // not sent yet
    await bench.client.pull();
    assert.deepEqual(bench.client.threads(), []);
    assert.equal(bench.server.threads.size, 1, "the server still has it");
    await bench.client.sync();
    assert.equal(bench.server.threads.size, 0);
    await bench.client.pull();
    assert.deepEqual(bench.client.threads(), []);
  });

  test("never brings back a thread another tab deleted while this one read the server", async () => {
    const bench = new Bench();
    const other = bench.tab("b");
    const byOther = bench.client.createThread({ ...THREAD, title: "Deleted by tab B meanwhile" }).id;
    bench.client.createThread({ ...THREAD, title: "Kept" });
    await bench.client.sync();
    const kept = bench.client.threads()[1]?.id ?? "";
    // This tab has read the first thread (it is in its fetch) when tab B deletes it and sends the delete.
    bench.server.during("GET", new RegExp(`^/threads/${kept}/messages$`), async () => {
      other.deleteThread(byOther);
      await other.sync();
    });
    await bench.client.pull();
    assert.deepEqual(
      bench.client.threads().map((t) => t.title),
      ["Kept"],
    );
    assert.equal(bench.server.threads.size, 1);
  });

  test("does not remove a thread another tab swapped in after the listing began", async () => {
    const bench = new Bench();
    const other = bench.tab("b");
    bench.server.make("Made elsewhere");
    let first = true;
    bench.server.during("GET", ONE_THREAD, async () => {
      if (!first) return;
      first = false;
      other.createThread({ ...THREAD, title: "Swapped in meanwhile" });
      await other.sync();
    }, 10);
    await bench.client.pull();
    assert.deepEqual(
      bench.client.threads().map((t) => [t.title, t.syncStatus]),
      [
        ["Swapped in meanwhile", "synced"],
        ["Made elsewhere", "synced"],
      ],
    );
    await bench.client.pull();
    assert.equal(bench.client.threads().length, 2);
  });

  test("adds no unknown thread while one of its own creates has no answer: it could be that create", async () => {
    const bench = new Bench();
    bench.server.loseResponse("POST", THREAD_CREATE);
    const temporary = bench.client.createThread({ ...THREAD, title: "Answer lost" }).id;
    await bench.client.syncOnce();
    bench.server.make("Made elsewhere");
    await bench.client.pull();
    assert.deepEqual(
      bench.client.threads().map((t) => [t.id, t.syncStatus]),
      [[temporary, "pending"]],
      "shown once, pending, under its temporary ID",
    );
    await bench.client.sync();
    await bench.client.pull();
    assert.deepEqual(
      bench.client.threads().map((t) => t.title),
      ["Answer lost", "Made elsewhere"],
    );
    assert.equal(bench.server.threads.size, 2);
  });

  test("a create the server refused (422) made nothing: it does not hold back threads made elsewhere", async () => {
    const bench = new Bench();
    bench.server.answerWith(422, "POST", THREAD_CREATE);
    bench.client.createThread({ ...THREAD, title: "Refused" });
    await bench.client.sync();
    const made = bench.server.make("Made elsewhere");
    await bench.client.pull();
    assert.deepEqual(
      bench.client.threads().map((t) => [t.title, t.syncStatus]),
      [
        ["Refused", "failed"],
        ["Made elsewhere", "synced"],
      ],
    );
    assert.equal(bench.client.thread(made.id)?.id, made.id);
  });

  test("messages made elsewhere go before this tab's unsent ones; none while one of its own has no answer", async () => {
    const bench = new Bench();
    const id = bench.client.createThread({ ...THREAD }).id;
    bench.client.sendMessage(id, "first, from here");
    await bench.client.sync();
    const serverId = only(bench.client.threads()).id;
    bench.server.messageElsewhere(serverId, "second, from the phone");
    bench.client.sendMessage(id, "third, not sent yet");
    await bench.client.pull();
    assert.deepEqual(
      only(bench.client.threads()).messages.map((m) => [m.content, m.syncStatus]),
      [
        ["first, from here", "synced"],
        ["second, from the phone", "synced"],
        ["third, not sent yet", "pending"],
      ],
    );
    bench.server.loseResponse("POST", /^\/threads\/[^/]+\/messages$/);
    await bench.client.syncOnce(); // the third is on the server now, under an ID this tab does not know
    bench.server.messageElsewhere(serverId, "fourth, from the phone");
    await bench.client.pull();
    assert.equal(only(bench.client.threads()).messages.length, 3, "the lost one could be shown twice: wait for its answer");
    await bench.client.sync();
    await bench.client.pull();
    assert.deepEqual(
      only(bench.client.threads()).messages.map((m) => m.content),
      (bench.server.messages.get(serverId) ?? []).map((m) => m.content),
    );
  });
});
