/**
 * The conformance driver: the TypeScript client behind threadpact's
 * check-client protocol, one JSON object per line on stdin and stdout.
 *
 *     threadpact check-client --driver "node --import tsx src/driver.ts" --sqlite-only
 *
 * Request {"id": n, "op": name, ...arguments}; answer {"id": n, "result": value}
 * or {"id": n, "error": message}. Answers may come out of order: a request is
 * handled as soon as it arrives, also while an earlier one waits on the network.
 * stdout carries answers only; the log goes to stderr. The driver exits when
 * stdin closes.
 *
 * Backoff runs on a virtual clock (no real waiting) that only `advance` and
 * `sync`'s backoff move, kept across reloads like a page's wall clock. A second
 * driver process opened on the same store_path is a second tab: the store file
 * and its locks are all they share (./store, ./lock). `--broken NAME` (or
 * BROKEN=NAME) picks a deliberately broken client: ignores-response,
 * new-key-per-retry.
 */
import { createInterface } from "node:readline";
import { resolve as resolvePath } from "node:path";
import type { LocalThread, Role } from "./api-types";
import { ThreadsApi, nodeHttpTransport } from "./api";
import { RetryPolicy } from "./backoff";
import { VARIANTS, isVariant, type Variant } from "./broken";
import { ThreadClient } from "./client";
import { VirtualClock, seededRandom } from "./clock";
import { Store } from "./store";

// Nothing but answers on stdout, whatever a library might print.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

function log(message: string): void {
  process.stderr.write(`[driver] ${message}\n`);
}

function variantFromArgs(): Variant | null {
  const args = process.argv.slice(2);
  let name: string | undefined = process.env.BROKEN || undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? "";
    if (arg === "--broken") name = args[i + 1];
    else if (arg.startsWith("--broken=")) name = arg.slice("--broken=".length);
  }
  if (name === undefined || name === "" || name === "none") return null;
  if (!isVariant(name)) {
    process.stderr.write(`unknown broken variant ${JSON.stringify(name)}; known: ${Object.keys(VARIANTS).join(", ")}\n`);
    process.exit(2);
  }
  return name;
}

type Args = Record<string, unknown>;

function str(args: Args, name: string): string {
  const value = args[name];
  if (typeof value !== "string") throw new TypeError(`argument ${name} must be a string`);
  return value;
}

function num(args: Args, name: string): number {
  const value = args[name];
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`argument ${name} must be a number`);
  return value;
}

/** A thread in the spec's LocalThread shape, every optional field present. */
function localThreadShape(thread: LocalThread): LocalThread {
  return {
    id: thread.id,
    title: thread.title,
    agentId: thread.agentId,
    model: thread.model,
    provider: thread.provider,
    messages: thread.messages.map((m) => ({
      id: m.id,
      role: m.role,
      content: m.content,
      createdAt: m.createdAt,
      syncStatus: m.syncStatus,
      clientId: m.clientId ?? null,
    })),
    createdAt: thread.createdAt,
    updatedAt: thread.updatedAt,
    syncStatus: thread.syncStatus,
    syncError: thread.syncError ?? null,
    artifactId: thread.artifactId ?? null,
    aliases: thread.aliases ?? [],
  };
}

class Driver {
  private client: ThreadClient | null = null;
  private opened: { baseUrl: string; token: string; storePath: string } | null = null;
  private readonly clock = new VirtualClock();
  private readonly variant: Variant | null;
  private instances = 0;

  constructor(variant: Variant | null) {
    this.variant = variant;
  }

  private build(): ThreadClient {
    if (!this.opened) throw new Error("no client: send open first");
    const { baseUrl, token, storePath } = this.opened;
    const api = new ThreadsApi(baseUrl, token, { transport: nodeHttpTransport({ timeoutMs: 10_000 }) });
    const ClientClass = this.variant ? VARIANTS[this.variant] : ThreadClient;
    this.instances += 1;
    return new ClientClass(new Store(storePath), api, {
      policy: new RetryPolicy({ base: 0.5, cap: 30, maxAttempts: 5 }),
      clock: this.clock,
      random: seededRandom(this.instances),
    });
  }

  private current(): ThreadClient {
    if (!this.client) throw new Error("no client: send open first");
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }

  async handle(op: string, args: Args): Promise<unknown> {
    switch (op) {
      case "open":
        this.close();
        this.opened = { baseUrl: str(args, "base_url"), token: str(args, "token"), storePath: resolvePath(str(args, "store_path")) };
        this.client = this.build();
        return null;
      case "reload":
        this.close();
        this.client = this.build();
        return null;
      case "create_thread":
        return this.current().createThread({
          title: str(args, "title"),
          agentId: str(args, "agent_id"),
          model: str(args, "model"),
          provider: str(args, "provider"),
        }).id;
      case "send_message":
        return this.current().sendMessage(str(args, "thread_id"), str(args, "content"), str(args, "role") as Role).id;
      case "rename_thread":
        this.current().renameThread(str(args, "thread_id"), str(args, "title"));
        return null;
      case "delete_thread":
        this.current().deleteThread(str(args, "thread_id"));
        return null;
      case "select_thread":
        this.current().selectThread(str(args, "thread_id"));
        return null;
      case "current_thread_id":
        return this.current().currentThreadId();
      case "threads":
        return this.current().threads().map(localThreadShape);
      case "sync_once":
        await this.current().syncOnce();
        return null;
      case "sync":
        await this.current().sync();
        return null;
      case "online":
        await this.current().online();
        return null;
      case "advance":
        this.current(); // an open client's clock, as the protocol has it
        this.clock.advance(num(args, "seconds"));
        return null;
      case "pull":
        await this.current().pull();
        return null;
      case "import_legacy":
        this.current().importLegacy(args.dump);
        return null;
      case "skip_backoff":
        this.current().skipBackoff();
        return null;
      case "retry":
        this.current().retryThread(str(args, "thread_id"));
        return null;
      case "close":
        this.close();
        return null;
      default:
        throw new Error(`unknown op ${JSON.stringify(op)}`);
    }
  }
}

function answer(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function serve(driver: Driver, line: string): Promise<void> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    log(`not JSON, ignored: ${line.slice(0, 200)}`);
    return;
  }
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    log(`not a JSON object, ignored: ${line.slice(0, 200)}`);
    return;
  }
  const { id, op, ...args } = request as Record<string, unknown>;
  const started = Date.now();
  try {
    const result = await driver.handle(typeof op === "string" ? op : String(op), args);
    answer({ id, result: result ?? null });
    log(`${id} ${String(op)} ok (${Date.now() - started} ms)`);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    answer({ id, error: message });
    log(`${id} ${String(op)} error: ${message}`);
  }
}

const variant = variantFromArgs();
const driver = new Driver(variant);
log(`started (client: ${variant ?? "reference"})`);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (line.trim() !== "") void serve(driver, line);
});
lines.on("close", () => {
  driver.close();
  log("stdin closed; exiting");
  process.exit(0);
});
// Killed: exit properly, so the store's locks are released (./lock's exit hook).
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.once(signal, () => {
    driver.close();
    log(`${signal}; exiting`);
    process.exit(0);
  });
}
