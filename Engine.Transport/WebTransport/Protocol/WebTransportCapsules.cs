using System.Text;
using Engine.Transport.Coding;
using Engine.Transport.Http3;

namespace Engine.Transport.WebTransport.Protocol;

/// <summary>
/// Writers for the capsules a WebTransport session sends on its CONNECT stream
/// (draft-ietf-webtrans-http3-02 §5, RFC 9297 §3.2): each capsule (varint type, varint length,
/// value) goes out whole in one HTTP/3 DATA frame, ready to append to the stream.
/// </summary>
internal static class WebTransportCapsules
{
    /// <summary>CLOSE_WEBTRANSPORT_SESSION: u32 application code, then a UTF-8 reason.</summary>
    public const ulong CloseSession = 0x2843;

    /// <summary>DRAIN_WEBTRANSPORT_SESSION: empty; asks the peer to wind the session down.</summary>
    public const ulong DrainSession = 0x78ae;

    /// <summary>The longest reason a CLOSE_WEBTRANSPORT_SESSION may carry, in UTF-8 bytes.</summary>
    public const int MaxReasonBytes = 1024;

    /// <summary>
    /// An HTTP/3 DATA frame holding one CLOSE_WEBTRANSPORT_SESSION capsule: u32
    /// <paramref name="code"/> (big-endian), then <paramref name="reason"/> in UTF-8, truncated to
    /// <see cref="MaxReasonBytes"/> at a character boundary so the peer never sees a cut character.
    /// </summary>
    public static byte[] CloseSessionFrame(uint code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);

        // Each char encodes to at least one byte, so MaxReasonBytes + 1 chars are enough to know
        // where the cut falls; a surrogate pair split by this slice lands beyond the cut anyway.
        ReadOnlySpan<char> chars = reason.AsSpan(0, Math.Min(reason.Length, MaxReasonBytes + 1));
        var encoded = new byte[Encoding.UTF8.GetByteCount(chars)];
        Encoding.UTF8.GetBytes(chars, encoded);
        int reasonLength = Utf8Prefix(encoded, MaxReasonBytes);

        Span<byte> value = new byte[4 + reasonLength];
        var writer = new SpanWriter(value);
        writer.WriteUInt32(code);
        writer.WriteBytes(encoded.AsSpan(0, reasonLength));
        return CapsuleFrame(CloseSession, value);
    }

    /// <summary>An HTTP/3 DATA frame holding one DRAIN_WEBTRANSPORT_SESSION capsule (empty value).</summary>
    public static byte[] DrainSessionFrame() => CapsuleFrame(DrainSession, []);

    /// <summary>An HTTP/3 DATA frame holding one capsule of any type (for tests and GREASE).</summary>
    public static byte[] CapsuleFrame(ulong type, ReadOnlySpan<byte> value)
    {
        int capsuleLength = VarInt.GetLength(type) + VarInt.GetLength((ulong)value.Length) + value.Length;
        var frame = new byte[Http3DataFrame.GetFrameLength(capsuleLength)];
        var writer = new SpanWriter(frame);
        new Http3DataFrame((ulong)capsuleLength).Write(ref writer);
        writer.WriteVarint(type);
        writer.WriteVarint((ulong)value.Length);
        writer.WriteBytes(value);
        return frame;
    }

    /// <summary>
    /// The length of the longest prefix of valid UTF-8 <paramref name="utf8"/> that is at most
    /// <paramref name="maxBytes"/> long and ends on a character boundary: back off over
    /// continuation bytes (10xxxxxx) so the character straddling the limit is dropped whole.
    /// </summary>
    private static int Utf8Prefix(ReadOnlySpan<byte> utf8, int maxBytes)
    {
        if (utf8.Length <= maxBytes)
        {
            return utf8.Length;
        }

        int cut = maxBytes;
        while (cut > 0 && (utf8[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        return cut;
    }
}
