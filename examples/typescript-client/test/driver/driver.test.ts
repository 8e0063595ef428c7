/**
 * The driver against a real reference provider, through a fault proxy: the
 * protocol, requests handled while another waits on the network, the swap, a lost
 * answer, a reload, a 401 and a manual retry, and both broken variants.
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

  /** A fresh user, proxy and driver for one test. */
  async function bench(args: string[] = []) {
    user += 1;
    const token = `tok-${user}`;
    const proxy = new FaultProxy(provider.url);
    await proxy.start();
    const driver = new DriverProcess(args);
    await driver.call("open", { base_url: proxy.url, token, store_path: join(dir, `store-${user}.json`) });
    const serverThreads = async () => (await provider.get<{ items: ServerThread[] }>("/threads?limit=100", token)).items;
    const serverMessages = async (id: string) =>
      (await provider.get<{ items: Array<{ id: string; content: string }> }>(`/threads/${id}/messages?limit=100`, token)).items;
    const close = async () => {
      assert.equal(await driver.end(), 0);
      assert.deepEqual(driver.stray, [], "nothing but answers on stdout");
      await proxy.stop();
    };
    return { token, proxy, driver, serverThreads, serverMessages, close };
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
});
