using System.Buffers;
using System.Text;
using CsCheck;
using Engine.Transport.Http3.QPack;

namespace Engine.Tests.Transport.Http3.QPack;

public class QPackDecoderTests
{
    private const long NoLimit = long.MaxValue;

    // Prefix 0,0; :method GET (static 17); :scheme https (23); :authority (0) = "localhost" raw;
    // :path (1) = "/index.html" raw; x-custom = "abc" with a raw literal name (length 8 = 7 + 1 continuation).
    private static readonly byte[] s_getRequest = Convert.FromHexString(
        "0000" + "d1" + "d7" + "5009" + Hex("localhost") + "510b" + Hex("/index.html") + "2701" + Hex("x-custom") + "03" + Hex("abc"));

    [Fact]
    public void Decode_HandBuiltGetRequest_YieldsFieldsInOrder()
    {
        var handler = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.Success, new QPackDecoder().Decode(s_getRequest, NoLimit, ref handler));
        Assert.Equal(
            [(":method", "GET"), (":scheme", "https"), (":authority", "localhost"), (":path", "/index.html"), ("x-custom", "abc")],
            handler.Fields);
    }

    [Fact]
    public void Decode_HuffmanNameAndValue_DecodesBoth()
    {
        // Literal name, H=1: "custom-key" (8 bytes Huffman) and value "custom-value" (9 bytes Huffman).
        byte[] section = Convert.FromHexString("0000" + "2f01" + "25a849e95ba97d7f" + "89" + "25a849e95bb8e8b4bf");
        var handler = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.Success, new QPackDecoder().Decode(section, NoLimit, ref handler));
        Assert.Equal([("custom-key", "custom-value")], handler.Fields);
    }

    [Fact]
    public void Decode_RawLiteralNameThenHuffmanValueOnFreshDecoder_Decodes()
    {
        // Literal name, H=0: "x-a-long-raw-name" (17 bytes, longer than the empty scratch); value Huffman.
        byte[] value = new byte[Huffman.GetEncodedLength("gzip"u8)];
        Huffman.Encode("gzip"u8, value);
        byte[] section = [0, 0, 0x27, 17 - 7, .. "x-a-long-raw-name"u8, (byte)(0x80 | value.Length), .. value];
        var handler = new RecordingHeaderHandler();

        Assert.Equal(QPackStatus.Success, new QPackDecoder().Decode(section, NoLimit, ref handler));
        Assert.Equal([("x-a-long-raw-name", "gzip")], handler.Fields);
    }

    [Fact]
    public void Decode_NeverIndexedBitSet_DecodesTheSame()
    {
        // Literal with name reference, N=1 (0x70 | index 0).
        byte[] section = Convert.FromHexString("0000" + "7003" + Hex("a.b"));
        var handler = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.Success, new QPackDecoder().Decode(section, NoLimit, ref handler));
        Assert.Equal([(":authority", "a.b")], handler.Fields);
    }

    [Fact]
    public void Decode_EmptyFieldSection_Succeeds()
    {
        var handler = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.Success, new QPackDecoder().Decode([0x00, 0x00], NoLimit, ref handler));
        Assert.Empty(handler.Fields);
    }

    [Theory]
    [InlineData("0000" + "91", "indexed, dynamic (T=0)")]
    [InlineData("0000" + "10", "indexed, post-base")]
    [InlineData("0000" + "4003" + "616263", "literal with dynamic name reference (T=0)")]
    [InlineData("0000" + "0003" + "616263", "literal with post-base name reference")]
    [InlineData("0000" + "ff24", "static index 99 is out of range")]
    [InlineData("0000" + "5f5401" + "61", "static name index 99 is out of range")]
    [InlineData("0100" + "d1", "non-zero Required Insert Count")]
    [InlineData("ff0000" + "d1", "large Required Insert Count")]
    [InlineData("", "no prefix")]
    [InlineData("00", "no Delta Base")]
    [InlineData("0000" + "5083" + "ffffff", "EOS inside a Huffman value")]
    [InlineData("0000" + "5005" + "6162", "value longer than the section")]
    public void Decode_InvalidSection_ReturnsDecompressionFailed(string hex, string why)
    {
        var handler = new RecordingHeaderHandler();
        QPackStatus status = new QPackDecoder().Decode(Convert.FromHexString(hex), NoLimit, ref handler);
        Assert.True(status == QPackStatus.DecompressionFailed, why);
        Assert.True(status.TryGetErrorCode(out QPackErrorCode code));
        Assert.Equal(0x200UL, (ulong)code);
    }

    [Fact]
    public void Decode_EveryTruncation_ReturnsErrorOrAPrefixOfTheFields()
    {
        byte[] section = Encode([(":method", "GET"), (":authority", "www.example.com"), ("custom-key", "custom-value"), ("x-raw", "\u0001\u0002")]);
        var full = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.Success, new QPackDecoder().Decode(section, NoLimit, ref full));

        int errors = 0;
        for (int length = 0; length < section.Length; length++)
        {
            var handler = new RecordingHeaderHandler();
            QPackStatus status = new QPackDecoder().Decode(section.AsSpan(0, length), NoLimit, ref handler);
            if (status == QPackStatus.Success)
            {
                // Cut on a field line boundary: a shorter but valid section.
                Assert.True(handler.Fields.Count < full.Fields.Count);
                Assert.Equal(full.Fields.Take(handler.Fields.Count), handler.Fields);
            }
            else
            {
                Assert.Equal(QPackStatus.DecompressionFailed, status);
                errors++;
            }
        }

        Assert.True(errors >= section.Length - 4 - 1, $"only {errors} of {section.Length} truncations failed");
    }

    [Fact]
    public void Decode_RandomBytes_NeverThrows()
    {
        var decoder = new QPackDecoder();
        var random = new Random(9204);
        for (int i = 0; i < 10_000; i++)
        {
            byte[] input = new byte[random.Next(0, 64)];
            random.NextBytes(input);
            if (i % 2 == 0 && input.Length >= 2)
            {
                input[0] = 0; // valid prefix, so the field line parsing is what gets exercised
                input[1] = 0;
            }

            var handler = new RecordingHeaderHandler();
            QPackStatus status = decoder.Decode(input, 1000, ref handler);
            Assert.True(Enum.IsDefined(status));
        }
    }

    [Fact]
    public void RoundTrip_RandomFieldLists_DecodeToTheSameFields()
    {
        Gen<(string, string)> staticEntry = Gen.Int[0, QPackStaticTable.Count - 1].Select(i =>
            (Latin1(QPackStaticTable.GetName(i)), Latin1(QPackStaticTable.GetValue(i))));
        Gen<string> value = Gen.Byte[0x20, 0x7e].Array[0, 40].Select(b => Encoding.ASCII.GetString(b));
        Gen<(string, string)> staticNameOtherValue = Gen.Select(Gen.Int[0, QPackStaticTable.Count - 1], value, (i, v) =>
            (Latin1(QPackStaticTable.GetName(i)), v));
        Gen<(string, string)> literal = Gen.Select(
            Gen.Byte[(byte)'a', (byte)'z'].Array[1, 20].Select(b => Encoding.ASCII.GetString(b)), value);
        Gen<(string, string)[]> fields = Gen.OneOf(staticEntry, staticNameOtherValue, literal).Array[0, 12];

        // Sample runs on several threads and a decoder is single-threaded: one per thread, reused across samples.
        using var decoders = new ThreadLocal<QPackDecoder>(() => new QPackDecoder());
        fields.Sample(list =>
        {
            QPackDecoder decoder = decoders.Value!;
            byte[] section = Encode(list);
            var handler = new RecordingHeaderHandler();
            Assert.Equal(QPackStatus.Success, decoder.Decode(section, NoLimit, ref handler));
            Assert.Equal(list, handler.Fields);
        });
    }

    [Fact]
    public void Decode_SizeAtTheLimit_SucceedsAndOneByteLessIsTooLarge()
    {
        byte[] section = Encode([(":method", "GET"), ("x-game", "lobby")]);
        long size = (7 + 3 + 32) + (6 + 5 + 32);
        var handler = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.Success, new QPackDecoder().Decode(section, size, ref handler));
        handler = new RecordingHeaderHandler();
        QPackStatus status = new QPackDecoder().Decode(section, size - 1, ref handler);
        Assert.Equal(QPackStatus.FieldSectionTooLarge, status);
        Assert.False(status.TryGetErrorCode(out _));
    }

    [Fact]
    public void Decode_HuffmanValueExpandingPastTheLimit_IsTooLargeThoughTheEncodingIsSmall()
    {
        string big = new('a', 1000); // 5 bits per 'a': 625 encoded bytes
        byte[] section = Encode([(":authority", big)]);
        long limit = 700;
        Assert.True(section.Length < limit);

        var handler = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.FieldSectionTooLarge, new QPackDecoder().Decode(section, limit, ref handler));
        Assert.Empty(handler.Fields);

        handler = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.Success, new QPackDecoder().Decode(section, 10 + 1000 + 32, ref handler));
    }

    [Fact]
    public void Decode_ManyIndexedLinesOverTheLimit_IsTooLarge()
    {
        // Each one-byte line costs 32 + 7 + 3; the overhead counts even for empty strings.
        byte[] section = new byte[2 + 100];
        section.AsSpan(2).Fill(0xd1);
        var handler = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.FieldSectionTooLarge, new QPackDecoder().Decode(section, 42 * 99, ref handler));
        Assert.Equal(99, handler.Fields.Count);
    }

    [Fact]
    public void Decode_ReusedDecoder_DoesNotMixFieldsFromEarlierSections()
    {
        var decoder = new QPackDecoder();
        var first = new RecordingHeaderHandler();
        decoder.Decode(Encode([("custom-key", "custom-value")]), NoLimit, ref first);
        var second = new RecordingHeaderHandler();
        Assert.Equal(QPackStatus.Success, decoder.Decode(Encode([("no", "no-cache")]), NoLimit, ref second));
        Assert.Equal([("no", "no-cache")], second.Fields);
    }

    [Fact]
    public void Decode_SteadyState_DoesNotAllocate()
    {
        byte[] section = Encode([(":method", "GET"), (":authority", "www.example.com"), ("custom-key", "custom-value"), ("x-raw", "\u0001")]);
        var decoder = new QPackDecoder();
        var handler = new CountingHandler();
        decoder.Decode(section, NoLimit, ref handler); // warm-up grows the scratch buffer once

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            decoder.Decode(section, NoLimit, ref handler);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(4 * 101, handler.Count);
    }

    private struct CountingHandler : IQPackHeaderHandler
    {
        public int Count;

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Count++;
    }

    internal static byte[] Encode(IEnumerable<(string Name, string Value)> fields)
    {
        var writer = new ArrayBufferWriter<byte>();
        QPackEncoder.WriteFieldSection(writer, fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));
        return writer.WrittenSpan.ToArray();
    }

    private static string Hex(string ascii) => Convert.ToHexString(Encoding.ASCII.GetBytes(ascii));

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}
