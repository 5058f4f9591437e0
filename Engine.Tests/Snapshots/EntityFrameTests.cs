using System.Buffers;
using Engine.Snapshots;

namespace Engine.Tests.Snapshots;

/// <summary>Building frames, and the codec's promise of no allocation per player per tick once warm.</summary>
public class EntityFrameTests
{
    [Fact]
    public void Complete_IdsAddedOutOfOrder_SortsByIdWithTheirBodies()
    {
        var writer = new EntityFrameWriter();
        writer.Add(30, [3]);
        writer.Add(10, [1, 1]);
        writer.Add(20, []);
        EntityFrame frame = writer.Complete();
        Assert.Equal([10u, 20u, 30u], Enumerable.Range(0, frame.Count).Select(frame.GetId));
        Assert.Equal(new byte[] { 1, 1 }, frame.GetBody(0).ToArray());
        Assert.Equal(new byte[] { 3 }, frame.GetBody(2).ToArray());
        Assert.True(frame.IndexOf(15) < 0);
    }

    [Fact]
    public void Complete_IdAddedTwice_Throws()
    {
        var writer = new EntityFrameWriter();
        writer.Add(2, [1]);
        writer.Add(1, [1]);
        writer.Add(2, [1]);
        Assert.Throws<InvalidOperationException>(() => writer.Complete());
        writer.Reset();
        writer.Add(1, [1]);
        Assert.Throws<ArgumentException>(() => writer.Add(1, [2]));
    }

    [Fact]
    public void Add_BodyOver1024Bytes_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new EntityFrameWriter().Add(1, new byte[EntityFrame.MaxBodyLength + 1]));

    [Fact]
    public void EncodeAndDecode_SteadyState_AllocateNothing()
    {
        var writer = new EntityFrameWriter();
        var encoders = Enumerable.Range(0, 4).Select(_ => new SnapshotEncoder()).ToArray();
        var decoder = new SnapshotDecoder();
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        byte[] body = new byte[14];
        var interest = new EveryOther();
        long allocated = 0;
        for (uint tick = 1; tick <= 200; tick++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            writer.Reset();
            for (uint id = 1; id <= 256; id++)
            {
                body[0] = (byte)id;
                body[5] = (byte)(id % 10 == tick % 10 ? tick : 0); // 10 % move each tick
                writer.Add(id * 7 % 257, body);
            }

            EntityFrame frame = writer.Complete();
            foreach (SnapshotEncoder encoder in encoders)
            {
                output.ResetWrittenCount();
                encoder.Encode(frame, tick, new SnapshotBudget(1200), tick % 2 == 0 ? interest : null, output);
                encoder.Acknowledge(tick - 1);
            }

            Assert.True(decoder.TryApply(output.WrittenSpan, out _));
            if (tick > 100)
            {
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        Assert.Equal(0, allocated);
    }

    private sealed class EveryOther : IInterest
    {
        public bool TryGetPriority(uint entityId, out float priority)
        {
            priority = entityId % 4;
            return entityId % 2 == 0;
        }
    }
}
