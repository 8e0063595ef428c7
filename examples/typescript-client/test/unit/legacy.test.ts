/**
 * The old client's data: migrated into pending threads whose creates are keyed
 * by the old IDs, and at sync the server threads the old client already made are
 * adopted instead of copied.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseDump, toMs } from "../../src/legacy";
import { msToRfc3339 } from "../../src/mapping";
import { MESSAGE_CREATE, ONE_THREAD, THREAD_CREATE } from "./fake-server";
import { Bench, only } from "./helpers";

const CREATED = 1_795_000_000_000;
const LEGACY_ID = "c0ffee00-0000-4000-8000-000000000001";

function legacyThread(id: string | number, overrides: Record<string, unknown> = {}) {
  return {
    id,
    title: "Refund",
    agentId: "support-bot",
    model: "gpt-4o",
    provider: "openai",
    artifactId: null,
    createdAt: CREATED,
    updatedAt: CREATED,
    messages: [
      { id: `${id}-m1`, role: "user", content: "hi", timestamp: CREATED },
      { id: `${id}-m2`, role: "ai", content: "hello", timestamp: CREATED + 1 },
    ],
    ...overrides,
  };
}

/** What the old client posted: the same body, stamped `offsetMs` after the legacy createdAt. */
function oldClientsCopy(bench: Bench, offsetMs: number, overrides: { title?: string; model?: string } = {}) {
  return bench.server.make(overrides.title ?? "Refund", { model: overrides.model ?? "gpt-4o", at: msToRfc3339(CREATED + offsetMs) });
}

describe("migrating the old client's dump", () => {
  test("each legacy thread is pending, its create keyed by its old ID, its messages queued after it", () => {
    const bench = new Bench();
    bench.client.importLegacy({ state: { threads: [legacyThread(LEGACY_ID), legacyThread(1717000000000)], currentThreadId: LEGACY_ID }, version: 0 });
    const threads = bench.client.threads();
    assert.deepEqual(
      threads.map((t) => [t.id, t.syncStatus, t.messages.map((m) => [m.role, m.content, m.syncStatus])]),
      [
        [
          LEGACY_ID,
          "pending",
          [
            ["user", "hi", "pending"],
            ["assistant", "hello", "pending"],
          ],
        ],
        [
          "1717000000000",
          "pending",
          [
            ["user", "hi", "pending"],
            ["assistant", "hello", "pending"],
          ],
        ],
      ],
    );
    assert.equal(bench.client.currentThreadId(), LEGACY_ID);
    const outbox = bench.client.outbox();
    assert.deepEqual(
      outbox.filter((e) => e.threadId === LEGACY_ID).map((e) => [e.kind, e.key, e.adopt]),
      [
        ["createThread", LEGACY_ID, true],
        ["createMessage", `${LEGACY_ID}-m1`, false],
        ["createMessage", `${LEGACY_ID}-m2`, false],
      ],
    );
    bench.client.importLegacy({ threads: [legacyThread(LEGACY_ID)] });
    assert.equal(bench.client.threads().length, 2, "a second import adds nothing twice");
  });

  test("an old ID that cannot be a key gets a fresh one and stays an alias", () => {
    const bench = new Bench();
    bench.client.importLegacy({ threads: [legacyThread(" not a key ")] });
    const thread = only(bench.client.threads());
    assert.notEqual(thread.id, " not a key ");
    assert.deepEqual(thread.aliases, [" not a key "]);
    assert.equal(bench.client.resolve(" not a key "), thread.id);
  });

  test("legacy times and dumps", () => {
    assert.equal(toMs("2026-11-28T09:15:02.120Z"), 1_795_857_302_120);
    assert.equal(toMs("2026-11-28T09:15:02.120"), 1_795_857_302_120, "no zone: UTC");
    assert.equal(toMs("1717000000000"), 1_717_000_000_000);
    assert.equal(toMs("yesterday"), null);
    assert.throws(() => parseDump({ threads: "nope" }), /not legacy thread data/);
  });
});

describe("adopting what the old client made", () => {
  test("the server thread the old client made is adopted, not copied: the legacy ID becomes an alias, the messages follow", async () => {
    const bench = new Bench();
    const twin = oldClientsCopy(bench, 2_000);
    bench.client.importLegacy({ threads: [legacyThread(LEGACY_ID)], currentThreadId: LEGACY_ID });
    await bench.client.sync();
    assert.deepEqual(bench.server.creates(THREAD_CREATE), [], "no second copy");
    assert.equal(bench.server.threads.size, 1);
    const thread = only(bench.client.threads());
    assert.equal(thread.id, twin.id);
    assert.deepEqual(thread.aliases, [LEGACY_ID]);
    assert.equal(thread.syncStatus, "synced");
    assert.equal(bench.client.currentThreadId(), twin.id);
    assert.deepEqual(
      bench.server.creates(MESSAGE_CREATE).map((s) => [s.path, s.key]),
      [
        [`/threads/${twin.id}/messages`, `${LEGACY_ID}-m1`],
        [`/threads/${twin.id}/messages`, `${LEGACY_ID}-m2`],
      ],
    );
    assert.deepEqual(
      (bench.server.messages.get(twin.id) ?? []).map((m) => m.content),
      ["hi", "hello"],
    );
  });

  test("only a copy with the same body, unknown here, made no earlier than createdAt minus five minutes; the earliest wins", async () => {
    const bench = new Bench();
    oldClientsCopy(bench, -6 * 60_000); // too early to be the old client's post
    oldClientsCopy(bench, 1_000, { model: "gpt-3.5" }); // another body
    const later = oldClientsCopy(bench, 60_000);
    const earliest = oldClientsCopy(bench, -4 * 60_000); // clocks differ by up to five minutes
    bench.client.importLegacy({ threads: [legacyThread("legacy-a"), legacyThread("legacy-b")] });
    await bench.client.sync();
    assert.deepEqual(
      bench.client.threads().map((t) => [t.aliases, t.id]),
      [
        [["legacy-a"], earliest.id],
        [["legacy-b"], later.id],
      ],
      "two legacy threads with one body take the two copies in time order",
    );
    bench.client.importLegacy({ threads: [legacyThread("legacy-c")] });
    await bench.client.sync();
    assert.deepEqual(
      bench.server.creates(THREAD_CREATE).map((s) => s.key),
      ["legacy-c"],
      "a copy known here is never adopted again: the third is created, keyed by its old ID",
    );
    assert.equal(bench.server.threads.size, 5);
  });

  test("a pull before the legacy sync does not take the old client's copies for threads made elsewhere", async () => {
    const bench = new Bench();
    const twin = oldClientsCopy(bench, 0);
    bench.client.importLegacy({ threads: [legacyThread(LEGACY_ID)] });
    await bench.client.pull();
    assert.equal(only(bench.client.threads()).id, LEGACY_ID);
    await bench.client.sync();
    await bench.client.pull();
    assert.equal(only(bench.client.threads()).id, twin.id);
  });

  test("renamed before its first sync, a legacy thread is still found by its old title, then renamed", async () => {
    const bench = new Bench();
    const twin = oldClientsCopy(bench, 0);
    bench.client.importLegacy({ threads: [legacyThread(LEGACY_ID)] });
    bench.client.renameThread(LEGACY_ID, "Refund, renamed");
    await bench.client.sync();
    assert.equal(only(bench.client.threads()).id, twin.id);
    assert.equal(bench.server.threads.get(twin.id)?.title, "Refund, renamed");
    assert.equal(bench.server.threads.size, 1);
  });

  test("deleted before its first sync, a legacy thread's server copy is deleted too (a pull would bring it back)", async () => {
    const bench = new Bench();
    oldClientsCopy(bench, 0);
    bench.client.importLegacy({ threads: [legacyThread(LEGACY_ID)] });
    bench.client.deleteThread(LEGACY_ID);
    await bench.client.sync();
    assert.equal(bench.server.threads.size, 0);
    assert.equal(bench.server.requests("DELETE", ONE_THREAD).length, 1);
    await bench.client.pull();
    assert.deepEqual(bench.client.threads(), []);
  });
});
