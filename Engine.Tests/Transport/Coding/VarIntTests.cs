using Engine.Tests.Transport.Quic.Wire;
using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Coding;

public class VarIntTests
{
    // RFC 9000 Appendix A.1 / §16 sample encodings.
    [Theory]
    [InlineData("C2197C5EFF14E88C", 151_288_809_941_952_652UL)]
    [InlineData("9D7F3E7D", 494_878_333UL)]
    [InlineData("7BBD", 15_293UL)]
    [InlineData("25", 37UL)]
    public void TryRead_RfcExamples_DecodeToTheRfcValues(string hex, ulong expected)
    {
        byte[] encoded = Convert.FromHexString(hex);

        Assert.True(VarInt.TryRead(encoded, out ulong value, out int consumed));

        Assert.Equal(expected, value);
        Assert.Equal(encoded.Length, consumed);
    }

    [Theory]
    [InlineData("C2197C5EFF14E88C", 151_288_809_941_952_652UL)]
    [InlineData("9D7F3E7D", 494_878_333UL)]
    [InlineData("7BBD", 15_293UL)]
    [InlineData("25", 37UL)]
    public void Write_RfcExamples_ProduceTheRfcBytes(string hex, ulong value)
    {
        var buffer = new byte[8];

        int written = VarInt.Write(buffer, value);

        Assert.Equal(hex, Convert.ToHexString(buffer, 0, written));
        Assert.Equal(written, VarInt.GetLength(value));
    }

    [Theory]
    [InlineData("4025")]
    [InlineData("80000025")]
    [InlineData("C000000000000025")]
    public void TryRead_NonMinimalEncoding_IsAccepted(string hex)
    {
        Assert.True(VarInt.TryRead(Convert.FromHexString(hex), out ulong value, out int consumed));

        Assert.Equal(37UL, value);
        Assert.Equal(hex.Length / 2, consumed);
    }

    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(63UL, 1)]
    [InlineData(64UL, 2)]
    [InlineData(16_383UL, 2)]
    [InlineData(16_384UL, 4)]
    [InlineData((1UL << 30) - 1, 4)]
    [InlineData(1UL << 30, 8)]
    [InlineData(VarInt.MaxValue, 8)]
    public void GetLength_Boundaries_ReturnTheShortestLength(ulong value, int expected) =>
        Assert.Equal(expected, VarInt.GetLength(value));

    [Fact]
    public void GetLengthAndWrite_Above2Pow62_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VarInt.GetLength(VarInt.MaxValue + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => VarInt.Write(new byte[8], ulong.MaxValue));
    }

    [Fact]
    public void WriteWithLength_ValueTooLargeForLength_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => VarInt.WriteWithLength(new byte[8], 64, 1));

    [Fact]
    public void TryRead_Truncated_ReturnsFalse()
    {
        Assert.False(VarInt.TryRead([], out _, out _));
        Assert.False(VarInt.TryRead([0x40], out _, out _));
        Assert.False(VarInt.TryRead([0x80, 0, 0], out _, out _));
        Assert.False(VarInt.TryRead([0xC0, 0, 0, 0, 0, 0, 0], out _, out _));
    }

    [Fact]
    public void Write_RandomValue_ReadsBackEqual()
    {
        Gen.Select(WireGen.Varint, Gen.Int[0, 3]).Sample((value, lengthChoice) =>
        {
            var buffer = new byte[8];
            int written = VarInt.Write(buffer, value);
            Assert.True(VarInt.TryRead(buffer, out ulong read, out int consumed));
            Assert.Equal(value, read);
            Assert.Equal(written, consumed);

            // Any length at least the minimal one decodes to the same value.
            int length = Math.Max(1 << lengthChoice, written);
            VarInt.WriteWithLength(buffer, value, length);
            Assert.True(VarInt.TryRead(buffer, out read, out consumed));
            Assert.Equal(value, read);
            Assert.Equal(length, consumed);
        });
    }
}
