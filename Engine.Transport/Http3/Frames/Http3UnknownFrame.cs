using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>
/// A frame of a type this stack does not interpret, e.g. GREASE (0x1f * N + 0x21, RFC 9114
/// §7.2.8), which senders such as Chromium put on the control stream to keep receivers honest.
/// Receivers skip these (see <see cref="Http3PayloadCursor"/>); this codec is for sending them.
/// </summary>
internal readonly record struct Http3UnknownFrame(ulong Type, ReadOnlyMemory<byte> Payload) : IHttp3Frame
{
    /// <summary>A GREASE frame with a random type needing an 8-byte varint and the given payload.</summary>
    public static Http3UnknownFrame CreateGrease(Random random, ReadOnlyMemory<byte> payload) =>
        new(Http3Grease.NextEightByte(random), payload);

    public int GetLength() => Http3FrameReader.GetHeaderLength(Type, (ulong)Payload.Length) + Payload.Length;

    /// <exception cref="ArgumentException">The type is one HTTP/3 defines or reserves; those have their own codecs.</exception>
    public void Write(ref SpanWriter writer)
    {
        if (Http3FrameTypes.IsKnown(Type) || Http3FrameTypes.IsReservedHttp2(Type))
        {
            throw new ArgumentException($"Frame type 0x{Type:x} is not an unknown type.", nameof(writer));
        }

        Http3FrameReader.WriteHeader(ref writer, Type, (ulong)Payload.Length);
        writer.WriteBytes(Payload.Span);
    }
}
