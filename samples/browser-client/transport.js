// Engine's browser transport: one connection with a uniform interface over WebTransport (HTTP/3,
// preferred) or WebSocket (fallback). Dependency-free and independent of the game: copy this file.
// Wire format: docs/protocol.md (WebSocket) and "Engine over WebTransport" (the WebTransport
// section of the README):
//   message stream  u32 LE length N (1..maxMessageBytes) | N bytes: message (type u8 + body)
//   datagram        0x00 | message                                  (a whole message)
//                   0x01 | messageId u16 LE | index u8 | count u8 | bytes   (a fragment)
//
// Usage:
//   const t = await openTransport({ baseUrl: location.origin });
//   t.onmessage = (bytes) => …;            // whole messages: type byte + body
//   t.onclose = ({ code, reason }) => …;   // once
//   t.send(bytes); t.sendUnreliable(bytes); t.close(1000, 'bye');

export const MaxMessageBytes = 16384;
export const WebTransportTimeoutMs = 3000;
/** Reported by onclose when the connection broke without a close code (as WebSocket's 1006). */
export const AbnormalClose = 1006;
export const DatagramKind = Object.freeze({ Message: 0x00, Fragment: 0x01 });
export const FragmentHeaderBytes = 5; // kind, messageId u16, index, count
export const MaxFragments = 64;
export const MaxIncompleteMessages = 4;
export const FragmentExpiryMs = 1000;

// How long a broken message stream waits for `WebTransport.closed` to report the real close code
// (a closing server resets the streams, which the page may see first).
const StreamEndGraceMs = 250;
const MaxReasonBytes = 1024; // WebTransport close reason
const MaxWebSocketReasonBytes = 123;

// ---------------------------------------------------------------------------------------------
// Pure logic (no browser APIs): message-stream framing and datagram reassembly.

/** A violation of the message-stream framing; `code` is the close code it calls for. */
export class FrameError extends Error {
  constructor(code, message) { super(message); this.name = 'FrameError'; this.code = code; }
}

/** One message as it travels on the message stream: u32 LE length, then the bytes. */
export function encodeFrame(message, maxMessageBytes = MaxMessageBytes) {
  if (message.length === 0) throw new RangeError('an empty message cannot be framed');
  if (message.length > maxMessageBytes) throw new RangeError(`message of ${message.length} bytes exceeds ${maxMessageBytes}`);
  const frame = new Uint8Array(4 + message.length);
  new DataView(frame.buffer).setUint32(0, message.length, true);
  frame.set(message, 4);
  return frame;
}

/**
 * Splits the message stream back into messages, whatever the chunk boundaries. Each message is
 * copied into its own buffer once its length is known, so long streams never re-concatenate.
 * A zero length throws FrameError 1002, a length over maxMessageBytes FrameError 1009; after
 * that the parser stays failed (the session is closing).
 */
export class FrameParser {
  constructor({ maxMessageBytes = MaxMessageBytes } = {}) {
    this.maxMessageBytes = maxMessageBytes;
    this.header = new Uint8Array(4);
    this.headerFill = 0;
    this.body = null; // the message being filled, once its length is known
    this.bodyFill = 0;
    this.error = null;
  }

  /** Feeds one chunk; returns the messages it completed, in order. */
  push(chunk) {
    if (this.error) throw this.error;
    const messages = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (!this.body) {
        const take = Math.min(4 - this.headerFill, chunk.length - pos);
        this.header.set(chunk.subarray(pos, pos + take), this.headerFill);
        this.headerFill += take; pos += take;
        if (this.headerFill < 4) break;
        this.body = new Uint8Array(this.checkLength(new DataView(this.header.buffer).getUint32(0, true)));
        this.bodyFill = 0; this.headerFill = 0;
      }
      const take = Math.min(this.body.length - this.bodyFill, chunk.length - pos);
      this.body.set(chunk.subarray(pos, pos + take), this.bodyFill);
      this.bodyFill += take; pos += take;
      if (this.bodyFill === this.body.length) { messages.push(this.body); this.body = null; }
    }
    return messages;
  }

  /** True when the stream ended between messages (an end inside one is abrupt). */
  get atBoundary() { return !this.body && this.headerFill === 0; }

  checkLength(length) {
    if (length === 0) this.error = new FrameError(1002, 'message stream: zero-length message');
    else if (length > this.maxMessageBytes) this.error = new FrameError(1009, `message stream: ${length}-byte message exceeds ${this.maxMessageBytes}`);
    if (this.error) throw this.error;
    return length;
  }
}

/** A whole message as a datagram (kind 0x00). */
export function encodeMessageDatagram(message) {
  const datagram = new Uint8Array(1 + message.length);
  datagram[0] = DatagramKind.Message;
  datagram.set(message, 1);
  return datagram;
}

/**
 * Splits a message into kind-0x01 fragments of at most `maxDatagramBytes` each, as the server
 * does (all full-size but the last). For tests and for symmetry; the client never fragments.
 */
export function fragmentMessage(message, messageId, maxDatagramBytes) {
  const slice = maxDatagramBytes - FragmentHeaderBytes;
  const count = Math.ceil(message.length / slice);
  if (slice <= 0 || count < 2 || count > MaxFragments) throw new RangeError(`cannot split ${message.length} bytes into 2..${MaxFragments} fragments of ${slice}`);
  return Array.from({ length: count }, (_, index) => {
    const part = message.subarray(index * slice, (index + 1) * slice);
    const datagram = new Uint8Array(FragmentHeaderBytes + part.length);
    datagram[0] = DatagramKind.Fragment;
    datagram[1] = messageId & 0xff; datagram[2] = (messageId >> 8) & 0xff;
    datagram[3] = index; datagram[4] = count;
    datagram.set(part, FragmentHeaderBytes);
    return datagram;
  });
}

/**
 * Turns received datagrams back into whole messages. Unreliable by design: anything invalid,
 * late or duplicated is dropped and counted in `stats`, never thrown, because one bad datagram
 * must not cost the session. Rules (the wire spec's): at most `maxIncomplete` messages in
 * reassembly, the one that started first evicted when another starts; duplicates ignored;
 * count < 2, count > 64, index >= count, or a count that disagrees with earlier fragments of the
 * same id drops the fragment; a message incomplete `expiryMs` after its first fragment is dropped.
 * `now` is injectable so tests control the clock.
 */
export class FragmentReassembler {
  constructor({ maxIncomplete = MaxIncompleteMessages, expiryMs = FragmentExpiryMs, now = () => performance.now() } = {}) {
    Object.assign(this, { maxIncomplete, expiryMs, now });
    this.pending = new Map(); // messageId -> { startedAt, count, parts, received, bytes }; insertion order = arrival order
    this.completed = new Map(); // messageId -> completedAt: late duplicates of a delivered message stay ignored
    this.stats = { messages: 0, reassembled: 0, invalid: 0, duplicates: 0, evicted: 0, expired: 0 };
  }

  /** Number of messages waiting for fragments. */
  get incomplete() { return this.pending.size; }

  /** Feeds one datagram (kind byte first); returns the whole message it yields, or null. */
  push(datagram) {
    this.expire();
    if (datagram.length < 1) return this.invalid();
    if (datagram[0] === DatagramKind.Message) {
      if (datagram.length < 2) return this.invalid(); // a message has at least its type byte
      this.stats.messages++;
      return datagram.slice(1);
    }
    if (datagram[0] !== DatagramKind.Fragment || datagram.length <= FragmentHeaderBytes) return this.invalid(); // a fragment carries at least one byte
    const id = datagram[1] | (datagram[2] << 8), index = datagram[3], count = datagram[4];
    if (count < 2 || count > MaxFragments || index >= count) return this.invalid();
    if (this.completed.has(id)) { this.stats.duplicates++; return null; }
    let entry = this.pending.get(id);
    if (entry && entry.count !== count) return this.invalid();
    if (!entry) entry = this.start(id, count);
    if (entry.parts[index]) { this.stats.duplicates++; return null; }
    entry.parts[index] = datagram.slice(FragmentHeaderBytes);
    entry.received++; entry.bytes += entry.parts[index].length;
    return entry.received === count ? this.finish(id, entry) : null;
  }

  start(id, count) {
    if (this.pending.size >= this.maxIncomplete) {
      this.pending.delete(this.pending.keys().next().value);
      this.stats.evicted++;
    }
    const entry = { startedAt: this.now(), count, parts: new Array(count), received: 0, bytes: 0 };
    this.pending.set(id, entry);
    return entry;
  }

  finish(id, entry) {
    this.pending.delete(id);
    this.completed.set(id, this.now());
    const message = new Uint8Array(entry.bytes);
    let pos = 0;
    for (const part of entry.parts) { message.set(part, pos); pos += part.length; }
    this.stats.reassembled++;
    return message;
  }

  expire() {
    const cutoff = this.now() - this.expiryMs;
    for (const [id, entry] of this.pending) {
      if (entry.startedAt > cutoff) break; // arrival order: the rest are younger
      this.pending.delete(id);
      this.stats.expired++;
    }
    for (const [id, at] of this.completed) {
      if (at > cutoff) break;
      this.completed.delete(id);
    }
  }

  invalid() { this.stats.invalid++; return null; }
}

// ---------------------------------------------------------------------------------------------
// Addresses and certificate hashes.

/** 'wt' | 'ws' | 'auto' from what a user may type ('webtransport', 'WS', '', null…). */
export function normalizePrefer(prefer) {
  const p = String(prefer ?? '').toLowerCase();
  if (p === 'wt' || p === 'webtransport') return 'wt';
  if (p === 'ws' || p === 'websocket') return 'ws';
  return 'auto';
}

/** ws(s)://host:port/wsPath for the page origin `baseUrl` (wss when the page is https). */
export function webSocketUrl(baseUrl, wsPath = '/ws') {
  const url = new URL(wsPath, baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/**
 * https://host:port/wtPath. Engine serves WebTransport on the same number as HTTPS (UDP), so an
 * https page uses its own port. A plain-http page cannot know it: `port` (explicit) wins, then
 * `altSvcPort` (the h3 port the server advertises), then the page's own port.
 */
export function webTransportUrl(baseUrl, wtPath = '/wt', { port = null, altSvcPort = null } = {}) {
  const base = new URL(baseUrl);
  const url = new URL(wtPath, base);
  url.protocol = 'https:';
  const chosen = port ?? (base.protocol === 'https:' ? null : altSvcPort);
  if (chosen != null && chosen !== '') url.port = String(chosen); // else the page's port carries over
  return url.href;
}

/** The port of an `h3=":PORT"` alternative (same host) in an Alt-Svc header, or null. */
export function parseAltSvcPort(header) {
  const match = /(?:^|,)\s*h3=":(\d{1,5})"/.exec(header ?? '');
  return match ? Number(match[1]) : null;
}

/** Lowercase or uppercase hex to bytes; throws on odd length or non-hex. */
export function hexToBytes(hex) {
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new Error('not a hex string');
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.substr(i * 2, 2), 16));
}

/**
 * GET baseUrl/cert-hash: Engine's development certificate, which browsers trust for WebTransport
 * only through `serverCertificateHashes`. 404 means a real certificate (no hashes needed); any
 * failure also yields no hashes, since WebTransport may still work with a trusted certificate.
 * The response's Alt-Svc header (same origin, so readable) names the HTTP/3 port.
 */
export async function fetchCertificateHashes(baseUrl, { timeoutMs = WebTransportTimeoutMs } = {}) {
  try {
    const response = await fetch(new URL('/cert-hash', baseUrl), { cache: 'no-store', signal: AbortSignal.timeout(Math.max(1, timeoutMs)) });
    const altSvcPort = parseAltSvcPort(response.headers.get('alt-svc'));
    if (!response.ok) return { hashes: [], altSvcPort };
    const { sha256 } = await response.json();
    return { hashes: [{ algorithm: 'sha-256', value: hexToBytes(sha256) }], altSvcPort };
  } catch {
    return { hashes: [], altSvcPort: null };
  }
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text, max) {
  const bytes = new TextEncoder().encode(text ?? '');
  if (bytes.length <= max) return text ?? '';
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

// ---------------------------------------------------------------------------------------------
// The connection object both transports return.

/**
 * What openTransport resolves to. `onmessage(bytes)` receives whole messages; `onclose({code,
 * reason})` fires exactly once (also after a local close(), with that code). Messages and the
 * close that arrive before the handlers are assigned are held and delivered on assignment.
 */
class Transport {
  #onmessage = null;
  #onclose = null;
  #held = [];
  #closeInfo = null;
  #closeReported = false;

  constructor(name, { send, sendUnreliable, close, maxDatagramSize = () => null, raw }) {
    this.name = name;
    this.raw = raw; // the underlying WebTransport or WebSocket, for what this interface lacks
    this.fallbackReason = null; // why 'auto' did not use WebTransport, when it did not
    this.impl = { send, sendUnreliable, close, maxDatagramSize };
  }

  get onmessage() { return this.#onmessage; }
  set onmessage(fn) {
    this.#onmessage = fn;
    while (fn && this.#held.length) fn(this.#held.shift());
  }

  get onclose() { return this.#onclose; }
  set onclose(fn) { this.#onclose = fn; this.#reportClose(); }

  get isClosed() { return this.#closeInfo !== null; }

  /** WebTransport: the browser's current datagram payload limit; WebSocket: null (no datagrams). */
  get maxDatagramSize() { return this.impl.maxDatagramSize(); }

  /**
   * Reliable, ordered. Returns false when the transport is closed. On WebTransport an empty
   * message or one over maxMessageBytes throws RangeError (the server would close the session).
   */
  send(bytes) { if (this.isClosed) return false; this.impl.send(bytes); return true; }

  /** Unreliable where the transport has datagrams (WebTransport), else the same as send. */
  sendUnreliable(bytes) { if (this.isClosed) return false; this.impl.sendUnreliable(bytes); return true; }

  /** Closes with `code` and `reason`; onclose reports exactly that. */
  close(code = 1000, reason = '') {
    if (this.isClosed) return;
    this.finish(code, reason);
    try { this.impl.close(code, reason); } catch { /* already gone */ }
  }

  // Internal: the transports call these.
  deliver(bytes) {
    if (this.isClosed) return;
    if (this.#onmessage) this.#onmessage(bytes); else this.#held.push(bytes);
  }

  finish(code, reason) {
    if (this.#closeInfo) return;
    this.#closeInfo = { code, reason: reason ?? '' };
    this.#reportClose();
  }

  #reportClose() {
    if (!this.#closeInfo || !this.#onclose || this.#closeReported) return;
    this.#closeReported = true;
    this.#onclose(this.#closeInfo);
  }
}

// ---------------------------------------------------------------------------------------------
// Opening.

/**
 * Opens a connection to an Engine server.
 * @param {object} options
 * @param {string} [options.baseUrl]  the server's page origin (default location.origin): /cert-hash and /ws live there
 * @param {string} [options.wtPath]   WebTransport path (default '/wt')
 * @param {string} [options.wsPath]   WebSocket path (default '/ws')
 * @param {'auto'|'wt'|'ws'} [options.prefer]  'auto' tries WebTransport then WebSocket; 'wt'/'ws' force one
 * @param {number} [options.wtTimeoutMs]  budget for the whole WebTransport attempt (default 3000)
 * @param {Array<{algorithm:string,value:BufferSource}>} [options.certHashes]  serverCertificateHashes; omitted: fetched from /cert-hash
 * @param {number|string} [options.port]  the HTTPS/UDP port for WebTransport when the page is plain http
 * @param {number} [options.maxMessageBytes]  largest message on the message stream (default 16384)
 * @returns {Promise<Transport>}
 */
export async function openTransport({
  baseUrl = globalThis.location?.origin, wtPath = '/wt', wsPath = '/ws', prefer = 'auto',
  wtTimeoutMs = WebTransportTimeoutMs, certHashes, port = null, maxMessageBytes = MaxMessageBytes,
} = {}) {
  const mode = normalizePrefer(prefer);
  let fallbackReason = null;
  if (mode !== 'ws') {
    try {
      return await openWebTransport({ baseUrl, wtPath, wtTimeoutMs, certHashes, port, maxMessageBytes });
    } catch (error) {
      if (mode === 'wt') throw error;
      fallbackReason = error?.message ?? String(error);
    }
  }
  const transport = await openWebSocket(webSocketUrl(baseUrl, wsPath));
  transport.fallbackReason = fallbackReason;
  return transport;
}

/** Resolves with `promise` or rejects after `ms` (the promise's own rejection is then ignored). */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out`)), Math.max(0, ms)); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** WebTransport: session, then the one client-opened bidirectional message stream. */
export async function openWebTransport({ baseUrl = globalThis.location?.origin, wtPath = '/wt', wtTimeoutMs = WebTransportTimeoutMs, certHashes, port = null, maxMessageBytes = MaxMessageBytes } = {}) {
  if (typeof WebTransport === 'undefined') throw new Error('WebTransport is not available here (old browser or not a secure context)');
  const deadline = Date.now() + wtTimeoutMs;
  let hashes = certHashes, altSvcPort = null;
  if (hashes === undefined) ({ hashes, altSvcPort } = await fetchCertificateHashes(baseUrl, { timeoutMs: wtTimeoutMs }));
  const url = webTransportUrl(baseUrl, wtPath, { port, altSvcPort });

  // requireUnreliable: without datagrams this is not the transport we want; WebSocket is better.
  const wt = new WebTransport(url, { requireUnreliable: true, ...(hashes?.length ? { serverCertificateHashes: hashes } : {}) });
  const closed = wt.closed.then((info) => info, (error) => ({ error }));
  try {
    await withTimeout(wt.ready, deadline - Date.now(), 'the handshake');
    const stream = await withTimeout(wt.createBidirectionalStream(), deadline - Date.now(), 'opening the message stream');
    return wireWebTransport(wt, stream, closed, maxMessageBytes);
  } catch (error) {
    try { wt.close(); } catch { /* never opened */ }
    throw new Error(`WebTransport to ${url} failed: ${error?.message ?? error}`);
  }
}

function wireWebTransport(wt, stream, closed, maxMessageBytes) {
  const writer = stream.writable.getWriter();
  // createWritable() is the newer spelling; Chromium 156 has `writable`.
  const datagramWriter = (wt.datagrams.createWritable?.() ?? wt.datagrams.writable).getWriter();
  const maxDatagramSize = () => wt.datagrams.maxDatagramSize ?? null;
  // Write failures surface as the session or stream closing, which the readers report.
  const sendReliable = (bytes) => { writer.write(encodeFrame(bytes, maxMessageBytes)).catch(() => {}); };
  const transport = new Transport('webtransport', {
    raw: wt,
    maxDatagramSize,
    send: sendReliable,
    sendUnreliable(bytes) {
      const datagram = encodeMessageDatagram(bytes);
      // Too big for one datagram: the client never fragments, so it goes on the stream instead.
      if (datagram.length > (maxDatagramSize() ?? Infinity)) { sendReliable(bytes); return; }
      datagramWriter.write(datagram).catch(() => {});
    },
    close: (code, reason) => wt.close({ closeCode: code, reason: truncateUtf8(reason, MaxReasonBytes) }),
  });

  // The session's own end carries the server's close code: prefer it over anything else.
  closed.then((info) => {
    if (info?.error) transport.finish(AbnormalClose, `WebTransport session failed: ${info.error.message ?? info.error}`);
    else transport.finish(info?.closeCode ?? AbnormalClose, info?.reason ?? '');
  });

  const failStream = (reason) => {
    if (transport.isClosed) return;
    setTimeout(() => {
      if (transport.isClosed) return;
      transport.finish(AbnormalClose, reason);
      try { wt.close({ closeCode: 1002, reason }); } catch { /* gone */ }
    }, StreamEndGraceMs);
  };

  const parser = new FrameParser({ maxMessageBytes });
  readAll(stream.readable, (chunk) => {
    let messages;
    try { messages = parser.push(chunk); } catch (error) {
      // The server broke the framing: close as the server would in our place (1002 / 1009).
      transport.close(error.code ?? 1002, error.message);
      return false;
    }
    for (const message of messages) transport.deliver(message);
    return true;
  }).then(
    () => failStream(parser.atBoundary ? 'message stream ended' : 'message stream ended inside a message'),
    (error) => failStream(`message stream failed: ${error?.message ?? error}`));

  const reassembler = new FragmentReassembler();
  transport.reassembler = reassembler; // its stats help when snapshots go missing
  readAll(wt.datagrams.readable, (datagram) => {
    const message = reassembler.push(datagram);
    if (message) transport.deliver(message);
    return true;
  }).catch(() => { /* the datagram side ends with the session, which `closed` reports */ });

  return transport;
}

/** Reads a stream to its end; `onChunk` returning false stops early. */
async function readAll(readable, onChunk) {
  const reader = readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (onChunk(value) === false) { reader.cancel().catch(() => {}); return; }
    }
  } finally {
    reader.releaseLock();
  }
}

/** WebSocket: resolves once open; rejects when it closes or fails first. */
export function openWebSocket(url) {
  return new Promise((resolve, reject) => {
    let ws;
    try { ws = new WebSocket(url); } catch (error) { reject(error); return; }
    ws.binaryType = 'arraybuffer';
    const transport = new Transport('websocket', {
      raw: ws,
      send: (bytes) => { if (ws.readyState === WebSocket.OPEN) ws.send(bytes); },
      sendUnreliable: (bytes) => { if (ws.readyState === WebSocket.OPEN) ws.send(bytes); },
      // Browsers accept only 1000 and 3000–4999 from a page; other codes close as 1000.
      close: (code, reason) => ws.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, truncateUtf8(reason, MaxWebSocketReasonBytes)),
    });
    let open = false;
    ws.onopen = () => { open = true; resolve(transport); };
    ws.onmessage = (e) => { if (e.data instanceof ArrayBuffer) transport.deliver(new Uint8Array(e.data)); };
    ws.onclose = (e) => {
      if (open) transport.finish(e.code, e.reason);
      else reject(new Error(`WebSocket to ${url} closed before opening (${e.code})`));
    };
  });
}
