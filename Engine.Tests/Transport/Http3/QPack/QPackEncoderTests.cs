using System.Buffers;
using Engine.Transport.Http3.QPack;

namespace Engine.Tests.Transport.Http3.QPack;

public class QPackEncoderTests
{
    [Fact]
    public void WriteFieldSection_StaticExactMatch_UsesIndexedFieldLine()
    {
        byte[] section = QPackDecoderTests.Encode([(":method", "GET"), (":status", "200"), ("x-frame-options", "sameorigin")]);
        // Prefix 0,0; 0xC0 | 17; 0xC0 | 25; 0xC0 | 63 then 98 - 63 = 35.
        Assert.Equal("0000d1d9ff23", Convert.ToHexStringLower(section));
    }

    [Fact]
    public void WriteFieldSection_StaticNameOnly_UsesNameReferenceWithHuffmanValue()
    {
        byte[] section = QPackDecoderTests.Encode([(":authority", "www.example.com")]);
        Assert.Equal("0000" + "50" + "8cf1e3c2e5f23a6ba0ab90f4ff", Convert.ToHexStringLower(section));
    }

    [Fact]
    public void WriteFieldSection_UnknownName_UsesLiteralNameWithHuffmanWhenShorter()
    {
        byte[] section = QPackDecoderTests.Encode([("custom-key", "custom-value")]);
        Assert.Equal("0000" + "2f01" + "25a849e95ba97d7f" + "89" + "25a849e95bb8e8b4bf", Convert.ToHexStringLower(section));
    }

    [Fact]
    public void WriteField_IncompressibleValue_StaysRaw()
    {
        var writer = new ArrayBufferWriter<byte>();
        QPackEncoder.WriteField(writer, "x"u8, [0xfe, 0xff]);
        // "x" Huffman is 7 bits = 1 byte, not shorter than raw: raw name 0x21 'x', raw value 0x02 fe ff.
        Assert.Equal("2178" + "02feff", Convert.ToHexStringLower(writer.WrittenSpan));
    }

    [Fact]
    public void GetFieldLength_MatchesBytesWritten()
    {
        (byte[] Name, byte[] Value)[] cases =
        [
            (":path"u8.ToArray(), "/"u8.ToArray()),
            (":path"u8.ToArray(), "/lobby/42"u8.ToArray()),
            ("x-session-token"u8.ToArray(), new byte[300]),
            ("a"u8.ToArray(), []),
        ];
        foreach ((byte[] name, byte[] value) in cases)
        {
            byte[] buffer = new byte[1000];
            Assert.Equal(QPackEncoder.GetFieldLength(name, value), QPackEncoder.WriteField(buffer, name, value));
        }
    }

    [Fact]
    public void WriteField_AppMisuse_Throws()
    {
        Assert.Throws<ArgumentException>(() => QPackEncoder.WriteField(new byte[3], "x-long"u8, "value"u8));
        Assert.Throws<ArgumentException>(() => QPackEncoder.WritePrefix(new byte[1]));
        Assert.Throws<ArgumentException>(() => QPackEncoder.WriteField(new ArrayBufferWriter<byte>(), "x", "\u20ac"));
    }
}
