using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>
/// CONNECTION_CLOSE (RFC 9000 §19.19): type 0x1c carries a transport error and the type of the
/// frame that caused it; type 0x1d carries an application error. <see cref="ReasonPhrase"/>
/// (UTF-8, not validated here) points into the received packet.
/// </summary>
internal readonly ref struct ConnectionCloseFrame : IQuicFrame
{
    public ConnectionCloseFrame(bool isApplicationError, ulong errorCode, ulong frameType, ReadOnlySpan<byte> reasonPhrase)
    {
        IsApplicationError = isApplicationError;
        ErrorCode = errorCode;
        FrameType = frameType;
        ReasonPhrase = reasonPhrase;
    }

    /// <summary>A transport close (0x1c) for a transport error.</summary>
    public static ConnectionCloseFrame ForTransportError(QuicTransportErrorCode errorCode, ulong frameType, ReadOnlySpan<byte> reasonPhrase) =>
        new(false, (ulong)errorCode, frameType, reasonPhrase);

    /// <summary>An application close (0x1d).</summary>
    public static ConnectionCloseFrame ForApplicationError(ulong errorCode, ReadOnlySpan<byte> reasonPhrase) =>
        new(true, errorCode, 0, reasonPhrase);

    /// <summary>True for type 0x1d.</summary>
    public bool IsApplicationError { get; }

    public ulong ErrorCode { get; }

    /// <summary>The frame type that triggered a transport error (0 when unknown); always 0 for 0x1d.</summary>
    public ulong FrameType { get; }

    public ReadOnlySpan<byte> ReasonPhrase { get; }

    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out ConnectionCloseFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(
                ref reader, QuicFrameType.ConnectionCloseTransport, QuicFrameType.ConnectionCloseApplication, out ulong type)
            || !reader.TryReadVarint(out ulong errorCode))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        bool isApplication = type == (ulong)QuicFrameType.ConnectionCloseApplication;
        ulong frameType = 0;
        if ((!isApplication && !reader.TryReadVarint(out frameType))
            || !reader.TryReadVarint(out ulong reasonLength)
            || !reader.TryReadBytes(reasonLength, out ReadOnlySpan<byte> reason))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new ConnectionCloseFrame(isApplication, errorCode, frameType, reason);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() =>
        1 + VarInt.GetLength(ErrorCode)
        + (IsApplicationError ? 0 : VarInt.GetLength(FrameType))
        + VarInt.GetLength((ulong)ReasonPhrase.Length) + ReasonPhrase.Length;

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)(IsApplicationError ? QuicFrameType.ConnectionCloseApplication : QuicFrameType.ConnectionCloseTransport));
        writer.WriteVarint(ErrorCode);
        if (!IsApplicationError)
        {
            writer.WriteVarint(FrameType);
        }

        writer.WriteVarint((ulong)ReasonPhrase.Length);
        writer.WriteBytes(ReasonPhrase);
    }
}
