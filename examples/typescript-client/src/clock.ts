/**
 * Time for the sync engine, injectable so tests and the driver never really wait.
 *
 * Times are seconds since the epoch (a wall clock, as outbox deadlines are stored
 * and must make sense to the next process that opens the store).
 */
export interface Clock {
  /** Seconds since the epoch. */
  now(): number;
  /** Wait `seconds`. */
  sleep(seconds: number): Promise<void>;
}

/** Real time. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now() / 1000;
  }

  async sleep(seconds: number): Promise<void> {
    if (seconds > 0) await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}

/** A clock that moves only when something sleeps: backoff without waiting. */
export class VirtualClock implements Clock {
  private current: number;
  /** Every sleep asked for, in order (tests read the backoff schedule here). */
  readonly slept: number[] = [];

  constructor(start: number = Date.now() / 1000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  async sleep(seconds: number): Promise<void> {
    this.slept.push(seconds);
    this.current += Math.max(seconds, 0);
  }

  /** Let time pass without a sleep being recorded. */
  advance(seconds: number): void {
    this.current += seconds;
  }
}

/** The clock's time in Unix milliseconds, as local records store it. */
export function millis(clock: Clock): number {
  return Math.floor(clock.now() * 1000);
}

/** A small seeded PRNG (mulberry32) in [0, 1), for reproducible jitter. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
