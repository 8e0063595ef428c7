/**
 * pact-js V4 consumer tests: the real TypeScript client (ThreadClient over
 * ThreadsApi with its default fetch transport) against the pact mock server.
 * Writes pacts/threadpact-web-threadpact-api.json, which threadpact crosscheck
 * holds to openapi.yaml and threadpact verify replays against a provider.
 *
 * Server-made IDs come from provider states (fromProviderState), so the pact
 * verifies against any provider that offers the spec's x-provider-states.
 * Request matchers allow only what the spec allows.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { MatchersV3, PactV4 } from "@pact-foundation/pact";
import type { V4ResponseBuilder } from "@pact-foundation/pact/src/v4/http/types";
import { ThreadsApi, fetchTransport, type Transport } from "../../src/api";
import type { ServerThread } from "../../src/api-types";
import { RetryPolicy } from "../../src/backoff";
import { ThreadClient } from "../../src/client";
import { VirtualClock, seededRandom } from "../../src/clock";
import { localThread } from "../../src/mapping";
import { Store } from "../../src/store";

const { fromProviderState, like, matcherValueOrString, regex, uuid } = MatchersV3;

const PACT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../pacts");
const TOKEN = "pact-token";
const HOLDS_TOKEN = "the caller holds a valid token";

// Examples (the spec's own where it has them).
const THREAD_ID = "0b6c2a5e-3a55-4c2b-8f7e-0d9b1f1c8e21";
const MESSAGE_ID = "5f1e8a40-2a0c-4a1e-9c7b-6e3f0d2b9a10";
const TEMPORARY_ID = "7d3c9a52-4f0e-4a43-9a8a-1d52b1c2a0f1";
const LOCAL_MESSAGE_ID = "c0a80101-0000-4000-8000-000000000001";
const CREATED_AT = "2026-11-28T09:15:02.120000Z";
const BODY = { agent_id: "support-bot", model: "gpt-4o", provider: "openai", title: "Refund for order 1042" };
const FIRST_ETAG = '"1"';
// An ETag (RFC 9110: an opaque quoted string, strong or weak).
const ETAG = '^(W/)?".+"$';
// The spec's If-Match: an ETag of at most 255 characters.
const IF_MATCH = '^(W/)?"[!#-~]{0,251}"$';

// The spec's Idempotency-Key: 1..255 printable ASCII, no leading or trailing space.
const IDEMPOTENCY_KEY = "^[!-~]([ -~]{0,253}[!-~])?$";
const UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const RFC3339 = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$";

const pact = new PactV4({ consumer: "threadpact-web", provider: "threadpact-api", dir: PACT_DIR, logLevel: "warn" });

function key(example: string) {
  return regex(IDEMPOTENCY_KEY, example);
}

function serverThreadBody(id: unknown, title: unknown = like(BODY.title)) {
  return {
    id,
    title,
    agent_id: like(BODY.agent_id),
    model: like(BODY.model),
    provider: like(BODY.provider),
    created_at: regex(RFC3339, CREATED_AT),
    updated_at: regex(RFC3339, CREATED_AT),
  };
}

function problemBody(status: number, title: string) {
  return { type: like("about:blank"), title: like(title), status, detail: like(title) };
}

/**
 * An application/problem+json body with matchers. The V4 builder's jsonBody()
 * always records application/json, which the spec does not document for errors,
 * so this goes one level down, to the interaction the builder wraps (pact-js
 * 16.5.0: ResponseBuilder.interaction.withResponseBody(body, contentType)).
 */
function problemJson(builder: V4ResponseBuilder, body: unknown): void {
  const inner = (builder as unknown as { interaction?: { withResponseBody?: (body: string, contentType: string) => void } }).interaction;
  if (typeof inner?.withResponseBody !== "function") throw new Error("this pact-js has no ResponseBuilder.interaction.withResponseBody");
  inner.withResponseBody(matcherValueOrString(body), "application/problem+json");
}

const dirs: string[] = [];
function storePath(): string {
  const dir = mkdtempSync(join(tmpdir(), "threadpact-pact-"));
  dirs.push(dir);
  return join(dir, "threads.json");
}

/** The real client on a fresh store, talking to the mock server; `ids` are the client's own IDs in order. */
function client(
  url: string,
  { token = TOKEN, ids = [], path = storePath(), transport }: { token?: string; ids?: string[]; path?: string; transport?: Transport } = {},
): ThreadClient {
  const queue = [...ids];
  let counter = 0;
  return new ThreadClient(new Store(path, { durable: false }), new ThreadsApi(url, token, transport ? { transport } : {}), {
    policy: new RetryPolicy({ maxAttempts: 3 }),
    clock: new VirtualClock(1_795_857_302),
    random: seededRandom(1),
    ids: () => queue.shift() ?? `00000000-0000-4000-8000-${String(++counter).padStart(12, "0")}`,
  });
}

/**
 * A store a previous page left: one thread, synced under the server's ID, and the
 * ETag its create's answer carried (a new thread's first version, '"1"' at the
 * reference provider, which is where the "a thread exists" state's thread is).
 */
function storeWithSyncedThread(): string {
  const path = storePath();
  const thread: ServerThread = { id: THREAD_ID, ...BODY, created_at: CREATED_AT, updated_at: CREATED_AT };
  new Store(path, { durable: false }).transaction((state) => {
    state.threads.push(localThread(thread));
    state.currentThreadId = THREAD_ID;
    state.etags[THREAD_ID] = FIRST_ETAG;
  });
  return path;
}

describe("the web client's pact with the threads API", () => {
  before(() => {
    rmSync(PACT_DIR, { recursive: true, force: true }); // pact-js merges into an existing file
    mkdirSync(PACT_DIR, { recursive: true });
  });
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test("a create takes the server's ID; the temporary ID was the key and stays an alias", async () => {
    await pact
      .addInteraction()
      .given(HOLDS_TOKEN, { token: TOKEN })
      .uponReceiving("a request to create a thread")
      .withRequest("POST", "/threads", (builder) => {
        builder.headers({ Authorization: `Bearer ${TOKEN}`, "Idempotency-Key": key(TEMPORARY_ID) }).jsonBody(BODY);
      })
      .willRespondWith(201, (builder) => {
        builder
          .headers({ Location: regex(`^/threads/${UUID_RE}$`, `/threads/${THREAD_ID}`) })
          .jsonBody(serverThreadBody(uuid(THREAD_ID)));
      })
      .executeTest(async (mock) => {
        const web = client(mock.url, { ids: [TEMPORARY_ID] });
        const created = web.createThread({ agentId: BODY.agent_id, model: BODY.model, provider: BODY.provider, title: BODY.title });
        assert.equal(created.id, TEMPORARY_ID);
        const report = await web.sync();
        assert.equal(report.sent, 1);
        const [thread] = web.threads();
        assert.equal(thread?.id, THREAD_ID);
        assert.deepEqual(thread?.aliases, [TEMPORARY_ID]);
        assert.equal(thread?.syncStatus, "synced");
        assert.equal(web.currentThreadId(), THREAD_ID);
      });
  });

  test("a retry after a lost answer sends the same key and adopts the replayed thread", async () => {
    const replayKey = "2f1d6c3e-9b8a-4e7d-8c6b-5a4f3e2d1c0b";
    await pact
      .addInteraction()
      .given(HOLDS_TOKEN, { token: TOKEN })
      .given("a thread was created with an idempotency key", { key: replayKey, ...BODY })
      .uponReceiving("a replayed request to create a thread")
      .withRequest("POST", "/threads", (builder) => {
        builder.headers({ Authorization: `Bearer ${TOKEN}`, "Idempotency-Key": key(replayKey) }).jsonBody(BODY);
      })
      .willRespondWith(201, (builder) => {
        builder
          .headers({
            Location: fromProviderState("/threads/${thread_id}", `/threads/${THREAD_ID}`),
            "Idempotent-Replayed": "true",
          })
          .jsonBody(serverThreadBody(fromProviderState("${thread_id}", THREAD_ID)));
      })
      .executeTest(async (mock) => {
        // The first attempt's answer never arrives (the server did commit it).
        let lost = false;
        const real = fetchTransport();
        const losesFirst: Transport = async (request) => {
          if (!lost) {
            lost = true;
            throw new TypeError("fetch failed", { cause: new Error("socket hang up") });
          }
          return real(request);
        };
        const path = storePath();
        const page = client(mock.url, { ids: [replayKey], path, transport: losesFirst });
        page.createThread({ agentId: BODY.agent_id, model: BODY.model, provider: BODY.provider, title: BODY.title });
        await page.syncOnce();
        assert.equal(page.threads()[0]?.syncStatus, "pending");
        page.close();
        const reloaded = client(mock.url, { path }); // the next page resumes the outbox
        await reloaded.sync();
        const [thread] = reloaded.threads();
        assert.equal(thread?.id, THREAD_ID);
        assert.deepEqual(thread?.aliases, [replayKey]);
        assert.equal(reloaded.threads().length, 1);
      });
  });

  test("a key already used with another body is a 422: the thread fails at once, kept whole", async () => {
    const usedKey = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    await pact
      .addInteraction()
      .given(HOLDS_TOKEN, { token: TOKEN })
      .given("a thread was created with an idempotency key", { key: usedKey, ...BODY, title: "Another request entirely" })
      .uponReceiving("a request to create a thread with a key used for another body")
      .withRequest("POST", "/threads", (builder) => {
        builder.headers({ Authorization: `Bearer ${TOKEN}`, "Idempotency-Key": key(usedKey) }).jsonBody(BODY);
      })
      .willRespondWith(422, (builder) => {
        problemJson(builder, problemBody(422, "Idempotency-Key reused with a different request"));
      })
      .executeTest(async (mock) => {
        const web = client(mock.url, { ids: [usedKey] });
        web.createThread({ agentId: BODY.agent_id, model: BODY.model, provider: BODY.provider, title: BODY.title });
        await web.sync();
        await web.sync(); // a failed thread is not retried without a person
        const [thread] = web.threads();
        assert.equal(thread?.syncStatus, "failed");
        assert.match(thread?.syncError ?? "", /422/);
        assert.equal(thread?.id, usedKey);
      });
  });

  test("a token the provider rejects is a 401: the thread fails at once", async () => {
    await pact
      .addInteraction()
      .uponReceiving("a request to create a thread with a token the provider rejects")
      .withRequest("POST", "/threads", (builder) => {
        builder.headers({ Authorization: "Bearer revoked-token", "Idempotency-Key": key(TEMPORARY_ID) }).jsonBody(BODY);
      })
      .willRespondWith(401, (builder) => {
        builder.headers({ "WWW-Authenticate": regex("^Bearer\\b.*", "Bearer") });
        problemJson(builder, problemBody(401, "Unauthorized"));
      })
      .executeTest(async (mock) => {
        const web = client(mock.url, { token: "revoked-token", ids: [TEMPORARY_ID] });
        web.createThread({ agentId: BODY.agent_id, model: BODY.model, provider: BODY.provider, title: BODY.title });
        await web.sync();
        const [thread] = web.threads();
        assert.equal(thread?.syncStatus, "failed");
        assert.match(thread?.syncError ?? "", /401/);
      });
  });

  test("a message to a synced thread takes the server's ID and keeps its own as clientId", async () => {
    await pact
      .addInteraction()
      .given(HOLDS_TOKEN, { token: TOKEN })
      .given("a thread exists", { title: BODY.title })
      .uponReceiving("a request to add a message to a thread")
      .withRequest("POST", fromProviderState("/threads/${thread_id}/messages", `/threads/${THREAD_ID}/messages`), (builder) => {
        builder
          .headers({ Authorization: `Bearer ${TOKEN}`, "Idempotency-Key": key(LOCAL_MESSAGE_ID) })
          .jsonBody({ role: "user", content: "Where is my refund?" });
      })
      .willRespondWith(201, (builder) => {
        builder
          .headers({
            Location: regex(`^/threads/${UUID_RE}/messages/${UUID_RE}$`, `/threads/${THREAD_ID}/messages/${MESSAGE_ID}`),
          })
          .jsonBody({
            id: uuid(MESSAGE_ID),
            thread_id: fromProviderState("${thread_id}", THREAD_ID),
            role: like("user"),
            content: like("Where is my refund?"),
            created_at: regex(RFC3339, CREATED_AT),
          });
      })
      .executeTest(async (mock) => {
        const web = client(mock.url, { ids: [LOCAL_MESSAGE_ID], path: storeWithSyncedThread() });
        web.sendMessage(THREAD_ID, "Where is my refund?", "user");
        await web.sync();
        const [message] = web.threads()[0]?.messages ?? [];
        assert.equal(message?.id, MESSAGE_ID);
        assert.equal(message?.clientId, LOCAL_MESSAGE_ID);
        assert.equal(message?.syncStatus, "synced");
      });
  });

  test("a message to a thread the server does not have is a 404: the message fails, nothing is deleted", async () => {
    const localId = "c0a80101-0000-4000-8000-000000000002";
    await pact
      .addInteraction()
      .given(HOLDS_TOKEN, { token: TOKEN })
      .given("no threads exist")
      .uponReceiving("a request to add a message to a thread that does not exist")
      .withRequest("POST", `/threads/${THREAD_ID}/messages`, (builder) => {
        builder
          .headers({ Authorization: `Bearer ${TOKEN}`, "Idempotency-Key": key(localId) })
          .jsonBody({ role: "user", content: "Anyone there?" });
      })
      .willRespondWith(404, (builder) => {
        problemJson(builder, problemBody(404, "Not found"));
      })
      .executeTest(async (mock) => {
        const web = client(mock.url, { ids: [localId], path: storeWithSyncedThread() });
        web.sendMessage(THREAD_ID, "Anyone there?", "user");
        await web.sync();
        const [thread] = web.threads();
        assert.equal(thread?.messages[0]?.syncStatus, "failed");
        assert.equal(thread?.messages[0]?.content, "Anyone there?");
        assert.equal(web.outbox()[0]?.lastStatus, 404);
      });
  });

  test("a rename of a synced thread is a PATCH of its title, If-Match the ETag the client last saw", async () => {
    await pact
      .addInteraction()
      .given(HOLDS_TOKEN, { token: TOKEN })
      .given("a thread exists", { title: BODY.title })
      .uponReceiving("a request to rename a thread")
      .withRequest("PATCH", fromProviderState("/threads/${thread_id}", `/threads/${THREAD_ID}`), (builder) => {
        builder.headers({ Authorization: `Bearer ${TOKEN}`, "If-Match": regex(IF_MATCH, FIRST_ETAG) }).jsonBody({ title: "Refund approved" });
      })
      .willRespondWith(200, (builder) => {
        builder
          .headers({ ETag: regex(ETAG, '"2"') })
          .jsonBody(serverThreadBody(fromProviderState("${thread_id}", THREAD_ID), "Refund approved"));
      })
      .executeTest(async (mock) => {
        const web = client(mock.url, { path: storeWithSyncedThread() });
        web.renameThread(THREAD_ID, "Refund approved");
        await web.sync();
        const [thread] = web.threads();
        assert.equal(thread?.title, "Refund approved");
        assert.equal(thread?.syncStatus, "synced");
        assert.equal(web.etag(THREAD_ID), '"2"', "the next rename's If-Match");
      });
  });

  test("a delete of a synced thread is a DELETE", async () => {
    await pact
      .addInteraction()
      .given(HOLDS_TOKEN, { token: TOKEN })
      .given("a thread exists", { title: BODY.title })
      .uponReceiving("a request to delete a thread")
      .withRequest("DELETE", fromProviderState("/threads/${thread_id}", `/threads/${THREAD_ID}`), (builder) => {
        builder.headers({ Authorization: `Bearer ${TOKEN}` });
      })
      .willRespondWith(204)
      .executeTest(async (mock) => {
        const web = client(mock.url, { path: storeWithSyncedThread() });
        web.deleteThread(THREAD_ID);
        await web.sync();
        assert.deepEqual(web.threads(), []);
        assert.deepEqual(web.outbox(), []);
      });
  });

  test("the pact file is written", () => {
    assert.deepEqual(readdirSync(PACT_DIR), ["threadpact-web-threadpact-api.json"]);
  });
});
