using System.Buffers;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>An HTTP/3 frame header: type and payload length varints (RFC 9114 §7.1).</summary>
/// <param name="Type">The frame type; may be unknown or GREASE.</param>
/// <param name="PayloadLength">The payload length the header announces.</param>
/// <param name="HeaderLength">Bytes the two varints took (2 to 16).</param>
internal readonly record struct Http3FrameHeader(ulong Type, ulong PayloadLength, int HeaderLength);

/// <summary>
/// Sans-IO frame reading. The header is parsed on its own so a caller can stream DATA (and skip
/// unknown frames) without buffering the payload, and buffer only the small control frames.
/// </summary>
/// <remarks>
/// Size policy: a buffered frame (HEADERS, SETTINGS, PUSH_PROMISE, …) whose payload exceeds
/// the caller's limit is <see cref="Http3ErrorCode.ExcessiveLoad"/>: the frame may be
/// well-formed, we just refuse to hold that much (RFC 9114 §10.5). A GOAWAY, MAX_PUSH_ID or
/// CANCEL_PUSH whose length cannot be one varint (0 or more than 8 bytes) is malformed, so
/// <see cref="Http3ErrorCode.FrameError"/> (§7.1), whatever the limit.
/// </remarks>
internal static class Http3FrameReader
{
    /// <summary>The longest frame header: two 8-byte varints.</summary>
    public const int MaxHeaderLength = 2 * VarInt.MaxLength;

    /// <summary>A sensible default limit for buffered frames (control frames are tiny).</summary>
    public const int DefaultMaxBufferedPayload = 16 * 1024;

    /// <summary>
    /// Reads a frame header (type and length varints, each 1, 2, 4 or 8 bytes). Purely syntactic:
    /// returns <see cref="Http3ReadStatus.Done"/> or <see cref="Http3ReadStatus.NeedMoreData"/>,
    /// never an error. Use <see cref="Validate"/> for the checks that depend on the type.
    /// </summary>
    public static Http3ReadStatus TryReadFrameHeader(ReadOnlySpan<byte> input, out ulong type, out ulong length, out int headerLength)
    {
        length = 0;
        headerLength = 0;
        if (!VarInt.TryRead(input, out type, out int typeLength)
            || !VarInt.TryRead(input[typeLength..], out length, out int lengthLength))
        {
            type = 0;
            return Http3ReadStatus.NeedMoreData;
        }

        headerLength = typeLength + lengthLength;
        return Http3ReadStatus.Done;
    }

    /// <inheritdoc cref="TryReadFrameHeader(ReadOnlySpan{byte}, out ulong, out ulong, out int)"/>
    public static Http3ReadStatus TryReadFrameHeader(ReadOnlySpan<byte> input, out Http3FrameHeader header)
    {
        Http3ReadStatus status = TryReadFrameHeader(input, out ulong type, out ulong length, out int headerLength);
        header = new Http3FrameHeader(type, length, headerLength);
        return status;
    }

    /// <summary>
    /// Reads a frame header from a possibly multi-segment sequence (as a pipe reader hands out);
    /// a header split across segments is copied to the stack first.
    /// </summary>
    public static Http3ReadStatus TryReadFrameHeader(in ReadOnlySequence<byte> input, out Http3FrameHeader header)
    {
        ReadOnlySpan<byte> first = input.FirstSpan;
        if (first.Length >= MaxHeaderLength || input.IsSingleSegment)
        {
            return TryReadFrameHeader(first, out header);
        }

        Span<byte> copy = stackalloc byte[MaxHeaderLength];
        int available = (int)Math.Min(input.Length, MaxHeaderLength);
        input.Slice(0, available).CopyTo(copy);
        return TryReadFrameHeader(copy[..available], out header);
    }

    /// <summary>
    /// Checks what can be checked from a header alone, on any stream: reserved HTTP/2 types are
    /// <see cref="Http3ErrorCode.FrameUnexpected"/>; single-varint frames with an impossible
    /// length are <see cref="Http3ErrorCode.FrameError"/>; a buffered frame larger than
    /// <paramref name="maxBufferedPayload"/> is <see cref="Http3ErrorCode.ExcessiveLoad"/>.
    /// DATA and unknown types are never limited (they are streamed or skipped).
    /// Returns <see cref="Http3ErrorCode.NoError"/> when the header is acceptable.
    /// </summary>
    public static Http3ErrorCode Validate(ulong type, ulong length, ulong maxBufferedPayload)
    {
        if (Http3FrameTypes.IsReservedHttp2(type))
        {
            return Http3ErrorCode.FrameUnexpected;
        }

        if (Http3FrameTypes.IsSingleVarint(type) && length is 0 or > VarInt.MaxLength)
        {
            return Http3ErrorCode.FrameError;
        }

        if (Http3FrameTypes.IsBuffered(type) && length > maxBufferedPayload)
        {
            return Http3ErrorCode.ExcessiveLoad;
        }

        return Http3ErrorCode.NoError;
    }

    /// <summary>
    /// Reads one whole frame (header and payload) when all of it is in <paramref name="input"/>.
    /// This is the buffered path: it applies <paramref name="maxBufferedPayload"/> to every type,
    /// DATA and unknown included, so callers that stream DATA should use
    /// <see cref="TryReadFrameHeader(ReadOnlySpan{byte}, out Http3FrameHeader)"/> and
    /// <see cref="Http3PayloadCursor"/> instead. Header errors (see <see cref="Validate"/>) are
    /// reported as soon as the header is complete, before the payload has arrived.
    /// </summary>
    public static Http3ReadStatus TryReadFrame(
        ReadOnlySpan<byte> input,
        ulong maxBufferedPayload,
        out ulong type,
        out ReadOnlySpan<byte> payload,
        out int bytesConsumed,
        out Http3ErrorCode error)
    {
        payload = default;
        bytesConsumed = 0;
        if (TryReadFrameHeader(input, out type, out ulong length, out int headerLength) != Http3ReadStatus.Done)
        {
            error = Http3ErrorCode.NoError;
            return Http3ReadStatus.NeedMoreData;
        }

        error = Validate(type, length, maxBufferedPayload);
        if (error == Http3ErrorCode.NoError && length > maxBufferedPayload)
        {
            error = Http3ErrorCode.ExcessiveLoad;
        }

        if (error != Http3ErrorCode.NoError)
        {
            return Http3ReadStatus.Error;
        }

        if (length > (ulong)(input.Length - headerLength))
        {
            return Http3ReadStatus.NeedMoreData;
        }

        payload = input.Slice(headerLength, (int)length);
        bytesConsumed = headerLength + (int)length;
        return Http3ReadStatus.Done;
    }

    /// <summary>Bytes a frame header for <paramref name="type"/> and <paramref name="payloadLength"/> takes.</summary>
    public static int GetHeaderLength(ulong type, ulong payloadLength) =>
        VarInt.GetLength(type) + VarInt.GetLength(payloadLength);

    /// <summary>Writes a frame header with shortest varints.</summary>
    public static void WriteHeader(ref SpanWriter writer, ulong type, ulong payloadLength)
    {
        writer.WriteVarint(type);
        writer.WriteVarint(payloadLength);
    }
}

/// <summary>
/// Tracks how much of a streamed payload (DATA, or an unknown frame being skipped) is still to
/// come, so the payload can be consumed across any number of reads without buffering it.
/// </summary>
internal struct Http3PayloadCursor
{
    public Http3PayloadCursor(ulong payloadLength) => Remaining = payloadLength;

    /// <summary>Payload bytes not yet consumed.</summary>
    public ulong Remaining { get; private set; }

    /// <summary>True once the whole payload has been consumed.</summary>
    public readonly bool IsComplete => Remaining == 0;

    /// <summary>
    /// Takes the part of <paramref name="input"/> that belongs to the payload (possibly empty,
    /// possibly all of it) and counts it as consumed. Bytes after the returned slice belong to the
    /// next frame.
    /// </summary>
    public ReadOnlySpan<byte> Take(ReadOnlySpan<byte> input)
    {
        int count = Remaining < (ulong)input.Length ? (int)Remaining : input.Length;
        Remaining -= (ulong)count;
        return input[..count];
    }
}
