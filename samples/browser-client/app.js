// The arena page: draws the room's dots, sends WASD/arrow input, chat, typing and presence, and
// shows the room document (title and scoreboard).
// Remote dots are drawn from an interpolation buffer at the server's time minus a delay (two
// ticks plus the snapshots' jitter); the player's own dot is predicted from its inputs and
// reconciled with the server's position on every snapshot (netcode.js).
import { EngineClient } from './client.js';
import { decodeObject } from './codec.js';
import {
  Arena, FixedTicker, InputRatePerSecond, InterpolationBuffer, Predictor, RenderClock, TickEpoch, TokenBucket,
  interpolationDelayMs, shouldSendInput,
} from './netcode.js';
import { hexToBytes } from './transport.js';

const params = new URLSearchParams(location.search);
const room = params.get('room') || 'lobby';
const name = params.get('name') || `player-${Math.floor(Math.random() * 9000 + 1000)}`;
const $ = (id) => document.getElementById(id);

// ?transport=wt|ws forces one (default: WebTransport, falling back to WebSocket). A page served
// over plain http cannot know the HTTPS/UDP port WebTransport needs: ?port= names it (else the
// Alt-Svc header of /cert-hash, else the page's port); ?certHash=<hex> supplies the certificate
// hash when /cert-hash is not on the page's origin. ?wtTimeoutMs= changes the WebTransport
// attempt's budget (a slow machine may need more than the default before falling back).
const transportOptions = {};
if (params.get('port')) transportOptions.port = params.get('port');
if (Number(params.get('wtTimeoutMs')) > 0) transportOptions.wtTimeoutMs = Number(params.get('wtTimeoutMs'));
if (params.get('certHash')) transportOptions.certHashes = [{ algorithm: 'sha-256', value: hexToBytes(params.get('certHash')) }];
const redundancy = params.get('redundancy') ? Number(params.get('redundancy')) : undefined; // ?redundancy=N: inputs per InputBatch (1–8)
const client = new EngineClient({ room, name, token: params.get('token'), prefer: params.get('transport') ?? 'auto', transportOptions, inputRedundancy: redundancy });
// `view` is the page's readout for tests and the curious: `dots` the positions drawn last frame
// (Map id → {playerId, x, y, hue}); `renderLog`, `inputLog` and `snapshotLog` bounded histories
// whose entries carry `order`, one counter across the three, so tests can tell what came first.
const LogLimit = 600;
const view = {
  members: [], typing: new Set(), chat: [], dots: new Map(), tick: null, tickRate: 30,
  interpolationDelay: null, clockOffset: null, jitter: 0, renderTime: null, renderTick: null,
  renderLog: [], inputLog: [], snapshotLog: [], order: 0,
};
window.engine = { client, view }; // for tests and the curious

function log(list, entry) {
  entry.order = ++view.order;
  list.push(entry);
  if (list.length > LogLimit) list.shift();
  return entry;
}

$('room-name').textContent = room;
$('transport').textContent = '–';
client.addEventListener('transport', (e) => {
  $('transport').textContent = e.detail;
  $('transport').title = client.link?.fallbackReason ?? ''; // why WebTransport was not used, if it was not
});
client.addEventListener('state', (e) => { $('conn-state').textContent = e.detail; });
client.addEventListener('message', (e) => handle(e.detail.type, e.detail.body));
client.addEventListener('entities', (e) => applyEntities(e.detail));
client.addEventListener('document', (e) => renderDocument(e.detail));

// The room document (replicated across the cluster): a title anyone sets, a score per player.
function renderDocument(doc) {
  const title = doc.entries.get('title');
  $('room-title').textContent = title ? `Room: ${title}` : 'Room';
  const scores = [...doc.counters].filter(([counter]) => counter.startsWith('score:'))
    .map(([counter, value]) => [counter.slice('score:'.length), value])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  $('scoreboard').replaceChildren(...scores.map(([player, value]) => {
    const li = document.createElement('li');
    li.textContent = `${player}${player === name ? ' (you)' : ''}: ${value}`;
    li.dataset.player = player;
    return li;
  }));
}
$('title-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const title = $('title-input').value.trim();
  if (title) client.setKey('title', title);
  $('title-input').value = '';
});
$('score-button').addEventListener('click', () => client.increment(`score:${name}`, 1));

const tickMs = () => 1000 / view.tickRate;
const buffer = new InterpolationBuffer();
const epoch = new TickEpoch();
const renderClock = new RenderClock();
let predictor = new Predictor({ step: Arena.Speed / view.tickRate });
let ticker = new FixedTicker(tickMs());
let epochRef = null; // renderTime = epochRef + renderTick × tickMs: fixed while the buffer lives, so renderTime is the tick timeline
let ownHue = 0;
const decoded = new WeakMap(); // body bytes → ArenaDot (unchanged entities keep their body object)

function setTickRate(rate) {
  if (!rate || rate === view.tickRate) return;
  view.tickRate = rate;
  ticker = new FixedTicker(tickMs());
  predictor = new Predictor({ step: Arena.Speed / rate });
  resetRemotes();
}

function resetRemotes() {
  buffer.clear();
  epoch.clear();
  renderClock.reset();
  epochRef = null;
}

function handle(type, body) {
  switch (type) {
    case 'JoinAccepted':
      setTickRate(body.tickRate);
      predictor.reset(); // a (re)joined seat: the next snapshot places the dot
      setMembers(body.members);
      if (!body.recovered) addChat('system', 'Reconnected: history was too far behind; state resynced.');
      break;
    case 'Presence': setMembers(body.members); break;
    case 'Joined': addChat('system', `${body.name} joined`); break;
    case 'Left': addChat('system', `${memberName(body.playerId)} left (${body.reason})`); break;
    case 'ChatPosted': addChat(body.name, body.text); break;
    case 'TypingChanged':
      if (body.isTyping) view.typing.add(body.playerId); else view.typing.delete(body.playerId);
      renderTyping();
      break;
    case 'Error': addChat('server', body.message); break;
  }
}

function dotOf(body) {
  let dot = decoded.get(body);
  if (!dot) { dot = decodeObject('ArenaDot', body); decoded.set(body, dot); }
  return dot;
}

function applyEntities({ tick, serverTime, lastProcessedInput, frame, receivedAt }) {
  log(view.snapshotLog, { at: receivedAt, tick, lastProcessedInput, serverTime });
  view.tick = tick;
  $('tick').textContent = tick;
  const dots = new Map();
  for (const [id, body] of frame) {
    const dot = dotOf(body);
    dots.set(id, dot);
  }
  // Ticks only grow within a room's life; going back means a restarted server or another room.
  if (buffer.newestTick != null && tick <= buffer.newestTick) resetRemotes();
  buffer.push(tick, dots);
  epoch.add(tick, serverTime, tickMs());
  epochRef ??= epoch.value;
  const own = dots.get(client.playerId);
  if (own) { ownHue = own.hue; predictor.reconcile(own, lastProcessedInput); }
}

function setMembers(members) { view.members = members; renderPresence(); }
function memberName(id) { return view.members.find((m) => m.playerId === id)?.name ?? `#${id}`; }

function renderPresence() {
  const list = $('presence');
  list.replaceChildren(...view.members.map((m) => {
    const li = document.createElement('li');
    li.textContent = `${m.name}${m.playerId === client.playerId ? ' (you)' : ''}${m.online ? '' : ' (reconnecting)'}`;
    li.className = m.online ? 'online' : 'offline';
    li.dataset.playerId = m.playerId;
    return li;
  }));
  renderTyping();
}

function renderTyping() {
  const names = [...view.typing].filter((id) => id !== client.playerId).map(memberName);
  $('typing').textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '';
}

function addChat(who, text) {
  view.chat.push({ who, text });
  const li = document.createElement('li');
  li.textContent = `${who}: ${text}`;
  $('chat-log').append(li);
  li.scrollIntoView({ block: 'end' });
}

// Input: the held direction bits, sampled once per local tick (the server's tick rate). A tick
// sends an InputBatch while a button is held or when the bits changed, within the server's input
// rate, and moves the predicted dot by the same rules the server applies.
const keys = { KeyW: 1, ArrowUp: 1, KeyS: 2, ArrowDown: 2, KeyA: 4, ArrowLeft: 4, KeyD: 8, ArrowRight: 8 };
let buttons = 0;
let lastSentButtons = 0;
const inputBucket = new TokenBucket(InputRatePerSecond, InputRatePerSecond);
const canvas = $('arena');
canvas.focus();
canvas.addEventListener('keydown', (e) => { if (keys[e.code]) { e.preventDefault(); buttons |= keys[e.code]; } });
canvas.addEventListener('keyup', (e) => { if (keys[e.code]) buttons &= ~keys[e.code]; });
canvas.addEventListener('blur', () => { buttons = 0; });
window.engine.press = (bits) => { buttons = bits; };

function localTick(now, maySend) {
  let sequence = null;
  if (maySend && client.state === 'connected' && shouldSendInput(buttons, lastSentButtons) && inputBucket.take(now)) {
    sequence = client.sendInput(new Uint8Array([buttons]));
    lastSentButtons = buttons;
  }
  const from = predictor.position && { x: predictor.position.x, y: predictor.position.y };
  predictor.localTick(buttons, sequence);
  // The prediction's step, logged with the input in the same task: before any reply can arrive.
  if (sequence != null) log(view.inputLog, { at: now, sequence, buttons, from, to: predictor.position && { x: predictor.position.x, y: predictor.position.y } });
}

// After a stall several ticks are due at once: the server kept applying the held buttons through
// them, so the prediction does too, and one input (for the newest) goes out rather than a burst.
function runLocalTicks(now) {
  for (let due = ticker.advance(now); due > 0; due--) localTick(now, due === 1);
}

// requestAnimationFrame drives local ticks, so a tick's input, its predicted step and the frame
// that shows it happen together; this timer keeps input flowing when frames stop (a hidden tab).
let lastFrameAt = null;
setInterval(() => {
  const now = performance.now();
  if (lastFrameAt == null || now - lastFrameAt > 100) runLocalTicks(now);
}, 15);

// Chat and typing: typing is renewed at most every second while keys are pressed; the server
// expires it 3 s after the last renewal.
let typingSent = 0;
$('chat-input').addEventListener('input', () => {
  if (performance.now() - typingSent > 1000) { client.typing(true); typingSent = performance.now(); }
});
$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('chat-input').value.trim();
  if (text) client.chat(text);
  $('chat-input').value = '';
  typingSent = 0;
});

// Rendering: remote dots at the render tick (following server time − interpolation delay on the
// tick timeline); the own dot from prediction.
const ctx = canvas.getContext('2d');
function frame() {
  const now = performance.now();
  const frameMs = lastFrameAt == null ? 0 : now - lastFrameAt;
  lastFrameAt = now;
  runLocalTicks(now);

  const tms = tickMs();
  view.jitter = client.jitterMs;
  view.interpolationDelay = interpolationDelayMs(tms, view.jitter);
  const serverNow = client.serverNow(now);
  view.clockOffset = client.clock.offset;
  const newest = buffer.newestTick;
  let renderTick = null;
  if (newest != null) {
    // Without a clock estimate yet, the newest snapshot stands in for the server's present.
    const target = serverNow != null && epoch.value != null ? (serverNow - view.interpolationDelay - epoch.value) / tms : newest - view.interpolationDelay / tms;
    renderTick = renderClock.advance(frameMs, target, newest, tms);
    buffer.trimBefore(renderTick - 1);
  }
  view.renderTick = renderTick;
  view.renderTime = renderTick == null || epochRef == null ? null : epochRef + renderTick * tms;

  const remotes = {};
  const dots = new Map();
  for (const [id, p] of buffer.sample(renderTick)) {
    if (id === client.playerId) continue;
    remotes[id] = { x: p.x, y: p.y };
    dots.set(id, { playerId: id, x: p.x, y: p.y, hue: p.entity.hue });
  }
  const ownPos = predictor.render(frameMs, ticker.alpha(now), buttons);
  if (ownPos) dots.set(client.playerId, { playerId: client.playerId, x: ownPos.x, y: ownPos.y, hue: ownHue });
  view.dots = dots;
  view.snaps = predictor.snaps;
  log(view.renderLog, { at: now, renderTime: view.renderTime, own: ownPos && { x: ownPos.x, y: ownPos.y }, remotes });

  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const dot of dots.values()) {
    ctx.fillStyle = `hsl(${dot.hue} 70% 55%)`;
    ctx.beginPath(); ctx.arc(dot.x, dot.y, dot.playerId === client.playerId ? 12 : 10, 0, Math.PI * 2); ctx.fill();
    ctx.fillStyle = '#ddd'; ctx.fillText(memberName(dot.playerId), dot.x + 14, dot.y + 4);
  }
  $('rtt').textContent = client.rtt == null ? '–' : `${client.rtt.toFixed(1)} ms`;
  $('interp').textContent = `${view.interpolationDelay.toFixed(0)} ms`;
  $('clock').textContent = view.clockOffset == null ? '–' : `${(client.clock.bestRtt / 2).toFixed(1)} ms`;
  requestAnimationFrame(frame);
}

client.connect();
requestAnimationFrame(frame);
