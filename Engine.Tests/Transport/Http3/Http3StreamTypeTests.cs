using Engine.Transport.Coding;
using Engine.Transport.Http3;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Http3;

public class Http3StreamTypeTests
{
    [Theory]
    [InlineData((ulong)Http3StreamType.Control, "00")]
    [InlineData((ulong)Http3StreamType.Push, "01")]
    [InlineData((ulong)Http3StreamType.QPackEncoder, "02")]
    [InlineData((ulong)Http3StreamType.QPackDecoder, "03")]
    [InlineData((ulong)Http3StreamType.WebTransportUni, "4054")]
    public void Write_KnownType_ProducesShortestVarintAndReadsBack(ulong value, string hex)
    {
        var type = (Http3StreamType)value;
        var buffer = new byte[8];
        var writer = new SpanWriter(buffer);
        Http3StreamTypes.Write(ref writer, type);
        Assert.Equal(hex, Convert.ToHexString(writer.Written));
        Assert.Equal(writer.Position, Http3StreamTypes.GetLength(type));

        Assert.Equal(Http3ReadStatus.Done, Http3StreamTypes.TryRead(buffer.AsSpan(0, writer.Position), out ulong read, out int consumed));
        Assert.Equal((ulong)type, read);
        Assert.Equal(writer.Position, consumed);
        Assert.True(Http3StreamTypes.IsKnown(read));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void TryRead_GreaseTypeOfAnyWidth_IsUnknownAndEveryPrefixNeedsMoreData(int width)
    {
        ulong grease = width switch { 1 => 0x21, 2 => Http3Grease.Value(300), 4 => Http3Grease.Value(1_000_000), _ => Http3Grease.Value(Http3Grease.MaxN) };
        byte[] bytes = H3Assert.Varint(grease, width);
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.Equal(Http3ReadStatus.NeedMoreData, Http3StreamTypes.TryRead(bytes.AsSpan(0, i), out _, out int consumed));
            Assert.Equal(0, consumed);
        }

        Assert.Equal(Http3ReadStatus.Done, Http3StreamTypes.TryRead(bytes, out ulong type, out _));
        Assert.Equal(grease, type);
        Assert.False(Http3StreamTypes.IsKnown(type));
        Assert.Equal(Http3ErrorCode.StreamCreationError, Http3StreamTypes.UnknownStreamStopCode);
    }

    [Fact]
    public void TryRead_NonMinimalControlType_IsControl()
    {
        Assert.Equal(Http3ReadStatus.Done, Http3StreamTypes.TryRead([0x40, 0x00, 0x04], out ulong type, out int consumed));
        Assert.Equal((ulong)Http3StreamType.Control, type);
        Assert.Equal(2, consumed);
    }
}
