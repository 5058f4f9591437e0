// Engine's browser client: one connection that survives drops. Speaks the protocol in
// docs/protocol.md over WebTransport or WebSocket (transport.js picks, on every (re)connect),
// reconnects with full-jitter exponential backoff and resumes its session (same player, missed
// room events replayed in order). For entity rooms it applies EntitySnapshot payloads
// (snapshots.js), acknowledges the newest applied tick, and estimates the server's clock and the
// snapshots' arrival jitter (netcode.js) for rendering.
import { decodeMessage, encodeMessage } from './codec.js';
import { ClockEstimator, JitterEstimator, ackDue, pingDelayMs } from './netcode.js';
import { MessageType, ProtocolVersion } from './protocol.generated.js';
import { SnapshotDecoder } from './snapshots.js';
import { openTransport } from './transport.js';

export const BackoffBaseMs = 500;
/** Inputs repeated in each InputBatch by default (the `inputRedundancy` option, 1–8): a datagram may be lost without losing an input. */
export const InputRedundancy = 3;
export const BackoffCapMs = 10_000;
/** How often the ack timer looks for an unacknowledged tick (acks themselves are AckIntervalMs apart). */
export const AckCheckMs = 25;
const UnreliableTypes = new Set([MessageType.Input, MessageType.InputBatch, MessageType.SnapshotAck]);

/** Full jitter: a uniform delay in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt, random = Math.random) {
  return random() * Math.min(BackoffCapMs, BackoffBaseMs * 2 ** attempt);
}

/**
 * Whether u32 tick `tick` comes after `last` (serial-number order, so a wrap stays "newer").
 * Snapshots travel unreliably and may arrive late or twice: only newer ones are applied.
 */
export function isNewerTick(tick, last) {
  if (last == null) return true;
  const ahead = (tick - last) >>> 0;
  return ahead !== 0 && ahead < 0x8000_0000;
}

/**
 * Applies a DocumentChanged body to `doc` ({ entries: Map, counters: Map }): a full one replaces
 * the copy; otherwise each listed key takes its value (null: removed) and each counter its value.
 */
export function applyDocumentChange(doc, { full, entries, counters }) {
  if (full) { doc.entries.clear(); doc.counters.clear(); }
  for (const { key, value } of entries) {
    if (value == null) doc.entries.delete(key); else doc.entries.set(key, value);
  }
  for (const { name, value } of counters) doc.counters.set(name, value);
  return doc;
}

export class EngineClient extends EventTarget {
  /**
   * `baseUrl`: the server's origin (default the page's). `prefer`: 'auto' | 'wt' | 'ws'.
   * `transportOptions`: passed to openTransport (wtPath, wsPath, port, certHashes, wtTimeoutMs).
   */
  constructor({ baseUrl = location.origin, room, name, token = null, prefer = 'auto', transportOptions = {}, inputRedundancy = InputRedundancy }) {
    super();
    if (!Number.isInteger(inputRedundancy) || inputRedundancy < 1 || inputRedundancy > 8) {
      throw new RangeError(`inputRedundancy must be an integer from 1 to 8 (an InputBatch holds at most 8 inputs); got ${inputRedundancy}`);
    }
    Object.assign(this, { baseUrl, room, name, token, prefer, transportOptions, inputRedundancy });
    this.state = 'idle';
    this.transport = null; // 'webtransport' | 'websocket' while connected (the last one used after)
    this.link = null;
    this.rtt = null;
    this.playerId = null;
    this.resumeToken = null;
    this.lastSequence = 0;
    this.inputSequence = 0;
    this.lastTick = null;
    this.staleSnapshots = 0;
    this.attempt = 0;
    this.resumes = 0;
    this.closedByUser = false;
    /** The room document: keys to values and counters to numbers, kept from DocumentChanged. */
    this.document = { entries: new Map(), counters: new Map() };
    this.generation = 0; // bumps per connect(), so a slow open from an older attempt is discarded
    this.tickRate = 30;
    this.decoder = new SnapshotDecoder();
    this.clock = new ClockEstimator();
    this.jitter = new JitterEstimator();
    this.lastAcked = 0; // the newest tick an InputBatch or SnapshotAck carried on this connection
    this.lastAckSentAt = null;
    this.snapshotAcks = 0;
  }

  /** The server's clock now (Unix ms, fractional), or null before the first round trip. */
  serverNow(now = performance.now()) { return this.clock.serverNow(now); }

  /** The smoothed EntitySnapshot arrival jitter in milliseconds. */
  get jitterMs() { return this.jitter.jitter; }

  /** The current connection (kept under its old name for tests: `client.ws.close(code, reason)`). */
  get ws() { return this.link; }

  async connect() {
    this.closedByUser = false;
    clearTimeout(this.retry);
    const generation = ++this.generation;
    this.setState(this.resumeToken ? 'resuming' : 'connecting');
    let link;
    try {
      link = await openTransport({ baseUrl: this.baseUrl, prefer: this.prefer, ...this.transportOptions });
    } catch (error) {
      if (generation === this.generation && !this.closedByUser) this.reconnectLater(1006, error.message);
      return;
    }
    if (generation !== this.generation || this.closedByUser) { link.close(1000, 'superseded'); return; }
    this.link = link;
    this.lastTick = null; // a new connection may reach a restarted server whose ticks start over
    // The server restarts its per-player encoder when a session attaches: the first snapshot is full.
    this.resetSnapshots();
    this.jitter.restart();
    this.setTransport(link.name);
    link.onmessage = (bytes) => this.receive(bytes);
    link.onclose = ({ code, reason }) => this.closed(link, code, reason);
    this.helloSentAt = performance.now(); // Hello→Welcome is the first clock sample
    this.send('Hello', { protocolVersion: ProtocolVersion, resumeToken: this.resumeToken, lastSequence: this.lastSequence });
    this.stopTimers();
    this.pingsSent = 0;
    this.schedulePing(link);
    // Acks ride on inputs; this timer covers the idle player (and a tick applied just after an input).
    this.acker = setInterval(() => this.maybeAck(), AckCheckMs);
  }

  /** Pings quickly after a connect (the clock estimate settles in about a second), then slowly. */
  schedulePing(link) {
    this.pinger = setTimeout(() => {
      if (link !== this.link || link.isClosed) return;
      this.ping();
      this.pingsSent++;
      this.schedulePing(link);
    }, pingDelayMs(this.pingsSent));
  }

  stopTimers() {
    clearTimeout(this.pinger);
    clearInterval(this.acker);
  }

  resetSnapshots() {
    this.lastTick = null;
    this.decoder.reset();
    this.lastAcked = 0;
    this.lastAckSentAt = null;
  }

  closed(link, code, reason) {
    if (link !== this.link) return;
    this.stopTimers();
    this.dispatchEvent(new CustomEvent('closed', { detail: { code, reason, transport: link.name } }));
    if (this.closedByUser) { this.setState('closed'); return; }
    this.reconnectLater(code, reason);
  }

  reconnectLater(code, reason) {
    const delay = backoffDelay(this.attempt++);
    this.setState(`reconnecting in ${(delay / 1000).toFixed(1)} s (close ${code}${reason ? ': ' + reason : ''})`);
    this.retry = setTimeout(() => this.connect(), delay);
  }

  close() {
    this.closedByUser = true;
    this.generation++;
    clearTimeout(this.retry);
    this.stopTimers();
    if (this.link && !this.link.isClosed) this.link.close(1000, 'bye'); else this.setState('closed');
  }

  setState(state) { this.state = state; this.dispatchEvent(new CustomEvent('state', { detail: state })); }

  setTransport(name) { this.transport = name; this.dispatchEvent(new CustomEvent('transport', { detail: name })); }

  /**
   * Input and acks ride datagrams where the transport has them (a lost one is superseded by the
   * next); the rest is reliable. Returns whether the message went out.
   */
  send(type, body) {
    const link = this.link;
    if (!link || link.isClosed) return false;
    const bytes = encodeMessage(type, body);
    if (UnreliableTypes.has(bytes[0])) link.sendUnreliable(bytes); else link.send(bytes);
    return true;
  }

  ping() { this.send('Ping', { clientTime: performance.now(), lastRttMs: this.rtt ?? 0 }); }

  /**
   * Sends the newest inputs (this one and the previous inputRedundancy − 1), so one lost datagram
   * loses none; the server applies each once. The batch acknowledges the newest applied tick.
   * Returns the input's sequence number.
   */
  sendInput(data) {
    const input = { sequence: ++this.inputSequence, clientTick: this.lastTick ?? 0, data };
    this.recentInputs = [...(this.recentInputs ?? []), input].slice(-this.inputRedundancy);
    const ackTick = this.lastTick ?? 0;
    if (this.send('InputBatch', { ackTick, inputs: this.recentInputs })) this.ackSent(ackTick);
    return input.sequence;
  }

  /** Sends SnapshotAck when a newer tick is applied and no ack has gone out for AckIntervalMs. */
  maybeAck(now = performance.now()) {
    const newestApplied = this.decoder.newestApplied;
    if (!ackDue({ newestApplied, lastAcked: this.lastAcked, lastAckSentAt: this.lastAckSentAt, now })) return false;
    if (!this.send('SnapshotAck', { tick: newestApplied })) return false;
    this.snapshotAcks++;
    this.ackSent(newestApplied, now);
    return true;
  }

  ackSent(tick, now = performance.now()) {
    this.lastAckSentAt = now;
    if (tick) this.lastAcked = tick;
  }

  chat(text) { this.send('Chat', { text }); }

  typing(isTyping) { this.send('Typing', { isTyping }); }

  /** Room document writes (the room decides who may write what; a refusal arrives as an Error). */
  setKey(key, value) { this.send('DocumentSet', { key, value }); }

  removeKey(key) { this.send('DocumentRemove', { key }); }

  increment(counter, amount = 1) { this.send('DocumentIncrement', { counter, amount }); }

  /** Sends Join once per connection (a failed resume announces itself twice: Welcome and Error). */
  join() {
    if (this.joinedLink === this.link) return;
    this.joinedLink = this.link;
    this.send('Join', { room: this.room, name: this.name, token: this.token });
  }

  receive(bytes) {
    const { type, body } = decodeMessage(bytes);
    if (body && typeof body.sequence === 'number' && type !== 'JoinAccepted' && type !== 'Snapshot') {
      if (body.sequence <= this.lastSequence) return; // already seen (never expected, but cheap insurance)
      this.lastSequence = body.sequence;
    }
    switch (type) {
      case 'Welcome':
        this.resumeToken = body.resumeToken;
        this.playerId = body.playerId;
        this.tickRate = body.tickRate || this.tickRate;
        if (this.helloSentAt != null) this.clock.addSample(this.helloSentAt, performance.now(), body.serverTime);
        this.helloSentAt = null;
        if (body.resumed) this.resumes++;
        if (!body.resumed) this.join();
        break;
      case 'JoinAccepted':
        this.attempt = 0;
        if (!body.recovered) this.lastSequence = body.sequence; // a full resync replaces history
        else if (this.lastSequence === 0) this.lastSequence = body.sequence;
        this.tickRate = body.tickRate || this.tickRate;
        // A seat's first snapshot is full. connect() already reset the decoder for this link's
        // first join (and a snapshot datagram may have overtaken JoinAccepted); a later join on the
        // same link is a new seat.
        if (this.acceptedLink === this.link) this.resetSnapshots();
        this.acceptedLink = this.link;
        this.setState('connected');
        break;
      case 'Pong': {
        const now = performance.now();
        this.rtt = now - body.clientTime;
        this.serverOffset = body.serverTime - (Date.now() - this.rtt / 2);
        this.clock.addSample(body.clientTime, now, body.serverTime);
        break;
      }
      case 'EntitySnapshot': {
        // Late, duplicate, against a baseline no longer held, or malformed: dropped (the server
        // deltas against the newest acknowledged tick, so this costs only bytes).
        const tick = this.decoder.tryApply(body.payload);
        if (tick === null) { this.staleSnapshots++; return; }
        const now = performance.now();
        this.lastTick = tick;
        this.jitter.add(now, tick, 1000 / this.tickRate);
        this.dispatchEvent(new CustomEvent('entities', {
          detail: { tick, serverTime: body.serverTime, lastProcessedInput: body.lastProcessedInput, frame: this.decoder.current, receivedAt: now },
        }));
        this.maybeAck(now);
        break;
      }
      case 'DocumentChanged':
        applyDocumentChange(this.document, body);
        this.dispatchEvent(new CustomEvent('document', { detail: this.document }));
        break;
      case 'Snapshot':
        if (!isNewerTick(body.tick, this.lastTick)) { this.staleSnapshots++; return; } // latest wins
        this.lastTick = body.tick;
        break;
      case 'Error':
        // ResumeFailed follows Welcome{resumed:false} (already joining) or a resumed session without a seat.
        if (body.code === 8 /* ResumeFailed */) { this.lastSequence = 0; this.join(); }
        break;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: { type, body } }));
  }
}
