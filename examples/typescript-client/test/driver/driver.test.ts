/**
 * The driver against a real reference provider, through a fault proxy: the
 * protocol, requests handled while another waits on the network, the swap, a lost
 * answer, a reload, a 401 and a manual retry, both broken variants, and the hard
 * cases: two driver processes on one store (tabs), outages with online/advance
 * and Retry-After, renames with If-Match and a 412, pull, and the legacy import.
 */
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { LocalThread, ServerThread } from "../../src/api-types";
import { DriverProcess, FaultProxy, Provider, THREADPACT, tempDir } from "./harness";

const THREAD = { agent_id: "support-bot", model: "gpt-4o", provider: "openai" };
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

const skip = existsSync(THREADPACT) ? false : `no threadpact at ${THREADPACT} (set THREADPACT_BIN)`;

describe("the driver", { skip }, () => {
  const provider = new Provider();
  const dir = tempDir();
  let user = 0;

  before(async () => provider.start());
  after(async () => {
    await provider.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh user, proxy and driver for one test; `tab()` opens another driver process on the same store. */
  async function bench(args: string[] = []) {
    user += 1;
    const token = `tok-${user}`;
    const storePath = join(dir, `store-${user}.json`);
    const proxy = new FaultProxy(provider.url);
    await proxy.start();
    const driver = new DriverProcess(args);
    const tabs: DriverProcess[] = [];
    await driver.call("open", { base_url: proxy.url, token, store_path: storePath });
    const tab = async () => {
      const other = new DriverProcess(args);
      tabs.push(other);
      await other.call("open", { base_url: proxy.url, token, store_path: storePath });
      return other;
    };
    const serverThreads = async () => (await provider.get<{ items: ServerThread[] }>("/threads?limit=100", token)).items;
    const serverMessages = async (id: string) =>
      (await provider.get<{ items: Array<{ id: string; content: string }> }>(`/threads/${id}/messages?limit=100`, token)).items;
    /** Another device: a request straight to the provider. */
    const elsewhere = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      provider.call(method, path, token, body, headers);
    const close = async () => {
      for (const process of [driver, ...tabs]) {
        assert.equal(await process.end(), 0);
        assert.deepEqual(process.stray, [], "nothing but answers on stdout");
      }
      await proxy.stop();
    };
    return { token, proxy, driver, tab, serverThreads, serverMessages, elsewhere, close };
  }

  test("create, select, sync: the swap, the alias, the current thread, the LocalThread shape", async () => {
    const { proxy, driver, serverThreads, close } = await bench();
    const temporary = await driver.call<string>("create_thread", { title: "Refund for order 1042", ...THREAD });
    assert.equal(await driver.call("select_thread", { thread_id: temporary }), null);
    assert.equal(await driver.call("sync"), null);
    const [server] = await serverThreads();
    const [thread] = await driver.call<LocalThread[]>("threads");
    assert.equal(thread?.id, server?.id);
    assert.deepEqual(thread?.aliases, [temporary]);
    assert.deepEqual(Object.keys(thread ?? {}).sort(), LOCAL_THREAD_KEYS);
    assert.equal(await driver.call("current_thread_id"), server?.id);
    assert.deepEqual(
      proxy.creates().map((s) => s.key),
      [temporary],
    );
    await close();
  });

  test("messages sent while the create is on the wire follow the swap in order", async () => {
    const { proxy, driver, serverThreads, serverMessages, close } = await bench();
    const temporary = await driver.call<string>("create_thread", { title: "Typed while creating", ...THREAD });
    const typed: string[] = [];
    proxy.during("POST", /^\/threads$/, async () => {
      for (const content of ["Where is my refund?", "Let me check.", "Thanks!"]) {
        typed.push(await driver.call<string>("send_message", { thread_id: temporary, role: "user", content }));
      }
    });
    await driver.call("sync");
    const [server] = await serverThreads();
    const [thread] = await driver.call<LocalThread[]>("threads");
    const remote = await serverMessages(server?.id ?? "");
    assert.equal(thread?.id, server?.id);
    assert.deepEqual(
      thread?.messages.map((m) => [m.id, m.clientId]),
      remote.map((m, i) => [m.id, typed[i]]),
    );
    assert.deepEqual(
      proxy.creates(/^\/threads\/[^/]+\/messages$/).map((s) => s.key),
      typed,
    );
    await close();
  });

  test("a lost answer is retried with the same key: one server thread", async () => {
    const { proxy, driver, serverThreads, close } = await bench();
    proxy.loseResponse("POST", /^\/threads$/);
    const temporary = await driver.call<string>("create_thread", { title: "The answer got lost", ...THREAD });
    await driver.call("sync");
    assert.deepEqual(
      proxy.creates().map((s) => [s.key, s.fault]),
      [
        [temporary, "lost"],
        [temporary, null],
      ],
    );
    const servers = await serverThreads();
    assert.equal(servers.length, 1);
    assert.equal((await driver.call<LocalThread[]>("threads"))[0]?.id, servers[0]?.id);
    await close();
  });

  test("a reload resumes the outbox; skip_backoff and sync_once", async () => {
    const { proxy, driver, serverThreads, close } = await bench();
    proxy.offline = true;
    const temporary = await driver.call<string>("create_thread", { title: "Queued before a reload", ...THREAD });
    await driver.call("send_message", { thread_id: temporary, role: "user", content: "typed offline" });
    await driver.call("sync_once");
    proxy.offline = false;
    await driver.call("reload");
    const [pending] = await driver.call<LocalThread[]>("threads");
    assert.equal(pending?.id, temporary);
    assert.equal(pending?.syncStatus, "pending");
    await driver.call("skip_backoff");
    await driver.call("sync_once");
    const [thread] = await driver.call<LocalThread[]>("threads");
    assert.equal(thread?.syncStatus, "synced");
    assert.equal(thread?.messages[0]?.syncStatus, "synced");
    assert.equal((await serverThreads()).length, 1);
    assert.ok(proxy.creates().every((s) => s.key === temporary));
    await close();
  });

  test("a 401 fails the thread at once; signed in again, retry syncs it with the same key", async () => {
    const { token, proxy, driver, close } = await bench();
    const store = join(dir, `store-401-${token}.json`);
    await driver.call("open", { base_url: proxy.url, token: "not-a-token-the-server-knows", store_path: store });
    const temporary = await driver.call<string>("create_thread", { title: "Signed out", ...THREAD });
    await driver.call("sync");
    await driver.call("sync");
    assert.deepEqual(
      proxy.creates().map((s) => s.status),
      [401],
    );
    const [failed] = await driver.call<LocalThread[]>("threads");
    assert.equal(failed?.syncStatus, "failed");
    assert.match(failed?.syncError ?? "", /401/);
    await driver.call("open", { base_url: proxy.url, token, store_path: store });
    await driver.call("retry", { thread_id: temporary });
    await driver.call("sync");
    const [thread] = await driver.call<LocalThread[]>("threads");
    assert.equal(thread?.syncStatus, "synced");
    assert.ok(proxy.creates().every((s) => s.key === temporary));
    await close();
  });

  test("an unknown op or a client error answers an error and the driver goes on", async () => {
    const { driver, close } = await bench();
    await assert.rejects(driver.call("fly"), /unknown op "fly"/);
    await assert.rejects(driver.call("send_message", { thread_id: "nope", role: "user", content: "hi" }), /no local thread/);
    await assert.rejects(driver.call("create_thread", { title: "t", agent_id: "", model: "m", provider: "p" }), /agent_id/);
    assert.deepEqual(await driver.call("threads"), []);
    assert.equal(await driver.call("close"), null);
    await close();
  });

  test("broken: ignores-response keeps the temporary ID", async () => {
    const { driver, serverThreads, close } = await bench(["--broken", "ignores-response"]);
    const temporary = await driver.call<string>("create_thread", { title: "Ignored", ...THREAD });
    await driver.call("sync");
    assert.equal((await serverThreads()).length, 1);
    assert.equal((await driver.call<LocalThread[]>("threads"))[0]?.id, temporary);
    await close();
  });

  test("broken: new-key-per-retry turns a lost answer into a duplicate", async () => {
    const { proxy, driver, serverThreads, close } = await bench(["--broken=new-key-per-retry"]);
    proxy.loseResponse("POST", /^\/threads$/);
    const temporary = await driver.call<string>("create_thread", { title: "Rekeyed", ...THREAD });
    await driver.call("sync");
    const keys = proxy.creates().map((s) => s.key);
    assert.equal(keys[0], temporary);
    assert.notEqual(keys[1], temporary);
    assert.equal((await serverThreads()).length, 2);
    await close();
  });

  // -- the hard cases ---------------------------------------------------------------

  test("tabs: two driver processes on one store see each other's writes and lose none", async () => {
    const { driver, tab, serverThreads, close } = await bench();
    const other = await tab();
    const mine = await driver.call<string>("create_thread", { title: "Made in tab A", ...THREAD });
    const theirs = await other.call<string>("create_thread", { title: "Made in tab B", ...THREAD });
    await driver.call("send_message", { thread_id: theirs, role: "user", content: "A in B's thread" });
    await other.call("send_message", { thread_id: mine, role: "user", content: "B in A's thread" });
    await other.call("rename_thread", { thread_id: mine, title: "A's, renamed in B" });
    for (const process of [driver, other]) {
      const shown = await process.call<LocalThread[]>("threads");
      assert.deepEqual(
        shown.map((t) => [t.id, t.title, t.messages.map((m) => m.content)]),
        [
          [mine, "A's, renamed in B", ["B in A's thread"]],
          [theirs, "Made in tab B", ["A in B's thread"]],
        ],
      );
    }
    await driver.call("sync");
    await other.call("sync");
    const server = await serverThreads();
    assert.deepEqual(server.map((t) => t.title).sort(), ["A's, renamed in B", "Made in tab B"]);
    const shown = await other.call<LocalThread[]>("threads");
    assert.deepEqual(
      shown.map((t) => t.syncStatus),
      ["synced", "synced"],
    );
    await close();
  });

  test("tabs: while tab A's create is on the wire, tab B's sync sends nothing; B's message follows A's swap", async () => {
    const { proxy, driver, tab, serverThreads, serverMessages, close } = await bench();
    const other = await tab();
    const temporary = await driver.call<string>("create_thread", { title: "Whose create?", ...THREAD });
    proxy.during("POST", /^\/threads$/, async () => {
      await other.call("sync_once");
      await other.call("sync");
      await other.call("send_message", { thread_id: temporary, role: "user", content: "typed in tab B meanwhile" });
    });
    await driver.call("sync");
    assert.deepEqual(
      proxy.sent.map((s) => [s.method, s.path === "/threads" ? s.key : "message", s.status]),
      [
        ["POST", temporary, 201],
        ["POST", "message", 201],
      ],
    );
    const [server] = await serverThreads();
    assert.deepEqual(
      (await serverMessages(server?.id ?? "")).map((m) => m.content),
      ["typed in tab B meanwhile"],
    );
    assert.equal((await other.call<LocalThread[]>("threads"))[0]?.id, server?.id);
    await close();
  });

  test("tabs: what a tab closed while offline left pending is sent by the next tab that comes online", async () => {
    const { proxy, driver, tab, serverThreads, close } = await bench();
    const other = await tab();
    proxy.offline = true;
    const temporary = await other.call<string>("create_thread", { title: "Left by a closed tab", ...THREAD });
    const message = await other.call<string>("send_message", { thread_id: temporary, role: "user", content: "typed offline" });
    await other.call("sync");
    await other.call("close");
    proxy.offline = false;
    const before = proxy.sent.length;
    await driver.call("online");
    assert.deepEqual(
      proxy.sent.slice(before).map((s) => [s.key, s.status]),
      [
        [temporary, 201],
        [message, 201],
      ],
    );
    assert.equal((await serverThreads()).length, 1);
    assert.equal((await driver.call<LocalThread[]>("threads"))[0]?.syncStatus, "synced");
    await close();
  });

  test("outages: offline never fails; a 429's Retry-After holds until advance moves the clock past it", async () => {
    const { proxy, driver, close } = await bench();
    proxy.offline = true;
    const temporary = await driver.call<string>("create_thread", { title: "Through an outage", ...THREAD });
    await driver.call("sync");
    await driver.call("advance", { seconds: 6 * 3600 });
    await driver.call("sync");
    assert.equal(proxy.creates().length, 10, "five tries per sync run");
    assert.equal((await driver.call<LocalThread[]>("threads"))[0]?.syncStatus, "pending");
    proxy.offline = false;
    proxy.answer(429, "POST", /^\/threads$/, { retryAfter: 3600 });
    await driver.call("online");
    await driver.call("online");
    await driver.call("advance", { seconds: 60 });
    await driver.call("sync_once");
    assert.deepEqual(
      proxy.creates().slice(10).map((s) => s.status),
      [429],
      "not sent again before the Retry-After passed",
    );
    await driver.call("advance", { seconds: 3600 });
    await driver.call("sync_once");
    assert.deepEqual(
      proxy.creates().slice(10).map((s) => [s.key, s.status]),
      [
        [temporary, 429],
        [temporary, 201],
      ],
    );
    assert.equal((await driver.call<LocalThread[]>("threads"))[0]?.syncStatus, "synced");
    await close();
  });

  test("renames carry If-Match; on a 412 the server's title wins and the thread is synced", async () => {
    const { proxy, driver, elsewhere, close } = await bench();
    const temporary = await driver.call<string>("create_thread", { title: "Original", ...THREAD });
    await driver.call("sync");
    const [thread] = await driver.call<LocalThread[]>("threads");
    const id = thread?.id ?? "";
    await driver.call("rename_thread", { thread_id: temporary, title: "Renamed here" });
    await driver.call("sync");
    await elsewhere("PATCH", `/threads/${id}`, { title: "Renamed on the phone" });
    await driver.call("rename_thread", { thread_id: id, title: "Renamed here again" });
    await driver.call("sync");
    const patches = proxy.requests("PATCH", /^\/threads\/[^/]+$/);
    assert.deepEqual(
      patches.map((s) => [s.ifMatch, s.status]),
      [
        ['"1"', 200],
        ['"2"', 412],
      ],
    );
    const [after] = await driver.call<LocalThread[]>("threads");
    assert.equal(after?.title, "Renamed on the phone");
    assert.equal(after?.syncStatus, "synced");
    await close();
  });

  test("pull shows threads made, renamed and deleted elsewhere, and never revives a queued delete", async () => {
    const { proxy, driver, elsewhere, serverThreads, close } = await bench();
    for (const title of ["Renamed elsewhere", "Deleted elsewhere", "Deleted here"]) {
      await driver.call("create_thread", { title, ...THREAD });
    }
    await driver.call("sync");
    const [renamed, deleted, mine] = (await driver.call<LocalThread[]>("threads")).map((t) => t.id);
    await elsewhere("PATCH", `/threads/${renamed}`, { title: "New title from the phone" });
    await elsewhere("DELETE", `/threads/${deleted}`);
    const made = (await (await elsewhere("POST", "/threads", { title: "Made on the phone", ...THREAD }, { "Idempotency-Key": `phone-${Date.now()}` })).json()) as ServerThread;
    proxy.answer(503, "DELETE", /^\/threads\/[^/]+$/, { retryAfter: 1 });
    await driver.call("delete_thread", { thread_id: mine });
    await driver.call("sync_once");
    await driver.call("pull");
    assert.deepEqual(
      (await driver.call<LocalThread[]>("threads")).map((t) => [t.id, t.title]),
      [
        [renamed, "New title from the phone"],
        [made.id, "Made on the phone"],
      ],
    );
    await driver.call("sync");
    assert.deepEqual((await serverThreads()).map((t) => t.id).sort(), [renamed, made.id].sort());
    await close();
  });

  test("import_legacy: the thread the old client made is adopted, not copied", async () => {
    const { proxy, driver, elsewhere, serverThreads, serverMessages, close } = await bench();
    const made = (await (await elsewhere("POST", "/threads", { title: "Refund", ...THREAD }, { "Idempotency-Key": `old-client-${Date.now()}` })).json()) as ServerThread;
    const legacyId = "c0ffee00-0000-4000-8000-000000000001";
    const createdAt = Date.now() - 2_000;
    await driver.call("import_legacy", {
      dump: {
        threads: [
          {
            id: legacyId,
            title: "Refund",
            agentId: THREAD.agent_id,
            model: THREAD.model,
            provider: THREAD.provider,
            artifactId: null,
            createdAt,
            updatedAt: createdAt,
            messages: [{ id: "m-1", role: "user", content: "hi", timestamp: createdAt }],
          },
        ],
        currentThreadId: legacyId,
      },
    });
    await driver.call("sync");
    assert.deepEqual(proxy.creates(), [], "no second copy");
    const [thread] = await driver.call<LocalThread[]>("threads");
    assert.equal(thread?.id, made.id);
    assert.deepEqual(thread?.aliases, [legacyId]);
    assert.equal(await driver.call("current_thread_id"), made.id);
    assert.equal((await serverThreads()).length, 1);
    assert.deepEqual(
      (await serverMessages(made.id)).map((m) => m.content),
      ["hi"],
    );
    await close();
  });
});
