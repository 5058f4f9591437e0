using CsCheck;
using Engine.Snapshots;

namespace Engine.Tests.Snapshots;

/// <summary>The two byte-level helpers: LEB128 varints and the XOR zero-run delta of a changed body.</summary>
public class SnapshotCodingTests
{
    [Theory]
    [InlineData(0u, new byte[] { 0x00 })]
    [InlineData(127u, new byte[] { 0x7F })]
    [InlineData(128u, new byte[] { 0x80, 0x01 })]
    [InlineData(300u, new byte[] { 0xAC, 0x02 })]
    [InlineData(uint.MaxValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void Leb128Write_KnownValues_MatchesTheDocumentedBytes(uint value, byte[] expected)
    {
        byte[] buffer = new byte[Leb128.MaxLength];
        int written = Leb128.Write(buffer, value);
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Leb128.Size(value));
    }

    [Fact]
    public void Leb128_AnyValue_RoundTrips() =>
        Gen.UInt.Sample(value =>
        {
            byte[] buffer = new byte[Leb128.MaxLength + 1];
            int written = Leb128.Write(buffer, value);
            int position = 0;
            return Leb128.TryRead(buffer, ref position, out uint read) && read == value && position == written && written == Leb128.Size(value);
        });

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x80 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x10 })]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 })]
    public void Leb128TryRead_TruncatedTooLongOrOverflowing_ReturnsFalseAndKeepsPosition(byte[] bytes)
    {
        int position = 0;
        Assert.False(Leb128.TryRead(bytes, ref position, out _));
        Assert.Equal(0, position);
    }

    [Fact]
    public void XorDelta_AnyEqualLengthBodies_RoundTripsAndMeasuresItsOwnLength() =>
        Gen.Select(Gen.Byte.Array[0, 200], Gen.Int[0, 5], Gen.Int).Sample((baseline, changes, seed) =>
        {
            var random = new Random(seed);
            byte[] current = (byte[])baseline.Clone();
            for (int i = 0; i < changes && current.Length > 0; i++)
            {
                int start = random.Next(current.Length);
                for (int k = start; k < Math.Min(current.Length, start + random.Next(1, 6)); k++)
                {
                    current[k] = (byte)random.Next(256);
                }
            }

            return RoundTrips(baseline, current);
        });

    [Fact]
    public void XorDeltaEncode_AllEqual_IsOneZeroRun()
    {
        byte[] body = [1, 2, 3, 4, 5];
        Assert.Equal(new byte[] { 5, 0 }, Encode(body, body));
        Assert.True(RoundTrips(body, body));
    }

    [Fact]
    public void XorDeltaEncode_AllDifferent_IsOneLiteral()
    {
        byte[] baseline = [1, 2, 3], current = [0, 0, 0];
        Assert.Equal(new byte[] { 0, 3, 1, 2, 3 }, Encode(baseline, current));
        Assert.True(RoundTrips(baseline, current));
    }

    [Fact]
    public void XorDeltaEncode_ChangesAtBothEdges_TwoPairsCoverTheBody()
    {
        byte[] baseline = new byte[10], current = new byte[10];
        current[0] = 0xAA;
        current[9] = 0x55;
        Assert.Equal(new byte[] { 0, 1, 0xAA, 8, 1, 0x55 }, Encode(baseline, current));
        Assert.True(RoundTrips(baseline, current));
    }

    [Fact]
    public void XorDeltaEncode_ShortEqualGapInsideChanges_StaysInTheLiteral()
    {
        byte[] baseline = new byte[6], current = [0, 1, 0, 0, 1, 0];
        Assert.Equal(new byte[] { 1, 4, 1, 0, 0, 1, 1, 0 }, Encode(baseline, current));
        Assert.True(RoundTrips(baseline, current));
    }

    [Fact]
    public void XorDeltaEncode_EmptyBody_IsNoPairs() => Assert.Empty(Encode([], []));

    [Theory]
    [InlineData(new byte[] { 0, 0 }, 4)] // a pair covering nothing
    [InlineData(new byte[] { 3, 2, 1, 1 }, 4)] // covers 5 of 4
    [InlineData(new byte[] { 1, 3, 9 }, 4)] // literal truncated
    [InlineData(new byte[] { 2 }, 4)] // pair truncated
    [InlineData(new byte[] { 2, 0 }, 4)] // covers 2 of 4, then ends
    public void XorDeltaTryMeasure_Malformed_ReturnsFalse(byte[] delta, int length) =>
        Assert.False(XorDelta.TryMeasure(delta, length, out _));

    private static byte[] Encode(byte[] baseline, byte[] current)
    {
        byte[] buffer = new byte[XorDelta.MaxEncodedLength(current.Length)];
        return buffer[..XorDelta.Encode(baseline, current, buffer)];
    }

    private static bool RoundTrips(byte[] baseline, byte[] current)
    {
        byte[] delta = Encode(baseline, current);
        byte[] padded = [.. delta, 0xEE]; // trailing bytes belong to the next record
        byte[] rebuilt = new byte[baseline.Length];
        if (!XorDelta.TryMeasure(padded, baseline.Length, out int consumed) || consumed != delta.Length)
        {
            return false;
        }

        XorDelta.Apply(delta, baseline, rebuilt);
        return rebuilt.AsSpan().SequenceEqual(current);
    }
}
