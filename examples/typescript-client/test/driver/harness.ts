/**
 * A bench for the driver: a real reference provider, a fault-injecting HTTP proxy
 * in front of it (offline, lost answers, a hook while a request is in flight) and
 * the driver spoken to over its stdin/stdout protocol.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const THREADPACT = process.env.THREADPACT_BIN ?? resolve(PACKAGE_DIR, "../../.venv/bin/threadpact");

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "threadpact-driver-"));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** `threadpact serve` on SQLite with one token per test user (tok-1=user1 ... tok-20=user20). */
export class Provider {
  private process: ChildProcess | null = null;
  private dir = tempDir();
  url = "";

  async start(): Promise<void> {
    const port = await freePort();
    const tokens = Array.from({ length: 20 }, (_, i) => `tok-${i + 1}=user${i + 1}`).join(",");
    this.process = spawn(THREADPACT, ["serve", "--port", String(port), "--database-url", `sqlite:///${join(this.dir, "threads.db")}`], {
      env: { ...process.env, THREADPACT_TOKENS: tokens },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return;
      } catch {
        // not up yet
      }
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error("the provider did not answer /healthz in 30 s");
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** GET a JSON resource as the user of `token`. */
  async get<T>(path: string, token: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
    return (await response.json()) as T;
  }

  /** What another device does: any request as the user of `token`, straight to the provider. */
  async call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response;
  }
}

export interface Sent {
  method: string;
  path: string;
  key: string | null;
  ifMatch: string | null;
  status: number | null;
  fault: "offline" | "lost" | "answered" | null;
  /** When the request arrived and when it was done with (ms, performance.now()). */
  began: number;
  ended: number;
}

interface Rule {
  method: string;
  path: RegExp;
  times: number;
  action?: () => Promise<void>;
  status?: number;
  retryAfter?: number | null;
}

function take(rules: Rule[], method: string, path: string): Rule | undefined {
  const rule = rules.find((r) => r.times > 0 && r.method === method && r.path.test(path));
  if (rule) rule.times -= 1;
  return rule;
}

/** An HTTP proxy that records every request and injects faults. */
export class FaultProxy {
  readonly sent: Sent[] = [];
  offline = false;
  private readonly lose: Rule[] = [];
  private readonly hooks: Rule[] = [];
  private readonly answers: Rule[] = [];
  private server: Server | null = null;
  url = "";

  constructor(private readonly upstream: string) {}

  loseResponse(method: string, path: RegExp): void {
    this.lose.push({ method, path, times: 1 });
  }

  during(method: string, path: RegExp, action: () => Promise<void>): void {
    this.hooks.push({ method, path, times: 1, action });
  }

  /** Answer the next `times` matching requests in the provider's place (a problem+json), with Retry-After if given. */
  answer(status: number, method: string, path: RegExp, { times = 1, retryAfter = null }: { times?: number; retryAfter?: number | null } = {}): void {
    this.answers.push({ method, path, times, status, retryAfter });
  }

  creates(path = /^\/threads$/): Sent[] {
    return this.sent.filter((s) => s.method === "POST" && path.test(s.path));
  }

  requests(method: string, path: RegExp): Sent[] {
    return this.sent.filter((s) => s.method === method && path.test(s.path));
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((done) => this.server?.listen(0, "127.0.0.1", done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const keyHeader = req.headers["idempotency-key"];
    const key = typeof keyHeader === "string" ? keyHeader : null;
    const ifMatchHeader = req.headers["if-match"];
    const ifMatch = typeof ifMatchHeader === "string" ? ifMatchHeader : null;
    const began = performance.now();
    const record = (status: number | null, fault: Sent["fault"]): void => {
      this.sent.push({ method, path, key, ifMatch, status, fault, began, ended: performance.now() });
    };
    const hook = take(this.hooks, method, path);
    if (hook?.action) await hook.action();
    if (this.offline) {
      record(null, "offline");
      req.socket.destroy();
      return;
    }
    const injected = take(this.answers, method, path);
    if (injected?.status !== undefined) {
      record(injected.status, "answered");
      const headers: Record<string, string> = { "Content-Type": "application/problem+json" };
      if (injected.retryAfter !== null && injected.retryAfter !== undefined) headers["Retry-After"] = String(injected.retryAfter);
      res.writeHead(injected.status, headers);
      res.end(JSON.stringify({ type: "about:blank", title: "Injected", status: injected.status, detail: "the proxy answered" }));
      return;
    }
    const upstream = new URL(req.url ?? "/", this.upstream);
    const answer = await new Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }>((done, fail) => {
      const forward = request(upstream, { method, headers: { ...req.headers, host: upstream.host }, agent: false }, (incoming) => {
        const parts: Buffer[] = [];
        incoming.on("data", (part: Buffer) => parts.push(part));
        incoming.on("end", () => done({ status: incoming.statusCode ?? 502, headers: incoming.headers, body: Buffer.concat(parts) }));
      });
      forward.on("error", fail);
      forward.end(Buffer.concat(chunks));
    });
    if (take(this.lose, method, path)) {
      record(answer.status, "lost");
      req.socket.destroy();
      return;
    }
    record(answer.status, null);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }
}

/** The driver, spoken to over its line protocol. */
export class DriverProcess {
  readonly child: ChildProcess;
  readonly stderr: string[] = [];
  readonly stray: string[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { done: (v: unknown) => void; fail: (e: Error) => void }>();

  constructor(args: string[] = []) {
    this.child = spawn(process.execPath, ["--import", "tsx", "src/driver.ts", ...args], {
      cwd: PACKAGE_DIR,
      stdio: ["pipe", "pipe", "pipe"],
    });
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      const message = JSON.parse(line) as { id: number; result?: unknown; error?: string };
      const waiter = this.waiting.get(message.id);
      if (!waiter) {
        this.stray.push(line);
        return;
      }
      this.waiting.delete(message.id);
      if ("error" in message) waiter.fail(new Error(message.error));
      else waiter.done(message.result);
    });
    this.child.stderr!.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
  }

  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((done, fail) => {
      this.waiting.set(id, { done: done as (v: unknown) => void, fail });
      this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  /** Close stdin and wait for the driver to exit; returns its exit code. */
  async end(): Promise<number | null> {
    const exited = new Promise<number | null>((done) => this.child.once("exit", (code) => done(code)));
    this.child.stdin!.end();
    return exited;
  }
}
