using Engine.Snapshots;

namespace Engine.Tests.Snapshots;

/// <summary>Payloads a decoder must refuse whole, leaving its state as it was.</summary>
public class SnapshotDecoderTests
{
    // Tick 1, full: entity 5 = [1, 2, 3], entity 9 = [7].
    private static readonly byte[] First = [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 5, 3, 1, 2, 3, 0, 9, 1, 7];

    [Fact]
    public void TryApply_ValidFullThenDelta_BuildsTheFrames()
    {
        SnapshotDecoder decoder = Started();
        // Tick 2 against 1: 5 changed (XOR [0, 0, 1] = zero run 2, literal 1: 1), 9 removed, 300 created.
        Assert.True(decoder.TryApply([2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 5, 2, 1, 1, 2, 9, 0, 0xAC, 0x02, 0], out uint tick));
        Assert.Equal(2u, tick);
        Assert.Equal(2u, decoder.NewestApplied);
        Assert.True(decoder.Current.TryGetBody(5, out ReadOnlySpan<byte> body));
        Assert.Equal(new byte[] { 1, 2, 2 }, body.ToArray());
        Assert.False(decoder.Current.TryGetBody(9, out _));
        Assert.True(decoder.Current.TryGetBody(300, out body));
        Assert.Equal(0, body.Length);
        Assert.True(decoder.TryGetFrame(1, out EntityFrame? first));
        Assert.Equal(2, first.Count);
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "unknown kind", [2, 0, 0, 0, 1, 0, 0, 0, 1, 3, 5] },
        { "delta covers more than the baseline body", [2, 0, 0, 0, 1, 0, 0, 0, 1, 1, 5, 2, 2, 1, 1] },
        { "delta covers less than the baseline body", [2, 0, 0, 0, 1, 0, 0, 0, 1, 1, 5, 1, 0] },
        { "delta for an id not in the baseline", [2, 0, 0, 0, 1, 0, 0, 0, 1, 1, 6, 0, 1, 1] },
        { "removal of an id not in the baseline", [2, 0, 0, 0, 1, 0, 0, 0, 1, 2, 6] },
        { "delta in a full snapshot", [2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 5, 0, 3, 1, 1, 1] },
        { "an id twice", [2, 0, 0, 0, 1, 0, 0, 0, 2, 2, 9, 0, 9, 1, 7] },
        { "trailing bytes", [2, 0, 0, 0, 1, 0, 0, 0, 1, 2, 9, 0] },
        { "more records than bytes", [2, 0, 0, 0, 1, 0, 0, 0, 9, 2, 9] },
        { "body longer than the payload", [2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 4, 5, 1] },
        { "body over 1024 bytes", [2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 4, 0x81, 0x08, .. new byte[1025]] },
        { "baseline not held", [9, 0, 0, 0, 7, 0, 0, 0, 0] },
        { "tick not newer", [1, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "tick zero", [0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "header only", [2, 0, 0, 0, 1, 0, 0, 0] },
        { "empty", [] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryApply_Malformed_ReturnsFalseAndKeepsState(string why, byte[] payload)
    {
        SnapshotDecoder decoder = Started();
        ulong hash = decoder.Hash;
        Assert.False(decoder.TryApply(payload, out uint tick), why);
        Assert.Equal(0u, tick);
        AssertStillFirst(decoder, hash);
    }

    [Fact]
    public void TryApply_EveryTruncationOfAValidPayload_ReturnsFalseAndKeepsState()
    {
        byte[] valid = [2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 5, 2, 1, 1, 2, 9, 0, 0xAC, 0x02, 2, 8, 9];
        for (int length = 0; length < valid.Length; length++)
        {
            SnapshotDecoder decoder = Started();
            ulong hash = decoder.Hash;
            Assert.False(decoder.TryApply(valid.AsSpan(0, length), out _), $"truncated to {length}");
            AssertStillFirst(decoder, hash);
        }

        Assert.True(Started().TryApply(valid, out _));
    }

    [Fact]
    public void TryApply_Duplicate_ReturnsFalse()
    {
        var decoder = new SnapshotDecoder();
        Assert.True(decoder.TryApply(First, out _));
        Assert.False(decoder.TryApply(First, out _));
    }

    private static SnapshotDecoder Started()
    {
        var decoder = new SnapshotDecoder();
        Assert.True(decoder.TryApply(First, out _));
        return decoder;
    }

    private static void AssertStillFirst(SnapshotDecoder decoder, ulong hash)
    {
        Assert.Equal(1u, decoder.NewestApplied);
        Assert.Equal(hash, decoder.Hash);
        Assert.Equal(hash, decoder.Current.ComputeHash());
        Assert.Equal(2, decoder.Current.Count);
        Assert.True(decoder.TryGetFrame(1, out EntityFrame? frame));
        Assert.Same(decoder.Current, frame);
    }
}
