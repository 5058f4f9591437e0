// The arena page: draws the room's dots, sends WASD/arrow input, chat, typing and presence.
import { EngineClient } from './client.js';
import { decodeObject } from './codec.js';
import { hexToBytes } from './transport.js';

const params = new URLSearchParams(location.search);
const room = params.get('room') || 'lobby';
const name = params.get('name') || `player-${Math.floor(Math.random() * 9000 + 1000)}`;
const $ = (id) => document.getElementById(id);

// ?transport=wt|ws forces one (default: WebTransport, falling back to WebSocket). A page served
// over plain http cannot know the HTTPS/UDP port WebTransport needs: ?port= names it (else the
// Alt-Svc header of /cert-hash, else the page's port); ?certHash=<hex> supplies the certificate
// hash when /cert-hash is not on the page's origin.
const transportOptions = {};
if (params.get('port')) transportOptions.port = params.get('port');
if (params.get('certHash')) transportOptions.certHashes = [{ algorithm: 'sha-256', value: hexToBytes(params.get('certHash')) }];
const client = new EngineClient({ room, name, token: params.get('token'), prefer: params.get('transport') ?? 'auto', transportOptions });
const view = { dots: new Map(), previous: new Map(), snapshotAt: 0, interval: 33, members: [], typing: new Set(), chat: [] };
window.engine = { client, view }; // for tests and the curious

$('room-name').textContent = room;
$('transport').textContent = '–';
client.addEventListener('transport', (e) => {
  $('transport').textContent = e.detail;
  $('transport').title = client.link?.fallbackReason ?? ''; // why WebTransport was not used, if it was not
});
client.addEventListener('state', (e) => { $('conn-state').textContent = e.detail; });
client.addEventListener('message', (e) => handle(e.detail.type, e.detail.body));
client.connect();

function handle(type, body) {
  switch (type) {
    case 'JoinAccepted':
      view.interval = 1000 / body.tickRate;
      applyState(body.state);
      setMembers(body.members);
      if (!body.recovered) addChat('system', 'Reconnected: history was too far behind; state resynced.');
      break;
    case 'Snapshot': $('tick').textContent = body.tick; applyState(body.state); break;
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

function applyState(bytes) {
  if (!bytes || bytes.length === 0) return;
  const state = decodeObject('ArenaState', bytes);
  view.previous = view.dots;
  view.dots = new Map(state.dots.map((d) => [d.playerId, d]));
  view.snapshotAt = performance.now();
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

// Input: the held direction bits, sent when they change and re-sent every tick while held.
const keys = { KeyW: 1, ArrowUp: 1, KeyS: 2, ArrowDown: 2, KeyA: 4, ArrowLeft: 4, KeyD: 8, ArrowRight: 8 };
let buttons = 0;
const canvas = $('arena');
canvas.focus();
canvas.addEventListener('keydown', (e) => { if (keys[e.code]) { e.preventDefault(); setButtons(buttons | keys[e.code]); } });
canvas.addEventListener('keyup', (e) => { if (keys[e.code]) setButtons(buttons & ~keys[e.code]); });
canvas.addEventListener('blur', () => setButtons(0));
function setButtons(next) { if (next !== buttons) { buttons = next; client.sendInput(new Uint8Array([buttons])); } }
setInterval(() => { if (buttons) client.sendInput(new Uint8Array([buttons])); }, 100);
window.engine.press = (bits) => setButtons(bits);

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

// Rendering: interpolate between the last two snapshots over one tick interval.
const ctx = canvas.getContext('2d');
function frame() {
  const t = Math.min(1, (performance.now() - view.snapshotAt) / view.interval);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const dot of view.dots.values()) {
    const prev = view.previous.get(dot.playerId) ?? dot;
    const x = prev.x + (dot.x - prev.x) * t, y = prev.y + (dot.y - prev.y) * t;
    ctx.fillStyle = `hsl(${dot.hue} 70% 55%)`;
    ctx.beginPath(); ctx.arc(x, y, dot.playerId === client.playerId ? 12 : 10, 0, Math.PI * 2); ctx.fill();
    ctx.fillStyle = '#ddd'; ctx.fillText(memberName(dot.playerId), x + 14, y + 4);
  }
  $('rtt').textContent = client.rtt == null ? '–' : `${client.rtt.toFixed(1)} ms`;
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
