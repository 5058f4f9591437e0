using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Http3;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Http3;

public class Http3UnknownFrameTests
{
    [Fact]
    public void Write_GreaseFrame_ReadsBackAsUnknownTypeWithPayload()
    {
        Gen.Select(H3Gen.Grease, Gen.Byte.Array[0, 100]).Sample((type, payload) =>
        {
            byte[] encoded = H3Assert.Encode(new Http3UnknownFrame(type, payload));
            Assert.Equal(Http3ReadStatus.Done, Http3FrameReader.TryReadFrame(encoded, 1000, out ulong readType, out ReadOnlySpan<byte> readPayload, out int consumed, out _));
            Assert.Equal(type, readType);
            Assert.Equal(payload, readPayload.ToArray());
            Assert.Equal(encoded.Length, consumed);
            Assert.False(Http3FrameTypes.IsKnown(readType));
        });
    }

    [Fact]
    public void CreateGrease_Random_UsesEightByteGreaseType()
    {
        Http3UnknownFrame frame = Http3UnknownFrame.CreateGrease(new Random(7), new byte[] { 1 });
        byte[] encoded = H3Assert.Encode(frame);
        Assert.Equal(0xC0, encoded[0] & 0xC0);
        Assert.True(Http3Grease.IsGrease(frame.Type));
    }

    [Theory]
    [InlineData(0x0UL)]
    [InlineData(0x4UL)]
    [InlineData(0x2UL)]
    public void Write_KnownOrReservedType_Throws(ulong type)
    {
        var buffer = new byte[16];
        Assert.Throws<ArgumentException>(() =>
        {
            var writer = new SpanWriter(buffer);
            new Http3UnknownFrame(type, ReadOnlyMemory<byte>.Empty).Write(ref writer);
        });
    }
}
