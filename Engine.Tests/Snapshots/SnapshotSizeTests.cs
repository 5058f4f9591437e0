using System.Buffers;
using System.Buffers.Binary;
using Engine.Snapshots;

namespace Engine.Tests.Snapshots;

/// <summary>The size target: for the demo's dots with 10 % moving per tick, a delta is at most 20 % of a full snapshot.</summary>
public class SnapshotSizeTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(64)]
    [InlineData(512)]
    public void Encode_DemoDots10PercentMoving_DeltaIsAtMostOneFifthOfFull(int entities)
    {
        float[] x = Enumerable.Range(0, entities).Select(i => 100f + (i * 137 % 600)).ToArray();
        float[] y = Enumerable.Range(0, entities).Select(i => 100f + (i * 89 % 300)).ToArray();
        var writer = new EntityFrameWriter();
        var acked = new SnapshotEncoder();
        var neverAcked = new SnapshotEncoder();
        var decoder = new SnapshotDecoder();
        var buffer = new ArrayBufferWriter<byte>();
        byte[] body = new byte[14];
        long delta = 0, full = 0;
        for (uint tick = 1; tick <= 100; tick++)
        {
            writer.Reset();
            for (int i = 0; i < entities; i++)
            {
                if ((i + tick) % 10 == 0)
                {
                    x[i] = (x[i] + 6) % 800;
                    y[i] = (y[i] + 3) % 500;
                }

                BinaryPrimitives.WriteInt32LittleEndian(body, i + 1);
                BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(4), x[i]);
                BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(8), y[i]);
                BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(12), (ushort)(i * 47 % 360));
                writer.Add((uint)i + 1, body);
            }

            EntityFrame frame = writer.Complete();
            buffer.ResetWrittenCount();
            SnapshotEncodeResult result = acked.Encode(frame, tick, SnapshotBudget.Unlimited, null, buffer);
            Assert.True(decoder.TryApply(buffer.WrittenSpan, out _));
            acked.Acknowledge(decoder.NewestApplied);
            buffer.ResetWrittenCount();
            SnapshotEncodeResult fullResult = neverAcked.Encode(frame, tick, SnapshotBudget.Unlimited, null, buffer);
            if (tick > 1)
            {
                delta += result.Bytes;
                full += fullResult.Bytes;
            }
        }

        output.WriteLine($"{entities} entities, 10 % moving: full {full / 99} B, delta {delta / 99} B per player per tick ({100.0 * delta / full:F1} %)");
        Assert.True(delta * 5 <= full, $"delta {delta / 99} B vs full {full / 99} B per tick");
    }
}
