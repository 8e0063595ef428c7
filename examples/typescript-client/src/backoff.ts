/**
 * The retry schedule: exponential backoff with jitter and a retry limit.
 *
 * The n-th failed attempt (n from 1) waits min(cap, base * factor ** (n - 1))
 * scaled by a jitter draw: with jitter 0.5 the wait falls in the upper half of
 * that ceiling, so clients that failed together do not retry together. A server's
 * Retry-After is a floor. One sync run tries an entry at most maxAttempts times,
 * then leaves it queued for the next run (a transient failure never fails an
 * entry: only a permanent answer does).
 */
export interface RetryPolicyOptions {
  base?: number;
  factor?: number;
  cap?: number;
  jitter?: number;
  maxAttempts?: number;
}

export class RetryPolicy {
  readonly base: number;
  readonly factor: number;
  readonly cap: number;
  readonly jitter: number;
  readonly maxAttempts: number;

  constructor({ base = 0.5, factor = 2, cap = 60, jitter = 0.5, maxAttempts = 8 }: RetryPolicyOptions = {}) {
    if (base < 0 || cap < 0 || factor < 1) throw new RangeError("base and cap must be >= 0 and factor >= 1");
    if (jitter < 0 || jitter > 1) throw new RangeError("jitter must be between 0 and 1");
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError("maxAttempts must be at least 1");
    this.base = base;
    this.factor = factor;
    this.cap = cap;
    this.jitter = jitter;
    this.maxAttempts = maxAttempts;
  }

  /** The longest wait after failed attempt number `attempt` (1-based). */
  ceiling(attempt: number): number {
    if (attempt < 1) throw new RangeError("attempt numbers start at 1");
    const raw = this.base * this.factor ** Math.min(attempt - 1, 1000);
    return Number.isFinite(raw) ? Math.min(this.cap, raw) : this.cap;
  }

  /** The wait after failed attempt `attempt` for a uniform `draw` in [0, 1); Retry-After is a floor. */
  delay(attempt: number, draw: number, retryAfter: number | null = null): number {
    const ceiling = this.ceiling(attempt);
    const wait = ceiling * (1 - this.jitter) + ceiling * this.jitter * draw;
    return Math.max(wait, retryAfter ?? 0);
  }
}
