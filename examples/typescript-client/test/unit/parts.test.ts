import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isValidIdempotencyKey, retryAfter } from "../../src/api";
import type { LocalThread, ServerThread } from "../../src/api-types";
import { RetryPolicy } from "../../src/backoff";
import { ClientError, InFlight, NetworkError, NotFound, ServerError, Throttled, errorClass, isPermanentStatus } from "../../src/errors";
import { adoptServerThread, localThread, msToRfc3339, rfc3339ToMs, serverThread } from "../../src/mapping";
import { Store, StoreClosed, StoreCorrupt } from "../../src/store";
import { tempDir } from "./helpers";

const SERVER: ServerThread = {
  id: "0b6c2a5e-3a55-4c2b-8f7e-0d9b1f1c8e21",
  title: "Refund for order 1042",
  agent_id: "support-bot",
  model: "gpt-4o",
  provider: "openai",
  created_at: "2026-11-28T09:15:02.120999Z",
  updated_at: "2026-11-28T09:15:02.120000Z",
};

describe("the store", () => {
  test("every change is on disk at once, written through a temporary file that does not stay", () => {
    const path = join(tempDir(), "nested", "threads.json");
    const store = new Store(path);
    store.transaction((state) => {
      state.currentThreadId = "x";
    });
    const onDisk = JSON.parse(readFileSync(path, "utf8")) as { format: string; currentThreadId: string };
    assert.equal(onDisk.format, "threadpact-client-store");
    assert.equal(onDisk.currentThreadId, "x");
    assert.deepEqual(
      readdirSync(join(path, "..")).filter((n) => n.endsWith(".tmp")),
      [],
    );
    assert.equal(new Store(path).snapshot().currentThreadId, "x", "a reload sees it");
  });

  test("a transaction that throws changes nothing, in memory or on disk", () => {
    const path = join(tempDir(), "threads.json");
    const store = new Store(path);
    const before = readFileSync(path, "utf8");
    assert.throws(() =>
      store.transaction((state) => {
        state.currentThreadId = "half-done";
        throw new Error("boom");
      }),
    );
    assert.equal(store.snapshot().currentThreadId, null);
    assert.equal(readFileSync(path, "utf8"), before);
  });

  test("a stale temporary file from a crash is removed; a corrupt store is refused, not overwritten", () => {
    const dir = tempDir();
    const path = join(dir, "threads.json");
    new Store(path);
    const stale = join(dir, ".threads.json.abc.tmp");
    writeFileSync(stale, "{half");
    new Store(path);
    assert.equal(existsSync(stale), false);
    writeFileSync(path, "not json");
    assert.throws(() => new Store(path), StoreCorrupt);
    assert.equal(readFileSync(path, "utf8"), "not json");
  });

  test("a closed store writes nothing more", () => {
    const store = new Store(join(tempDir(), "threads.json"));
    store.close();
    assert.throws(() => store.transaction(() => undefined), StoreClosed);
  });
});

describe("the retry policy", () => {
  test("ceilings double up to the cap; the jitter keeps a wait in the ceiling's upper half", () => {
    const policy = new RetryPolicy({ base: 0.5, cap: 30, maxAttempts: 5 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => policy.ceiling(n)),
      [0.5, 1, 2, 4, 8, 16, 30, 30],
    );
    assert.equal(policy.delay(3, 0), 1);
    assert.equal(policy.delay(3, 0.5), 1.5);
    assert.equal(policy.delay(1, 0.5, 7), 7, "Retry-After is a floor");
    assert.equal(policy.ceiling(100_000), 30);
    assert.equal(policy.maxAttempts, 5, "tries per sync run, not a limit that fails anything");
    assert.throws(() => new RetryPolicy({ jitter: 2 }), RangeError);
  });

  test("Retry-After in seconds or as a date", () => {
    assert.equal(retryAfter({ "retry-after": "3" }), 3);
    assert.equal(retryAfter({ "retry-after": new Date(10_000).toUTCString() }, 4_000), 6);
    assert.equal(retryAfter({}), null);
  });
});

describe("errors by status", () => {
  test("what retrying can fix, and what it cannot", () => {
    assert.equal(errorClass(408), Throttled);
    assert.equal(errorClass(409), InFlight);
    assert.equal(errorClass(429), Throttled);
    assert.equal(errorClass(503), ServerError);
    assert.equal(errorClass(404), NotFound);
    assert.equal(errorClass(422), ClientError);
    for (const status of [400, 401, 403, 404, 412, 413, 415, 422]) assert.equal(isPermanentStatus(status), true, String(status));
    for (const status of [408, 409, 425, 429, 500, 502, 503]) assert.equal(isPermanentStatus(status), false, String(status));
    assert.ok(new NetworkError("createThread", "no answer").message.startsWith("createThread: no answer"));
  });

  test("the Idempotency-Key rule of the spec", () => {
    assert.equal(isValidIdempotencyKey("7d3c9a52-4f0e-4a43-9a8a-1d52b1c2a0f1"), true);
    assert.equal(isValidIdempotencyKey("a b"), true);
    assert.equal(isValidIdempotencyKey(" a"), false);
    assert.equal(isValidIdempotencyKey(""), false);
    assert.equal(isValidIdempotencyKey("x".repeat(255)), true);
    assert.equal(isValidIdempotencyKey("x".repeat(256)), false);
    assert.equal(isValidIdempotencyKey("é"), false);
  });
});

describe("the mapping", () => {
  test("server times become milliseconds, rounded down, offsets honoured", () => {
    assert.equal(rfc3339ToMs("2026-11-28T09:15:02.120999Z"), 1_795_857_302_120);
    assert.equal(rfc3339ToMs("2026-11-28T10:15:02.1+01:00"), 1_795_857_302_100);
    assert.equal(rfc3339ToMs("2026-11-28T09:15:02Z"), 1_795_857_302_000);
    assert.throws(() => rfc3339ToMs("yesterday"), RangeError);
    assert.equal(msToRfc3339(1_795_857_302_120), "2026-11-28T09:15:02.120Z");
  });

  test("server -> local -> server keeps everything but sub-millisecond digits", () => {
    const local = localThread(SERVER);
    assert.equal(local.syncStatus, "synced");
    assert.deepEqual(serverThread(local), {
      ...SERVER,
      created_at: "2026-11-28T09:15:02.120Z",
      updated_at: "2026-11-28T09:15:02.120Z",
    });
  });

  test("adopting the server thread keeps the local title and files the old ID as an alias", () => {
    const pending: LocalThread = {
      id: "temp-1",
      title: "Renamed meanwhile",
      agentId: "support-bot",
      model: "gpt-4o",
      provider: "openai",
      messages: [],
      createdAt: 1,
      updatedAt: 1_900_000_000_000,
      artifactId: null,
      syncStatus: "pending",
      syncError: null,
      aliases: [],
    };
    const adopted = adoptServerThread(pending, SERVER);
    assert.equal(adopted.id, SERVER.id);
    assert.equal(adopted.title, "Renamed meanwhile");
    assert.deepEqual(adopted.aliases, ["temp-1"]);
    assert.equal(adopted.createdAt, 1_795_857_302_120);
    assert.equal(adopted.updatedAt, 1_900_000_000_000);
  });
});
