// Client-side netcode for the arena sample, free of browser APIs so Node can test it:
// a smoothed server-clock estimate, snapshot jitter, the interpolation delay and buffer, a render
// clock on the server's tick timeline, local prediction with reconciliation, and ack scheduling.
//
// Times are milliseconds. "Local" times are the caller's monotonic clock (performance.now() in the
// page); "server" times are the server's Unix milliseconds.

/** The demo arena's rules (Engine/Demo/ArenaRoom.cs): what prediction must reproduce. */
export const Arena = Object.freeze({ Width: 800, Height: 500, Speed: 180, Up: 1, Down: 2, Left: 4, Right: 8 });

/** Pings this many times ClockPingFastMs apart after a connect (a quick first estimate), then every ClockPingSlowMs. */
export const ClockFastPings = 4;
export const ClockPingFastMs = 250;
export const ClockPingSlowMs = 2000;
/** With no InputBatch or SnapshotAck for this long, a newer applied tick is acknowledged on its own. */
export const AckIntervalMs = 100;
/** The server's default InputRatePerSecond; the client stays within it. */
export const InputRatePerSecond = 120;

/** The delay before the next Ping, given how many have been sent on this connection. */
export function pingDelayMs(sent) {
  return sent < ClockFastPings ? ClockPingFastMs : ClockPingSlowMs;
}

/**
 * Server-clock offset from round trips (Hello→Welcome, Ping→Pong). Each sample assumes the server
 * stamped its time halfway through the round trip; the error of that guess is at most half the
 * RTT, so the lowest-RTT sample of a recent window is the best one. The estimate moves towards it
 * by EWMA, so one lucky or unlucky sample does not make rendered time jump.
 */
export class ClockEstimator {
  constructor({ window = 8, smoothing = 0.3 } = {}) {
    this.window = window;
    this.smoothing = smoothing;
    this.samples = []; // { rtt, offset }, oldest first
    this.offset = null; // server time − local time
  }

  /** A round trip sent at local `sentAt`, answered at local `receivedAt` with the server's time. Returns false for a nonsense sample. */
  addSample(sentAt, receivedAt, serverTime) {
    const rtt = receivedAt - sentAt;
    if (!Number.isFinite(rtt) || rtt < 0 || !Number.isFinite(serverTime)) return false;
    this.samples.push({ rtt, offset: serverTime - (sentAt + rtt / 2) });
    if (this.samples.length > this.window) this.samples.shift();
    const best = this.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
    this.offset = this.offset == null ? best.offset : this.offset + (best.offset - this.offset) * this.smoothing;
    return true;
  }

  /** The lowest RTT in the window (the estimate's error bound is half of it). */
  get bestRtt() { return this.samples.length ? Math.min(...this.samples.map((s) => s.rtt)) : null; }

  /** The server's clock now, or null before any sample. */
  serverNow(localNow) { return this.offset == null ? null : localNow + this.offset; }
}

/**
 * Snapshot arrival jitter, RFC 3550 style: how far each arrival gap differs from the gap in ticks
 * the snapshots describe, averaged with gain 1/16. Server-side tick lateness counts too, which is
 * right: rendering runs on the tick timeline.
 */
export class JitterEstimator {
  constructor() { this.jitter = 0; this.last = null; }

  /** Forgets the previous arrival (a new connection), keeping the estimate. */
  restart() { this.last = null; }

  add(arrivedAt, tick, tickMs) {
    if (this.last && tick > this.last.tick) {
      const d = (arrivedAt - this.last.arrivedAt) - (tick - this.last.tick) * tickMs;
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.last = { arrivedAt, tick };
    return this.jitter;
  }
}

/**
 * How far behind the server's present remote entities are drawn: two ticks (so a snapshot after
 * the one being drawn towards is normally already there) plus `k` times the jitter, clamped.
 */
export function interpolationDelayMs(tickMs, jitterMs, { k = 3, maxExtraMs = 250 } = {}) {
  return 2 * tickMs + Math.min(maxExtraMs, Math.max(0, k * jitterMs));
}

/**
 * Where tick 0 would lie on the server's clock: ticks run on a fixed schedule but may run late,
 * never early, so the minimum of serverTime − tick × tickMs over recent snapshots is the schedule
 * (a window, because a server that skips overrun ticks moves the schedule forward for good).
 */
export class TickEpoch {
  constructor({ window = 90 } = {}) { this.window = window; this.samples = []; }

  add(tick, serverTime, tickMs) {
    this.samples.push(serverTime - tick * tickMs);
    if (this.samples.length > this.window) this.samples.shift();
  }

  clear() { this.samples = []; }

  get value() { return this.samples.length ? Math.min(...this.samples) : null; }
}

/**
 * Snapshots for interpolation: { tick, entities: Map<id, {x, y, …}> } in tick order. Positions
 * are sampled at a fractional tick; between two kept snapshots they move linearly, so a dot that
 * moves at most `step` per tick on the server moves at most `step` per tick here too.
 */
export class InterpolationBuffer {
  constructor({ capacity = 128 } = {}) { this.capacity = capacity; this.entries = []; }

  get newestTick() { return this.entries.length ? this.entries[this.entries.length - 1].tick : null; }

  get oldestTick() { return this.entries.length ? this.entries[0].tick : null; }

  clear() { this.entries = []; }

  /** Adds a snapshot; returns false (and keeps nothing) unless it is newer than the newest kept. */
  push(tick, entities) {
    const newest = this.newestTick;
    if (newest != null && tick <= newest) return false;
    this.entries.push({ tick, entities });
    if (this.entries.length > this.capacity) this.entries.shift();
    return true;
  }

  /** Drops snapshots no longer needed to sample at `renderTick` or later (keeps the one at or before it). */
  trimBefore(renderTick) {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1].tick <= renderTick) i++;
    if (i > 0) this.entries.splice(0, i);
  }

  /**
   * Positions at fractional tick `renderTick`: Map<id, {x, y, entity}>. Before the oldest snapshot
   * the oldest holds; after the newest the newest holds (no extrapolation). An entity only in the
   * earlier snapshot stays where it was (it is about to go); one only in the later is not shown yet.
   */
  sample(renderTick) {
    const out = new Map();
    const n = this.entries.length;
    if (n === 0 || renderTick == null) return out;
    let b = 0;
    while (b < n && this.entries[b].tick <= renderTick) b++;
    if (b === 0 || b === n) {
      for (const [id, e] of this.entries[b === 0 ? 0 : n - 1].entities) out.set(id, { x: e.x, y: e.y, entity: e });
      return out;
    }
    const from = this.entries[b - 1], to = this.entries[b];
    const f = (renderTick - from.tick) / (to.tick - from.tick);
    for (const [id, a] of from.entities) {
      const z = to.entities.get(id);
      out.set(id, z ? { x: a.x + (z.x - a.x) * f, y: a.y + (z.y - a.y) * f, entity: z } : { x: a.x, y: a.y, entity: a });
    }
    return out;
  }
}

/**
 * The fractional tick remote entities are drawn at. It follows a target (server now − delay, in
 * ticks) by running 50 % slower or faster at most, so clock-estimate and delay changes are
 * absorbed without jumps; it never passes the newest snapshot (it waits instead of guessing) and
 * never runs backwards, except that an error over `snapMs` (first snapshot, a long hidden tab, a
 * restarted server) is corrected at once.
 */
export class RenderClock {
  constructor({ snapMs = 1000, gainMs = 500, maxRateChange = 0.5, maxFrameMs = 250 } = {}) {
    Object.assign(this, { snapMs, gainMs, maxRateChange, maxFrameMs });
    this.tick = null;
  }

  reset() { this.tick = null; }

  /** Advances by a frame of `frameMs`; returns the render tick (null without snapshots). */
  advance(frameMs, targetTick, newestTick, tickMs) {
    if (newestTick == null) return this.tick;
    const target = Math.min(targetTick, newestTick);
    if (this.tick == null || Math.abs(targetTick - this.tick) * tickMs > this.snapMs) {
      this.tick = target;
      return this.tick;
    }
    const errorMs = (targetTick - this.tick) * tickMs;
    const rate = 1 + Math.max(-this.maxRateChange, Math.min(this.maxRateChange, errorMs / this.gainMs));
    const dt = Math.max(0, Math.min(frameMs, this.maxFrameMs));
    this.tick = Math.max(this.tick, Math.min(newestTick, this.tick + (dt / tickMs) * rate));
    return this.tick;
  }
}

/** One tick of arena movement: each held axis moves `step`, clamped to the arena. */
export function stepDot(pos, buttons, step, arena = Arena) {
  const dx = (buttons & arena.Right ? 1 : 0) - (buttons & arena.Left ? 1 : 0);
  const dy = (buttons & arena.Down ? 1 : 0) - (buttons & arena.Up ? 1 : 0);
  return {
    x: Math.min(arena.Width, Math.max(0, pos.x + dx * step)),
    y: Math.min(arena.Height, Math.max(0, pos.y + dy * step)),
  };
}

/**
 * Fixed-step local ticks at the server's tick rate, driven by whatever clock calls `advance`.
 * More than `maxCatchUp` overdue ticks (a tab hidden for a while) are dropped: the client starts
 * afresh rather than replaying a long absence.
 */
export class FixedTicker {
  constructor(tickMs, { maxCatchUp = 30 } = {}) { this.tickMs = tickMs; this.maxCatchUp = maxCatchUp; this.next = null; }

  /** The number of ticks due at `now`. */
  advance(now) {
    if (this.next == null) { this.next = now + this.tickMs; return 1; }
    let due = 0;
    while (now >= this.next && due < this.maxCatchUp) { due++; this.next += this.tickMs; }
    if (now >= this.next) this.next = now + this.tickMs;
    return due;
  }

  /** How far into the current tick `now` is, 0..1. */
  alpha(now) {
    if (this.next == null) return 0;
    return Math.min(1, Math.max(0, 1 - (this.next - now) / this.tickMs));
  }
}

/** Whether a local tick sends an input: while any button is held (the server expects a stream) and when the buttons change. */
export function shouldSendInput(buttons, lastSentButtons) {
  return buttons !== 0 || buttons !== lastSentButtons;
}

/** A token bucket (the server's input rate limit, mirrored so the client never trips it). */
export class TokenBucket {
  constructor(ratePerSecond, burst) { this.rate = ratePerSecond; this.burst = burst; this.tokens = burst; this.at = null; }

  take(now) {
    if (this.at != null) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Whether to send SnapshotAck now: a newer tick was applied than the last one acknowledged, and no
 * InputBatch or SnapshotAck (both carry the ack) went out for `intervalMs`.
 */
export function ackDue({ newestApplied, lastAcked, lastAckSentAt, now, intervalMs = AckIntervalMs }) {
  if (!newestApplied) return false;
  const ahead = (newestApplied - (lastAcked ?? 0)) >>> 0;
  if (ahead === 0 || ahead >= 0x8000_0000) return false;
  return lastAckSentAt == null || now - lastAckSentAt >= intervalMs;
}

/**
 * The player's own dot, predicted from its inputs and reconciled with the server.
 *
 * Each local tick moves the predicted dot by the held buttons, as the server does per tick, and
 * records which input (if one went out) the tick belongs to. When a snapshot says the server has
 * applied inputs up to `lastProcessedInput`, the dot is the server's position plus a replay of the
 * later ticks. The difference from the previous prediction is kept as a correction that decays
 * (`smoothingMs`), so small disagreements (the server groups inputs by its own ticks) glide away;
 * one over `snapDistance` is taken at once.
 */
export class Predictor {
  constructor({ step, arena = Arena, smoothingMs = 100, snapDistance = 60, maxPending = 256 } = {}) {
    Object.assign(this, { step, arena, smoothingMs, snapDistance, maxPending });
    this.reset();
  }

  /** Forgets everything (a new seat or connection): the next reconcile sets the dot. */
  reset() {
    this.position = null;
    this.pending = []; // { sequence, buttons, ticks }: inputs the server has not applied, oldest first
    this.correction = { x: 0, y: 0 };
    this.snaps = 0;
  }

  /** One local tick with `buttons` held; `sequence` is the input sent on this tick, if any. */
  localTick(buttons, sequence = null) {
    if (sequence != null) {
      this.pending.push({ sequence, buttons, ticks: 1 });
      if (this.pending.length > this.maxPending) this.pending.shift();
    } else if (this.pending.length) {
      this.pending[this.pending.length - 1].ticks++; // the server keeps applying the last input's buttons
    }
    if (this.position) this.position = stepDot(this.position, buttons, this.step, this.arena);
  }

  /** The server's position for this player after applying inputs up to `lastProcessedInput`. */
  reconcile(serverPos, lastProcessedInput) {
    while (this.pending.length && this.pending[0].sequence <= lastProcessedInput) this.pending.shift();
    let p = { x: serverPos.x, y: serverPos.y };
    for (const input of this.pending) for (let i = 0; i < input.ticks; i++) p = stepDot(p, input.buttons, this.step, this.arena);
    if (this.position) {
      const ex = this.correction.x + this.position.x - p.x, ey = this.correction.y + this.position.y - p.y;
      if (Math.hypot(ex, ey) > this.snapDistance) { this.correction = { x: 0, y: 0 }; this.snaps++; } else this.correction = { x: ex, y: ey };
    }
    this.position = p;
    return p;
  }

  /**
   * Where to draw the dot `frameMs` after the previous frame, `alpha` into the current local tick
   * with `buttons` held: the prediction carried on along the held direction (so the first tick of a
   * press shows at once and motion is smooth between ticks), plus the decaying correction.
   */
  render(frameMs, alpha, buttons) {
    if (!this.position) return null;
    const decay = Math.exp(-Math.max(0, frameMs) / this.smoothingMs);
    this.correction = { x: this.correction.x * decay, y: this.correction.y * decay };
    const ahead = stepDot(this.position, buttons, this.step * alpha, this.arena);
    return { x: ahead.x + this.correction.x, y: ahead.y + this.correction.y };
  }
}
