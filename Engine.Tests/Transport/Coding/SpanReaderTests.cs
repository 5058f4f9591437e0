using Engine.Tests.Transport.Quic.Wire;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Coding;

public class SpanReaderTests
{
    [Fact]
    public void TryReadFixedWidths_BigEndian_ReadInOrder()
    {
        var reader = new SpanReader(Convert.FromHexString("AB0102030405060708090A25"));

        Assert.True(reader.TryReadByte(out byte b));
        Assert.True(reader.TryReadUInt16(out ushort u16));
        Assert.True(reader.TryReadUInt24(out uint u24));
        Assert.True(reader.TryReadUInt32(out uint u32));
        Assert.True(reader.TryReadBytes(1, out ReadOnlySpan<byte> bytes));
        Assert.True(reader.TryReadVarint(out ulong varint));

        Assert.Equal(0xAB, b);
        Assert.Equal(0x0102, u16);
        Assert.Equal(0x030405u, u24);
        Assert.Equal(0x06070809u, u32);
        Assert.Equal(0x0A, bytes[0]);
        Assert.Equal(37UL, varint);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(12, reader.Position);
    }

    [Fact]
    public void TryRead_NotEnoughBytes_ReturnsFalseAndKeepsPosition()
    {
        var reader = new SpanReader([0x01, 0x02]);

        Assert.False(reader.TryReadUInt24(out _));
        Assert.False(reader.TryReadUInt32(out _));
        Assert.False(reader.TryReadBytes(3, out _));
        Assert.False(reader.TryReadBytes(-1, out _));
        Assert.False(reader.TryReadBytes(ulong.MaxValue, out _));
        Assert.False(new SpanReader([0x40]).TryReadVarint(out _));

        Assert.Equal(0, reader.Position);
        Assert.True(reader.TryReadUInt16(out _));
        Assert.False(reader.TryReadByte(out _));
        Assert.False(reader.TryReadUInt16(out _));
    }

    [Fact]
    public void TryReadBytes_ReturnsASliceOfTheInput()
    {
        byte[] input = [1, 2, 3, 4];
        var reader = new SpanReader(input);

        reader.TryReadBytes(2, out ReadOnlySpan<byte> slice);

        Assert.True(slice.Overlaps(input));
    }
}
