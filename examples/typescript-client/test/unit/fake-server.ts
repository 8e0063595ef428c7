/**
 * An in-memory threads API behind a Transport, for unit tests: idempotent creates
 * with replay, ownership by token, and switchable faults (offline, lost answers,
 * forced statuses, a hook that runs while a request is in flight).
 */
import { randomUUID } from "node:crypto";
import type { HttpRequest, HttpResponse, Transport } from "../../src/api";
import type { Message, ServerThread } from "../../src/api-types";

export interface Sent {
  method: string;
  path: string;
  key: string | null;
  status: number | null;
  fault: "offline" | "lost" | null;
}

interface Rule {
  method: string;
  path: RegExp;
  times: number;
}

export const THREAD_CREATE = /^\/threads$/;
export const MESSAGE_CREATE = /^\/threads\/[^/]+\/messages$/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function take(rules: Rule[], method: string, path: string): Rule | undefined {
  const rule = rules.find((r) => r.times > 0 && r.method === method && r.path.test(path));
  if (rule) rule.times -= 1;
  return rule;
}

export class FakeServer {
  readonly threads = new Map<string, ServerThread & { owner: string }>();
  readonly messages = new Map<string, Message[]>();
  readonly sent: Sent[] = [];
  readonly tokens = new Set<string>(["tok-a"]);
  offline = false;
  private readonly keys = new Map<string, { fingerprint: string; status: number; body: string; location: string }>();
  private readonly lose: Rule[] = [];
  private readonly forced: Array<Rule & { status: number }> = [];
  private readonly hooks: Array<Rule & { action: () => void | Promise<void> }> = [];
  private tick = 0;

  loseResponse(method: string, path: RegExp, times = 1): void {
    this.lose.push({ method, path, times });
  }

  answerWith(status: number, method: string, path: RegExp, times = 1): void {
    this.forced.push({ method, path, times, status });
  }

  /** Runs `action` while the next matching request is in flight (before the server handles it). */
  during(method: string, path: RegExp, action: () => void | Promise<void>, times = 1): void {
    this.hooks.push({ method, path, times, action });
  }

  creates(path: RegExp = THREAD_CREATE): Sent[] {
    return this.sent.filter((s) => s.method === "POST" && path.test(s.path));
  }

  readonly transport: Transport = async (request: HttpRequest): Promise<HttpResponse> => {
    const url = new URL(request.url);
    const key = request.headers["Idempotency-Key"] ?? null;
    const record = (status: number | null, fault: Sent["fault"]): void => {
      this.sent.push({ method: request.method, path: url.pathname, key, status, fault });
    };
    await Promise.resolve(); // a request is never answered synchronously
    const hook = this.hooks.find((r) => r.times > 0 && r.method === request.method && r.path.test(url.pathname));
    if (hook) {
      hook.times -= 1;
      await hook.action();
    }
    if (this.offline) {
      record(null, "offline");
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED (test)") });
    }
    const forced = take(this.forced, request.method, url.pathname) as (Rule & { status: number }) | undefined;
    const response = forced ? problem(forced.status) : this.handle(request, url.pathname);
    if (take(this.lose, request.method, url.pathname)) {
      record(response.status, "lost");
      throw new TypeError("fetch failed", { cause: new Error("socket hang up (test)") });
    }
    record(response.status, null);
    return response;
  };

  private now(): string {
    this.tick += 1;
    return new Date(Date.UTC(2026, 10, 28, 9, 15, 2) + this.tick).toISOString().replace("Z", "123Z");
  }

  private handle(request: HttpRequest, path: string): HttpResponse {
    const token = (request.headers.Authorization ?? "").replace(/^Bearer /, "");
    if (!this.tokens.has(token)) return problem(401);
    const key = request.headers["Idempotency-Key"];
    if (request.method === "POST") {
      if (key === undefined) return problem(400);
      const fingerprint = `${token} ${path} ${request.body ?? ""}`;
      const known = this.keys.get(`${token} ${key}`);
      if (known) {
        if (known.fingerprint !== fingerprint) return problem(422);
        return json(known.status, known.body, { location: known.location, "idempotent-replayed": "true" });
      }
      const created = this.create(token, path, JSON.parse(request.body ?? "{}") as Record<string, string>);
      if (created.status === 201) {
        this.keys.set(`${token} ${key}`, { fingerprint, status: 201, body: created.body, location: created.headers.location ?? "" });
      }
      return created;
    }
    const match = /^\/threads\/([^/]+)$/.exec(path);
    const thread = match?.[1] ? this.threads.get(match[1]) : undefined;
    if (!thread || thread.owner !== token) return problem(404);
    if (request.method === "PATCH") {
      thread.title = (JSON.parse(request.body ?? "{}") as { title: string }).title;
      thread.updated_at = this.now();
      const { owner: _, ...body } = thread;
      return json(200, JSON.stringify(body));
    }
    if (request.method === "DELETE") {
      this.threads.delete(thread.id);
      return { status: 204, headers: {}, body: "" };
    }
    return problem(405);
  }

  private create(token: string, path: string, body: Record<string, string>): HttpResponse {
    if ("id" in body) return problem(422);
    if (path === "/threads") {
      const at = this.now();
      const thread = {
        id: randomUUID(),
        title: body.title ?? "New thread",
        agent_id: body.agent_id ?? "",
        model: body.model ?? "",
        provider: body.provider ?? "",
        created_at: at,
        updated_at: at,
      };
      this.threads.set(thread.id, { ...thread, owner: token });
      this.messages.set(thread.id, []);
      return json(201, JSON.stringify(thread), { location: `/threads/${thread.id}` });
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

export function problem(status: number): HttpResponse {
  return {
    status,
    headers: { "content-type": "application/problem+json" },
    body: JSON.stringify({ type: "about:blank", title: `Status ${status}`, status, detail: `the fake server said ${status}` }),
  };
}
