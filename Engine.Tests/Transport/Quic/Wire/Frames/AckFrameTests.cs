using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class AckFrameTests
{
    // Ranges built downward from a random largest: random lengths and gaps of at least one packet.
    private static readonly Gen<AckRange[]> s_ranges =
        Gen.Select(Gen.ULong[1000, VarInt.MaxValue], Gen.Select(Gen.ULong[0, 300], Gen.ULong[0, 300]).Array[0, 30], Gen.ULong[0, 50])
            .Select((largest, gapsAndLengths, firstLength) =>
            {
                var ranges = new List<AckRange> { new(largest - firstLength, largest) };
                foreach ((ulong gap, ulong length) in gapsAndLengths)
                {
                    ulong smallest = ranges[^1].Smallest;
                    if (smallest < gap + 2 + length)
                    {
                        break;
                    }

                    ulong rangeLargest = smallest - gap - 2;
                    ranges.Add(new AckRange(rangeLargest - length, rangeLargest));
                }

                return ranges.ToArray();
            });

    private static readonly Gen<EcnCounts?> s_ecn = Gen.OneOf(
        Gen.Const((EcnCounts?)null),
        Gen.Select(WireGen.Varint, WireGen.Varint, WireGen.Varint).Select((a, b, c) => (EcnCounts?)new EcnCounts(a, b, c)));

    [Fact]
    public void Write_RandomRanges_ReadsBackTheSameRangesAndLengthMatches()
    {
        Gen.Select(s_ranges, WireGen.Varint, s_ecn).Sample((ranges, ackDelay, ecn) =>
        {
            int length = AckFrame.GetLength(ranges, ackDelay, ecn);
            var buffer = new byte[length];
            var writer = new SpanWriter(buffer);
            AckFrame.Write(ref writer, ranges, ackDelay, ecn);
            Assert.Equal(length, writer.Position);

            var reader = new SpanReader(buffer);
            Assert.Equal(QuicTransportErrorCode.NoError, AckFrame.TryRead(ref reader, out AckFrame frame));
            Assert.Equal(0, reader.Remaining);
            Assert.Equal(ranges[0].Largest, frame.LargestAcknowledged);
            Assert.Equal(ackDelay, frame.AckDelay);
            Assert.Equal(ecn, frame.EcnCounts);
            var read = new List<AckRange>();
            foreach (AckRange range in frame.GetRanges())
            {
                read.Add(range);
            }

            Assert.Equal(ranges, read);
            Assert.Equal(buffer, WireAssert.Encode(frame));
        });
    }

    [Fact]
    public void TryRead_KnownEncoding_DecodesRangesAndEcn()
    {
        // Largest 100, delay 5, one extra range, first range 2 (98..100), gap 1 length 3: 92..95.
        byte[] encoded = [0x03, 0x40, 0x64, 0x05, 0x01, 0x02, 0x01, 0x03, 0x01, 0x02, 0x03];
        var reader = new SpanReader(encoded);

        Assert.Equal(QuicTransportErrorCode.NoError, AckFrame.TryRead(ref reader, out AckFrame frame));

        AckRangeEnumerator ranges = frame.GetRanges();
        Assert.True(ranges.MoveNext());
        Assert.Equal(new AckRange(98, 100), ranges.Current);
        Assert.True(ranges.MoveNext());
        Assert.Equal(new AckRange(92, 95), ranges.Current);
        Assert.False(ranges.MoveNext());
        Assert.Equal(new EcnCounts(1, 2, 3), frame.EcnCounts);
    }

    [Theory]
    [InlineData(new byte[] { 0x02, 0x05, 0x00, 0x00, 0x06 })]             // first range below 0
    [InlineData(new byte[] { 0x02, 0x05, 0x00, 0x01, 0x01, 0x03, 0x00 })] // gap reaches below 0
    [InlineData(new byte[] { 0x02, 0x0a, 0x00, 0x01, 0x01, 0x00, 0x08 })] // second range below 0
    [InlineData(new byte[] { 0x02, 0x0a, 0x00, 0x3f, 0x01, 0x00, 0x00 })] // more ranges than bytes
    public void TryRead_RangeBelowZeroOrTooMany_ReturnsFrameEncodingError(byte[] encoded)
    {
        var reader = new SpanReader(encoded);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, AckFrame.TryRead(ref reader, out _));
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        AckRange[] ranges = [new(90, 100), new(50, 80), new(0, 10)];
        var buffer = new byte[AckFrame.GetLength(ranges, 25, new EcnCounts(1, 2, 3))];
        var writer = new SpanWriter(buffer);
        AckFrame.Write(ref writer, ranges, 25, new EcnCounts(1, 2, 3));

        WireAssert.AllTruncationsRejected(buffer, (ref SpanReader r) => AckFrame.TryRead(ref r, out _));
    }

    [Fact]
    public void Write_AdjacentRanges_Throws()
    {
        AckRange[] adjacent = [new(10, 20), new(5, 9)];

        Assert.Throws<ArgumentException>(() => AckFrame.GetLength(adjacent, 0, null));
    }
}
