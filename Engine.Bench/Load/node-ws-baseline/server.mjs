// Baseline for `Engine.Bench load-ws --baseline node-ws`: a typical Node game server built on `ws`,
// speaking just enough of Engine's client protocol (docs/protocol.md) for the bench's load clients.
//
//   node server.mjs --rate 30 --events-per-tick 0 --event-bytes 64 --state-bytes 1485 [--cert C --key K]
//
// It ignores every client message, runs a fixed-rate tick (deadline n = start + n * period, as
// Engine's RoomHost does), and per tick broadcasts --events-per-tick GameEvent messages (0x89) and
// one Snapshot (0x88) to every open client with one ws.send per client per message. The first 8
// bytes of the snapshot state and of each event's data hold process.hrtime.bigint() (CLOCK_MONOTONIC
// in ns, which equals .NET's Stopwatch ticks on Linux), at message offset 22 where the client reads it.
// With --cert/--key it serves wss:// (like Engine); without, plain ws://. On 127.0.0.1, a free port.
// Prints `listening <url> clock <ns> node <version> ws <version>` and exits when standard input closes.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import { WebSocketServer, WebSocket } from 'ws';

const options = { rate: 30, eventsPerTick: 0, eventBytes: 64, stateBytes: 1485, cert: null, key: null };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const name = argv[i];
  const value = argv[i + 1];
  if (value === undefined) throw new Error(`${name} needs a value`);
  switch (name) {
    case '--rate': options.rate = Number(value); break;
    case '--events-per-tick': options.eventsPerTick = Number(value); break;
    case '--event-bytes': options.eventBytes = Number(value); break;
    case '--state-bytes': options.stateBytes = Number(value); break;
    case '--cert': options.cert = value; break;
    case '--key': options.key = value; break;
    default: throw new Error(`unknown option ${name}`);
  }
}

const SNAPSHOT = 0x88;
const GAME_EVENT = 0x89;
const STAMP_OFFSET = 22; // type, member count, then 20 bytes of fixed members, then the byte[] length

// Snapshot: type, header 4, tick u32, lastProcessedInput u32, serverTime i64, state i32 length + bytes.
function snapshotMessage(tick, stamp) {
  const m = Buffer.alloc(STAMP_OFFSET + options.stateBytes);
  m[0] = SNAPSHOT;
  m[1] = 4;
  m.writeUInt32LE(tick, 2);
  m.writeUInt32LE(0, 6); // no inputs are applied
  m.writeBigInt64LE(BigInt(Date.now()), 10);
  m.writeInt32LE(options.stateBytes, 18);
  m.writeBigInt64LE(stamp, STAMP_OFFSET);
  return m;
}

// GameEvent: type, header 4, sequence i64, playerId i32, kind i32, data i32 length + bytes.
const eventDataBytes = Math.max(8, options.eventBytes);
function gameEventMessage(sequence, stamp) {
  const m = Buffer.alloc(STAMP_OFFSET + eventDataBytes);
  m[0] = GAME_EVENT;
  m[1] = 4;
  m.writeBigInt64LE(BigInt(sequence), 2);
  m.writeInt32LE(0, 10);
  m.writeInt32LE(1, 14);
  m.writeInt32LE(eventDataBytes, 18);
  m.writeBigInt64LE(stamp, STAMP_OFFSET);
  return m;
}

const tls = options.cert !== null;
const server = tls
  ? createHttpsServer({ cert: readFileSync(options.cert), key: readFileSync(options.key) })
  : createHttpServer();
const wss = new WebSocketServer({ server, maxPayload: 16 * 1024 });
wss.on('connection', (ws) => {
  ws.on('message', () => {}); // input is ignored
  ws.on('error', () => {});
});

function broadcast(message) {
  for (const client of wss.clients) {
    if (client.readyState === WebSocket.OPEN) client.send(message);
  }
}

let tick = 0;
let sequence = 0;
function runTick() {
  tick = (tick + 1) >>> 0;
  if (wss.clients.size === 0) return;
  // Engine publishes the tick's events from OnTick, then fans out the snapshot.
  for (let i = 0; i < options.eventsPerTick; i++) {
    broadcast(gameEventMessage(++sequence, process.hrtime.bigint()));
  }
  broadcast(snapshotMessage(tick, process.hrtime.bigint()));
}

// Deadlines accumulate (start + n * period) so timer lateness never becomes drift; a loop more
// than 5 periods behind skips ahead, like Engine's RoomHost.
const periodNs = 1e9 / options.rate;
const maxTicksBehind = 5;
let start = process.hrtime.bigint();
let n = 0;
function schedule() {
  n++;
  const deadline = start + BigInt(Math.round(n * periodNs));
  const now = process.hrtime.bigint();
  if (deadline > now) {
    setTimeout(onDue, Math.ceil(Number(deadline - now) / 1e6));
  } else {
    if (Number(now - deadline) > maxTicksBehind * periodNs) {
      start = now;
      n = 0;
    }
    setImmediate(onDue);
  }
}
function onDue() {
  runTick();
  schedule();
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const wsVersion = createRequire(import.meta.url)('ws/package.json').version;
  process.stdout.write(`listening ${tls ? 'wss' : 'ws'}://127.0.0.1:${port} clock ${process.hrtime.bigint()} node ${process.version} ws ${wsVersion}\n`);
  schedule();
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
