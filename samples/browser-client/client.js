// Engine's browser client: one connection that survives drops. Speaks the protocol in
// docs/protocol.md over WebTransport or WebSocket (transport.js picks, on every (re)connect),
// reconnects with full-jitter exponential backoff and resumes its session (same player, missed
// room events replayed in order).
import { decodeMessage, encodeMessage } from './codec.js';
import { MessageType, ProtocolVersion } from './protocol.generated.js';
import { openTransport } from './transport.js';

export const BackoffBaseMs = 500;
/** Inputs repeated in each InputBatch: a datagram may be lost without losing an input. */
export const InputRedundancy = 3;
export const BackoffCapMs = 10_000;

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

export class EngineClient extends EventTarget {
  /**
   * `baseUrl`: the server's origin (default the page's). `prefer`: 'auto' | 'wt' | 'ws'.
   * `transportOptions`: passed to openTransport (wtPath, wsPath, port, certHashes, wtTimeoutMs).
   */
  constructor({ baseUrl = location.origin, room, name, token = null, prefer = 'auto', transportOptions = {} }) {
    super();
    Object.assign(this, { baseUrl, room, name, token, prefer, transportOptions });
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
    this.generation = 0; // bumps per connect(), so a slow open from an older attempt is discarded
  }

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
    this.setTransport(link.name);
    link.onmessage = (bytes) => this.receive(bytes);
    link.onclose = ({ code, reason }) => this.closed(link, code, reason);
    this.send('Hello', { protocolVersion: ProtocolVersion, resumeToken: this.resumeToken, lastSequence: this.lastSequence });
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.ping(), 2000);
  }

  closed(link, code, reason) {
    if (link !== this.link) return;
    clearInterval(this.pinger);
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
    if (this.link && !this.link.isClosed) this.link.close(1000, 'bye'); else this.setState('closed');
  }

  setState(state) { this.state = state; this.dispatchEvent(new CustomEvent('state', { detail: state })); }

  setTransport(name) { this.transport = name; this.dispatchEvent(new CustomEvent('transport', { detail: name })); }

  /** Input rides datagrams where the transport has them (a lost one is superseded by the next); the rest is reliable. */
  send(type, body) {
    const link = this.link;
    if (!link || link.isClosed) return;
    const bytes = encodeMessage(type, body);
    if (bytes[0] === MessageType.Input || bytes[0] === MessageType.InputBatch) link.sendUnreliable(bytes); else link.send(bytes);
  }

  ping() { this.send('Ping', { clientTime: performance.now(), lastRttMs: this.rtt ?? 0 }); }

  /** Sends the newest inputs (this one and the previous InputRedundancy − 1), so one lost datagram loses none; the server applies each once. */
  sendInput(data) {
    const input = { sequence: ++this.inputSequence, clientTick: this.lastTick ?? 0, data };
    this.recentInputs = [...(this.recentInputs ?? []), input].slice(-InputRedundancy);
    this.send('InputBatch', { ackTick: this.lastTick ?? 0, inputs: this.recentInputs });
  }

  chat(text) { this.send('Chat', { text }); }

  typing(isTyping) { this.send('Typing', { isTyping }); }

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
        if (body.resumed) this.resumes++;
        if (!body.resumed) this.join();
        break;
      case 'JoinAccepted':
        this.attempt = 0;
        if (!body.recovered) this.lastSequence = body.sequence; // a full resync replaces history
        else if (this.lastSequence === 0) this.lastSequence = body.sequence;
        this.setState('connected');
        break;
      case 'Pong':
        this.rtt = performance.now() - body.clientTime;
        this.serverOffset = body.serverTime - (Date.now() - this.rtt / 2);
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
