using CsCheck;
using Engine.Snapshots;

namespace Engine.Tests.Snapshots;

/// <summary>
/// The codec's central promise: whatever the network does to snapshots and acks (loss up to 30 %,
/// duplication, reordering, late acks), every snapshot the client applies reproduces the server's
/// state at that tick byte for byte.
/// </summary>
public class SnapshotRoundTripTests
{
    [Fact]
    public void TryApply_LossyDuplicatingReorderingLinks_EveryAppliedFrameEqualsTheServerFrame()
    {
        int applied = 0, deltas = 0;
        Gen.Select(Gen.Int[0, 300], Gen.Int[60, 200], Gen.Double[0, 0.3], Gen.Int).Sample((entities, ticks, loss, seed) =>
        {
            var random = new Random(seed);
            var world = new RandomWorld(random, entities);
            var encoder = new SnapshotEncoder();
            var decoder = new SnapshotDecoder();
            var snapshots = new LossyLink<byte[]>(random, loss);
            var acks = new LossyLink<uint>(random, loss, maxDelay: 5);
            var server = new Dictionary<uint, EntityFrame>();
            for (int tick = 1; tick <= ticks; tick++)
            {
                world.Step(changeRate: 0.2, churnRate: 0.02);
                EntityFrame frame = world.Build();
                server[(uint)tick] = RandomWorld.Copy(frame);
                foreach (uint ack in acks.Receive(tick))
                {
                    encoder.Acknowledge(ack);
                }

                byte[] payload = SnapshotAssert.Encode(encoder, frame, (uint)tick, SnapshotBudget.Unlimited, null, out SnapshotEncodeResult result);
                deltas += result.IsFull ? 0 : 1;
                Assert.Equal(0, result.RecordsDeferred);
                snapshots.Send(tick, payload);
                foreach (byte[] received in snapshots.Receive(tick))
                {
                    uint before = decoder.NewestApplied;
                    if (decoder.TryApply(received, out uint appliedTick))
                    {
                        applied++;
                        SnapshotAssert.Equal(server[appliedTick], decoder.Current, $"tick {appliedTick}");
                        Assert.Equal(server[appliedTick].ComputeHash(), decoder.Hash);
                        acks.Send(tick, decoder.NewestApplied);
                    }
                    else
                    {
                        Assert.Equal(before, decoder.NewestApplied);
                    }
                }
            }
        }, iter: 60, seed: "0N0XIzFqnHm2");
        Assert.True(applied > 1000 && deltas > 1000, $"applied {applied}, deltas {deltas}: the run must exercise deltas");
    }

    [Fact]
    public void Encode_AcksLost_DeltasGrowButStayCorrect()
    {
        var random = new Random(7);
        var world = new RandomWorld(random, 64, maxBody: 14);
        var everyAck = (Encoder: new SnapshotEncoder(), Decoder: new SnapshotDecoder(), Bytes: 0L);
        var fewAcks = (Encoder: new SnapshotEncoder(), Decoder: new SnapshotDecoder(), Bytes: 0L);
        for (uint tick = 1; tick <= 100; tick++)
        {
            world.Step(changeRate: 0.1, churnRate: 0);
            EntityFrame frame = world.Build();
            everyAck.Bytes += Deliver(everyAck.Encoder, everyAck.Decoder, frame, tick, acknowledge: true);
            fewAcks.Bytes += Deliver(fewAcks.Encoder, fewAcks.Decoder, frame, tick, acknowledge: tick % 10 == 0);
        }

        Assert.True(fewAcks.Bytes > everyAck.Bytes * 1.5, $"every ack: {everyAck.Bytes} B, one ack in ten: {fewAcks.Bytes} B");
    }

    [Fact]
    public void Encode_AcknowledgedBaselineLeftTheRing_SendsFullSnapshotTheClientApplies()
    {
        var random = new Random(3);
        var world = new RandomWorld(random, 20);
        var encoder = new SnapshotEncoder(ringCapacity: 4);
        var decoder = new SnapshotDecoder(ringCapacity: 4);
        world.Step(0.5, 0);
        Assert.True(decoder.TryApply(SnapshotAssert.Encode(encoder, world.Build(), 1, SnapshotBudget.Unlimited, null, out _), out _));
        encoder.Acknowledge(1);
        for (uint tick = 2; tick <= 7; tick++)
        {
            world.Step(0.5, 0.1);
            EntityFrame frame = world.Build();
            byte[] payload = SnapshotAssert.Encode(encoder, frame, tick, SnapshotBudget.Unlimited, null, out SnapshotEncodeResult result);
            Assert.Equal(tick <= 5 ? 1u : 0u, result.BaselineTick); // tick 1 is evicted when tick 5 is stored
            Assert.True(decoder.TryApply(payload, out _));
            SnapshotAssert.Equal(frame, decoder.Current, $"tick {tick}");
        }
    }

    [Fact]
    public void Acknowledge_OlderOrUnknownTick_IsIgnored()
    {
        var encoder = new SnapshotEncoder();
        var world = new RandomWorld(new Random(1), 5);
        for (uint tick = 1; tick <= 3; tick++)
        {
            SnapshotAssert.Encode(encoder, world.Build(), tick, SnapshotBudget.Unlimited, null, out _);
        }

        encoder.Acknowledge(2);
        encoder.Acknowledge(1);
        encoder.Acknowledge(9);
        Assert.Equal(2u, encoder.AcknowledgedTick);
    }

    private static int Deliver(SnapshotEncoder encoder, SnapshotDecoder decoder, EntityFrame frame, uint tick, bool acknowledge)
    {
        byte[] payload = SnapshotAssert.Encode(encoder, frame, tick, SnapshotBudget.Unlimited, null, out _);
        Assert.True(decoder.TryApply(payload, out _));
        SnapshotAssert.Equal(frame, decoder.Current, $"tick {tick}");
        if (acknowledge)
        {
            encoder.Acknowledge(decoder.NewestApplied);
        }

        return payload.Length;
    }
}
