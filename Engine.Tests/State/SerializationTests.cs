using Engine.State.Clock;
using Engine.State.Crdt;
using Engine.State.Serialization;
using MemoryPack;

namespace Engine.Tests.State;

public class SerializationTests
{
    private readonly ManualTimeProvider _time = new();

    public static TheoryData<string> Types => new("GCounter", "PNCounter", "LwwRegister", "LwwMap", "OrSet");

    [Theory]
    [MemberData(nameof(Types))]
    public void Decode_EncodedStateAndDelta_RoundTrips(string type)
    {
        switch (type)
        {
            case "GCounter": RoundTrip(new GCounterSpec()); break;
            case "PNCounter": RoundTrip(new PNCounterSpec()); break;
            case "LwwRegister": RoundTrip(new LwwRegisterSpec()); break;
            case "LwwMap": RoundTrip(new LwwMapSpec()); break;
            case "OrSet": RoundTrip(new OrSetSpec()); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Decode_EveryTruncation_ThrowsStateDecodeException(string type)
    {
        switch (type)
        {
            case "GCounter": Truncations(new GCounterSpec()); break;
            case "PNCounter": Truncations(new PNCounterSpec()); break;
            case "LwwRegister": Truncations(new LwwRegisterSpec()); break;
            case "LwwMap": Truncations(new LwwMapSpec()); break;
            case "OrSet": Truncations(new OrSetSpec()); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Decode_RandomAndMutatedBytes_ThrowsOnlyStateDecodeExceptionAndLeavesReplicaIntact(string type)
    {
        switch (type)
        {
            case "GCounter": Garbage(new GCounterSpec()); break;
            case "PNCounter": Garbage(new PNCounterSpec()); break;
            case "LwwRegister": Garbage(new LwwRegisterSpec()); break;
            case "LwwMap": Garbage(new LwwMapSpec()); break;
            case "OrSet": Garbage(new OrSetSpec()); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    [Fact]
    public void Decode_TrailingBytes_Rejected()
    {
        var counter = new GCounter();
        counter.Increment(1, 5);
        byte[] bytes = [.. StateCodec.Encode(counter), 0x00];

        StateDecodeException ex = Assert.Throws<StateDecodeException>(() => StateCodec.Decode<GCounter>(bytes));
        Assert.Contains("1 trailing bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OrSetDotUnseenByItsContext_RejectedWithReason()
    {
        // Build a well-formed encoding of an invalid state: the element's dot is not in the context.
        var forged = new ForgedOrSet { Entries = new() { ["x"] = [new Dot(1, 5)] }, Context = new CausalContext() };
        byte[] bytes = MemoryPackSerializer.Serialize(forged);

        StateDecodeException ex = Assert.Throws<StateDecodeException>(() => StateCodec.Decode<OrSet<string>>(bytes));
        Assert.Contains("OrSet<String>", ex.Message, StringComparison.Ordinal);
        Assert.Contains("has not seen", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NullPayload_Rejected()
    {
        byte[] bytes = MemoryPackSerializer.Serialize<GCounter?>(null);

        Assert.Throws<StateDecodeException>(() => StateCodec.Decode<GCounter>(bytes));
    }

    [Fact]
    public void Encode_HlcTimestamp_IsTwelveBytes()
    {
        var stamp = new HlcTimestamp(1_700_000_000_000, 42, 7);
        byte[] bytes = StateCodec.Encode(stamp);

        Assert.Equal(HlcTimestamp.EncodedSize, bytes.Length);
        Assert.Equal(stamp, StateCodec.Decode<HlcTimestamp>(bytes));
    }

    private (T State, T Delta) Build<T>(CrdtSpec<T> spec, int seed)
        where T : class, IDeltaCrdt<T>, IEquatable<T>
    {
        var random = new Random(seed);
        Replica<T>[] replicas = Script.Replicas(spec, 3, _time);
        for (int i = 0; i < 40; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(random.Next(3)));
            int actor = random.Next(3);
            spec.Mutate(replicas[actor], new ScriptStep(actor, random.Next(8), random.Next(6), random.Next(1_000), 0));
            if (random.Next(5) == 0)
            {
                replicas[actor].State.Merge(replicas[random.Next(3)].State);
            }
        }

        replicas[0].State.TryTakeDelta(out _);
        spec.Mutate(replicas[0], new ScriptStep(0, 1, 2, 3, 0));
        Assert.True(replicas[0].State.TryTakeDelta(out T? delta));
        return (replicas[0].State, delta);
    }

    private void RoundTrip<T>(CrdtSpec<T> spec)
        where T : class, IDeltaCrdt<T>, IEquatable<T>
    {
        for (int seed = 0; seed < 20; seed++)
        {
            (T state, T delta) = Build(spec, seed);
            Assert.Equal(state, StateCodec.Decode<T>(StateCodec.Encode(state)));
            Assert.Equal(delta, StateCodec.Decode<T>(StateCodec.Encode(delta)));

            var writer = new System.Buffers.ArrayBufferWriter<byte>();
            StateCodec.Encode(writer, state);
            Assert.Equal(state, StateCodec.Decode<T>(new System.Buffers.ReadOnlySequence<byte>(writer.WrittenMemory)));
        }
    }

    private void Truncations<T>(CrdtSpec<T> spec)
        where T : class, IDeltaCrdt<T>, IEquatable<T>
    {
        (T state, _) = Build(spec, 1);
        byte[] bytes = StateCodec.Encode(state);
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<StateDecodeException>(() => StateCodec.Decode<T>(bytes.AsSpan(0, length)));
        }
    }

    private void Garbage<T>(CrdtSpec<T> spec)
        where T : class, IDeltaCrdt<T>, IEquatable<T>
    {
        var random = new Random(1234);
        (T replica, T delta) = Build(spec, 2);
        T before = replica.Clone();
        byte[] valid = StateCodec.Encode(delta);
        int rejected = 0;
        for (int i = 0; i < 5_000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])valid.Clone();
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }

            try
            {
                replica.Merge(StateCodec.Decode<T>(bytes));
                before.Merge(StateCodec.Decode<T>(bytes));
            }
            catch (StateDecodeException)
            {
                rejected++;
            }
        }

        // Whatever decoded cleanly was merged into both; a rejected payload touched neither.
        Assert.Equal(before, replica);
        Assert.True(rejected > 2_500, $"only {rejected} of 5000 garbage payloads were rejected");
    }
}

/// <summary>The wire shape of <see cref="OrSet{T}"/>, used to forge an invalid but well-formed payload.</summary>
[MemoryPackable]
public sealed partial class ForgedOrSet
{
    public Dictionary<string, HashSet<Dot>> Entries { get; set; } = [];

    public CausalContext Context { get; set; } = new();
}

public class WireLayoutTests
{
    [Fact]
    public void Encode_GCounter_MatchesDocumentedLayout()
    {
        var counter = new GCounter();
        counter.Increment(5, 7);

        byte[] bytes = StateCodec.Encode(counter);

        // Member count 1; array: int32 length 1, then 12-byte entries (uint32 node 5, uint64 count 7), little-endian.
        Assert.Equal("01" + "01000000" + "05000000" + "0700000000000000", Convert.ToHexString(bytes));
    }

    [Fact]
    public void Encode_LwwMap_MatchesDocumentedLayout()
    {
        var map = new LwwMap<int, int>();
        map.Set(3, 9, new HlcTimestamp(0x0102030405, 6, 7));

        byte[] bytes = StateCodec.Encode(map);

        // int32 count 1; key int32 3; flags 0 (live); packed word (physical << 16 | logical);
        // node id 7; the int32 value 9. All little-endian.
        ulong packed = (0x0102030405UL << 16) | 6;
        string expected = "01000000" + "03000000" + "00" + Convert.ToHexString(BitConverter.GetBytes(packed)) + "07000000" + "09000000";
        Assert.Equal(expected, Convert.ToHexString(bytes));
    }

    [Fact]
    public void Encode_LwwMapTombstone_CarriesNoValue()
    {
        var map = new LwwMap<int, string>();
        map.Remove(3, new HlcTimestamp(1, 0, 2));

        byte[] bytes = StateCodec.Encode(map);

        // Count, key, flags 1 (removed), timestamp; no value.
        Assert.Equal(4 + 4 + 1 + HlcTimestamp.EncodedSize, bytes.Length);
        Assert.Equal(1, bytes[8]);
        Assert.Equal(map, StateCodec.Decode<LwwMap<int, string>>(bytes));
    }

    [Fact]
    public void Decode_LwwMapUndefinedFlag_Rejected()
    {
        var map = new LwwMap<int, int>();
        map.Set(3, 9, new HlcTimestamp(1, 0, 2));
        byte[] bytes = StateCodec.Encode(map);
        bytes[8] = 2;

        StateDecodeException ex = Assert.Throws<StateDecodeException>(() => StateCodec.Decode<LwwMap<int, int>>(bytes));
        Assert.Contains("flags byte 0x02", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_LwwMapDuplicateKey_Rejected()
    {
        var map = new LwwMap<int, int>();
        map.Set(3, 9, new HlcTimestamp(1, 0, 2));
        map.Set(4, 9, new HlcTimestamp(1, 0, 2));
        byte[] bytes = StateCodec.Encode(map);
        bytes[4 + 4 + 1 + 12 + 4] = 3; // the second key becomes 3 as well

        StateDecodeException ex = Assert.Throws<StateDecodeException>(() => StateCodec.Decode<LwwMap<int, int>>(bytes));
        Assert.Contains("key '3' twice", ex.Message, StringComparison.Ordinal);
    }
}
