using System.Text;
using System.Text.Unicode;
using Engine.Transport.Coding;
using Engine.Transport.WebTransport.Protocol;

namespace Engine.Tests.Transport.WebTransport;

public class WebTransportCapsulesTests
{
    [Fact]
    public void CloseSessionFrame_CodeAndReason_IsDataFrameWithCapsule()
    {
        byte[] frame = WebTransportCapsules.CloseSessionFrame(4004, "replaced");
        // DATA(0x00) len 15 | type 0x2843 (2-byte varint 0x6843) | len 12 | 00000FA4 | "replaced"
        Assert.Equal("000F68430C00000FA4" + Convert.ToHexString(Encoding.UTF8.GetBytes("replaced")), Convert.ToHexString(frame));
    }

    [Fact]
    public void CloseSessionFrame_EmptyReason_HasOnlyTheCode() =>
        Assert.Equal("0007684304FFFFFFFF", Convert.ToHexString(WebTransportCapsules.CloseSessionFrame(uint.MaxValue, "")));

    [Fact]
    public void CloseSessionFrame_LongAsciiReason_IsTruncatedTo1024Bytes()
    {
        byte[] reason = Reason(WebTransportCapsules.CloseSessionFrame(1, new string('x', 2000)));
        Assert.Equal(WebTransportCapsules.MaxReasonBytes, reason.Length);
    }

    [Theory]
    [InlineData("é", 1023)]       // 2-byte char in bytes 1023..1024 (0-based): dropped whole
    [InlineData("€", 1022)]       // 3-byte char in bytes 1022..1024: dropped whole
    [InlineData("😀", 1023)]      // surrogate pair, 4 bytes in 1023..1026: dropped whole
    [InlineData("é", 1022)]       // bytes 1022..1023, the reason is exactly 1024: kept
    public void CloseSessionFrame_MultibyteCharAtTheLimit_CutsAtACharacterBoundary(string wide, int asciiPrefix)
    {
        string text = new string('a', asciiPrefix) + wide + new string('b', 2000);
        byte[] reason = Reason(WebTransportCapsules.CloseSessionFrame(7, text));

        Assert.True(reason.Length <= WebTransportCapsules.MaxReasonBytes);
        Assert.True(Utf8.IsValid(reason));
        string decoded = Encoding.UTF8.GetString(reason);
        Assert.StartsWith(decoded, text, StringComparison.Ordinal);
        int fullBytes = asciiPrefix + Encoding.UTF8.GetByteCount(wide);
        if (fullBytes <= WebTransportCapsules.MaxReasonBytes)
        {
            Assert.Equal(WebTransportCapsules.MaxReasonBytes, reason.Length);
            Assert.Contains(wide, decoded, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(new string('a', asciiPrefix), decoded);
        }
    }

    [Fact]
    public void CloseSessionFrame_ManyMultibyteChars_StaysValidUtf8()
    {
        byte[] reason = Reason(WebTransportCapsules.CloseSessionFrame(7, string.Concat(Enumerable.Repeat("日本😀", 500))));
        Assert.InRange(reason.Length, 1021, 1024);
        Assert.True(Utf8.IsValid(reason));
    }

    [Fact]
    public void DrainSessionFrame_IsEmptyDrainCapsule() =>
        // DATA len 5 | type 0x78ae (> 2^14 - 1, so a 4-byte varint) | len 0
        Assert.Equal("0005800078AE00", Convert.ToHexString(WebTransportCapsules.DrainSessionFrame()));

    [Fact]
    public void DrainSessionFrame_Bytes_AreDataFrameTypeLengthZero()
    {
        byte[] frame = WebTransportCapsules.DrainSessionFrame();
        var reader = new SpanReader(frame);
        Assert.True(reader.TryReadVarint(out ulong frameType));
        Assert.True(reader.TryReadVarint(out ulong frameLength));
        Assert.True(reader.TryReadVarint(out ulong capsuleType));
        Assert.True(reader.TryReadVarint(out ulong capsuleLength));
        Assert.Equal(0UL, frameType);
        Assert.Equal((ulong)(frame.Length - 2), frameLength);
        Assert.Equal(WebTransportCapsules.DrainSession, capsuleType);
        Assert.Equal(0UL, capsuleLength);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void CapsuleFrame_EightByteGreaseType_WritesTypeLengthValue()
    {
        ulong grease = (0x29UL * 1_000_000_000) + 0x17;
        byte[] frame = WebTransportCapsules.CapsuleFrame(grease, [9, 8, 7]);
        var reader = new SpanReader(frame);
        reader.TryReadVarint(out _);
        reader.TryReadVarint(out ulong frameLength);
        Assert.Equal((ulong)reader.Remaining, frameLength);
        reader.TryReadVarint(out ulong type);
        reader.TryReadVarint(out ulong length);
        Assert.Equal(grease, type);
        Assert.Equal(3UL, length);
        Assert.Equal([9, 8, 7], reader.ReadToEnd().ToArray());
    }

    /// <summary>The reason bytes of a CLOSE frame as written (skipping frame and capsule headers and the code).</summary>
    private static byte[] Reason(byte[] frame)
    {
        var reader = new SpanReader(frame);
        reader.TryReadVarint(out _);
        reader.TryReadVarint(out _);
        reader.TryReadVarint(out ulong type);
        reader.TryReadVarint(out ulong length);
        Assert.Equal(WebTransportCapsules.CloseSession, type);
        Assert.Equal((ulong)reader.Remaining, length);
        reader.TryReadUInt32(out _);
        return reader.ReadToEnd().ToArray();
    }
}
