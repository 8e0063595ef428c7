/**
 * The threads API over HTTP: one method per operation, generated types in and out.
 *
 * Every method resolves to the spec's types (./api-types) or rejects with an
 * ApiError (./errors). The transport is injectable, so a test can hand in a fake
 * server, a faulty network or a recorder.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type {
  Message,
  MessageCreate,
  MessagePage,
  Problem,
  ServerThread,
  ThreadCreate,
  ThreadPage,
  ThreadUpdate,
} from "./api-types";
import { ApiError, NetworkError, UnexpectedResponse, errorClass } from "./errors";
import { isMessage, isServerThread } from "./mapping";

export const IDEMPOTENCY_KEY = "Idempotency-Key";
export const IDEMPOTENT_REPLAYED = "idempotent-replayed";
export const PROBLEM_JSON = "application/problem+json";
const KEY_PATTERN = /^[!-~]([ -~]*[!-~])?$/;

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** Sends one request; rejects when no answer arrived (refused, reset, timed out). */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

/** The browser's way: fetch (Node's built-in fetch here), with a timeout. */
export function fetchTransport({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Transport {
  return async (request) => {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    return { status: response.status, headers, body: await response.text() };
  };
}

/**
 * node:http without connection reuse: each request on a fresh connection, so a
 * connection the other side dropped after a lost answer is never reused (the
 * conformance driver uses this one).
 */
export function nodeHttpTransport({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Transport {
  return (request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const url = new URL(request.url);
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const headers: Record<string, string> = { ...request.headers, Connection: "close" };
      if (request.body !== null) headers["Content-Length"] = String(Buffer.byteLength(request.body));
      const outgoing = send(url, { method: request.method, headers, agent: false, timeout: timeoutMs }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("error", reject);
        incoming.on("aborted", () => reject(new Error("the answer was cut off")));
        incoming.on("end", () => {
          if (!incoming.complete) {
            reject(new Error("the answer was cut off"));
            return;
          }
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({ status: incoming.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks).toString("utf8") });
        });
      });
      outgoing.on("timeout", () => outgoing.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      outgoing.on("error", reject);
      outgoing.end(request.body ?? undefined);
    });
}

export interface Created<T> {
  value: T;
  /** True when the server answered a replay of an earlier request with this key. */
  replayed: boolean;
  location: string | null;
  /** The created thread's ETag, if the answer carried one. */
  etag: string | null;
}

export interface Versioned {
  thread: ServerThread;
  etag: string | null;
}

/** Whether `key` is a legal Idempotency-Key (1..255 printable ASCII, no outer spaces). */
export function isValidIdempotencyKey(key: string): boolean {
  return key.length >= 1 && key.length <= 255 && KEY_PATTERN.test(key);
}

/** An ID as one URL path segment. */
function pathId(value: string): string {
  return encodeURIComponent(value);
}

/** The Retry-After header in seconds, if usable. */
export function retryAfter(headers: Record<string, string>, now: number = Date.now()): number | null {
  const raw = headers["retry-after"]?.trim();
  if (raw === undefined) return null;
  if (/^\d+$/.test(raw)) return Number(raw);
  const when = Date.parse(raw);
  return Number.isNaN(when) ? null : Math.max((when - now) / 1000, 0);
}

function problemOf(response: HttpResponse): Problem | null {
  if (!(response.headers["content-type"] ?? "").startsWith(PROBLEM_JSON)) return null;
  try {
    const body: unknown = JSON.parse(response.body);
    if (
      typeof body === "object" &&
      body !== null &&
      "type" in body &&
      "title" in body &&
      "status" in body &&
      "detail" in body &&
      typeof body.title === "string" &&
      typeof body.detail === "string"
    ) {
      return body as Problem;
    }
  } catch {
    // not JSON: no problem details
  }
  return null;
}

/** The typed error for an answer that is not the expected success. */
export function errorFor(operation: string, response: HttpResponse): ApiError {
  const problem = problemOf(response);
  const detail = problem ? `${problem.title}: ${problem.detail}` : "unexpected answer";
  const ErrorType = errorClass(response.status);
  return new ErrorType(operation, detail, {
    status: response.status,
    problem,
    retryAfter: retryAfter(response.headers),
  });
}

export interface ThreadsApiOptions {
  transport?: Transport;
  timeoutMs?: number;
}

/** A client for the threads API, authenticated as one principal. */
export class ThreadsApi {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly transport: Transport;

  constructor(baseUrl: string, token: string, options: ThreadsApiOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.token = token;
    this.transport = options.transport ?? fetchTransport({ timeoutMs: options.timeoutMs ?? 10_000 });
  }

  private async send(
    operation: string,
    method: string,
    path: string,
    expect: number,
    options: { json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      Accept: `application/json, ${PROBLEM_JSON}`,
      ...options.headers,
    };
    let body: string | null = null;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    let response: HttpResponse;
    try {
      response = await this.transport({ method, url: `${this.baseUrl}${path}`, headers, body });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
      throw new NetworkError(operation, `no answer: ${error instanceof Error ? error.message : String(error)}${cause}`);
    }
    if (response.status !== expect) throw errorFor(operation, response);
    return response;
  }

  private static parse<T>(operation: string, response: HttpResponse, guard: (v: unknown) => v is T, name: string): T {
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      throw new UnexpectedResponse(operation, `the ${response.status} body is not JSON`, { status: response.status });
    }
    if (!guard(body)) {
      throw new UnexpectedResponse(operation, `the ${response.status} body is not a ${name}`, { status: response.status });
    }
    return body;
  }

  private static keyHeader(key: string): Record<string, string> {
    if (!isValidIdempotencyKey(key)) throw new RangeError(`not a valid Idempotency-Key: ${JSON.stringify(key)}`);
    return { [IDEMPOTENCY_KEY]: key };
  }

  private async create<T>(
    operation: string,
    path: string,
    body: unknown,
    key: string,
    guard: (v: unknown) => v is T,
    name: string,
  ): Promise<Created<T>> {
    const response = await this.send(operation, "POST", path, 201, { json: body, headers: ThreadsApi.keyHeader(key) });
    return {
      value: ThreadsApi.parse(operation, response, guard, name),
      replayed: response.headers[IDEMPOTENT_REPLAYED] === "true",
      location: response.headers.location ?? null,
      etag: response.headers.etag ?? null,
    };
  }

  /** createThread: POST /threads with the client's key; 201 on create and on replay. */
  createThread(body: ThreadCreate, idempotencyKey: string): Promise<Created<ServerThread>> {
    return this.create("createThread", "/threads", body, idempotencyKey, isServerThread, "ServerThread");
  }

  /** createMessage: the client's message ID is the key. */
  createMessage(threadId: string, body: MessageCreate, idempotencyKey: string): Promise<Created<Message>> {
    return this.create("createMessage", `/threads/${pathId(threadId)}/messages`, body, idempotencyKey, isMessage, "Message");
  }

  /** getThread: one thread and its ETag. */
  async getThread(threadId: string): Promise<Versioned> {
    const op = "getThread";
    const response = await this.send(op, "GET", `/threads/${pathId(threadId)}`, 200);
    return { thread: ThreadsApi.parse(op, response, isServerThread, "ServerThread"), etag: response.headers.etag ?? null };
  }

  /** updateThread: change the title; with ifMatch, only if it is current. */
  async updateThread(threadId: string, body: ThreadUpdate, ifMatch: string | null = null): Promise<Versioned> {
    const op = "updateThread";
    const headers: Record<string, string> = ifMatch === null ? {} : { "If-Match": ifMatch };
    const response = await this.send(op, "PATCH", `/threads/${pathId(threadId)}`, 200, { json: body, headers });
    return { thread: ThreadsApi.parse(op, response, isServerThread, "ServerThread"), etag: response.headers.etag ?? null };
  }

  /** deleteThread: delete a thread and its messages. */
  async deleteThread(threadId: string): Promise<void> {
    await this.send("deleteThread", "DELETE", `/threads/${pathId(threadId)}`, 204);
  }

  /** listThreads: one page of the caller's threads, newest first. */
  async listThreads(limit = 100, cursor: string | null = null): Promise<ThreadPage> {
    const op = "listThreads";
    const query = new URLSearchParams({ limit: String(limit), ...(cursor === null ? {} : { cursor }) });
    const response = await this.send(op, "GET", `/threads?${query}`, 200);
    return ThreadsApi.parse(op, response, isPage(isServerThread), "ThreadPage");
  }

  /** Every thread of the caller, following next_cursor (newest first, as listed). */
  async allThreads(pageSize = 100): Promise<ServerThread[]> {
    const threads: ServerThread[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.listThreads(pageSize, cursor);
      threads.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return threads;
  }

  /** Every message of a thread, following next_cursor (oldest first). */
  async allMessages(threadId: string, pageSize = 100): Promise<Message[]> {
    const messages: Message[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.listMessages(threadId, pageSize, cursor);
      messages.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return messages;
  }

  /** listMessages: one page of a thread's messages, oldest first. */
  async listMessages(threadId: string, limit = 100, cursor: string | null = null): Promise<MessagePage> {
    const op = "listMessages";
    const query = new URLSearchParams({ limit: String(limit), ...(cursor === null ? {} : { cursor }) });
    const response = await this.send(op, "GET", `/threads/${pathId(threadId)}/messages?${query}`, 200);
    return ThreadsApi.parse(op, response, isPage(isMessage), "MessagePage");
  }
}

function isPage<T>(item: (v: unknown) => v is T): (v: unknown) => v is { items: T[]; next_cursor: string | null } {
  return (v: unknown): v is { items: T[]; next_cursor: string | null } =>
    typeof v === "object" &&
    v !== null &&
    "items" in v &&
    Array.isArray(v.items) &&
    v.items.every(item) &&
    "next_cursor" in v &&
    (v.next_cursor === null || typeof v.next_cursor === "string");
}
