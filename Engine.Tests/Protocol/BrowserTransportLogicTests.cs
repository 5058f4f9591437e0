namespace Engine.Tests.Protocol;

/// <summary>
/// The browser transport's pure logic (samples/browser-client/transport.js), run under Node
/// against the real module: message-stream framing, datagram reassembly, addresses, and the
/// open/fallback/close behaviour against fake WebTransport and WebSocket objects.
/// </summary>
public class BrowserTransportLogicTests
{
    private static string Module(string file) => NodeScript.SampleModule(file);

    private static async Task RunAsync(string body)
    {
        string script = $$"""
            import * as t from '{{Module("transport.js")}}';
            import { isNewerTick } from '{{Module("client.js")}}';
            import assert from 'node:assert/strict';
            const bytes = (...xs) => new Uint8Array(xs);
            const seq = (n, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
            {{body}}
            console.log('ok');
            """;
        Assert.Equal("ok", (await NodeScript.RunAsync(script)).Trim());
    }

    [Fact]
    public Task Framer_MessagesSplitByteByByteOrSharingChunks_RoundTripInOrder() => RunAsync("""
        const messages = [bytes(0x06), seq(300, 7), seq(t.MaxMessageBytes), bytes(0x88, 1, 2)];
        const stream = Uint8Array.from(messages.flatMap((m) => [...t.encodeFrame(m)]));
        assert.deepEqual([...t.encodeFrame(bytes(0xaa, 0xbb))], [2, 0, 0, 0, 0xaa, 0xbb]); // u32 little-endian length
        assert.deepEqual([...t.encodeFrame(seq(258)).subarray(0, 4)], [2, 1, 0, 0]);

        // One byte per chunk: every boundary, the length prefix included, falls inside a message.
        let parser = new t.FrameParser(), out = [];
        for (const b of stream) out.push(...parser.push(bytes(b)));
        assert.deepEqual(out, messages);
        assert.ok(parser.atBoundary);

        // All in one chunk, and in odd-sized chunks.
        assert.deepEqual(new t.FrameParser().push(stream), messages);
        for (const size of [2, 3, 5, 4099]) {
          parser = new t.FrameParser(); out = [];
          for (let i = 0; i < stream.length; i += size) out.push(...parser.push(stream.subarray(i, i + size)));
          assert.deepEqual(out, messages, `chunks of ${size}`);
        }

        // Inside a message the parser is not at a boundary (an end there is abrupt).
        parser = new t.FrameParser();
        assert.deepEqual(parser.push(t.encodeFrame(seq(10)).subarray(0, 6)), []);
        assert.equal(parser.atBoundary, false);
        parser = new t.FrameParser();
        parser.push(bytes(3, 0));
        assert.equal(parser.atBoundary, false);

        // Messages are copies: reusing the chunk buffer does not change them.
        const chunk = t.encodeFrame(bytes(1, 2, 3));
        const [copy] = new t.FrameParser().push(chunk);
        chunk.fill(0);
        assert.deepEqual([...copy], [1, 2, 3]);
        """);

    [Fact]
    public Task Framer_ZeroOrOversizeLength_FailsWith1002Or1009AndStaysFailed() => RunAsync("""
        const frameError = (code) => (e) => e instanceof t.FrameError && e.code === code;
        let parser = new t.FrameParser();
        assert.throws(() => parser.push(bytes(0, 0, 0, 0, 6)), frameError(1002));
        assert.throws(() => parser.push(t.encodeFrame(bytes(6))), frameError(1002)); // stays failed

        // Oversize is caught from the prefix alone, before any of the body arrives.
        parser = new t.FrameParser();
        assert.throws(() => parser.push(bytes(0x01, 0x40, 0, 0)), frameError(1009)); // 16385
        assert.throws(() => new t.FrameParser().push(bytes(0xff, 0xff, 0xff, 0xff)), frameError(1009));
        // The limit itself is allowed; a smaller configured limit applies.
        assert.equal(new t.FrameParser().push(t.encodeFrame(seq(16384)))[0].length, 16384);
        parser = new t.FrameParser({ maxMessageBytes: 100 });
        assert.equal(parser.push(t.encodeFrame(seq(100), 100)).length, 1);
        assert.throws(() => parser.push(bytes(101, 0, 0, 0)), frameError(1009));
        // A good message before the bad prefix in the same chunk is not lost to the caller's view:
        // the parser throws, so the transport closes the session (1002/1009) as the spec says.
        parser = new t.FrameParser();
        assert.throws(() => parser.push(Uint8Array.from([...t.encodeFrame(bytes(7)), 0, 0, 0, 0])), frameError(1002));

        // The sender refuses what the receiver would reject.
        assert.throws(() => t.encodeFrame(new Uint8Array(0)), RangeError);
        assert.throws(() => t.encodeFrame(seq(16385)), RangeError);
        assert.throws(() => t.encodeFrame(seq(101), 100), RangeError);
        """);

    [Fact]
    public Task Reassembler_InOrderOutOfOrderAndDuplicates_DeliverEachMessageOnce() => RunAsync("""
        const r = new t.FragmentReassembler({ now: () => 0 });
        // A whole message (kind 0) passes straight through.
        assert.deepEqual(r.push(t.encodeMessageDatagram(bytes(0x88, 5, 6))), bytes(0x88, 5, 6));

        const message = seq(2500, 3);
        const fragments = t.fragmentMessage(message, 41, 1100);
        assert.equal(fragments.length, 3);
        assert.deepEqual([...fragments[1].subarray(0, 5)], [1, 41, 0, 1, 3]); // kind, id u16 LE, index, count
        assert.equal(fragments[0].length, 1100);
        assert.equal(fragments[2].length, 5 + 2500 - 2 * 1095);

        // In order.
        assert.equal(r.push(fragments[0]), null);
        assert.equal(r.push(fragments[1]), null);
        assert.deepEqual(r.push(fragments[2]), message);
        assert.equal(r.incomplete, 0);
        // A late duplicate of a delivered message is ignored, and does not start a new one.
        assert.equal(r.push(fragments[1]), null);
        assert.equal(r.incomplete, 0);

        // Out of order, with duplicates on the way.
        const other = seq(700, 99);
        const [a, b, c, d] = t.fragmentMessage(other, 42, 200);
        assert.equal(r.push(d), null);
        assert.equal(r.push(b), null);
        assert.equal(r.push(d), null);
        assert.equal(r.push(a), null);
        assert.equal(r.push(b), null);
        assert.deepEqual(r.push(c), other);
        assert.equal(r.stats.reassembled, 2);
        assert.equal(r.stats.messages, 1);
        assert.equal(r.stats.duplicates, 3);

        // The largest split: 64 fragments, in reverse; and message ids at the u16 edge.
        const big = seq(64 * 100, 1);
        const many = t.fragmentMessage(big, 65535, 105);
        assert.equal(many.length, 64);
        assert.deepEqual([...many[0].subarray(1, 3)], [0xff, 0xff]);
        let result = null;
        for (const f of [...many].reverse()) result = r.push(f) ?? result;
        assert.deepEqual(result, big);
        assert.deepEqual(r.push(t.fragmentMessage(bytes(1, 2, 3), 0, 7).at(-1)), null);
        assert.equal(r.incomplete, 1);
        """);

    [Fact]
    public Task Reassembler_InterleavedMessageIds_CompleteIndependently() => RunAsync("""
        const r = new t.FragmentReassembler({ now: () => 0 });
        const m1 = seq(300, 1), m2 = seq(300, 2), m3 = seq(150, 3);
        const f1 = t.fragmentMessage(m1, 1, 105), f2 = t.fragmentMessage(m2, 2, 105), f3 = t.fragmentMessage(m3, 3, 105);
        const got = [];
        for (const f of [f1[0], f2[2], f3[1], f2[0], f1[1], f3[0], f1[2], f2[1]]) { const m = r.push(f); if (m) got.push(m); }
        assert.deepEqual(got, [m3, m1, m2]);
        assert.equal(r.incomplete, 0);
        // Same bytes, different ids: never mixed.
        const x = t.fragmentMessage(seq(200, 10), 7, 105), y = t.fragmentMessage(seq(200, 20), 8, 105);
        assert.equal(r.push(x[0]), null);
        assert.equal(r.push(y[1]), null);
        assert.deepEqual(r.push(y[0]), seq(200, 20));
        assert.deepEqual(r.push(x[1]), seq(200, 10));
        """);

    [Fact]
    public Task Reassembler_FifthIncompleteMessage_EvictsTheOneThatStartedFirst() => RunAsync("""
        let now = 0;
        const r = new t.FragmentReassembler({ now: () => now });
        const frags = [10, 11, 12, 13, 14].map((id) => t.fragmentMessage(seq(250, id), id, 105)); // 3 fragments each
        for (const id of [0, 1, 2, 3]) { now += 10; assert.equal(r.push(frags[id][0]), null); }
        assert.equal(r.incomplete, 4);
        // Later fragments of 10 do not refresh its age: arrival of the first fragment counts.
        now += 10; assert.equal(r.push(frags[0][1]), null);
        now += 10; assert.equal(r.push(frags[4][0]), null); // a fifth message starts
        assert.equal(r.incomplete, 4);
        assert.equal(r.stats.evicted, 1);
        // 10 is gone: its last fragment starts it over instead of completing it.
        assert.equal(r.push(frags[0][2]), null);
        assert.equal(r.stats.evicted, 2); // ...which evicted 11, now the oldest
        // 12, 13, 14 still complete.
        for (const id of [2, 3, 4]) {
          assert.equal(r.push(frags[id][1]), null);
          assert.deepEqual(r.push(frags[id][2]), seq(250, 10 + id));
        }
        assert.equal(r.push(frags[1][1]), null); // 11 was evicted: no completion from its rest
        assert.equal(r.push(frags[1][2]), null);
        """);

    [Fact]
    public Task Reassembler_IncompleteForOneSecond_IsDropped() => RunAsync("""
        let now = 5000;
        const r = new t.FragmentReassembler({ now: () => now });
        const [a0, a1, a2] = t.fragmentMessage(seq(250, 1), 500, 105);
        const [b0, b1, b2] = t.fragmentMessage(seq(250, 2), 501, 105);
        r.push(a0);
        now += 600; r.push(b0);
        now += 399; // a is 999 ms old: still kept
        assert.equal(r.push(a1), null);
        assert.deepEqual(r.push(a2), seq(250, 1));
        const [c0, c1, c2] = t.fragmentMessage(seq(250, 3), 502, 105);
        r.push(c0);
        now += 602; // b is 1001 ms old: dropped; c (602 ms) kept
        assert.equal(r.push(b1), null);
        assert.equal(r.stats.expired, 1);
        assert.equal(r.push(b2), null); // b restarted from b1; b0 never comes again
        assert.equal(r.push(c1), null);
        assert.deepEqual(r.push(c2), seq(250, 3));
        now += 1001; r.push(t.encodeMessageDatagram(bytes(1))); // any datagram runs the expiry
        assert.equal(r.incomplete, 0);
        // Exactly at the default expiry the message is dropped; the default is 1 s.
        assert.equal(t.FragmentExpiryMs, 1000);
        const [d0, d1] = t.fragmentMessage(seq(150, 4), 503, 105);
        r.push(d0); now += 1000;
        assert.equal(r.push(d1), null);
        """);

    [Fact]
    public Task Reassembler_InvalidDatagrams_AreDroppedAndCounted() => RunAsync("""
        const r = new t.FragmentReassembler({ now: () => 0 });
        const frag = (id, index, count, ...data) => bytes(1, id & 0xff, id >> 8, index, count, ...data);
        assert.equal(r.push(frag(1, 0, 1, 9)), null);    // count < 2
        assert.equal(r.push(frag(1, 0, 65, 9)), null);   // count > 64
        assert.equal(r.push(frag(1, 3, 3, 9)), null);    // index >= count
        assert.equal(r.push(frag(1, 200, 2, 9)), null);
        assert.equal(r.push(bytes(1, 1, 0, 0)), null);   // truncated header
        assert.equal(r.push(bytes(2, 6, 1)), null);      // unknown kind
        assert.equal(r.push(bytes(0)), null);            // a whole message without even a type byte
        assert.equal(r.push(new Uint8Array(0)), null);
        assert.equal(r.stats.invalid, 8);
        assert.equal(r.incomplete, 0);

        // A count that disagrees with earlier fragments of the same id drops only that fragment.
        assert.equal(r.push(frag(9, 0, 3, 1, 2)), null);
        assert.equal(r.push(frag(9, 1, 2, 3, 4)), null);
        assert.equal(r.stats.invalid, 9);
        assert.equal(r.push(frag(9, 1, 3, 3, 4)), null);
        assert.deepEqual(r.push(frag(9, 2, 3, 5)), bytes(1, 2, 3, 4, 5));
        """);

    [Fact]
    public Task Addresses_PageOriginAndPorts_GiveWebTransportAndWebSocketUrls() => RunAsync("""
        // An https page: same host and port (Engine serves WebTransport on the HTTPS number, UDP).
        assert.equal(t.webTransportUrl('https://127.0.0.1:4433'), 'https://127.0.0.1:4433/wt');
        assert.equal(t.webTransportUrl('https://127.0.0.1:4433', '/game', { altSvcPort: 9999 }), 'https://127.0.0.1:4433/game');
        assert.equal(t.webTransportUrl('https://game.example'), 'https://game.example/wt');
        assert.equal(t.webTransportUrl('https://[::1]:4433/'), 'https://[::1]:4433/wt');
        // A plain-http page: explicit port, then the Alt-Svc h3 port, then the page's port.
        assert.equal(t.webTransportUrl('http://127.0.0.1:8080', '/wt', { port: '4433', altSvcPort: 5000 }), 'https://127.0.0.1:4433/wt');
        assert.equal(t.webTransportUrl('http://127.0.0.1:8080', '/wt', { altSvcPort: 5000 }), 'https://127.0.0.1:5000/wt');
        assert.equal(t.webTransportUrl('http://127.0.0.1:8080'), 'https://127.0.0.1:8080/wt');
        assert.equal(t.webSocketUrl('https://127.0.0.1:4433'), 'wss://127.0.0.1:4433/ws');
        assert.equal(t.webSocketUrl('http://localhost:8080/page/'), 'ws://localhost:8080/ws');
        assert.equal(t.parseAltSvcPort('h3=":4433"; ma=86400'), 4433);
        assert.equal(t.parseAltSvcPort('h3-29=":1", h3=":443"'), 443);
        assert.equal(t.parseAltSvcPort('h3="other.example:443"'), null); // another host is not ours to use
        assert.equal(t.parseAltSvcPort(null), null);
        assert.deepEqual(['wt', 'WebTransport', 'ws', 'websocket', 'auto', '', null, 'x'].map(t.normalizePrefer),
          ['wt', 'wt', 'ws', 'ws', 'auto', 'auto', 'auto', 'auto']);
        assert.deepEqual([...t.hexToBytes('00ff7A')], [0, 255, 122]);
        assert.throws(() => t.hexToBytes('abc'));
        assert.equal(t.truncateUtf8('héllo', 2), 'h');   // never half a character
        assert.equal(t.truncateUtf8('héllo', 3), 'hé');
        // Latest-wins snapshots compare ticks in u32 serial order.
        assert.ok(isNewerTick(5, 4) && isNewerTick(0, 0xffffffff) && isNewerTick(3, null));
        assert.ok(!isNewerTick(4, 5) && !isNewerTick(7, 7) && !isNewerTick(0xffffffff, 0));
        """);

    [Fact]
    public Task OpenTransport_AgainstFakes_UsesWebTransportFallsBackAndClosesOnce() => RunAsync("""
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        globalThis.fetch = async (url) => ({ ok: true, status: 200, headers: new Headers({ 'alt-svc': 'h3=":4433"' }), json: async () => ({ sha256: '0a0b' }) });

        // A WebSocket that opens (or refuses) on the next turn.
        class FakeWebSocket {
          static OPEN = 1; static instances = [];
          constructor(url) {
            this.url = url; this.readyState = 0; this.sent = []; FakeWebSocket.instances.push(this);
            setTimeout(() => { if (FakeWebSocket.refuse) this.onclose({ code: 1006, reason: '' }); else { this.readyState = 1; this.onopen(); } });
          }
          send(b) { this.sent.push(b); }
          close(code, reason) { this.closedWith = [code, reason]; }
        }
        globalThis.WebSocket = FakeWebSocket;

        // No WebTransport at all: auto lands on WebSocket, wt refuses.
        let link = await t.openTransport({ baseUrl: 'https://127.0.0.1:4433' });
        assert.equal(link.name, 'websocket');
        assert.equal(link.raw.url, 'wss://127.0.0.1:4433/ws');
        assert.match(link.fallbackReason, /not available/);
        assert.equal(link.maxDatagramSize, null);
        await assert.rejects(t.openTransport({ baseUrl: 'https://127.0.0.1:4433', prefer: 'wt' }), /not available/);
        link = await t.openTransport({ baseUrl: 'http://127.0.0.1:8080', prefer: 'ws' });
        assert.equal(link.raw.url, 'ws://127.0.0.1:8080/ws');
        assert.equal(link.fallbackReason, null);
        // WebSocket: both sends are plain messages; close codes a page may not use become 1000.
        link.send(bytes(1)); link.sendUnreliable(bytes(6));
        assert.deepEqual(link.raw.sent, [bytes(1), bytes(6)]);
        const closes = [];
        link.onclose = (e) => closes.push(e);
        link.close(1002, 'x');
        assert.deepEqual(link.raw.closedWith, [1000, 'x']);
        link.raw.onclose({ code: 1000, reason: 'x' }); // the browser's own event later: no second report
        assert.deepEqual(closes, [{ code: 1002, reason: 'x' }]);
        assert.equal(link.send(bytes(1)), false);

        // A WebTransport whose handshake never finishes: auto falls back after wtTimeoutMs.
        class FakeWebTransport {
          static instances = []; static mode = 'hang';
          constructor(url, options) {
            Object.assign(this, { url, options, closedWith: null, datagramsSent: [] });
            FakeWebTransport.instances.push(this);
            this.closed = new Promise((resolve, reject) => { this.resolveClosed = resolve; this.rejectClosed = reject; });
            this.ready = FakeWebTransport.mode === 'hang' ? new Promise(() => {})
              : FakeWebTransport.mode === 'refuse' ? Promise.reject(new Error('Opening handshake failed')) : Promise.resolve();
            let toClient;
            this.serverReadable = new ReadableStream({ start: (c) => { toClient = c; } });
            this.toClient = toClient;
            this.fromClient = [];
            let datagramsIn;
            this.datagrams = {
              maxDatagramSize: 1100,
              readable: new ReadableStream({ start: (c) => { datagramsIn = c; } }),
              writable: new WritableStream({ write: (d) => { this.datagramsSent.push(d); } }),
            };
            this.datagramsIn = datagramsIn;
          }
          async createBidirectionalStream() {
            return { readable: this.serverReadable, writable: new WritableStream({ write: (c) => { this.fromClient.push(...c); } }) };
          }
          close(info) { this.closedWith = info ?? {}; }
        }
        globalThis.WebTransport = FakeWebTransport;
        let started = Date.now();
        link = await t.openTransport({ baseUrl: 'https://127.0.0.1:4433', wtTimeoutMs: 150 });
        assert.equal(link.name, 'websocket');
        assert.ok(Date.now() - started >= 140, 'waited for the handshake');
        assert.match(link.fallbackReason, /timed out/);
        const hung = FakeWebTransport.instances.at(-1);
        assert.equal(hung.url, 'https://127.0.0.1:4433/wt');
        assert.deepEqual(hung.options.serverCertificateHashes, [{ algorithm: 'sha-256', value: bytes(10, 11) }]);
        assert.ok(hung.closedWith, 'the abandoned session is closed');

        // Refused (what Chromium reports for 403/429/503 and a server without WebTransport).
        FakeWebTransport.mode = 'refuse';
        started = Date.now();
        link = await t.openTransport({ baseUrl: 'https://127.0.0.1:4433' });
        assert.equal(link.name, 'websocket');
        assert.ok(Date.now() - started < 1000, 'a refusal falls back at once');
        await assert.rejects(t.openTransport({ baseUrl: 'https://127.0.0.1:4433', prefer: 'wt' }), /Opening handshake failed/);
        FakeWebSocket.refuse = true;
        await assert.rejects(t.openTransport({ baseUrl: 'https://127.0.0.1:4433' }), /closed before opening/);
        FakeWebSocket.refuse = false;

        // A working session from a plain-http page: the port comes from Alt-Svc of /cert-hash.
        FakeWebTransport.mode = 'ok';
        link = await t.openTransport({ baseUrl: 'http://127.0.0.1:8080' });
        let wt = link.raw;
        assert.equal(link.name, 'webtransport');
        assert.equal(wt.url, 'https://127.0.0.1:4433/wt');
        assert.equal(link.maxDatagramSize, 1100);
        const got = [];
        link.onmessage = (m) => got.push([...m]);
        // Stream: length-prefixed, across chunks; datagrams: whole and fragmented.
        const frame = [...t.encodeFrame(bytes(0x81, 1, 2)), ...t.encodeFrame(bytes(0x85, 3))];
        wt.toClient.enqueue(Uint8Array.from(frame.slice(0, 5)));
        wt.toClient.enqueue(Uint8Array.from(frame.slice(5)));
        wt.datagramsIn.enqueue(t.encodeMessageDatagram(bytes(0x88, 9)));
        const snapshot = seq(2000, 0x88);
        for (const f of t.fragmentMessage(snapshot, 3, 1100).reverse()) wt.datagramsIn.enqueue(f);
        await sleep(20);
        // (stream and datagrams are read concurrently, so only each one's own order is fixed)
        assert.deepEqual(got.filter((m) => m[0] !== 0x88), [[0x81, 1, 2], [0x85, 3]]);
        assert.deepEqual(got.filter((m) => m[0] === 0x88), [[0x88, 9], [...snapshot]]);
        // Sending: reliable on the stream with a length prefix, unreliable as a kind-0 datagram,
        // and too big for a datagram falls back to the stream.
        link.send(bytes(1, 2));
        link.sendUnreliable(bytes(6, 7));
        link.sendUnreliable(seq(1100, 6));
        await sleep(20);
        assert.deepEqual(wt.datagramsSent, [bytes(0, 6, 7)]);
        assert.deepEqual(wt.fromClient.slice(0, 6), [2, 0, 0, 0, 1, 2]);
        assert.deepEqual(wt.fromClient.slice(6, 10), [0x4c, 0x04, 0, 0]);
        assert.equal(wt.fromClient.length, 6 + 4 + 1100);
        // The server closes the session: onclose once, with its code and reason.
        let closed = [];
        link.onclose = (e) => closed.push(e);
        wt.resolveClosed({ closeCode: 4004, reason: 'replaced' });
        wt.toClient.error(new Error('reset'));
        await sleep(400);
        assert.deepEqual(closed, [{ code: 4004, reason: 'replaced' }]);

        // The message stream ends while the session stays: 1006 after a short grace, and the
        // session is closed; a bad length prefix closes with 1009, as the server would.
        link = await t.openTransport({ baseUrl: 'https://127.0.0.1:4433' });
        wt = link.raw; closed = [];
        link.onclose = (e) => closed.push(e);
        wt.toClient.close();
        await sleep(400);
        assert.deepEqual(closed.map((e) => e.code), [t.AbnormalClose]);
        assert.equal(wt.closedWith.closeCode, 1002);
        link = await t.openTransport({ baseUrl: 'https://127.0.0.1:4433' });
        wt = link.raw; closed = [];
        link.onclose = (e) => closed.push(e);
        wt.toClient.enqueue(bytes(0xff, 0xff, 0, 0));
        await sleep(20);
        assert.deepEqual(closed.map((e) => e.code), [1009]);
        assert.equal(wt.closedWith.closeCode, 1009);
        // A local close reports its own code once; the session's later end adds nothing.
        link = await t.openTransport({ baseUrl: 'https://127.0.0.1:4433', certHashes: [] });
        wt = link.raw; closed = [];
        assert.equal(wt.options.serverCertificateHashes, undefined);
        link.onclose = (e) => closed.push(e);
        link.close(4999, 'test drop');
        wt.resolveClosed({ closeCode: 0, reason: '' });
        await sleep(20);
        assert.deepEqual(closed, [{ code: 4999, reason: 'test drop' }]);
        assert.deepEqual(wt.closedWith, { closeCode: 4999, reason: 'test drop' });
        assert.equal(link.sendUnreliable(bytes(6)), false);
        // A session lost without a close (idle timeout): 1006.
        link = await t.openTransport({ baseUrl: 'https://127.0.0.1:4433' });
        wt = link.raw; closed = [];
        link.onclose = (e) => closed.push(e);
        wt.rejectClosed(new Error('connection lost'));
        await sleep(20);
        assert.equal(closed.length, 1);
        assert.equal(closed[0].code, 1006);
        assert.match(closed[0].reason, /connection lost/);
        """);

    [Fact]
    public Task EngineClient_OverFakeTransports_InputAsDatagramSnapshotsLatestWinsReconnectsOverWhatWorks() => RunAsync($$"""
        import { EngineClient } from '{{Module("client.js")}}';
        import { encodeMessage, decodeMessage } from '{{Module("codec.js")}}';
        import { fakeWebTransport } from '{{NodeScript.TestModule("fake-webtransport.mjs")}}';
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        globalThis.fetch = async () => ({ ok: false, status: 404, headers: new Headers(), json: async () => ({}) });
        const FakeWebTransport = fakeWebTransport();
        class FakeWebSocket {
          static OPEN = 1;
          constructor(url) { this.url = url; this.readyState = 0; this.sent = []; setTimeout(() => { this.readyState = 1; this.onopen(); }); }
          send(b) { this.sent.push(decodeMessage(b)); }
          close(code, reason) { setTimeout(() => this.onclose({ code, reason })); }
        }
        globalThis.WebTransport = FakeWebTransport;
        globalThis.WebSocket = FakeWebSocket;

        const client = new EngineClient({ baseUrl: 'https://127.0.0.1:4433', room: 'r', name: 'n' });
        const seen = [], transports = [];
        client.addEventListener('message', (e) => seen.push(e.detail));
        client.addEventListener('transport', (e) => transports.push(e.detail));
        await client.connect();
        assert.equal(client.transport, 'webtransport');
        const wt = client.link.raw;
        const server = (type, body) => wt.toClient.enqueue(t.encodeFrame(encodeMessage(type, body)));
        server('Welcome', { sessionId: 's', resumeToken: 'tok', tickRate: 30, serverTime: 0, heartbeatIntervalMs: 30000, resumed: false, playerId: 7 });
        server('JoinAccepted', { room: 'r', playerId: 7, sequence: 0, recovered: true, members: [], state: new Uint8Array(0), tickRate: 30 });
        await sleep(20);
        assert.equal(client.state, 'connected');
        // Snapshots as datagrams, one late and one repeated: only newer ticks reach the page.
        for (const tick of [5, 4, 5, 6]) wt.datagramsIn.enqueue(t.encodeMessageDatagram(encodeMessage('Snapshot', { tick, lastProcessedInput: 0, serverTime: 0, state: new Uint8Array(0) })));
        await sleep(20);
        assert.deepEqual(seen.filter((m) => m.type === 'Snapshot').map((m) => m.body.tick), [5, 6]);
        assert.equal(client.staleSnapshots, 2);
        // Input goes as a kind-0 datagram; everything else on the stream, Hello first.
        client.sendInput(bytes(8));
        client.chat('hi');
        await sleep(20);
        assert.equal(wt.datagramsSent.length, 1);
        assert.equal(wt.datagramsSent[0][0], t.DatagramKind.Message);
        const input = decodeMessage(wt.datagramsSent[0].subarray(1));
        assert.deepEqual([input.type, input.body.ackTick, input.body.inputs.length, input.body.inputs[0].clientTick, [...input.body.inputs[0].data]], ['InputBatch', 6, 1, 6, [8]]);
        // (clock pings may join them on a slow run: they are not what this checks)
        const onStream = new t.FrameParser().push(Uint8Array.from(wt.fromClient)).map((m) => decodeMessage(m).type).filter((type) => type !== 'Ping');
        assert.deepEqual(onStream, ['Hello', 'Join', 'Chat']);

        // The server replaces the session; WebTransport is gone on the retry: the client resumes
        // over WebSocket, and the readout's event says so.
        delete globalThis.WebTransport;
        wt.resolveClosed({ closeCode: 4004, reason: 'replaced' });
        const deadline = Date.now() + 3000;
        while (client.transport !== 'websocket' && Date.now() < deadline) await sleep(20);
        await sleep(20);
        assert.deepEqual(transports, ['webtransport', 'websocket']);
        const hello = client.link.raw.sent[0];
        assert.deepEqual([hello.type, hello.body.resumeToken], ['Hello', 'tok']);
        assert.equal(client.lastTick, null); // a new connection starts a new tick baseline
        client.close();
        await sleep(20);
        assert.equal(client.state, 'closed');
        """);

    [Fact]
    public Task EngineClient_FailedResume_JoinsOncePerConnection() => RunAsync($$"""
        import { EngineClient } from '{{Module("client.js")}}';
        import { decodeMessage, encodeMessage } from '{{Module("codec.js")}}';
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        class FakeWebSocket {
          static OPEN = 1;
          constructor(url) { this.url = url; this.readyState = 0; this.sent = []; setTimeout(() => { this.readyState = 1; this.onopen(); }); }
          send(b) { this.sent.push(decodeMessage(b)); }
          close(code, reason) { setTimeout(() => this.onclose({ code, reason })); }
        }
        globalThis.WebSocket = FakeWebSocket;
        const client = new EngineClient({ baseUrl: 'https://127.0.0.1:4433', room: 'r', name: 'n', prefer: 'ws' });
        client.resumeToken = 'expired';
        await client.connect();
        await sleep(20);
        const ws = client.link.raw;
        const server = (type, body) => ws.onmessage({ data: encodeMessage(type, body).buffer });
        // A failed resume: Welcome{resumed:false} then Error ResumeFailed; one Join answers both.
        server('Welcome', { sessionId: 's', resumeToken: 'new', tickRate: 30, serverTime: 0, heartbeatIntervalMs: 30000, resumed: false, playerId: 9 });
        server('Error', { code: 8, message: 'resume failed' });
        await sleep(20);
        assert.deepEqual(ws.sent.map((m) => m.type), ['Hello', 'Join']);
        client.close();
        """);
}
