namespace Engine.Tests.Protocol;

/// <summary>
/// The browser sample's netcode (samples/browser-client/netcode.js, and its use in client.js),
/// run under Node against the real modules: the server-clock estimate, jitter and interpolation
/// delay, interpolation sampling and the render clock, prediction with reconciliation against a
/// simulated arena server, and snapshot acknowledgement. Random inputs come from a seeded PRNG.
/// </summary>
public class BrowserNetcodeTests
{
    private static string Module(string file) => NodeScript.SampleModule(file);

    private static async Task RunAsync(string body)
    {
        string script = $$"""
            import * as n from '{{Module("netcode.js")}}';
            import assert from 'node:assert/strict';
            // mulberry32: a small seeded PRNG, so every run sees the same "random" network.
            const prng = (seed) => () => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
            const near = (a, b, eps, what) => assert.ok(Math.abs(a - b) <= eps, `${what}: ${a} vs ${b} (±${eps})`);
            {{body}}
            console.log('ok');
            """;
        Assert.Equal("ok", (await NodeScript.RunAsync(script)).Trim());
    }

    [Fact]
    public Task ClockEstimator_AsymmetricNoisyRoundTrips_ConvergesOnLowRttSampleWithoutJumps() => RunAsync("""
        // The server's clock is 1.7e12 ms ahead of the local one. Each trip's two legs are 2–60 ms,
        // independently, so a sample's error is half the legs' difference: large for slow trips.
        const trueOffset = 1.7e12 + 1234.5;
        const random = prng(7);
        const clock = new n.ClockEstimator();
        assert.equal(clock.serverNow(100), null);
        let local = 1000, previous = null, biggestStep = 0;
        for (let i = 0; i < 40; i++) {
          const up = 2 + random() * 58, down = 2 + random() * 58;
          const sentAt = local, serverTime = sentAt + up + trueOffset, receivedAt = sentAt + up + down;
          assert.ok(clock.addSample(sentAt, receivedAt, serverTime));
          if (previous != null) biggestStep = Math.max(biggestStep, Math.abs(clock.offset - previous));
          previous = clock.offset;
          local = receivedAt + 250;
        }
        // 40 trips with legs uniform in 2..60 ms include near-symmetric fast ones; the estimate
        // follows the best of the last 8, so it ends within a few ms, far inside the ±29 ms a
        // single sample may be off by.
        near(clock.offset, trueOffset, 6, 'offset');
        near(clock.serverNow(5000), 5000 + clock.offset, 1e-6, 'serverNow');
        assert.ok(biggestStep < 20, `the estimate jumped by ${biggestStep} ms`);
        assert.ok(clock.bestRtt >= 4 && clock.bestRtt < 60);

        // One slow, badly skewed trip (199 ms off) barely moves a settled estimate: a faster sample
        // is in the window.
        const settled = clock.offset;
        clock.addSample(local, local + 400, local + 399 + trueOffset);
        near(clock.offset, settled, 3, 'after a skewed sample');
        // Nonsense is refused.
        assert.equal(clock.addSample(10, 5, trueOffset), false);
        assert.equal(clock.addSample(10, 20, NaN), false);
        assert.equal(clock.samples.length, 8);

        // Pings: a few quick ones, then slow.
        assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map(n.pingDelayMs), [250, 250, 250, 250, 2000, 2000, 2000]);
        """);

    [Fact]
    public Task InterpolationDelay_SteadyThenJitteryArrivals_TwoTicksThenAdaptsUpwardWithinClamp() => RunAsync("""
        const tickMs = 1000 / 30;
        const jitter = new n.JitterEstimator();
        // Perfectly regular arrivals: no jitter, the delay is two ticks.
        for (let tick = 1; tick <= 100; tick++) jitter.add(500 + tick * tickMs, tick, tickMs);
        near(jitter.jitter, 0, 1e-9, 'steady jitter');
        near(n.interpolationDelayMs(tickMs, jitter.jitter), 2 * tickMs, 1e-9, 'steady delay');
        // A lost snapshot (a gap of two ticks) is not jitter.
        jitter.add(500 + 102 * tickMs, 102, tickMs);
        near(jitter.jitter, 0, 1e-9, 'gap');
        // Arrivals ±15 ms around the schedule: the estimate rises to the mean deviation, and the
        // delay with it.
        const random = prng(3);
        for (let tick = 103; tick <= 400; tick++) jitter.add(500 + tick * tickMs + (random() - 0.5) * 30, tick, tickMs);
        assert.ok(jitter.jitter > 5 && jitter.jitter < 15, `jitter ${jitter.jitter}`);
        const delay = n.interpolationDelayMs(tickMs, jitter.jitter);
        near(delay, 2 * tickMs + 3 * jitter.jitter, 1e-9, 'jittery delay');
        // Clamped: huge jitter adds at most 250 ms; a new connection forgets the last arrival only.
        assert.equal(n.interpolationDelayMs(tickMs, 1000), 2 * tickMs + 250);
        const before = jitter.jitter;
        jitter.restart();
        jitter.add(1e6, 5, tickMs);
        assert.equal(jitter.jitter, before);
        """);

    [Fact]
    public Task InterpolationBuffer_Sample_LerpsBetweenTicksHoldsAtEndsAndShowsEntitiesOnlyOnceBothSidesAgree() => RunAsync("""
        const b = new n.InterpolationBuffer({ capacity: 4 });
        assert.equal(b.sample(3).size, 0);
        const e = (pairs) => new Map(pairs.map(([id, x, y]) => [id, { x, y }]));
        assert.ok(b.push(10, e([[1, 0, 0], [2, 50, 50]])));
        assert.ok(b.push(12, e([[1, 12, 6], [3, 80, 80]]))); // tick 11 lost; 2 leaves, 3 arrives
        assert.equal(b.push(12, e([])), false);
        assert.equal(b.push(9, e([])), false);
        const at = (t) => Object.fromEntries([...b.sample(t)].map(([id, p]) => [id, [p.x, p.y]]));
        assert.deepEqual(at(9), { 1: [0, 0], 2: [50, 50] });            // before the oldest: the oldest
        assert.deepEqual(at(10), { 1: [0, 0], 2: [50, 50] });
        assert.deepEqual(at(11), { 1: [6, 3], 2: [50, 50] });           // across the lost tick; 2 stays until it is gone
        assert.deepEqual(at(11.5), { 1: [9, 4.5], 2: [50, 50] });
        assert.deepEqual(at(12), { 1: [12, 6], 3: [80, 80] });          // 3 appears once it is the earlier side
        assert.deepEqual(at(20), { 1: [12, 6], 3: [80, 80] });          // no extrapolation
        assert.equal(b.newestTick, 12);
        // Trimming keeps the snapshot at or before the render tick; capacity bounds the rest.
        b.push(13, e([[1, 13, 6]]));
        b.trimBefore(12.5);
        assert.equal(b.oldestTick, 12);
        for (let t = 14; t < 20; t++) b.push(t, e([[1, t, 6]]));
        assert.deepEqual(b.entries.map((x) => x.tick), [16, 17, 18, 19]);
        """);

    [Fact]
    public Task RenderClock_JitteryLossyClockDriftingFeed_RenderedPathNeverFasterThanTheServerAllows() => RunAsync("""
        // A server dot moves at most `step` per tick on each axis (wandering, clamped). Snapshots
        // reach the client with 0–40 ms of jitter and 10 % loss; frames come every 8–40 ms; the clock
        // estimate wanders and the delay adapts. Whatever happens, the rendered path must move at
        // most Speed × the render-time difference per axis between frames, render time must never
        // run backwards or past the newest snapshot, and the dot must really move.
        const tickMs = 1000 / 30, step = n.Arena.Speed / 30;
        const random = prng(99);
        const server = []; let pos = { x: 400, y: 250 }, buttons = 8;
        for (let tick = 1; tick <= 600; tick++) {
          if (random() < 0.05) buttons = [0, 1, 2, 4, 8, 5, 10][Math.floor(random() * 7)];
          pos = n.stepDot(pos, buttons, step);
          server.push({ tick, pos, serverTime: 1e12 + tick * tickMs + random() * 8, arrival: 100 + tick * tickMs + 20 + random() * 40, lost: random() < 0.1 });
        }
        const arrivals = server.filter((s) => !s.lost).sort((a, b) => a.arrival - b.arrival);
        const buffer = new n.InterpolationBuffer(), epoch = new n.TickEpoch(), clock = new n.RenderClock(), jitter = new n.JitterEstimator();
        let now = 100, next = 0, last = null, checked = 0, travelled = 0, epochRef = null;
        const steady = [];
        while (now < 100 + 600 * tickMs + 200) {
          now += 8 + random() * 32;
          while (next < arrivals.length && arrivals[next].arrival <= now) {
            const s = arrivals[next++];
            if (buffer.push(s.tick, new Map([[1, s.pos]]))) { epoch.add(s.tick, s.serverTime, tickMs); jitter.add(s.arrival, s.tick, tickMs); }
            epochRef ??= epoch.value;
          }
          if (buffer.newestTick == null) continue;
          const offsetError = 15 * Math.sin(now / 900); // the clock estimate wanders by ±15 ms
          const serverNow = now - 100 + 1e12 + offsetError;
          const delay = n.interpolationDelayMs(tickMs, jitter.jitter);
          const renderTick = clock.advance(now - (last?.now ?? now), (serverNow - delay - epoch.value) / tickMs, buffer.newestTick, tickMs);
          assert.ok(renderTick <= buffer.newestTick, 'render tick past the newest snapshot');
          buffer.trimBefore(renderTick - 1);
          const p = buffer.sample(renderTick).get(1);
          const renderTime = epochRef + renderTick * tickMs;
          if (last) {
            assert.ok(renderTime >= last.renderTime, 'render time ran backwards');
            // (render times near 1e12 ms carry ~1e-4 ms of rounding: hence the epsilon)
            const allowed = n.Arena.Speed * (renderTime - last.renderTime) / 1000 + 1e-3;
            assert.ok(Math.abs(p.x - last.p.x) <= allowed && Math.abs(p.y - last.p.y) <= allowed,
              `jump of (${p.x - last.p.x}, ${p.y - last.p.y}) over ${renderTime - last.renderTime} ms of render time at ${now}`);
            travelled += Math.abs(p.x - last.p.x) + Math.abs(p.y - last.p.y);
            checked++;
          }
          if (now > 1100 && now < 19000) steady.push((now - 100) - (renderTick * tickMs) - delay);
          last = { now, renderTime, p };
        }
        assert.ok(checked > 400, `only ${checked} frames`);
        assert.ok(travelled > 1000, `the dot travelled only ${travelled}`);
        // Steady state: render time trails the server's present by about the interpolation delay.
        const lags = steady.sort((a, b) => a - b);
        const [p10, median, p90] = [0.1, 0.5, 0.9].map((q) => lags[Math.floor(lags.length * q)]);
        assert.ok(Math.abs(median) < tickMs && p10 > -2 * tickMs && p90 < 2 * tickMs, `lag behind the target: p10 ${p10}, median ${median}, p90 ${p90} ms`);
        """);

    [Fact]
    public Task RenderClock_TargetAheadOrBehind_SlewsAtMostHalfAgainAndSnapsOnlyBeyondASecond() => RunAsync("""
        const tickMs = 1000 / 30, clock = new n.RenderClock();
        assert.equal(clock.advance(16, 50, null, tickMs), null);  // nothing to draw yet
        assert.equal(clock.advance(16, 50, 40, tickMs), 40);      // first: the target, capped at the newest
        clock.reset(); clock.advance(16, 50, 100, tickMs);
        assert.equal(clock.tick, 50);
        // Target 10 ticks (333 ms) ahead: runs faster, at most 1.5×.
        clock.advance(100, 60, 100, tickMs);
        near(clock.tick, 50 + 1.5 * 100 / tickMs, 1e-9, 'fast');
        // Target behind: slower, at least 0.5×, never backwards.
        const t = clock.tick;
        clock.advance(100, t - 9, 100, tickMs);
        near(clock.tick, t + 0.5 * 100 / tickMs, 1e-9, 'slow');
        // A target over a second away: taken at once (a hidden tab came back, or a new server).
        clock.advance(16, t + 60, 1000, tickMs);
        assert.equal(clock.tick, t + 60);
        """);

    [Fact]
    public Task Predictor_AgainstSimulatedArenaServer_MovesAtOnceReconcilesWithinAStepAndSettlesOnServer() => RunAsync("""
        // A simulated ArenaRoom: inputs reach it 5–60 ms after they are sent (so some ticks get two
        // and some none); at each tick it applies the queued ones in order (each sets the held
        // buttons), then moves by the held buttons. Its snapshots reach the client 5–60 ms later,
        // late ones dropped as the decoder does. The client ticks at the same rate but out of
        // phase, sends an input per tick while a button is held or when they change, predicts,
        // and reconciles on every snapshot.
        const tickMs = 1000 / 30, step = n.Arena.Speed / 30;
        const random = prng(2026);
        const latency = () => 5 + random() * 55;
        const serverState = { pos: { x: 100, y: 100 }, buttons: 0, lastProcessed: 0, queue: [] };
        const predictor = new n.Predictor({ step });
        const toClient = [];
        let sequence = 0, buttons = 0, lastSent = 0, firstMoveAt = null, firstAckAt = null, pressSequence = null;
        const script = [[300, 8], [1300, 2], [1900, 10], [2500, 0], [2600, 4], [2700, 0]]; // [time, buttons]
        let worstError = 0, lastRenderAt = 0, serverTick = 0, appliedTick = 0;
        const events = [];
        for (let t = 0; t < 200; t++) events.push({ at: t * tickMs + 7, kind: 'server' });
        for (let t = 0; t < 200; t++) events.push({ at: t * tickMs + 21, kind: 'client' });
        const queue = (e) => { events.push(e); events.sort((a, b) => a.at - b.at); };
        events.sort((a, b) => a.at - b.at);
        while (events.length) {
          const e = events.shift();
          if (e.kind === 'server') {
            for (const input of serverState.queue.filter((i) => i.arrives <= e.at).sort((a, b) => a.sequence - b.sequence)) {
              serverState.buttons = input.buttons; serverState.lastProcessed = input.sequence;
            }
            serverState.queue = serverState.queue.filter((i) => i.arrives > e.at);
            serverState.pos = n.stepDot(serverState.pos, serverState.buttons, step);
            queue({ at: e.at + latency(), kind: 'snapshot', tick: ++serverTick, pos: serverState.pos, lastProcessed: serverState.lastProcessed });
          } else if (e.kind === 'client') {
            while (script.length && script[0][0] <= e.at) buttons = script.shift()[1];
            let sent = null;
            if (n.shouldSendInput(buttons, lastSent)) {
              sent = ++sequence; lastSent = buttons;
              pressSequence ??= buttons ? sent : null;
              serverState.queue.push({ sequence: sent, buttons, arrives: e.at + latency() });
            }
            const before = predictor.position && { ...predictor.position };
            predictor.localTick(buttons, sent);
            if (before && firstMoveAt == null && predictor.position.x !== before.x) firstMoveAt = e.at;
          } else {
            if (e.tick <= appliedTick) continue;
            appliedTick = e.tick;
            if (pressSequence != null && firstAckAt == null && e.lastProcessed >= pressSequence) firstAckAt = e.at;
            // Each reconciliation moves the prediction by at most a few steps: the server groups
            // inputs by its own ticks, so it may be a tick ahead or behind the client's count.
            const before = predictor.position && { ...predictor.position };
            predictor.reconcile(e.pos, e.lastProcessed);
            if (before) worstError = Math.max(worstError, Math.abs(predictor.position.x - before.x), Math.abs(predictor.position.y - before.y));
            predictor.render(e.at - lastRenderAt, 0, buttons);
            lastRenderAt = e.at;
          }
        }
        assert.ok(firstMoveAt != null && firstAckAt != null && firstMoveAt < firstAckAt, `moved at ${firstMoveAt}, first ack at ${firstAckAt}`);
        assert.ok(worstError <= 3 * step + 1e-6, `a correction of ${worstError}`);
        assert.equal(predictor.snaps, 0);
        // All inputs acknowledged and the dot stopped: the prediction is the server's position.
        assert.equal(predictor.pending.length, 0);
        assert.deepEqual(predictor.position, serverState.pos);
        assert.ok(serverState.pos.x > 200 && serverState.pos.y > 150, `the server dot only reached ${JSON.stringify(serverState.pos)}`);
        // The correction decays away.
        for (let i = 0; i < 60; i++) predictor.render(16, 0, 0);
        const drawn = predictor.render(16, 0, 0);
        near(drawn.x, serverState.pos.x, 0.01, 'drawn x'); near(drawn.y, serverState.pos.y, 0.01, 'drawn y');
        """);

    [Fact]
    public Task Predictor_Reconcile_ReplaysUnacknowledgedTicksSmoothsSmallErrorsSnapsLargeOnes() => RunAsync("""
        const p = new n.Predictor({ step: 6, smoothingMs: 100, snapDistance: 60 });
        assert.equal(p.render(16, 0.5, 8), null); // nothing before the server places the dot
        p.localTick(8, 1);
        assert.equal(p.position, null);
        p.reconcile({ x: 100, y: 100 }, 0); // input 1 not applied yet: replayed on top
        assert.deepEqual(p.position, { x: 106, y: 100 });
        p.localTick(8, 2); p.localTick(8, null); // no input on the third tick: the server keeps input 2's buttons
        assert.deepEqual(p.pending.map((i) => [i.sequence, i.ticks]), [[1, 1], [2, 2]]);
        assert.deepEqual(p.position, { x: 118, y: 100 });
        // The server applied input 1 and is at 106: 106 + 2 ticks of input 2 = 118, no correction.
        p.reconcile({ x: 106, y: 100 }, 1);
        assert.deepEqual([p.position, p.correction], [{ x: 118, y: 100 }, { x: 0, y: 0 }]);
        // The server moved one step more than predicted: drawn where it was, the error decays.
        p.reconcile({ x: 112, y: 100 }, 1);
        assert.deepEqual([p.position, p.correction], [{ x: 124, y: 100 }, { x: -6, y: 0 }]);
        const drawn = p.render(100, 0, 0);
        near(drawn.x, 124 - 6 * Math.exp(-1), 1e-9, 'decayed correction');
        // Drawn ahead along the held buttons, `alpha` into the tick, clamped to the arena.
        near(p.render(0, 0.5, 8).x, 127 - 6 * Math.exp(-1), 1e-9, 'alpha');
        // A large disagreement (a respawn, say) is taken at once.
        p.reconcile({ x: 400, y: 300 }, 2);
        assert.deepEqual([p.position, p.correction, p.snaps], [{ x: 400, y: 300 }, { x: 0, y: 0 }, 1]);
        // stepDot: per axis, clamped.
        assert.deepEqual(n.stepDot({ x: 797, y: 1 }, 8 | 1, 6), { x: 800, y: 0 });
        assert.deepEqual(n.stepDot({ x: 10, y: 10 }, 4 | 2, 6), { x: 4, y: 16 });
        """);

    [Fact]
    public Task InputScheduling_TickerBucketAndSendRule_OneInputPerTickWhileHeldNeverOverTheRate() => RunAsync("""
        const ticker = new n.FixedTicker(10, { maxCatchUp: 4 });
        assert.equal(ticker.advance(100), 1);          // the first call ticks at once
        assert.equal(ticker.advance(105), 0);
        near(ticker.alpha(105), 0.5, 1e-9, 'alpha');
        assert.equal(ticker.advance(131), 3);          // 110, 120, 130
        assert.equal(ticker.advance(1000), 4);         // a long stall: a bounded catch-up, then a fresh phase
        assert.equal(ticker.advance(1009), 0);
        assert.equal(ticker.advance(1010), 1);
        // Held or changed: send; idle and unchanged: not.
        assert.deepEqual([[0, 0], [8, 0], [8, 8], [0, 8]].map(([b, l]) => n.shouldSendInput(b, l)), [false, true, true, true]);
        // The bucket allows its burst, then the rate.
        const bucket = new n.TokenBucket(120, 120);
        let sent = 0;
        for (let t = 0; t <= 2000; t += 1) if (bucket.take(t)) sent++;
        assert.ok(sent >= 120 + 239 && sent <= 120 + 241, `${sent} in 2 s`);
        // Acks: only a newer tick, and only when nothing carried an ack for 100 ms.
        assert.equal(n.ackDue({ newestApplied: 0, lastAcked: 0, lastAckSentAt: null, now: 0 }), false);
        assert.equal(n.ackDue({ newestApplied: 5, lastAcked: 0, lastAckSentAt: null, now: 0 }), true);
        assert.equal(n.ackDue({ newestApplied: 5, lastAcked: 5, lastAckSentAt: 0, now: 500 }), false);
        assert.equal(n.ackDue({ newestApplied: 6, lastAcked: 5, lastAckSentAt: 450, now: 500 }), false);
        assert.equal(n.ackDue({ newestApplied: 6, lastAcked: 5, lastAckSentAt: 400, now: 500 }), true);
        assert.equal(n.ackDue({ newestApplied: 1, lastAcked: 0xffffffff, lastAckSentAt: 0, now: 500 }), true); // serial order
        """);

    [Fact]
    public Task EngineClient_EntitySnapshots_AppliesDropsStaleAcksOnInputAndTimerResetsPerConnectionAndSeat() => RunAsync($$"""
        import { EngineClient } from '{{Module("client.js")}}';
        import { encodeMessage, decodeMessage, encodeObject, decodeObject } from '{{Module("codec.js")}}';
        import * as t from '{{Module("transport.js")}}';
        import { fakeWebTransport } from '{{NodeScript.TestModule("fake-webtransport.mjs")}}';
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        globalThis.WebTransport = fakeWebTransport({ mapDatagram: (d) => ({ at: performance.now(), message: decodeMessage(d.subarray(1)) }), settleClose: true });
        globalThis.fetch = async () => ({ ok: false, status: 404, headers: new Headers(), json: async () => ({}) });

        // A payload (Engine/Snapshots/README.md): tick, baseline, count, then kind-0 records (ids < 128).
        const dot = (playerId, x, y) => encodeObject('ArenaDot', { playerId, x, y, hue: 7 });
        const payload = (tick, baseline, dots) => {
          const out = [];
          const u32 = (v) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
          u32(tick); u32(baseline); out.push(dots.length);
          for (const [id, x, y] of dots) { const body = dot(id, x, y); out.push(0, id, body.length, ...body); }
          return Uint8Array.from(out);
        };

        const client = new EngineClient({ baseUrl: 'https://127.0.0.1:4433', room: 'r', name: 'n' });
        const applied = [];
        client.addEventListener('entities', (e) => applied.push(e.detail));
        await client.connect();
        let wt = client.link.raw;
        const server = (type, body) => wt.toClient.enqueue(t.encodeFrame(encodeMessage(type, body)));
        const snapshot = (lastProcessedInput, bytes) => wt.datagramsIn.enqueue(t.encodeMessageDatagram(encodeMessage('EntitySnapshot', { lastProcessedInput, serverTime: 1e12, payload: bytes })));
        server('Welcome', { sessionId: 's', resumeToken: 'tok', tickRate: 30, serverTime: 1.7e12, heartbeatIntervalMs: 30000, resumed: false, playerId: 7 });
        server('JoinAccepted', { room: 'r', playerId: 7, sequence: 0, recovered: true, members: [], state: new Uint8Array(0), tickRate: 30 });
        await sleep(20);
        assert.equal(client.state, 'connected');
        assert.ok(client.serverNow() > 1.7e12 && client.serverNow() < 1.7e12 + 1000, 'Hello→Welcome gave a first clock estimate');

        // Full at 5, a delta against 5 at 6; late (4), duplicate (6), unknown baseline (9 vs 8) and
        // malformed payloads are dropped and reach nobody.
        snapshot(0, payload(5, 0, [[7, 10, 20], [9, 30, 40]]));
        snapshot(0, payload(4, 0, [[7, 1, 1]]));
        snapshot(0, payload(6, 5, [[9, 31, 40]]));
        snapshot(0, payload(6, 5, [[9, 99, 40]]));
        snapshot(0, payload(9, 8, [[9, 99, 40]]));
        snapshot(0, Uint8Array.of(10, 0, 0, 0, 0, 0, 0, 0, 3));
        await sleep(20);
        assert.deepEqual(applied.map((a) => a.tick), [5, 6]);
        assert.equal(client.staleSnapshots, 4);
        const last = applied[1];
        assert.deepEqual([...last.frame.keys()].sort(), [7, 9]);
        assert.deepEqual(decodeObject('ArenaDot', last.frame.get(9)), { playerId: 9, x: 31, y: 40, hue: 7 });
        assert.deepEqual(decodeObject('ArenaDot', last.frame.get(7)), { playerId: 7, x: 10, y: 20, hue: 7 });
        assert.deepEqual([last.serverTime, last.lastProcessedInput], [1e12, 0]);

        // Nothing was sent yet, so tick 5 or 6 was acked right away, unreliably; within 100 ms no more.
        const acks = () => wt.datagramsSent.filter((d) => d.message.type === 'SnapshotAck');
        assert.equal(acks().length, 1);
        assert.ok([5, 6].includes(acks()[0].message.body.tick));
        // An input carries the newest applied tick; a newer tick is then acked by the timer, once,
        // no sooner than 100 ms after the input.
        const sequence = client.sendInput(Uint8Array.of(8));
        assert.equal(sequence, 1);
        const batch = wt.datagramsSent.at(-1);
        assert.deepEqual([batch.message.type, batch.message.body.ackTick], ['InputBatch', 6]);
        snapshot(1, payload(7, 6, [[7, 16, 20]]));
        await sleep(20);
        assert.equal(acks().length, 1);
        await sleep(250);
        assert.deepEqual(acks().map((a) => a.message.body.tick).slice(1), [7]);
        assert.ok(acks()[1].at - batch.at >= 95, `acked ${acks()[1].at - batch.at} ms after the input`);
        assert.equal(client.snapshotAcks, 2);
        // Pong: the estimate follows the server's clock.
        const sentAt = performance.now();
        await sleep(10);
        server('Pong', { clientTime: sentAt, serverTime: 1.8e12 });
        await sleep(20);
        assert.ok(client.clock.samples.length === 2);

        // A new connection: the decoder starts over (the server sends a full snapshot at a lower
        // tick than before, as a restarted encoder may), and acks start over too.
        wt.resolveClosed({ closeCode: 4004, reason: 'replaced' });
        const deadline = Date.now() + 5000;
        while ((client.link.raw === wt || client.state !== 'resuming') && Date.now() < deadline) await sleep(20);
        wt = client.link.raw;
        assert.equal(client.decoder.newestApplied, 0);
        server('Welcome', { sessionId: 's2', resumeToken: 'tok2', tickRate: 30, serverTime: 1.7e12, heartbeatIntervalMs: 30000, resumed: true, playerId: 7 });
        snapshot(3, payload(3, 0, [[7, 50, 50]]));
        await sleep(30);
        assert.deepEqual(applied.map((a) => a.tick), [5, 6, 7, 3]);
        assert.deepEqual(acks().map((a) => a.message.body.tick), [3]);
        // This link's first JoinAccepted keeps what arrived before it (a datagram may overtake
        // it); a second one on the same link is a new seat, whose first snapshot is full.
        server('JoinAccepted', { room: 'r', playerId: 7, sequence: 0, recovered: true, members: [], state: new Uint8Array(0), tickRate: 30 });
        await sleep(20);
        assert.equal(client.decoder.newestApplied, 3);
        server('JoinAccepted', { room: 'r2', playerId: 7, sequence: 0, recovered: true, members: [], state: new Uint8Array(0), tickRate: 30 });
        await sleep(20);
        assert.deepEqual([client.decoder.newestApplied, client.lastTick], [0, null]);
        client.close();
        await sleep(20);
        """);
}
