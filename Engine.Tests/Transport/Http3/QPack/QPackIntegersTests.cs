using CsCheck;
using Engine.Transport.Http3.QPack;

namespace Engine.Tests.Transport.Http3.QPack;

public class QPackIntegersTests
{
    // RFC 7541 Appendix C.1.
    [Theory]
    [InlineData(10UL, 5, "0a")]
    [InlineData(1337UL, 5, "1f9a0a")]
    [InlineData(42UL, 8, "2a")]
    [InlineData(31UL, 5, "1f00")]
    [InlineData(127UL, 7, "7f00")]
    public void Write_RfcExample_MatchesBytesAndReadsBack(ulong value, int prefixBits, string hex)
    {
        byte[] expected = Convert.FromHexString(hex);
        Assert.Equal(expected.Length, QPackIntegers.GetLength(value, prefixBits));
        byte[] buffer = new byte[QPackIntegers.MaxLength];
        Assert.Equal(expected.Length, QPackIntegers.Write(buffer, value, prefixBits));
        Assert.Equal(expected, buffer.AsSpan(0, expected.Length).ToArray());

        Assert.Equal(QPackReadStatus.Success, QPackIntegers.TryRead(expected, prefixBits, out ulong read, out int consumed));
        Assert.Equal(value, read);
        Assert.Equal(expected.Length, consumed);
    }

    [Fact]
    public void Write_WithFlags_KeepsFlagsAboveThePrefix()
    {
        byte[] buffer = new byte[4];
        QPackIntegers.Write(buffer, 17, 6, 0xC0);
        Assert.Equal(0xD1, buffer[0]);
        Assert.Equal(QPackReadStatus.Success, QPackIntegers.TryRead(buffer, 6, out ulong value, out _));
        Assert.Equal(17UL, value);
    }

    [Fact]
    public void RoundTrip_RandomValuesAndPrefixes_ReadsBackExactly()
    {
        Gen.Select(Gen.ULong[0, QPackIntegers.MaxValue], Gen.Int[1, 8]).Sample((value, prefixBits) =>
        {
            byte[] buffer = new byte[QPackIntegers.MaxLength];
            int length = QPackIntegers.Write(buffer, value, prefixBits);
            Assert.Equal(QPackIntegers.GetLength(value, prefixBits), length);
            Assert.Equal(QPackReadStatus.Success, QPackIntegers.TryRead(buffer.AsSpan(0, length), prefixBits, out ulong read, out int consumed));
            Assert.Equal(value, read);
            Assert.Equal(length, consumed);
        });
    }

    [Fact]
    public void TryRead_EveryTruncation_NeedsMoreData()
    {
        byte[] buffer = new byte[QPackIntegers.MaxLength];
        int length = QPackIntegers.Write(buffer, QPackIntegers.MaxValue, 5);
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(QPackReadStatus.NeedMoreData, QPackIntegers.TryRead(buffer.AsSpan(0, i), 5, out _, out _));
        }
    }

    [Fact]
    public void TryRead_ValueAbove62Bits_IsInvalid()
    {
        // 2^62 with an 8-bit prefix: 255 + (2^62 - 255), one past MaxValue.
        byte[] buffer = new byte[QPackIntegers.MaxLength];
        int length = QPackIntegers.Write(buffer, QPackIntegers.MaxValue, 8);
        Assert.Equal(QPackReadStatus.Success, QPackIntegers.TryRead(buffer.AsSpan(0, length), 8, out _, out _));
        buffer[1]++; // lowest continuation chunk +1; it is not 0x7f because MaxValue - 255 ends in ...0000000
        Assert.Equal(QPackReadStatus.Invalid, QPackIntegers.TryRead(buffer.AsSpan(0, length), 8, out _, out _));

        // A 64-bit-looking value: ten 0xff continuation bytes then 0x01.
        byte[] huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        Assert.Equal(QPackReadStatus.Invalid, QPackIntegers.TryRead(huge, 8, out _, out _));
    }

    [Fact]
    public void TryRead_MoreThanTenContinuationBytes_IsInvalid()
    {
        // Zero chunks with the continuation bit: value stays 0 but the encoding is too long.
        byte[] tenThenEnd = [0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        Assert.Equal(QPackReadStatus.Success, QPackIntegers.TryRead(tenThenEnd, 5, out ulong value, out int consumed));
        Assert.Equal(31UL, value);
        Assert.Equal(11, consumed);

        byte[] elevenContinuations = [0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        Assert.Equal(QPackReadStatus.Invalid, QPackIntegers.TryRead(elevenContinuations, 5, out _, out _));
    }

    [Fact]
    public void Write_AppMisuse_Throws()
    {
        byte[] buffer = new byte[QPackIntegers.MaxLength];
        Assert.Throws<ArgumentOutOfRangeException>(() => QPackIntegers.Write(buffer, QPackIntegers.MaxValue + 1, 5));
        Assert.Throws<ArgumentException>(() => QPackIntegers.Write(buffer, 1, 5, 0x01));
        Assert.Throws<ArgumentException>(() => QPackIntegers.Write(new byte[1], 1337, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => QPackIntegers.GetLength(1, 0));
    }

    [Fact]
    public void WriteString_CompressibleText_UsesHuffmanWithHBit()
    {
        byte[] buffer = new byte[64];
        int length = QPackIntegers.WriteString(buffer, "www.example.com"u8, 7);
        Assert.Equal("8cf1e3c2e5f23a6ba0ab90f4ff", Convert.ToHexStringLower(buffer, 0, length));
        Assert.Equal(length, QPackIntegers.GetStringLength("www.example.com"u8, 7));
    }

    [Fact]
    public void WriteString_IncompressibleBytes_StaysRaw()
    {
        byte[] value = [0x00, 0x01, 0xff];
        byte[] buffer = new byte[64];
        int length = QPackIntegers.WriteString(buffer, value, 3, 0x20);
        Assert.Equal("23" + "0001ff", Convert.ToHexStringLower(buffer, 0, length));
        Assert.Equal(QPackReadStatus.Success, QPackIntegers.TryReadStringHeader(buffer, 3, out bool huffman, out ulong stringLength, out int consumed));
        Assert.False(huffman);
        Assert.Equal(3UL, stringLength);
        Assert.Equal(1, consumed);
    }
}
