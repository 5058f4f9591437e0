using Engine.Tests.Transport.Quic.Wire;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Coding;

public class SpanWriterTests
{
    [Fact]
    public void Write_MixedFields_ProducesBigEndianBytes()
    {
        var buffer = new byte[16];
        var writer = new SpanWriter(buffer);

        writer.WriteByte(0xAB);
        writer.WriteUInt16(0x0102);
        writer.WriteUInt24(0x030405);
        writer.WriteUInt32(0x06070809);
        writer.WriteBytes([0x0A]);
        writer.WriteVarint(15_293);
        writer.WriteVarint(37, 2);

        Assert.Equal("AB0102030405060708090A7BBD4025", Convert.ToHexString(writer.Written));
        Assert.Equal(15, writer.Position);
        Assert.Equal(1, writer.Remaining);
    }

    [Fact]
    public void Write_OutOfSpace_ThrowsInvalidOperationNamingTheSizes()
    {
        var buffer = new byte[3];

        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new SpanWriter(buffer);
            writer.WriteUInt16(1);
            writer.WriteUInt32(2);
        });

        Assert.Contains("out of space", error.Message, StringComparison.Ordinal);
        Assert.Contains("3-byte buffer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteVarint_OutOfSpace_Throws() =>
        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new SpanWriter(new byte[1]);
            writer.WriteVarint(16_384);
        });
}
