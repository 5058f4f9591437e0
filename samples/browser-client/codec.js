// MemoryPack encoding for the schemas in protocol.generated.js: every message is one type byte
// followed by the MemoryPack body. Objects start with a member-count byte (255 = null); strings
// are MemoryPack's UTF-8 form (int32 ~byteCount, int32 UTF-16 length, bytes); byte arrays and
// arrays start with an int32 length (-1 = null); integers are little-endian.
// Null is written only for kinds marked '?' (string?, bytes?, arr?:X, obj?:X): the server closes
// the connection (1002) on a null anywhere else, so a missing or null value of any other kind is
// sent as its empty form ('', no bytes, [], an object of defaults), as scalars are sent as 0.
import { MessageBodies, MessageType, Schemas } from './protocol.generated.js';

const NULL_OBJECT = 255;
const NULL_LENGTH = -1;

class Writer {
  constructor() { this.buf = new ArrayBuffer(256); this.view = new DataView(this.buf); this.pos = 0; }
  ensure(n) {
    if (this.pos + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.pos + n) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(new Uint8Array(this.buf, 0, this.pos));
    this.buf = next; this.view = new DataView(next);
  }
  u8(v) { this.ensure(1); this.view.setUint8(this.pos, v); this.pos += 1; }
  i32(v) { this.ensure(4); this.view.setInt32(this.pos, v, true); this.pos += 4; }
  bytes() { return new Uint8Array(this.buf, 0, this.pos).slice(); }
}

class Reader {
  constructor(bytes) { this.bytes = bytes; this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength); this.pos = 0; }
  need(n) { if (this.pos + n > this.bytes.byteLength) throw new Error(`truncated message: need ${n} bytes at ${this.pos}`); }
  u8() { this.need(1); return this.view.getUint8(this.pos++); }
  i32() { this.need(4); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
}

const scalar = {
  bool: [1, (v, p) => v.getUint8(p) !== 0, (v, p, x) => v.setUint8(p, x ? 1 : 0)],
  u8: [1, (v, p) => v.getUint8(p), (v, p, x) => v.setUint8(p, x)],
  i16: [2, (v, p) => v.getInt16(p, true), (v, p, x) => v.setInt16(p, x, true)],
  u16: [2, (v, p) => v.getUint16(p, true), (v, p, x) => v.setUint16(p, x, true)],
  i32: [4, (v, p) => v.getInt32(p, true), (v, p, x) => v.setInt32(p, x, true)],
  u32: [4, (v, p) => v.getUint32(p, true), (v, p, x) => v.setUint32(p, x >>> 0, true)],
  i64: [8, (v, p) => Number(v.getBigInt64(p, true)), (v, p, x) => v.setBigInt64(p, BigInt(Math.trunc(x)), true)],
  u64: [8, (v, p) => Number(v.getBigUint64(p, true)), (v, p, x) => v.setBigUint64(p, BigInt(Math.trunc(x)), true)],
  f32: [4, (v, p) => v.getFloat32(p, true), (v, p, x) => v.setFloat32(p, x, true)],
  f64: [8, (v, p) => v.getFloat64(p, true), (v, p, x) => v.setFloat64(p, x, true)],
};

// 'arr?:Name' -> { base: 'arr', nullable: true, schema: 'Name' }; 'string?' -> { base: 'string', nullable: true }.
function parseKind(kind) {
  const colon = kind.indexOf(':');
  const head = colon < 0 ? kind : kind.slice(0, colon);
  const nullable = head.endsWith('?');
  return { base: nullable ? head.slice(0, -1) : head, nullable, schema: colon < 0 ? undefined : kind.slice(colon + 1) };
}

function writeValue(w, kind, value) {
  const s = scalar[kind];
  if (s) { w.ensure(s[0]); s[2](w.view, w.pos, value ?? 0); w.pos += s[0]; return; }
  const { base, nullable, schema } = parseKind(kind);
  if (value == null && nullable) {
    if (base === 'obj') w.u8(NULL_OBJECT); else w.i32(NULL_LENGTH);
    return;
  }
  if (base === 'string') {
    const text = value == null ? '' : String(value);
    // The empty string is a zero length, as MemoryPack writes it: in the UTF-8 form below it would
    // be ~0, which is -1, the null marker.
    if (text.length === 0) { w.i32(0); return; }
    // MemoryPack's UTF-8 form (its default): ~byteCount, the UTF-16 length, then the UTF-8 bytes.
    const bytes = utf8Encoder.encode(text);
    w.i32(~bytes.length); w.i32(text.length);
    w.ensure(bytes.length); new Uint8Array(w.buf, w.pos, bytes.length).set(bytes); w.pos += bytes.length;
    return;
  }
  if (base === 'bytes') {
    const b = value ?? new Uint8Array(0);
    w.i32(b.length); w.ensure(b.length); new Uint8Array(w.buf, w.pos, b.length).set(b); w.pos += b.length;
    return;
  }
  if (base === 'obj') { writeObject(w, schema, value ?? {}); return; }
  if (base === 'arr') {
    const items = value ?? [];
    w.i32(items.length);
    for (const item of items) writeObject(w, schema, item ?? {});
    return;
  }
  throw new Error(`unknown kind ${kind}`);
}

function writeObject(w, schemaName, obj) {
  const schema = Schemas[schemaName];
  if (!schema) throw new Error(`unknown schema ${schemaName}`);
  if (obj == null) { w.u8(NULL_OBJECT); return; }
  w.u8(schema.length);
  for (const [name, kind] of schema) writeValue(w, kind, obj[name]);
}

const utf8Encoder = new TextEncoder();
const decoder = new TextDecoder('utf-16le');
const utf8 = new TextDecoder('utf-8', { fatal: false });

function readValue(r, kind) {
  const s = scalar[kind];
  if (s) { r.need(s[0]); const v = s[1](r.view, r.pos); r.pos += s[0]; return v; }
  const { base, schema } = parseKind(kind);
  if (base === 'string') {
    const header = r.i32();
    if (header === NULL_LENGTH) return null;
    if (header < 0) { // MemoryPack's UTF-8 form: ~byteCount, then the UTF-16 length (what the server sends)
      const byteCount = ~header; r.i32(); r.need(byteCount);
      const text = utf8.decode(r.bytes.subarray(r.pos, r.pos + byteCount)); r.pos += byteCount; return text;
    }
    r.need(header * 2);
    const text = decoder.decode(r.bytes.subarray(r.pos, r.pos + header * 2)); r.pos += header * 2; return text;
  }
  if (base === 'bytes') {
    const n = r.i32(); if (n === NULL_LENGTH) return null; r.need(n);
    const b = r.bytes.slice(r.pos, r.pos + n); r.pos += n; return b;
  }
  if (base === 'obj') return readObject(r, schema);
  if (base === 'arr') {
    const n = r.i32(); if (n === NULL_LENGTH) return null;
    const items = new Array(n);
    for (let i = 0; i < n; i++) items[i] = readObject(r, schema);
    return items;
  }
  throw new Error(`unknown kind ${kind}`);
}

function readObject(r, schemaName) {
  const schema = Schemas[schemaName];
  const count = r.u8();
  if (count === NULL_OBJECT) return null;
  if (count !== schema.length) throw new Error(`${schemaName}: expected ${schema.length} members, got ${count}`);
  const obj = {};
  for (const [name, kind] of schema) obj[name] = readValue(r, kind);
  return obj;
}

/** Encodes a message: `type` is a MessageType name ('Join') or number; `body` a plain object. */
export function encodeMessage(type, body) {
  const code = typeof type === 'number' ? type : MessageType[type];
  const w = new Writer();
  w.u8(code);
  writeObject(w, MessageBodies[code], body ?? {});
  return w.bytes();
}

/** Decodes a message into { type: 'Snapshot', code, body }. */
export function decodeMessage(bytes) {
  const r = new Reader(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  const code = r.u8();
  const schemaName = MessageBodies[code];
  if (!schemaName) throw new Error(`unknown message type 0x${code.toString(16)}`);
  const body = readObject(r, schemaName);
  if (r.pos !== r.bytes.byteLength) throw new Error(`${schemaName}: ${r.bytes.byteLength - r.pos} trailing bytes`);
  const type = Object.keys(MessageType).find((k) => MessageType[k] === code);
  return { type, code, body };
}

/** Decodes a bare MemoryPack object of a named schema (e.g. the game state in a snapshot). */
export function decodeObject(schemaName, bytes) {
  const r = new Reader(bytes);
  const obj = readObject(r, schemaName);
  if (r.pos !== r.bytes.byteLength) throw new Error(`${schemaName}: ${r.bytes.byteLength - r.pos} trailing bytes`);
  return obj;
}

/** Encodes a bare MemoryPack object of a named schema. */
export function encodeObject(schemaName, obj) {
  const w = new Writer();
  writeObject(w, schemaName, obj);
  return w.bytes();
}
