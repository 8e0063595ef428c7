/**
 * An in-memory threads API behind a Transport, for unit tests: idempotent creates
 * with replay, ownership by token, versions and ETags (If-Match, 412), paginated
 * lists, and switchable faults (offline, lost answers, forced statuses with
 * Retry-After, a hook that runs while a request is in flight). Several clients
 * (tabs) may share one FakeServer.
 */
import { randomUUID } from "node:crypto";
import type { HttpRequest, HttpResponse, Transport } from "../../src/api";
import type { Message, ServerThread } from "../../src/api-types";

export interface Sent {
  method: string;
  path: string;
  key: string | null;
  ifMatch: string | null;
  status: number | null;
  fault: "offline" | "lost" | "answered" | null;
  /** Which transport (tab) sent it. */
  tab: string;
}

interface Rule {
  method: string;
  path: RegExp;
  times: number;
}

export const THREAD_CREATE = /^\/threads$/;
export const MESSAGE_CREATE = /^\/threads\/[^/]+\/messages$/;
export const ONE_THREAD = /^\/threads\/[^/]+$/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function take<R extends Rule>(rules: R[], method: string, path: string): R | undefined {
  const rule = rules.find((r) => r.times > 0 && r.method === method && r.path.test(path));
  if (rule) rule.times -= 1;
  return rule;
}

type Stored = ServerThread & { owner: string; version: number };

export class FakeServer {
  readonly threads = new Map<string, Stored>();
  readonly messages = new Map<string, Message[]>();
  readonly sent: Sent[] = [];
  readonly tokens = new Set<string>(["tok-a"]);
  offline = false;
  /** Page size cap for lists (small, so clients must follow next_cursor). */
  pageCap = 2;
  private readonly keys = new Map<string, { fingerprint: string; status: number; body: string; location: string; etag: string }>();
  private readonly lose: Rule[] = [];
  private readonly forced: Array<Rule & { status: number; retryAfter: number | null }> = [];
  private readonly hooks: Array<Rule & { action: () => void | Promise<void> }> = [];
  private tick = 0;

  loseResponse(method: string, path: RegExp, times = 1): void {
    this.lose.push({ method, path, times });
  }

  answerWith(status: number, method: string, path: RegExp, times = 1, retryAfter: number | null = null): void {
    this.forced.push({ method, path, times, status, retryAfter });
  }

  /** Runs `action` while the next matching request is in flight (before the server handles it). */
  during(method: string, path: RegExp, action: () => void | Promise<void>, times = 1): void {
    this.hooks.push({ method, path, times, action });
  }

  creates(path: RegExp = THREAD_CREATE): Sent[] {
    return this.sent.filter((s) => s.method === "POST" && path.test(s.path));
  }

  requests(method: string, path: RegExp): Sent[] {
    return this.sent.filter((s) => s.method === method && path.test(s.path));
  }

  /** The transport of one tab (the name shows in `sent`). */
  transportFor(tab: string): Transport {
    return (request) => this.serve(request, tab);
  }

  readonly transport: Transport = (request) => this.serve(request, "a");

  /** What another device does: a thread made directly on the server (no client of ours knows it). */
  make(title: string, { token = "tok-a", agentId = "support-bot", model = "gpt-4o", provider = "openai", at }: { token?: string; agentId?: string; model?: string; provider?: string; at?: string } = {}): ServerThread {
    const response = this.create(token, "/threads", { title, agent_id: agentId, model, provider }, at);
    return JSON.parse(response.body) as ServerThread;
  }

  /** Another device renames a thread. */
  renameElsewhere(threadId: string, title: string): void {
    const thread = this.threads.get(threadId);
    if (!thread) throw new Error(`no thread ${threadId}`);
    thread.title = title;
    thread.version += 1;
    thread.updated_at = this.now();
  }

  /** Another device deletes a thread. */
  deleteElsewhere(threadId: string): void {
    this.threads.delete(threadId);
    this.messages.delete(threadId);
  }

  /** Another device adds a message. */
  messageElsewhere(threadId: string, content: string, role: Message["role"] = "assistant"): Message {
    const thread = this.threads.get(threadId);
    if (!thread) throw new Error(`no thread ${threadId}`);
    return JSON.parse(this.create(thread.owner, `/threads/${threadId}/messages`, { role, content }).body) as Message;
  }

  etagOf(threadId: string): string {
    const thread = this.threads.get(threadId);
    if (!thread) throw new Error(`no thread ${threadId}`);
    return `"${thread.version}"`;
  }

  private async serve(request: HttpRequest, tab: string): Promise<HttpResponse> {
    const url = new URL(request.url);
    const key = request.headers["Idempotency-Key"] ?? null;
    const ifMatch = request.headers["If-Match"] ?? null;
    const record = (status: number | null, fault: Sent["fault"]): void => {
      this.sent.push({ method: request.method, path: url.pathname, key, ifMatch, status, fault, tab });
    };
    await Promise.resolve(); // a request is never answered synchronously
    const hook = take(this.hooks, request.method, url.pathname);
    if (hook) await hook.action();
    if (this.offline) {
      record(null, "offline");
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED (test)") });
    }
    const forced = take(this.forced, request.method, url.pathname);
    if (forced) {
      record(forced.status, "answered");
      return problem(forced.status, forced.retryAfter);
    }
    const response = this.handle(request, url);
    if (take(this.lose, request.method, url.pathname)) {
      record(response.status, "lost");
      throw new TypeError("fetch failed", { cause: new Error("socket hang up (test)") });
    }
    record(response.status, null);
    return response;
  }

  private now(): string {
    this.tick += 1;
    return new Date(Date.UTC(2026, 10, 28, 9, 15, 2) + this.tick).toISOString().replace("Z", "123Z");
  }

  private static view(thread: Stored): ServerThread {
    const { owner: _owner, version: _version, ...body } = thread;
    return body;
  }

  private page<T>(items: T[], url: URL): HttpResponse {
    const limit = Math.min(Number(url.searchParams.get("limit") ?? "20"), this.pageCap);
    const start = Number(url.searchParams.get("cursor") ?? "0");
    const slice = items.slice(start, start + limit);
    const next = start + limit < items.length ? String(start + limit) : null;
    return json(200, JSON.stringify({ items: slice, next_cursor: next }));
  }

  private handle(request: HttpRequest, url: URL): HttpResponse {
    const path = url.pathname;
    const token = (request.headers.Authorization ?? "").replace(/^Bearer /, "");
    if (!this.tokens.has(token)) return problem(401);
    const key = request.headers["Idempotency-Key"];
    if (request.method === "POST") {
      if (key === undefined) return problem(400);
      const fingerprint = `${token} ${path} ${request.body ?? ""}`;
      const known = this.keys.get(`${token} ${key}`);
      if (known) {
        if (known.fingerprint !== fingerprint) return problem(422);
        return json(known.status, known.body, { location: known.location, etag: known.etag, "idempotent-replayed": "true" });
      }
      const created = this.create(token, path, JSON.parse(request.body ?? "{}") as Record<string, string>);
      if (created.status === 201) {
        this.keys.set(`${token} ${key}`, {
          fingerprint,
          status: 201,
          body: created.body,
          location: created.headers.location ?? "",
          etag: created.headers.etag ?? "",
        });
      }
      return created;
    }
    if (request.method === "GET" && path === "/threads") {
      const mine = [...this.threads.values()].filter((t) => t.owner === token).reverse(); // newest first
      return this.page(mine.map(FakeServer.view), url);
    }
    const messagesOf = /^\/threads\/([^/]+)\/messages$/.exec(path);
    if (request.method === "GET" && messagesOf) {
      const thread = this.threads.get(messagesOf[1] ?? "");
      if (!thread || thread.owner !== token) return problem(404);
      return this.page(this.messages.get(thread.id) ?? [], url);
    }
    const match = /^\/threads\/([^/]+)$/.exec(path);
    const thread = match?.[1] ? this.threads.get(match[1]) : undefined;
    if (!thread || thread.owner !== token) return problem(404);
    if (request.method === "GET") return json(200, JSON.stringify(FakeServer.view(thread)), { etag: `"${thread.version}"` });
    if (request.method === "PATCH") {
      const ifMatch = request.headers["If-Match"];
      if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== `"${thread.version}"`) return problem(412);
      thread.title = (JSON.parse(request.body ?? "{}") as { title: string }).title;
      thread.version += 1;
      thread.updated_at = this.now();
      return json(200, JSON.stringify(FakeServer.view(thread)), { etag: `"${thread.version}"` });
    }
    if (request.method === "DELETE") {
      this.threads.delete(thread.id);
      return { status: 204, headers: {}, body: "" };
    }
    return problem(405);
  }

  private create(token: string, path: string, body: Record<string, string>, at?: string): HttpResponse {
    if ("id" in body) return problem(422);
    if (path === "/threads") {
      const stamp = at ?? this.now();
      const thread: ServerThread = {
        id: randomUUID(),
        title: body.title ?? "New thread",
        agent_id: body.agent_id ?? "",
        model: body.model ?? "",
        provider: body.provider ?? "",
        created_at: stamp,
        updated_at: stamp,
      };
      this.threads.set(thread.id, { ...thread, owner: token, version: 1 });
      this.messages.set(thread.id, []);
      return json(201, JSON.stringify(thread), { location: `/threads/${thread.id}`, etag: '"1"' });
    }
    const match = /^\/threads\/([^/]+)\/messages$/.exec(path);
    const threadId = match?.[1] ?? "";
    const thread = this.threads.get(threadId);
    if (!UUID.test(threadId) || !thread || thread.owner !== token) return problem(404);
    const message: Message = {
      id: randomUUID(),
      thread_id: threadId,
      role: body.role as Message["role"],
      content: body.content ?? "",
      created_at: this.now(),
    };
    this.messages.get(threadId)?.push(message);
    return json(201, JSON.stringify(message), { location: `/threads/${threadId}/messages/${message.id}` });
  }
}

function json(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body };
}

export function problem(status: number, retryAfter: number | null = null): HttpResponse {
  return {
    status,
    headers: { "content-type": "application/problem+json", ...(retryAfter === null ? {} : { "retry-after": String(retryAfter) }) },
    body: JSON.stringify({ type: "about:blank", title: `Status ${status}`, status, detail: `the fake server said ${status}` }),
  };
}
