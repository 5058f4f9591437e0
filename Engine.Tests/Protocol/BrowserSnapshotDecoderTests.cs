using System.Buffers;
using System.Text.Json;
using Engine.Snapshots;

namespace Engine.Tests.Protocol;

/// <summary>
/// The browser's snapshot decoder (samples/browser-client/snapshots.js), run under Node against
/// payloads from the C# <see cref="SnapshotEncoder"/>: it must accept exactly what the C#
/// <see cref="SnapshotDecoder"/> accepts and reach the server's state hash after every success.
/// </summary>
public class BrowserSnapshotDecoderTests
{
    private static string ModuleUri() =>
        NodeScript.SampleModule("snapshots.js");

    private sealed record Delivery(string Payload, bool Ok, string Hash, int Count, uint Newest);

    [Fact]
    public async Task TryApply_LossyLaggingReorderingLink_AcceptsExactlyWhatCSharpAcceptsAndMatchesServerHash()
    {
        var random = new Random(20261203);
        var world = new Dictionary<uint, byte[]>();
        uint RandomId() => random.Next(4) == 0 ? (uint)random.NextInt64(1L << 21, 1L << 32) : (uint)random.Next(0, 5000);
        byte[] RandomBody() => random.Next(20) == 0 ? [] : RandomBytes(random.Next(1, 41));
        byte[] RandomBytes(int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        while (world.Count < 200)
        {
            world[RandomId()] = RandomBody();
        }

        var encoder = new SnapshotEncoder();
        var decoder = new SnapshotDecoder();
        var writer = new EntityFrameWriter();
        var output = new ArrayBufferWriter<byte>();
        var serverHashes = new Dictionary<uint, ulong>();
        var newestAfterTick = new Dictionary<uint, uint> { [0] = 0 };
        var deliveries = new List<Delivery>();
        byte[]? held = null;

        void Deliver(byte[] payload)
        {
            bool ok = decoder.TryApply(payload, out uint tick);
            SnapshotDecoder.TryReadHeader(payload, out uint payloadTick, out _);
            if (ok)
            {
                Assert.Equal(payloadTick, tick);
                Assert.Equal(serverHashes[tick], decoder.Hash);
            }

            deliveries.Add(new Delivery(Convert.ToBase64String(payload), ok, serverHashes[payloadTick].ToString(), decoder.Current.Count, decoder.NewestApplied));
        }

        for (uint tick = 1; tick <= 100; tick++)
        {
            if (tick > 1)
            {
                foreach (uint id in world.Keys.ToList())
                {
                    int roll = random.Next(100);
                    if (roll < 2)
                    {
                        world.Remove(id);
                    }
                    else if (roll < 5)
                    {
                        world[id] = RandomBody();
                    }
                    else if (roll < 20 && world[id].Length > 0)
                    {
                        byte[] body = (byte[])world[id].Clone();
                        for (int k = random.Next(1, 4); k > 0; k--)
                        {
                            body[random.Next(body.Length)] = (byte)random.Next(256);
                        }

                        world[id] = body;
                    }
                }

                for (int k = random.Next(0, 5); k > 0; k--)
                {
                    world[RandomId()] = RandomBody();
                }
            }

            // Acks: every 3rd tick, carrying what the client had applied 2 ticks earlier.
            if (tick % 3 == 0 && tick > 2)
            {
                encoder.Acknowledge(newestAfterTick[tick - 2]);
            }

            writer.Reset();
            foreach ((uint id, byte[] body) in world)
            {
                writer.Add(id, body);
            }

            EntityFrame frame = writer.Complete();
            serverHashes[tick] = frame.ComputeHash();
            output.ResetWrittenCount();
            encoder.Encode(frame, tick, SnapshotBudget.Unlimited, null, output);
            byte[] payload = output.WrittenSpan.ToArray();

            byte[]? late = held;
            held = null;
            if (tick % 5 == 0)
            {
                // lost
            }
            else if (tick % 11 == 0)
            {
                held = payload; // reordered: arrives after the next tick's payload
            }
            else
            {
                Deliver(payload);
                if (tick % 7 == 0)
                {
                    Deliver(payload); // duplicated
                }
            }

            if (late is not null)
            {
                Deliver(late);
            }

            newestAfterTick[tick] = decoder.NewestApplied;
        }

        Assert.True(deliveries.Count(d => d.Ok) > 60, "most payloads apply");
        Assert.True(deliveries.Count(d => !d.Ok) >= 10, "duplicates and late payloads are refused");

        string script = $$"""
            import { SnapshotDecoder } from '{{ModuleUri()}}';
            import assert from 'node:assert/strict';
            import { readFileSync } from 'node:fs';
            const deliveries = JSON.parse(readFileSync(0, 'utf8'));
            const decoder = new SnapshotDecoder();
            let applied = 0, deltas = 0;
            deliveries.forEach((d, i) => {
              const payload = new Uint8Array(Buffer.from(d.Payload, 'base64'));
              const before = decoder.hash();
              const result = decoder.tryApply(payload);
              assert.equal(result !== null, d.Ok, `delivery ${i}: accepted ${result !== null}, C# ${d.Ok}`);
              if (d.Ok) {
                applied++;
                if (payload[4] | payload[5] | payload[6] | payload[7]) deltas++;
                assert.equal(result, payload[0] | (payload[1] << 8) | (payload[2] << 16) | (payload[3] << 24));
                assert.equal(decoder.hash().toString(), d.Hash, `delivery ${i}: hash`);
              } else {
                assert.equal(decoder.hash(), before, `delivery ${i}: refused payload changed the state`);
              }
              assert.equal(decoder.current.size, d.Count, `delivery ${i}: entity count`);
              assert.equal(decoder.newestApplied, d.Newest, `delivery ${i}: newest applied`);
            });
            assert.ok(deltas > applied / 2, `deltas ${deltas} of ${applied}`);
            console.log('ok');
            """;

        Assert.Equal("ok", (await NodeScript.RunAsync(script, JsonSerializer.Serialize(deliveries))).Trim());
    }

    [Fact]
    public async Task TryApply_MalformedOrUnusablePayloads_ReturnNullAndLeaveStateUnchanged()
    {
        // The frame the script builds with its first payload, hashed by the C# definition.
        var writer = new EntityFrameWriter();
        writer.Add(5, [1, 2, 3, 4, 5, 6]);
        writer.Add(300, []);
        writer.Add(uint.MaxValue, [9]);
        ulong firstHash = writer.Complete().ComputeHash();
        ulong emptyHash = EntityFrame.Empty.ComputeHash();

        string script = $$"""
            import { SnapshotDecoder, readVarint, frameHash } from '{{ModuleUri()}}';
            import assert from 'node:assert/strict';

            const u32 = (v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
            const payload = (tick, baseline, count, ...records) => new Uint8Array([...u32(tick), ...u32(baseline), count, ...records.flat()]);

            // Varints as the README lists them.
            assert.deepEqual(readVarint(Uint8Array.of(0x00), 0), [0, 1]);
            assert.deepEqual(readVarint(Uint8Array.of(0x7f), 0), [127, 1]);
            assert.deepEqual(readVarint(Uint8Array.of(0x80, 0x01), 0), [128, 2]);
            assert.deepEqual(readVarint(Uint8Array.of(0xac, 0x02), 0), [300, 2]);
            assert.deepEqual(readVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), 0), [4294967295, 5]);
            assert.equal(readVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x10), 0), null);
            assert.equal(readVarint(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x00), 0), null);
            assert.equal(readVarint(Uint8Array.of(0x80), 0), null);

            const decoder = new SnapshotDecoder();
            assert.equal(decoder.hash(), {{emptyHash}}n);
            assert.equal(decoder.hash(), 0xcbf29ce484222325n);

            const first = payload(1, 0, 3,
              [0, 5, 6, 0, 0, 0, 0, 0, 0],
              [0, 0xac, 0x02, 0],
              [0, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 9]);
            // Every proper prefix of a valid payload is truncated.
            for (let n = 0; n < first.length; n++) assert.equal(decoder.tryApply(first.subarray(0, n)), null, `prefix ${n}`);
            assert.equal(decoder.tryApply(first), 1);
            assert.equal(decoder.current.size, 3);

            // Tick 2 against 1: the README's XOR example on id 5 (00 01 00 00 01 00), then more.
            const readme = payload(2, 1, 1, [1, 5, 0x01, 0x04, 0x01, 0x00, 0x00, 0x01, 0x01, 0x00]);
            assert.equal(decoder.tryApply(readme), 2);
            assert.deepEqual([...decoder.current.get(5)], [0, 1, 0, 0, 1, 0]);
            assert.deepEqual([...decoder.frame(1).get(5)], [0, 0, 0, 0, 0, 0], 'the baseline frame is not modified');

            // Tick 3 against 2 -> 01 02 03 04 05 06: the state the C# frame hash describes.
            const third = payload(3, 2, 1, [1, 5, 0, 6, 1, 3, 3, 4, 4, 6]);
            const valid = payload(4, 3, 2, [2, 0xac, 0x02], [0, 7, 2, 0xaa, 0xbb]);
            assert.equal(decoder.tryApply(third), 3);
            assert.deepEqual([...decoder.current.get(5)], [1, 2, 3, 4, 5, 6]);
            assert.equal(decoder.hash(), {{firstHash}}n);
            assert.equal(decoder.hash(), frameHash(decoder.current));

            const refused = {
              'tick not newer': payload(3, 2, 0),
              'tick older': payload(2, 1, 0),
              'baseline not held': payload(10, 7, 0),
              'baseline never applied': payload(10, 9, 0),
              'baseline equal to tick': payload(4, 4, 0),
              'baseline after tick': payload(4, 5, 0),
              'header only, no count': new Uint8Array([...u32(4), ...u32(3)]),
              'short header': new Uint8Array([4, 0, 0, 0, 3, 0, 0]),
              'truncated record': valid.subarray(0, valid.length - 1),
              'trailing byte': new Uint8Array([...valid, 0]),
              'count larger than records': payload(4, 3, 3, [2, 0xac, 0x02], [0, 7, 2, 0xaa, 0xbb]),
              'unknown kind 3': payload(4, 3, 1, [3, 5]),
              'unknown kind 255': payload(4, 3, 1, [255, 5, 0]),
              'changed id not in baseline': payload(4, 3, 1, [1, 6, 0, 1, 0xff]),
              'removed id not in baseline': payload(4, 3, 1, [2, 6]),
              'delta too short': payload(4, 3, 1, [1, 5, 0, 5, 1, 2, 3, 4, 5]),
              'delta too long': payload(4, 3, 1, [1, 5, 0, 7, 1, 2, 3, 4, 5, 6, 7]),
              'delta zeros past body': payload(4, 3, 1, [1, 5, 7, 0]),
              'delta zero-zero pair': payload(4, 3, 1, [1, 5, 0, 0, 6, 0]),
              'delta on empty body has pairs': payload(4, 3, 1, [1, 0xac, 0x02, 0, 1, 1]),
              'delta literal truncated': payload(4, 3, 1, [1, 5, 0, 6, 1, 2]),
              'duplicate id': payload(4, 3, 2, [0, 7, 1, 1], [0, 7, 1, 2]),
              'duplicate id across kinds': payload(4, 3, 2, [2, 5], [0, 5, 0]),
              'body longer than 1024': new Uint8Array([...payload(4, 3, 1, [0, 7, 0x81, 0x08]), ...new Uint8Array(1025)]),
              'id varint six bytes': payload(4, 3, 1, [2, 0x85, 0x80, 0x80, 0x80, 0x80, 0x00]),
              'id varint above 2^32-1': payload(4, 3, 1, [0, 0xff, 0xff, 0xff, 0xff, 0x1f, 0]),
              'id varint truncated': payload(4, 3, 1, [0, 0x80]),
              'count varint truncated': new Uint8Array([...u32(4), ...u32(3), 0x80]),
              'length varint truncated': payload(4, 3, 1, [0, 7, 0x80]),
            };
            const hash = decoder.hash();
            const current = decoder.current;
            const entries = [...current].map(([id, body]) => [id, [...body]]);
            for (const [name, bytes] of Object.entries(refused)) {
              assert.equal(decoder.tryApply(bytes), null, name);
              assert.equal(decoder.newestApplied, 3, name);
              assert.equal(decoder.hash(), hash, name);
              assert.equal(decoder.current, current, name);
              assert.deepEqual([...decoder.current].map(([id, body]) => [id, [...body]]), entries, name);
              assert.deepEqual([...decoder.frame(2).get(5)], [0, 1, 0, 0, 1, 0], name);
            }

            // A body of exactly 1024 bytes and an id of 2^32-1 as a changed record are fine.
            const max = new Uint8Array([...payload(4, 3, 2, [0, 7, 0x80, 0x08], []), ...new Uint8Array(1024)]);
            const withChange = new Uint8Array([...max, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 1, 0x09]);
            assert.equal(decoder.tryApply(withChange), 4);
            assert.equal(decoder.current.get(7).length, 1024);
            assert.deepEqual([...decoder.current.get(4294967295)], [0]);

            // Full snapshot again: holds exactly its records. Then a small ring forgets old baselines.
            assert.equal(decoder.tryApply(payload(5, 0, 1, [0, 1, 1, 42])), 5);
            assert.deepEqual([...decoder.current.keys()], [1]);
            const small = new SnapshotDecoder({ ringCapacity: 2 });
            assert.equal(small.tryApply(payload(1, 0, 0)), 1);
            assert.equal(small.tryApply(payload(2, 1, 0)), 2);
            assert.equal(small.tryApply(payload(3, 2, 0)), 3);
            assert.equal(small.tryApply(payload(4, 1, 0)), null, 'tick 1 evicted');
            assert.equal(small.tryApply(payload(4, 2, 0)), 4);
            console.log('ok');
            """;

        Assert.Equal("ok", (await NodeScript.RunAsync(script)).Trim());
    }
}
