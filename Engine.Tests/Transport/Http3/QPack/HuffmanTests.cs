using CsCheck;
using Engine.Transport.Http3.QPack;

namespace Engine.Tests.Transport.Http3.QPack;

public class HuffmanTests
{
    // RFC 7541 Appendix C.4 (and C.6 for the response values).
    [Theory]
    [InlineData("www.example.com", "f1e3c2e5f23a6ba0ab90f4ff")]
    [InlineData("no-cache", "a8eb10649cbf")]
    [InlineData("custom-key", "25a849e95ba97d7f")]
    [InlineData("custom-value", "25a849e95bb8e8b4bf")]
    [InlineData("302", "6402")]
    [InlineData("private", "aec3771a4b")]
    [InlineData("Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff")]
    [InlineData("https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3")]
    public void Encode_RfcExample_MatchesAndDecodesBack(string text, string hex)
    {
        byte[] plain = System.Text.Encoding.ASCII.GetBytes(text);
        byte[] expected = Convert.FromHexString(hex);

        Assert.Equal(expected.Length, Huffman.GetEncodedLength(plain));
        byte[] encoded = new byte[expected.Length];
        Assert.Equal(expected.Length, Huffman.Encode(plain, encoded));
        Assert.Equal(expected, encoded);

        byte[] decoded = new byte[plain.Length];
        Assert.True(Huffman.TryDecode(expected, decoded, out int written));
        Assert.Equal(plain, decoded.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void CodeTable_IsCanonicalAndComplete()
    {
        // Regenerating the canonical code from the lengths must reproduce every typed-in code, which catches
        // a mistyped code or length in the data table.
        var symbols = Enumerable.Range(0, 257).OrderBy(s => Huffman.GetCode(s).Length).ThenBy(s => s).ToArray();
        uint code = 0;
        int previousLength = Huffman.GetCode(symbols[0]).Length;
        double kraft = 0;
        foreach (int symbol in symbols)
        {
            (uint actual, int length) = Huffman.GetCode(symbol);
            code <<= length - previousLength;
            previousLength = length;
            Assert.Equal(code, actual);
            code++;
            kraft += Math.Pow(2, -length);
        }

        Assert.Equal(1.0, kraft);
        Assert.Equal((0x3fffffffu, 30), Huffman.GetCode(256));
    }

    [Fact]
    public void RoundTrip_EveryByteValue_DecodesToInput()
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        byte[] encoded = new byte[Huffman.GetEncodedLength(all)];
        Huffman.Encode(all, encoded);
        byte[] decoded = new byte[all.Length];
        Assert.True(Huffman.TryDecode(encoded, decoded, out int written));
        Assert.Equal(all, decoded.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void RoundTrip_RandomBytes_DecodesToInput()
    {
        Gen.Byte.Array[0, 300].Sample(plain =>
        {
            byte[] encoded = new byte[Huffman.GetEncodedLength(plain)];
            Assert.Equal(encoded.Length, Huffman.Encode(plain, encoded));
            byte[] decoded = new byte[plain.Length];
            Assert.True(Huffman.TryDecode(encoded, decoded, out int written));
            Assert.Equal(plain, decoded.AsSpan(0, written).ToArray());
        });
    }

    [Fact]
    public void TryDecode_EosInData_ReturnsFalse()
    {
        // EOS (30 ones) then two padding ones fill four bytes exactly.
        Assert.False(Huffman.TryDecode([0xff, 0xff, 0xff, 0xff], new byte[8], out _));
        // 'a' (00011) then EOS: 5 + 30 bits, padded with ones.
        Assert.False(Huffman.TryDecode([0x1f, 0xff, 0xff, 0xff, 0xff], new byte[8], out _));
    }

    [Fact]
    public void TryDecode_PaddingOverSevenBits_ReturnsFalse()
    {
        // "0" is 00000 (5 bits); padding of 3 ones is fine, an extra all-ones byte makes 11 bits of padding.
        Assert.True(Huffman.TryDecode([0x07], new byte[4], out int written));
        Assert.Equal(1, written);
        Assert.False(Huffman.TryDecode([0x07, 0xff], new byte[4], out _));
        Assert.False(Huffman.TryDecode([0xff], new byte[4], out _));
    }

    [Fact]
    public void TryDecode_PaddingNotAllOnes_ReturnsFalse()
    {
        // "0" then padding 000 / 101: the bits spell no full code and are not ones.
        Assert.False(Huffman.TryDecode([0x00], new byte[4], out _));
        Assert.False(Huffman.TryDecode([0x05], new byte[4], out _));
        Assert.False(Huffman.TryDecode([0x06], new byte[4], out _));
    }

    [Fact]
    public void TryDecode_DestinationTooSmall_ReturnsFalse()
    {
        byte[] encoded = Convert.FromHexString("f1e3c2e5f23a6ba0ab90f4ff");
        Assert.False(Huffman.TryDecode(encoded, new byte[14], out _));
        Assert.Equal(HuffmanDecodeStatus.DestinationTooSmall, Huffman.Decode(encoded, new byte[14], out _));
        Assert.True(Huffman.TryDecode(encoded, new byte[15], out int written));
        Assert.Equal(15, written);
    }

    [Fact]
    public void TryDecode_Empty_SucceedsWithNothing()
    {
        Assert.True(Huffman.TryDecode([], [], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryDecode_RandomInput_NeverThrows()
    {
        Gen.Byte.Array[0, 64].Sample(input => Huffman.Decode(input, new byte[128], out _) >= 0);
    }

    [Fact]
    public void Encode_DestinationTooSmall_Throws()
    {
        Assert.Throws<ArgumentException>(() => Huffman.Encode("no-cache"u8, new byte[5]));
    }
}
