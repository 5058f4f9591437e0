using Engine.Transport.Coding;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>What <see cref="Http3PeerUniStreams.Read"/> made of a peer unidirectional stream's bytes.</summary>
internal enum Http3UniStreamStatus
{
    /// <summary>The stream type is not complete yet (its prefix is kept); nothing to do.</summary>
    NeedMoreData,

    /// <summary>A critical stream (control, QPACK encoder or decoder); the remaining bytes are its content.</summary>
    Critical,

    /// <summary>A push, WebTransport, unknown or GREASE stream: not kept; stop it unless it already ended.</summary>
    Abandon,

    /// <summary>The connection must close with the returned error.</summary>
    ConnectionError,

    /// <summary>A WebTransport unidirectional stream (type 0x54); the remaining bytes start with its session ID.</summary>
    WebTransport,
}

/// <summary>
/// Classifies the peer's unidirectional streams by their type prefix (RFC 9114 §6.2) and enforces
/// the critical-stream rules: at most one control, one QPACK encoder and one QPACK decoder stream
/// (a second is H3_STREAM_CREATION_ERROR), and none of them may end or be reset
/// (H3_CLOSED_CRITICAL_STREAM; RFC 9114 §6.2.1, RFC 9204 §4.2). The type varint (1 to 8 bytes)
/// may arrive split across reads; the partial prefix is kept per stream until it is whole or the
/// stream ends. Only critical streams are remembered once classified. A client may not open push
/// streams: on the server side one is H3_STREAM_CREATION_ERROR. The critical streams' content goes
/// to <see cref="Consume"/>, which owns their readers, so both connection roles share one path.
/// </summary>
internal sealed class Http3PeerUniStreams(bool peerIsClient)
{
    /// <summary>The stream type of a WebTransport unidirectional stream (draft-02 §4.1).</summary>
    public const ulong WebTransportUniStreamType = 0x54;

    private readonly Dictionary<long, Http3StreamType> _critical = [];
    private readonly Dictionary<long, byte[]> _partialTypes = [];
    private readonly QPackEncoderStreamReader _qpackEncoderStream = new();
    private readonly QPackDecoderStreamReader _qpackDecoderStream = new();

    /// <summary>The peer's control stream as read so far (SETTINGS, GOAWAY, ...).</summary>
    public Http3ControlStreamReader Control { get; } = new(peerIsClient);

    /// <summary>
    /// Feeds a critical stream's content (after <see cref="Read"/> returned
    /// <see cref="Http3UniStreamStatus.Critical"/>) to its reader; returns the connection error
    /// code (HTTP/3 or QPACK), or 0.
    /// </summary>
    public ulong Consume(Http3StreamType type, ReadOnlySpan<byte> data, out Http3ControlEvents events)
    {
        events = default;
        QPackStatus status = QPackStatus.Success;
        switch (type)
        {
            case Http3StreamType.Control:
                Http3ErrorCode controlError = Control.Feed(data, out events);
                return controlError == Http3ErrorCode.NoError ? 0 : (ulong)controlError;
            case Http3StreamType.QPackEncoder:
                status = _qpackEncoderStream.Read(data);
                break;
            case Http3StreamType.QPackDecoder:
                status = _qpackDecoderStream.Read(data);
                break;
        }

        return status.TryGetErrorCode(out QPackErrorCode code) ? (ulong)code : 0;
    }

    /// <summary>Streams this tracker holds state for (critical streams and partial prefixes).</summary>
    public int TrackedStreams => _critical.Count + _partialTypes.Count;

    /// <summary>
    /// Takes bytes read from peer unidirectional stream <paramref name="streamId"/>; on
    /// <see cref="Http3UniStreamStatus.Critical"/>, <paramref name="data"/> is advanced past the
    /// type prefix and <paramref name="type"/> says which stream it is.
    /// </summary>
    public Http3UniStreamStatus Read(long streamId, ref ReadOnlySpan<byte> data, bool finished, out Http3StreamType type, out Http3ErrorCode error)
    {
        error = Http3ErrorCode.NoError;
        if (!_critical.TryGetValue(streamId, out type))
        {
            Http3UniStreamStatus status = ReadType(streamId, ref data, finished, out type, out error);
            if (status != Http3UniStreamStatus.Critical)
            {
                return status;
            }
        }

        if (finished)
        {
            error = Http3ErrorCode.ClosedCriticalStream;
            return Http3UniStreamStatus.ConnectionError;
        }

        return Http3UniStreamStatus.Critical;
    }

    /// <summary>The peer reset stream <paramref name="streamId"/>: an error for a critical stream, otherwise forgotten.</summary>
    public Http3ErrorCode OnPeerReset(long streamId)
    {
        _partialTypes.Remove(streamId);
        return _critical.ContainsKey(streamId) ? Http3ErrorCode.ClosedCriticalStream : Http3ErrorCode.NoError;
    }

    private Http3UniStreamStatus ReadType(long streamId, ref ReadOnlySpan<byte> data, bool finished, out Http3StreamType type, out Http3ErrorCode error)
    {
        type = default;
        error = Http3ErrorCode.NoError;
        byte[] earlier = _partialTypes.GetValueOrDefault(streamId) ?? [];
        int taken = Math.Min(data.Length, VarInt.MaxLength - earlier.Length);
        byte[] prefix = [.. earlier, .. data[..taken]];
        if (Http3StreamTypes.TryRead(prefix, out ulong value, out int length) != Http3ReadStatus.Done)
        {
            if (finished)
            {
                _partialTypes.Remove(streamId);
            }
            else
            {
                _partialTypes[streamId] = prefix;
            }

            return Http3UniStreamStatus.NeedMoreData;
        }

        _partialTypes.Remove(streamId);
        data = data[(length - earlier.Length)..];
        if (peerIsClient && value == (ulong)Http3StreamType.Push)
        {
            error = Http3ErrorCode.StreamCreationError; // RFC 9114 §6.2.2: only servers push
            return Http3UniStreamStatus.ConnectionError;
        }

        if (value == WebTransportUniStreamType)
        {
            return Http3UniStreamStatus.WebTransport;
        }

        if (value is not ((ulong)Http3StreamType.Control or (ulong)Http3StreamType.QPackEncoder or (ulong)Http3StreamType.QPackDecoder))
        {
            return Http3UniStreamStatus.Abandon;
        }

        type = (Http3StreamType)value;
        if (_critical.ContainsValue(type))
        {
            error = Http3ErrorCode.StreamCreationError;
            return Http3UniStreamStatus.ConnectionError;
        }

        _critical[streamId] = type;
        return Http3UniStreamStatus.Critical;
    }
}
