using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic.Wire;

public class QuicPacketNumberTests
{
    [Fact]
    public void Decode_RfcAppendixA3Example_RecoversFullNumber() =>
        Assert.Equal(0xa82f9b32L, QuicPacketNumber.Decode(0xa82f30ea, 0x9b32, 2));

    // RFC 9000 Appendix A.2: 0xac5c02 needs 16 bits, 0xace8fe needs 18 bits (3 bytes).
    [Theory]
    [InlineData(0xac5c02L, 0xabe8b3L, 2)]
    [InlineData(0xace8feL, 0xabe8b3L, 3)]
    [InlineData(0L, -1L, 1)]
    [InlineData(127L, -1L, 2)]
    [InlineData(126L, -1L, 1)]
    public void GetEncodedLength_RfcExamples_MatchTheRfc(long packetNumber, long largestAcknowledged, int expected) =>
        Assert.Equal(expected, QuicPacketNumber.GetEncodedLength(packetNumber, largestAcknowledged));

    [Fact]
    public void EncodeThenDecode_WithinTheWindow_RecoversTheNumber()
    {
        Gen.Select(Gen.Long[-1, 1L << 40], Gen.Long[1, 1L << 20], Gen.Long[0, 1L << 20]).Sample((largestAcked, ahead, receivedBehind) =>
        {
            long packetNumber = largestAcked + ahead;
            int length = QuicPacketNumber.GetEncodedLength(packetNumber, largestAcked);
            var buffer = new byte[4];
            var writer = new SpanWriter(buffer);
            QuicPacketNumber.Write(ref writer, packetNumber, length);
            Assert.True(QuicPacketNumber.TryRead(buffer, length, out uint truncated));

            // The receiver has seen anything from the largest acknowledged up to just below the packet.
            long largestReceived = Math.Max(-1, Math.Max(largestAcked, packetNumber - 1 - receivedBehind));
            Assert.Equal(packetNumber, QuicPacketNumber.Decode(largestReceived, truncated, length));
        });
    }

    [Fact]
    public void Decode_NearZeroAndNearMax_StaysInRange()
    {
        Assert.Equal(0xFFL, QuicPacketNumber.Decode(-1, 0xFF, 1));
        Assert.Equal(QuicPacketNumber.MaxValue, QuicPacketNumber.Decode(QuicPacketNumber.MaxValue - 1, 0xFF, 1));
    }

    [Fact]
    public void TryRead_BadLengthOrShortInput_ReturnsFalse()
    {
        Assert.False(QuicPacketNumber.TryRead([1, 2], 3, out _));
        Assert.False(QuicPacketNumber.TryRead([1, 2, 3, 4, 5], 5, out _));
        Assert.False(QuicPacketNumber.TryRead([1], 0, out _));
    }
}
