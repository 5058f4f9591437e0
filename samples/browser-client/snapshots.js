// Decoder for Engine's entity snapshot payloads, written from Engine/Snapshots/README.md alone.
// Dependency-free ES module: copy it into any browser or Node client.
//
// A payload is: tick u32, baseline u32 (0 = full snapshot), count varint, then `count` records:
//   kind 0 created/replaced: id varint, length varint (0–1,024), body bytes
//   kind 1 changed:          id varint, XOR delta (zeros varint, literal varint, literal bytes)* covering the body
//   kind 2 removed:          id varint
// Anything malformed (truncated, trailing bytes, unknown kind, varint or length out of range, kind 1/2
// for an id the baseline lacks, a delta not covering its body exactly, an id twice) is refused
// whole and the decoder's state does not change.
//
// Frames are Map<id, Uint8Array>. The decoder treats frames and bodies as immutable once applied:
// `current` returns the kept frame itself, so callers must not modify it or its bodies.

export const MaxBodyLength = 1024;
export const DefaultRingCapacity = 32;
const HeaderBytes = 8;

const KindCreated = 0;
const KindChanged = 1;
const KindRemoved = 2;

/** Reads an unsigned LEB128 32-bit value; returns [value, nextPos] or null (truncated or out of range). */
export function readVarint(bytes, pos) {
  let value = 0;
  for (let i = 0; i < 5 && pos + i < bytes.length; i++) {
    const b = bytes[pos + i];
    if (i === 4 && b > 0x0f) return null;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return [value, pos + i + 1];
  }
  return null;
}

function readU32(bytes, pos) {
  return (bytes[pos] | (bytes[pos + 1] << 8) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 24)) >>> 0;
}

const TwoTo32 = 4294967296;

/**
 * FNV-1a 64 (offset basis 0xCBF29CE484222325, prime 0x100000001B3) over, for each entity in
 * ascending id order: id (u32 LE), body length (u32 LE), body — as EntityFrame.ComputeHash.
 * Returns a BigInt. Computed on two 32-bit halves (exact in doubles) to avoid a BigInt per byte.
 */
export function frameHash(frame) {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const step = (b) => {
    lo = (lo ^ b) >>> 0;
    // h * (2^40 + 0x1B3) mod 2^64
    const loProduct = lo * 0x1b3;                      // < 2^41
    const carry = Math.floor(loProduct / TwoTo32);
    const hiProduct = hi * 0x1b3 + carry + (lo % 0x1000000) * 256; // (lo << 40) lands lo's low 24 bits in hi
    lo = loProduct % TwoTo32;
    hi = hiProduct % TwoTo32;
  };
  const u32 = (v) => { step(v & 0xff); step((v >>> 8) & 0xff); step((v >>> 16) & 0xff); step((v >>> 24) & 0xff); };
  const ids = [...frame.keys()].sort((a, b) => a - b);
  for (const id of ids) {
    const body = frame.get(id);
    u32(id);
    u32(body.length);
    for (let i = 0; i < body.length; i++) step(body[i]);
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * Parses and applies `payload` onto a copy of `baseline`; returns the new frame or null when
 * malformed. Never modifies `baseline` or its bodies.
 */
function applyRecords(payload, pos, baseline) {
  const count = readVarint(payload, pos);
  if (count === null) return null;
  pos = count[1];
  // Every record takes at least two bytes (kind + id), so a larger count cannot fit.
  if (count[0] > (payload.length - pos) / 2) return null;
  const frame = new Map(baseline);
  const seen = new Set();
  for (let r = 0; r < count[0]; r++) {
    if (pos >= payload.length) return null;
    const kind = payload[pos++];
    const idRead = readVarint(payload, pos);
    if (idRead === null) return null;
    const id = idRead[0];
    pos = idRead[1];
    if (seen.has(id)) return null;
    seen.add(id);
    if (kind === KindCreated) {
      const lengthRead = readVarint(payload, pos);
      if (lengthRead === null) return null;
      const length = lengthRead[0];
      pos = lengthRead[1];
      if (length > MaxBodyLength || pos + length > payload.length) return null;
      frame.set(id, payload.slice(pos, pos + length));
      pos += length;
    } else if (kind === KindChanged) {
      const old = baseline.get(id);
      if (old === undefined) return null;
      const body = old.slice();
      let covered = 0;
      while (covered < body.length) {
        const zerosRead = readVarint(payload, pos);
        if (zerosRead === null) return null;
        const literalRead = readVarint(payload, zerosRead[1]);
        if (literalRead === null) return null;
        const zeros = zerosRead[0];
        const literal = literalRead[0];
        pos = literalRead[1];
        if (zeros === 0 && literal === 0) return null;
        if (covered + zeros + literal > body.length) return null;
        if (pos + literal > payload.length) return null;
        covered += zeros;
        for (let i = 0; i < literal; i++) body[covered + i] ^= payload[pos + i];
        covered += literal;
        pos += literal;
      }
      frame.set(id, body);
    } else if (kind === KindRemoved) {
      if (!baseline.has(id)) return null;
      frame.delete(id);
    } else {
      return null;
    }
  }
  if (pos !== payload.length) return null;
  return frame;
}

export class SnapshotDecoder {
  #capacity;
  #ring = new Map(); // tick -> frame, insertion (= tick) order; at most #capacity entries
  #newest = 0;
  #current = new Map();
  #hash = null; // computed when asked, not on every applied payload

  constructor({ ringCapacity = DefaultRingCapacity } = {}) {
    if (!Number.isInteger(ringCapacity) || ringCapacity < 1) throw new RangeError(`ringCapacity must be a positive integer, got ${ringCapacity}`);
    this.#capacity = ringCapacity;
  }

  /** The newest tick applied (0 before any): the tick to acknowledge. */
  get newestApplied() { return this.#newest; }

  /** The current state: Map<id, Uint8Array body>. Do not modify it. */
  get current() { return this.#current; }

  /** The number of frames kept as possible baselines. */
  get ringCapacity() { return this.#capacity; }

  /** The current state's hash (FNV-1a 64, as EntityFrame.ComputeHash) as a BigInt. */
  hash() { return (this.#hash ??= frameHash(this.#current)); }

  /** The kept frame for `tick`, or undefined. Do not modify it. */
  frame(tick) { return this.#ring.get(tick); }

  /** Forgets every frame (a new connection). */
  reset() {
    this.#ring.clear();
    this.#newest = 0;
    this.#current = new Map();
    this.#hash = null;
  }

  /**
   * Applies a snapshot payload (Uint8Array). Returns its tick, or null when refused (late or
   * duplicate, baseline not held, or malformed); a refusal leaves the state unchanged.
   */
  tryApply(payload) {
    if (!(payload instanceof Uint8Array) || payload.length < HeaderBytes) return null;
    const tick = readU32(payload, 0);
    const baselineTick = readU32(payload, 4);
    if (tick <= this.#newest) return null;
    let baseline;
    if (baselineTick === 0) {
      baseline = new Map();
    } else {
      if (baselineTick >= tick) return null;
      baseline = this.#ring.get(baselineTick);
      if (baseline === undefined) return null;
    }
    const frame = applyRecords(payload, HeaderBytes, baseline);
    if (frame === null) return null;
    this.#ring.set(tick, frame);
    while (this.#ring.size > this.#capacity) this.#ring.delete(this.#ring.keys().next().value);
    this.#newest = tick;
    this.#current = frame;
    this.#hash = null;
    return tick;
  }
}
