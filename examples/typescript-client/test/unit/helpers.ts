import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { ThreadsApi } from "../../src/api";
import { RetryPolicy } from "../../src/backoff";
import { ThreadClient } from "../../src/client";
import { VirtualClock, seededRandom } from "../../src/clock";
import { Store } from "../../src/store";
import { FakeServer } from "./fake-server";

export const THREAD = { agentId: "support-bot", model: "gpt-4o", provider: "openai" } as const;

/** A fresh temporary directory, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "threadpact-ts-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type ClientClass = new (...args: ConstructorParameters<typeof ThreadClient>) => ThreadClient;

/**
 * A page on a store: a client, a fake server and a virtual clock; `reload()` opens
 * the next page, `tab()` another tab on the same store (same server and clock).
 */
export class Bench {
  readonly server = new FakeServer();
  readonly clock = new VirtualClock(1_795_857_302);
  readonly storePath = join(tempDir(), "threads.json");
  client: ThreadClient;
  private readonly kind: ClientClass;

  constructor(kind: ClientClass = ThreadClient) {
    this.kind = kind;
    this.client = this.open();
  }

  open(token = "tok-a", tab = "a"): ThreadClient {
    const api = new ThreadsApi("http://threads.test", token, { transport: this.server.transportFor(tab) });
    return new this.kind(new Store(this.storePath, { durable: false }), api, {
      policy: new RetryPolicy({ base: 0.5, cap: 30, maxAttempts: 5 }),
      clock: this.clock,
      random: seededRandom(7),
    });
  }

  /** Another tab on the same store, open at the same time (its requests are recorded as `name`). */
  tab(name: string, token = "tok-a"): ThreadClient {
    return this.open(token, name);
  }

  reload(token = "tok-a"): ThreadClient {
    this.client.close();
    this.client = this.open(token);
    return this.client;
  }
}

export function only<T>(items: T[]): T {
  if (items.length !== 1) throw new Error(`expected one, got ${items.length}`);
  return items[0] as T;
}
