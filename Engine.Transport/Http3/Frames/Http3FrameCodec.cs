using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>Shared reading steps for the individual frame codecs.</summary>
internal static class Http3FrameCodec
{
    /// <summary>Reads a header that must be of <paramref name="expected"/> type, without its payload.</summary>
    public static Http3ReadStatus TryReadStreamedHeader(
        ReadOnlySpan<byte> input,
        Http3FrameType expected,
        out ulong payloadLength,
        out int headerLength,
        out Http3ErrorCode error)
    {
        error = Http3ErrorCode.NoError;
        if (Http3FrameReader.TryReadFrameHeader(input, out ulong type, out payloadLength, out headerLength) != Http3ReadStatus.Done)
        {
            return Http3ReadStatus.NeedMoreData;
        }

        if (type != (ulong)expected)
        {
            headerLength = 0;
            payloadLength = 0;
            error = Http3ErrorCode.FrameUnexpected;
            return Http3ReadStatus.Error;
        }

        return Http3ReadStatus.Done;
    }

    /// <summary>Reads a whole frame that must be of <paramref name="expected"/> type and returns its payload.</summary>
    public static Http3ReadStatus TryReadBuffered(
        ReadOnlySpan<byte> input,
        Http3FrameType expected,
        ulong maxPayload,
        out ReadOnlySpan<byte> payload,
        out int bytesConsumed,
        out Http3ErrorCode error)
    {
        Http3ReadStatus status = Http3FrameReader.TryReadFrame(input, maxPayload, out ulong type, out payload, out bytesConsumed, out error);
        if (status == Http3ReadStatus.NeedMoreData
            && Http3FrameReader.TryReadFrameHeader(input, out type, out _, out _) == Http3ReadStatus.Done
            && type != (ulong)expected)
        {
            // Report a wrong type as soon as the header is in, not only once the payload is.
            status = Http3ReadStatus.Error;
        }

        if (status != Http3ReadStatus.NeedMoreData && type != (ulong)expected)
        {
            payload = default;
            bytesConsumed = 0;
            error = Http3ErrorCode.FrameUnexpected;
            return Http3ReadStatus.Error;
        }

        return status;
    }

    /// <summary>
    /// Parses a payload that must be exactly one varint (GOAWAY, MAX_PUSH_ID, CANCEL_PUSH):
    /// too short or trailing bytes are <see cref="Http3ErrorCode.FrameError"/> (RFC 9114 §7.1).
    /// </summary>
    public static Http3ErrorCode TryReadSingleVarint(ReadOnlySpan<byte> payload, out ulong value)
    {
        if (!VarInt.TryRead(payload, out value, out int consumed) || consumed != payload.Length)
        {
            value = 0;
            return Http3ErrorCode.FrameError;
        }

        return Http3ErrorCode.NoError;
    }

    /// <summary>Reads a whole single-varint frame of <paramref name="expected"/> type.</summary>
    public static Http3ReadStatus TryReadSingleVarintFrame(
        ReadOnlySpan<byte> input,
        Http3FrameType expected,
        out ulong value,
        out int bytesConsumed,
        out Http3ErrorCode error)
    {
        value = 0;
        Http3ReadStatus status = TryReadBuffered(input, expected, VarInt.MaxLength, out ReadOnlySpan<byte> payload, out bytesConsumed, out error);
        if (status != Http3ReadStatus.Done)
        {
            return status;
        }

        error = TryReadSingleVarint(payload, out value);
        if (error != Http3ErrorCode.NoError)
        {
            bytesConsumed = 0;
            return Http3ReadStatus.Error;
        }

        return Http3ReadStatus.Done;
    }

    public static int GetSingleVarintFrameLength(Http3FrameType type, ulong value)
    {
        int valueLength = VarInt.GetLength(value);
        return Http3FrameReader.GetHeaderLength((ulong)type, (ulong)valueLength) + valueLength;
    }

    public static void WriteSingleVarintFrame(ref SpanWriter writer, Http3FrameType type, ulong value)
    {
        Http3FrameReader.WriteHeader(ref writer, (ulong)type, (ulong)VarInt.GetLength(value));
        writer.WriteVarint(value);
    }
}
