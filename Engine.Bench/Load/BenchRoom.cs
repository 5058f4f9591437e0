using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using Engine.Rooms;
using MemoryPack;

namespace Engine.Bench.Load;

/// <summary>
/// The load test's room: <c>Entities</c> entities in motion; each snapshot's state starts with the
/// Stopwatch timestamp of the tick (CLOCK_MONOTONIC, comparable across processes on one machine)
/// so clients can measure tick-to-receive latency. Optionally publishes reliable events each tick.
/// </summary>
public sealed class BenchRoom : Room
{
    public static int Entities { get; set; } = 64;

    public static int EventsPerTick { get; set; }

    public static int EventBytes { get; set; } = 64;

    private BenchState _state = new();
    private byte[] _event = [];

    /// <summary>The room's starting state: <paramref name="entities"/> entities in motion.</summary>
    public static BenchState CreateState(int entities)
    {
        var state = new BenchState { Entities = new BenchEntity[entities] };
        for (int i = 0; i < entities; i++)
        {
            state.Entities[i] = new BenchEntity { Id = i, X = i, Y = i * 2, VelocityX = 1.5f, VelocityY = -0.5f, Health = 100 };
        }

        return state;
    }

    /// <summary>Bytes <see cref="WriteState"/> writes for <paramref name="entities"/> entities (the stamp, then MemoryPack).</summary>
    public static int StateBytes(int entities) => sizeof(long) + MemoryPackSerializer.Serialize(CreateState(entities)).Length;

    public override void OnCreated()
    {
        _state = CreateState(Entities);
        _event = new byte[Math.Max(8, EventBytes)];
    }

    public override void OnTick(TickInfo tick)
    {
        float dt = (float)tick.DeltaTime.TotalSeconds;
        foreach (BenchEntity e in _state.Entities)
        {
            e.X += e.VelocityX * dt;
            e.Y += e.VelocityY * dt;
        }

        for (int i = 0; i < EventsPerTick; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_event, Stopwatch.GetTimestamp());
            Context.PublishEvent(1, _event);
        }
    }

    public override void WriteState(IBufferWriter<byte> writer)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), Stopwatch.GetTimestamp());
        writer.Advance(8);
        MemoryPackSerializer.Serialize(writer, _state);
    }
}

[MemoryPackable]
public sealed partial class BenchState
{
    public BenchEntity[] Entities { get; set; } = [];
}

[MemoryPackable]
public sealed partial class BenchEntity
{
    public int Id { get; set; }

    public float X { get; set; }

    public float Y { get; set; }

    public float VelocityX { get; set; }

    public float VelocityY { get; set; }

    public short Health { get; set; }
}
