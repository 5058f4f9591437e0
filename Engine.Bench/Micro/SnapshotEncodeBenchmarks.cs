using System.Buffers;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Engine.Snapshots;

namespace Engine.Bench.Micro;

/// <summary>
/// One room tick of snapshot encoding for 100 players: the demo arena's entity bodies (id i32,
/// x f32, y f32, hue u16: 14 bytes), 10 % of entities moving each tick. Delta: every player
/// acknowledged the previous tick (the steady state); Full: no player ever acknowledges, so every
/// payload is against the empty state. One operation is one player's snapshot (the world update
/// and frame build are included, amortised over the 100 players). Steady state must allocate 0 B.
/// </summary>
[MemoryDiagnoser]
public class SnapshotEncodeBenchmarks
{
    private const int Players = 100;

    private readonly EntityFrameWriter _writer = new();
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private readonly byte[] _body = new byte[DemoWorld.BodyBytes];
    private SnapshotEncoder[] _encoders = [];
    private DemoWorld _world = new(0);
    private uint _tick;

    [Params(64, 512)]
    public int Entities { get; set; }

    [Params(false, true)]
    public bool Delta { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _world = new DemoWorld(Entities);
        _encoders = Enumerable.Range(0, Players).Select(_ => new SnapshotEncoder()).ToArray();
        _tick = 0;
        long bytes = 0;
        for (int i = 0; i < 100; i++)
        {
            bytes = EncodeTick();
        }

        Console.WriteLine($"// {Entities} entities, {(Delta ? "delta" : "full")}: {bytes / Players} bytes per player per tick");
    }

    [Benchmark(OperationsPerInvoke = Players)]
    public long EncodeTick()
    {
        _tick++;
        EntityFrame frame = _world.Step(_writer, _body, _tick);
        long bytes = 0;
        foreach (SnapshotEncoder encoder in _encoders)
        {
            _output.ResetWrittenCount();
            bytes += encoder.Encode(frame, _tick, SnapshotBudget.Unlimited, null, _output).Bytes;
            if (Delta)
            {
                encoder.Acknowledge(_tick);
            }
        }

        return bytes;
    }
}

/// <summary>The demo arena's dots as entities: each tick every tenth entity (a rotating tenth) moves 6 units.</summary>
public sealed class DemoWorld(int entities)
{
    public const int BodyBytes = 14;

    private readonly float[] _x = Enumerable.Range(0, entities).Select(i => 100f + (i * 137 % 600)).ToArray();
    private readonly float[] _y = Enumerable.Range(0, entities).Select(i => 100f + (i * 89 % 300)).ToArray();

    public EntityFrame Step(EntityFrameWriter writer, byte[] body, uint tick)
    {
        writer.Reset();
        for (int i = 0; i < _x.Length; i++)
        {
            if ((i + tick) % 10 == 0)
            {
                _x[i] = (_x[i] + 6) % 800;
                _y[i] = (_y[i] + 3) % 500;
            }

            BinaryPrimitives.WriteInt32LittleEndian(body, i + 1);
            BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(4), _x[i]);
            BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(8), _y[i]);
            BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(12), (ushort)(i * 47 % 360));
            writer.Add((uint)i + 1, body);
        }

        return writer.Complete();
    }
}
