using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>
/// Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2, draft-ietf-webtrans-http3): the
/// varint that opens every unidirectional stream. Any other value (including GREASE) is unknown:
/// the receiver must not treat it as an error, but abandons reading the stream, e.g. with
/// STOP_SENDING carrying <see cref="Http3ErrorCode.StreamCreationError"/>
/// (see <see cref="Http3StreamTypes.UnknownStreamStopCode"/>).
/// </summary>
internal enum Http3StreamType : ulong
{
    Control = 0x00,
    Push = 0x01,
    QPackEncoder = 0x02,
    QPackDecoder = 0x03,

    /// <summary>WebTransport unidirectional stream: followed by the session ID varint, then data.</summary>
    WebTransportUni = 0x54,
}

/// <summary>Reading and classifying the stream type prefix of a unidirectional stream.</summary>
internal static class Http3StreamTypes
{
    /// <summary>The code a receiver uses to STOP_SENDING a stream whose type it does not know.</summary>
    public const Http3ErrorCode UnknownStreamStopCode = Http3ErrorCode.StreamCreationError;

    /// <summary>True for the five types above; false for unknown and GREASE types.</summary>
    public static bool IsKnown(ulong type) => type is 0x00 or 0x01 or 0x02 or 0x03 or 0x54;

    /// <summary>
    /// Reads the stream type varint (1, 2, 4 or 8 bytes) from the start of the stream.
    /// Returns <see cref="Http3ReadStatus.NeedMoreData"/> until the whole varint is present.
    /// Never returns an error: unknown types are the caller's to ignore.
    /// </summary>
    public static Http3ReadStatus TryRead(ReadOnlySpan<byte> input, out ulong type, out int bytesConsumed) =>
        VarInt.TryRead(input, out type, out bytesConsumed) ? Http3ReadStatus.Done : Http3ReadStatus.NeedMoreData;

    /// <summary>Bytes the stream type prefix takes.</summary>
    public static int GetLength(Http3StreamType type) => VarInt.GetLength((ulong)type);

    /// <summary>Writes the stream type prefix (shortest varint).</summary>
    public static void Write(ref SpanWriter writer, Http3StreamType type) => writer.WriteVarint((ulong)type);
}
