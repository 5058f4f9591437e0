using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Http3;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Http3;

public class Http3HeadersFrameTests
{
    [Fact]
    public void WriteFrame_RandomFieldSection_ReadsBackTheSameBytes()
    {
        Gen.Byte.Array[0, 2000].Sample(section =>
        {
            var buffer = new byte[Http3HeadersFrame.GetFrameLength(section.Length)];
            var writer = new SpanWriter(buffer);
            Http3HeadersFrame.WriteFrame(ref writer, section);
            Assert.Equal(buffer.Length, writer.Position);

            Assert.Equal(Http3ReadStatus.Done, Http3HeadersFrame.TryReadFieldSection(buffer, 4096, out ReadOnlySpan<byte> read, out int consumed, out _));
            Assert.Equal(section, read.ToArray());
            Assert.Equal(buffer.Length, consumed);

            Assert.Equal(Http3ReadStatus.Done, Http3HeadersFrame.TryRead(buffer, out Http3HeadersFrame header, out int headerLength, out _));
            Assert.Equal((ulong)section.Length, header.FieldSectionLength);
            Assert.Equal(buffer.Length - section.Length, headerLength);
            Assert.Equal(buffer[..headerLength], H3Assert.Encode(header));

            H3Assert.AllTruncationsNeedMoreData(buffer, (ReadOnlySpan<byte> input, out int c, out Http3ErrorCode e) =>
                Http3HeadersFrame.TryReadFieldSection(input, 4096, out _, out c, out e));
        }, iter: 200);
    }

    [Fact]
    public void TryReadFieldSection_LargerThanLimit_IsExcessiveLoad()
    {
        byte[] frame = H3Assert.Frame(0x1, new byte[101]);
        Assert.Equal(Http3ReadStatus.Error, Http3HeadersFrame.TryReadFieldSection(frame, 100, out _, out _, out Http3ErrorCode error));
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, error);
        Assert.Equal(Http3ReadStatus.Done, Http3HeadersFrame.TryReadFieldSection(frame, 101, out _, out _, out _));
    }

    [Fact]
    public void TryReadFieldSection_DataFrameHeaderOnly_IsFrameUnexpectedWithoutWaiting()
    {
        byte[] header = H3Assert.Concat(H3Assert.Varint(0x0), H3Assert.Varint(50));
        Assert.Equal(Http3ReadStatus.Error, Http3HeadersFrame.TryReadFieldSection(header, 100, out _, out _, out Http3ErrorCode error));
        Assert.Equal(Http3ErrorCode.FrameUnexpected, error);
    }
}
