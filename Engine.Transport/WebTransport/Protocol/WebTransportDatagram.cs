using Engine.Transport.Coding;

namespace Engine.Transport.WebTransport.Protocol;

/// <summary>
/// The HTTP datagram prefix (RFC 9297 §2.1) that ties a QUIC DATAGRAM to a WebTransport session:
/// varint(session ID / 4), the "quarter stream ID", then the application bytes. The session ID
/// is the CONNECT stream's ID, always a client-initiated bidirectional stream, so dividing by
/// four loses nothing.
/// </summary>
internal static class WebTransportDatagram
{
    /// <summary>
    /// The largest legal quarter stream ID, (2^62 − 1) / 4 (RFC 9297 §2.1). A larger one is an
    /// H3_DATAGRAM_ERROR connection error; <see cref="TryReadPrefix"/> reports it as false.
    /// </summary>
    public const ulong MaxQuarterStreamId = (1UL << 60) - 1;

    /// <summary>Bytes of the quarter-stream-ID prefix for this session (varint of sessionId/4).</summary>
    /// <exception cref="ArgumentException">The session ID is not a client-initiated bidirectional stream ID.</exception>
    public static int PrefixLength(long sessionId)
    {
        CheckSessionId(sessionId);
        return VarInt.GetLength((ulong)sessionId / 4);
    }

    /// <summary>Writes varint(sessionId/4) into <paramref name="destination"/>; returns the bytes written.</summary>
    /// <exception cref="ArgumentException">
    /// The session ID is not a client-initiated bidirectional stream ID (sessionId % 4 != 0 or negative),
    /// or the destination is too short.
    /// </exception>
    public static int WritePrefix(Span<byte> destination, long sessionId)
    {
        CheckSessionId(sessionId);
        return VarInt.Write(destination, (ulong)sessionId / 4);
    }

    /// <summary>
    /// Parses the prefix of a received HTTP datagram (RFC 9297): false when the varint is
    /// truncated, or when the quarter stream ID exceeds <see cref="MaxQuarterStreamId"/> (both are
    /// malformed datagrams). <paramref name="sessionId"/> = quarter * 4;
    /// <paramref name="payloadOffset"/> = the prefix's length, where the application bytes start.
    /// </summary>
    public static bool TryReadPrefix(ReadOnlySpan<byte> datagram, out long sessionId, out int payloadOffset)
    {
        if (!VarInt.TryRead(datagram, out ulong quarter, out payloadOffset) || quarter > MaxQuarterStreamId)
        {
            sessionId = 0;
            payloadOffset = 0;
            return false;
        }

        sessionId = (long)(quarter * 4);
        return true;
    }

    private static void CheckSessionId(long sessionId)
    {
        if (sessionId < 0 || sessionId % 4 != 0 || (ulong)sessionId > VarInt.MaxValue)
        {
            throw new ArgumentException(
                $"A WebTransport session ID is a client-initiated bidirectional stream ID (a multiple of 4); got {sessionId}.",
                nameof(sessionId));
        }
    }
}
