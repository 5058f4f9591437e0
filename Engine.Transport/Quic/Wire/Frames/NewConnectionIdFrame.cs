using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>
/// NEW_CONNECTION_ID (type 0x18, RFC 9000 §19.15): an alternative connection ID for the peer to
/// use, with its stateless reset token. The spans point into the received packet.
/// </summary>
internal readonly ref struct NewConnectionIdFrame : IQuicFrame
{
    public const int StatelessResetTokenLength = 16;

    public NewConnectionIdFrame(ulong sequenceNumber, ulong retirePriorTo, ReadOnlySpan<byte> connectionId, ReadOnlySpan<byte> statelessResetToken)
    {
        SequenceNumber = sequenceNumber;
        RetirePriorTo = retirePriorTo;
        ConnectionId = connectionId;
        StatelessResetToken = statelessResetToken;
    }

    public ulong SequenceNumber { get; }

    /// <summary>Connection IDs with lower sequence numbers must be retired.</summary>
    public ulong RetirePriorTo { get; }

    public ReadOnlySpan<byte> ConnectionId { get; }

    public ReadOnlySpan<byte> StatelessResetToken { get; }

    /// <summary>
    /// FRAME_ENCODING_ERROR when truncated, when the ID is empty or longer than 20 bytes, or when
    /// Retire Prior To exceeds the sequence number.
    /// </summary>
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out NewConnectionIdFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.NewConnectionId)
            || !reader.TryReadVarint(out ulong sequenceNumber)
            || !reader.TryReadVarint(out ulong retirePriorTo)
            || retirePriorTo > sequenceNumber
            || !reader.TryReadByte(out byte length)
            || length is 0 or > QuicVersion.MaxConnectionIdLength
            || !reader.TryReadBytes(length, out ReadOnlySpan<byte> connectionId)
            || !reader.TryReadBytes(StatelessResetTokenLength, out ReadOnlySpan<byte> token))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new NewConnectionIdFrame(sequenceNumber, retirePriorTo, connectionId, token);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() =>
        1 + VarInt.GetLength(SequenceNumber) + VarInt.GetLength(RetirePriorTo)
        + 1 + ConnectionId.Length + StatelessResetTokenLength;

    public void Write(ref SpanWriter writer)
    {
        if (ConnectionId.Length is 0 or > QuicVersion.MaxConnectionIdLength)
        {
            throw new InvalidOperationException($"A NEW_CONNECTION_ID carries 1 to {QuicVersion.MaxConnectionIdLength} bytes of ID, not {ConnectionId.Length}.");
        }

        if (StatelessResetToken.Length != StatelessResetTokenLength || RetirePriorTo > SequenceNumber)
        {
            throw new InvalidOperationException("A NEW_CONNECTION_ID needs a 16-byte reset token and Retire Prior To <= Sequence Number.");
        }

        writer.WriteByte((byte)QuicFrameType.NewConnectionId);
        writer.WriteVarint(SequenceNumber);
        writer.WriteVarint(RetirePriorTo);
        writer.WriteByte((byte)ConnectionId.Length);
        writer.WriteBytes(ConnectionId);
        writer.WriteBytes(StatelessResetToken);
    }
}
