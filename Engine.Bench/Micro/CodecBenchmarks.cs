using System.Buffers;
using BenchmarkDotNet.Attributes;
using Engine.State.Clock;
using Engine.State.Crdt;
using Engine.State.Serialization;
using MemoryPack;

namespace Engine.Bench.Micro;

/// <summary>
/// Encoding and decoding a 64-entity room snapshot (an LwwMap) and a delta of 8 changed entities,
/// beside MemoryPack on a bare 64-entity array: the ratio is the cost of the CRDT metadata.
/// </summary>
public class CodecBenchmarks
{
    private readonly ArrayBufferWriter<byte> _writer = new(16 * 1024);
    private EntityState[] _array = [];
    private LwwMap<int, EntityState> _snapshot = new();
    private LwwMap<int, EntityState> _delta = new();
    private byte[] _arrayBytes = [];
    private byte[] _snapshotBytes = [];
    private byte[] _deltaBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var clock = new HybridLogicalClock(1);
        _array = new EntityState[64];
        _snapshot = new LwwMap<int, EntityState>();
        for (int i = 0; i < 64; i++)
        {
            _array[i] = new EntityState(i * 1.5f, i * -2f, 0.5f, 0.25f, i, 100, 1);
            _snapshot.Set(i, _array[i], clock);
        }

        _snapshot.TryTakeDelta(out _);
        for (int i = 0; i < 8; i++)
        {
            _snapshot.Set(i * 8, _array[i] with { Health = 50 }, clock);
        }

        _snapshot.TryTakeDelta(out LwwMap<int, EntityState>? delta);
        _delta = delta!;
        _arrayBytes = MemoryPackSerializer.Serialize(_array);
        _snapshotBytes = StateCodec.Encode(_snapshot);
        _deltaBytes = StateCodec.Encode(_delta);
    }

    [Benchmark(Baseline = true)]
    public int EncodeArray64()
    {
        _writer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_writer, _array);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int EncodeSnapshot64()
    {
        _writer.ResetWrittenCount();
        StateCodec.Encode(_writer, _snapshot);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int EncodeDelta8()
    {
        _writer.ResetWrittenCount();
        StateCodec.Encode(_writer, _delta);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int DecodeArray64() => MemoryPackSerializer.Deserialize<EntityState[]>(_arrayBytes)!.Length;

    [Benchmark]
    public int DecodeSnapshot64() => StateCodec.Decode<LwwMap<int, EntityState>>(_snapshotBytes).Count;

    [Benchmark]
    public int DecodeDelta8() => StateCodec.Decode<LwwMap<int, EntityState>>(_deltaBytes).Count;
}
