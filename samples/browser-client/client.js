// Engine's browser client: one connection that survives drops. Speaks the protocol in
// docs/protocol.md over WebSocket, reconnects with full-jitter exponential backoff and resumes
// its session (same player, missed room events replayed in order).
import { decodeMessage, encodeMessage } from './codec.js';
import { ProtocolVersion } from './protocol.generated.js';

export const BackoffBaseMs = 500;
export const BackoffCapMs = 10_000;

/** Full jitter: a uniform delay in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt, random = Math.random) {
  return random() * Math.min(BackoffCapMs, BackoffBaseMs * 2 ** attempt);
}

export class EngineClient extends EventTarget {
  constructor({ url, room, name, token = null }) {
    super();
    Object.assign(this, { url, room, name, token });
    this.state = 'idle';
    this.transport = 'websocket';
    this.rtt = null;
    this.playerId = null;
    this.resumeToken = null;
    this.lastSequence = 0;
    this.inputSequence = 0;
    this.attempt = 0;
    this.resumes = 0;
    this.closedByUser = false;
  }

  connect() {
    this.closedByUser = false;
    this.setState(this.resumeToken ? 'resuming' : 'connecting');
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.send('Hello', { protocolVersion: ProtocolVersion, resumeToken: this.resumeToken, lastSequence: this.lastSequence });
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this.ping(), 2000);
    };
    ws.onmessage = (e) => this.receive(new Uint8Array(e.data));
    ws.onclose = (e) => {
      clearInterval(this.pinger);
      this.dispatchEvent(new CustomEvent('closed', { detail: { code: e.code, reason: e.reason } }));
      if (this.closedByUser) { this.setState('closed'); return; }
      const delay = backoffDelay(this.attempt++);
      this.setState(`reconnecting in ${(delay / 1000).toFixed(1)} s (close ${e.code}${e.reason ? ': ' + e.reason : ''})`);
      this.retry = setTimeout(() => this.connect(), delay);
    };
  }

  close() { this.closedByUser = true; clearTimeout(this.retry); this.ws?.close(1000, 'bye'); }

  setState(state) { this.state = state; this.dispatchEvent(new CustomEvent('state', { detail: state })); }

  send(type, body) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeMessage(type, body));
  }

  ping() { this.send('Ping', { clientTime: performance.now(), lastRttMs: this.rtt ?? 0 }); }

  sendInput(data) {
    this.send('Input', { sequence: ++this.inputSequence, clientTick: this.lastTick ?? 0, data });
  }

  chat(text) { this.send('Chat', { text }); }

  typing(isTyping) { this.send('Typing', { isTyping }); }

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
        if (!body.resumed) this.send('Join', { room: this.room, name: this.name, token: this.token });
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
        this.lastTick = body.tick;
        break;
      case 'Error':
        if (body.code === 8 /* ResumeFailed */) { this.lastSequence = 0; this.send('Join', { room: this.room, name: this.name, token: this.token }); }
        break;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: { type, body } }));
  }
}
