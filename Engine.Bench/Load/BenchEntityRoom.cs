using System.Buffers.Binary;
using System.Diagnostics;
using Engine.Rooms;
using Engine.Snapshots;

namespace Engine.Bench.Load;

/// <summary>
/// The load test's entity room (<c>--mode entities</c>): <c>Entities</c> entities with the demo
/// arena's 14-byte bodies (id i32, x f32, y f32, hue u16), a rotating tenth of them moving each tick
/// (the world of <c>SnapshotEncodeBenchmarks</c>), plus the <b>stamp entity</b> (id
/// <see cref="StampId"/>): the tick's <c>Stopwatch</c> timestamp (i64) and tick number (u32), written
/// in <see cref="WriteEntities"/> just before Engine encodes and fans the frame out, so a client
/// measures tick→apply latency after <see cref="SnapshotDecoder.TryApply"/>. Because the stamp
/// changes every tick it is in every delta. No interest hook: every entity matters to every player.
/// </summary>
public sealed class BenchEntityRoom : Room
{
    /// <summary>The stamp entity's id (the world's entities are 1..N).</summary>
    public const uint StampId = 0;

    /// <summary>Stamp body: i64 Stopwatch timestamp, u32 tick.</summary>
    public const int StampBytes = 12;

    public const int BodyBytes = 14;

    public static int Entities { get; set; } = 64;

    private float[] _x = [];
    private float[] _y = [];
    private readonly byte[] _body = new byte[BodyBytes];
    private uint _tick;

    public override void OnCreated()
    {
        _x = Enumerable.Range(0, Entities).Select(i => 100f + (i * 137 % 600)).ToArray();
        _y = Enumerable.Range(0, Entities).Select(i => 100f + (i * 89 % 300)).ToArray();
    }

    public override void OnTick(TickInfo tick)
    {
        _tick = tick.Number;
        for (int i = 0; i < _x.Length; i++)
        {
            if ((i + tick.Number) % 10 == 0) // 10 % of the entities move each tick
            {
                _x[i] = (_x[i] + 6) % 800;
                _y[i] = (_y[i] + 3) % 500;
            }
        }
    }

    public override void WriteEntities(EntityFrameWriter entities)
    {
        for (int i = 0; i < _x.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_body, i + 1);
            BinaryPrimitives.WriteSingleLittleEndian(_body.AsSpan(4), _x[i]);
            BinaryPrimitives.WriteSingleLittleEndian(_body.AsSpan(8), _y[i]);
            BinaryPrimitives.WriteUInt16LittleEndian(_body.AsSpan(12), (ushort)(i * 47 % 360));
            entities.Add((uint)i + 1, _body);
        }

        Span<byte> stamp = entities.Add(StampId, StampBytes);
        BinaryPrimitives.WriteInt64LittleEndian(stamp, Stopwatch.GetTimestamp());
        BinaryPrimitives.WriteUInt32LittleEndian(stamp[8..], _tick);
    }
}
