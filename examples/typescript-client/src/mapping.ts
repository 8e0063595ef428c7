/**
 * The one place that converts between the client's and the server's models.
 *
 * LocalThread/LocalMessage are camelCase with Unix-millisecond integer times;
 * ServerThread/Message are snake_case with RFC 3339 UTC strings. Server times
 * have microseconds; local times keep milliseconds (rounded down).
 */
import type { LocalMessage, LocalThread, Message, MessageCreate, ServerThread, SyncStatus, ThreadCreate } from "./api-types";

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** An RFC 3339 time as Unix milliseconds, rounded down (exact: no float parsing of the fraction). */
export function rfc3339ToMs(value: string): number {
  const match = RFC3339.exec(value);
  if (!match) throw new RangeError(`not an RFC 3339 date-time: ${JSON.stringify(value)}`);
  const [, y, mo, d, h, mi, s, fraction = "", zone = "Z"] = match;
  const ms = Number(`${fraction}000`.slice(0, 3));
  let offsetMinutes = 0;
  if (zone !== "Z" && zone !== "z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms) - offsetMinutes * 60_000;
}

/** Unix milliseconds as an RFC 3339 UTC string. */
export function msToRfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is string {
  return typeof value === "string" && RFC3339.test(value);
}

/** Whether a response body is a ServerThread (the fields this client relies on). */
export function isServerThread(value: unknown): value is ServerThread {
  return (
    isRecord(value) &&
    isUuid(value.id) &&
    typeof value.title === "string" &&
    typeof value.agent_id === "string" &&
    typeof value.model === "string" &&
    typeof value.provider === "string" &&
    isTime(value.created_at) &&
    isTime(value.updated_at)
  );
}

/** Whether a response body is a Message. */
export function isMessage(value: unknown): value is Message {
  return (
    isRecord(value) &&
    isUuid(value.id) &&
    isUuid(value.thread_id) &&
    (value.role === "user" || value.role === "assistant" || value.role === "system") &&
    typeof value.content === "string" &&
    isTime(value.created_at)
  );
}

// -- threads ------------------------------------------------------------------

/** The body that creates `local` on the server (never carries an ID). */
export function threadCreate(local: LocalThread): ThreadCreate {
  return { agent_id: local.agentId, model: local.model, provider: local.provider, title: local.title };
}

/** A server thread as the client stores it. */
export function localThread(
  server: ServerThread,
  options: { messages?: LocalMessage[]; aliases?: string[]; artifactId?: string | null; syncStatus?: SyncStatus } = {},
): LocalThread {
  return {
    id: server.id,
    title: server.title,
    agentId: server.agent_id,
    model: server.model,
    provider: server.provider,
    messages: options.messages ?? [],
    createdAt: rfc3339ToMs(server.created_at),
    updatedAt: rfc3339ToMs(server.updated_at),
    artifactId: options.artifactId ?? null,
    syncStatus: options.syncStatus ?? "synced",
    syncError: null,
    aliases: options.aliases ?? [],
  };
}

/** A local thread as the server would return it (its ID must be a server UUID). */
export function serverThread(local: LocalThread): ServerThread {
  if (!isUuid(local.id)) throw new RangeError(`not a server ID: ${local.id}`);
  return {
    id: local.id,
    title: local.title,
    agent_id: local.agentId,
    model: local.model,
    provider: local.provider,
    created_at: msToRfc3339(local.createdAt),
    updated_at: msToRfc3339(local.updatedAt),
  };
}

/**
 * `local` after its create succeeded: the server's ID and times, the rest kept.
 * The old ID goes to `aliases`; the title stays local (a rename queued while the
 * create was in flight must not flicker back).
 */
export function adoptServerThread(local: LocalThread, server: ServerThread): LocalThread {
  const aliases = [...(local.aliases ?? [])];
  if (local.id !== server.id && !aliases.includes(local.id)) aliases.push(local.id);
  return {
    ...local,
    id: server.id,
    agentId: server.agent_id,
    model: server.model,
    provider: server.provider,
    createdAt: rfc3339ToMs(server.created_at),
    updatedAt: Math.max(local.updatedAt, rfc3339ToMs(server.updated_at)),
    aliases,
  };
}

// -- messages -----------------------------------------------------------------

/** The body that creates `local` on the server. */
export function messageCreate(local: LocalMessage): MessageCreate {
  return { role: local.role, content: local.content };
}

/** A server message as the client stores it. */
export function localMessage(server: Message, clientId: string | null = null): LocalMessage {
  return {
    id: server.id,
    role: server.role,
    content: server.content,
    createdAt: rfc3339ToMs(server.created_at),
    syncStatus: "synced",
    clientId,
  };
}

/** `local` after its create succeeded: the server's ID and time, its own ID kept as clientId. */
export function adoptServerMessage(local: LocalMessage, server: Message): LocalMessage {
  return localMessage(server, local.clientId ?? local.id);
}
