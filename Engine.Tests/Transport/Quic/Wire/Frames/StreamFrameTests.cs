using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class StreamFrameTests
{
    [Fact]
    public void Write_RandomFields_ReadsBackEqualAndLengthMatches()
    {
        var offsets = Gen.OneOf(Gen.Const(0UL), Gen.ULong[1, VarInt.MaxValue - 2000]);
        Gen.Select(WireGen.Varint, offsets, WireGen.Bytes(0, 1200), Gen.Bool, Gen.Bool).Sample((streamId, offset, data, fin, hasLength) =>
        {
            var frame = new StreamFrame(streamId, offset, data, fin, hasLength);
            byte[] encoded = WireAssert.Encode(frame);

            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, StreamFrame.TryRead(ref reader, out StreamFrame read));
            Assert.Equal(streamId, read.StreamId);
            Assert.Equal(offset, read.Offset);
            Assert.Equal(data, read.Data.ToArray());
            Assert.Equal(fin, read.Fin);
            Assert.Equal(hasLength, read.HasLength);
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Theory]
    [InlineData(0UL, false, false, 0x08)]
    [InlineData(0UL, false, true, 0x09)]
    [InlineData(0UL, true, false, 0x0a)]
    [InlineData(5UL, false, false, 0x0c)]
    [InlineData(5UL, true, true, 0x0f)]
    public void Write_Flags_SetOffLenFinBits(ulong offset, bool hasLength, bool fin, byte expectedType)
    {
        var frame = new StreamFrame(4, offset, [1], fin, hasLength);

        byte[] encoded = WireAssert.Encode(frame);

        Assert.Equal(expectedType, encoded[0]);
    }

    [Fact]
    public void TryRead_OffsetPlusLengthBeyond2Pow62_ReturnsFrameEncodingError()
    {
        var buffer = new byte[32];
        var writer = new SpanWriter(buffer);
        writer.WriteByte(0x0e);
        writer.WriteVarint(0);
        writer.WriteVarint(VarInt.MaxValue);
        writer.WriteVarint(1);
        writer.WriteByte(0xAA);
        var reader = new SpanReader(writer.Written);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, StreamFrame.TryRead(ref reader, out _));
    }

    [Fact]
    public void TryRead_OffsetAtLimitWithNoData_IsAccepted()
    {
        var frame = new StreamFrame(0, VarInt.MaxValue, [], fin: true);
        byte[] encoded = WireAssert.Encode(frame);

        WireAssert.ReadsCompletely(encoded, (ref SpanReader r) => StreamFrame.TryRead(ref r, out _));
    }

    [Fact]
    public void TryRead_EveryTruncationWithLength_ReturnsFrameEncodingError()
    {
        var frame = new StreamFrame(8, 70_000, [1, 2, 3], fin: true);
        byte[] encoded = WireAssert.Encode(frame);

        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => StreamFrame.TryRead(ref r, out _));
    }
}
