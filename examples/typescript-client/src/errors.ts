/**
 * Why an API call failed, sorted by what the caller should do about it
 * (the counterpart of threadpact.client.errors):
 *
 *     ApiError                 every failure of a call to the threads API
 *     +-- RetryableError       the same request (same Idempotency-Key) may succeed later
 *     |   +-- NetworkError     no answer: refused, reset, timed out, or the answer was lost
 *     |   +-- ServerError      5xx
 *     |   +-- InFlight         409: a request with the same key is still in flight
 *     |   +-- Throttled        408, 425, 429: come back later (retryAfter seconds)
 *     +-- PermanentError       sending it again cannot help; a person or a fix must
 *         +-- NotFound         404 (missing, deleted or someone else's)
 *         +-- ClientError      400, 401, 403, 422 and any other 4xx
 *         |   +-- PreconditionFailed  412: the If-Match was stale (a rename's conflict)
 *         +-- UnexpectedResponse  a status or body the contract does not allow
 *
 * The outbox retries RetryableError with backoff and the same key, and marks the
 * thread failed on PermanentError. The message names the HTTP status, so a
 * thread's syncError says e.g. "createThread: 422 ...".
 */
import type { Problem } from "./api-types";

export class ApiError extends Error {
  readonly operation: string;
  readonly detail: string;
  readonly status: number | null;
  readonly problem: Problem | null;
  readonly retryAfter: number | null;

  constructor(
    operation: string,
    detail: string,
    options: { status?: number | null; problem?: Problem | null; retryAfter?: number | null } = {},
  ) {
    const status = options.status ?? null;
    super(`${operation}: ${status !== null ? `${status} ` : ""}${detail}`);
    this.name = new.target.name;
    this.operation = operation;
    this.detail = detail;
    this.status = status;
    this.problem = options.problem ?? null;
    this.retryAfter = options.retryAfter ?? null;
  }
}

export class RetryableError extends ApiError {}
export class NetworkError extends RetryableError {}
export class ServerError extends RetryableError {}
export class InFlight extends RetryableError {}
export class Throttled extends RetryableError {}

export class PermanentError extends ApiError {}
export class NotFound extends PermanentError {}
export class ClientError extends PermanentError {}
export class PreconditionFailed extends ClientError {}
export class UnexpectedResponse extends PermanentError {}

type ErrorClass = new (...args: ConstructorParameters<typeof ApiError>) => ApiError;

const BY_STATUS: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [404, NotFound],
  [412, PreconditionFailed],
  [408, Throttled],
  [409, InFlight],
  [425, Throttled],
  [429, Throttled],
]);

/** The error class for an HTTP status that is not the expected success. */
export function errorClass(status: number): ErrorClass {
  const known = BY_STATUS.get(status);
  if (known) return known;
  if (status >= 500 && status <= 599) return ServerError;
  if (status >= 400 && status <= 499) return ClientError;
  return UnexpectedResponse;
}

/** Whether a failure with this status can never succeed by sending the same request again. */
export function isPermanentStatus(status: number): boolean {
  return errorClass(status).prototype instanceof PermanentError;
}
