using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>What one <see cref="Http3ControlStreamReader.Feed(ReadOnlySpan{byte}, out Http3ControlEvents)"/> call brought.</summary>
[Flags]
internal enum Http3ControlEvents
{
    None = 0,

    /// <summary>The peer's SETTINGS arrived (happens once).</summary>
    Settings = 1,

    /// <summary>A GOAWAY arrived; <see cref="Http3ControlStreamReader.GoAwayId"/> holds the latest ID.</summary>
    GoAway = 2,

    /// <summary>A MAX_PUSH_ID arrived; <see cref="Http3ControlStreamReader.MaxPushId"/> holds the latest.</summary>
    MaxPushId = 4,

    /// <summary>A CANCEL_PUSH arrived; <see cref="Http3ControlStreamReader.LastCancelledPushId"/> holds the latest.</summary>
    CancelPush = 8,
}

/// <summary>
/// Sans-IO reader of the peer's control stream (RFC 9114 §6.2.1), fed the bytes after the stream
/// type. Bytes may arrive in any split, one at a time included; the reader keeps at most one
/// frame header (16 bytes) and one control frame payload (up to the configured limit) buffered.
/// </summary>
/// <remarks>
/// Rules enforced, all as connection errors that stick once reported:
/// the first frame must be SETTINGS (else H3_MISSING_SETTINGS, checked before anything else,
/// so even a GREASE frame first is an error); a second SETTINGS, DATA, HEADERS, PUSH_PROMISE,
/// reserved HTTP/2 types, and MAX_PUSH_ID from a server are H3_FRAME_UNEXPECTED; GOAWAY IDs must
/// not increase, and a server's GOAWAY must name a client-initiated bidirectional stream
/// (H3_ID_ERROR); MAX_PUSH_ID must not decrease (H3_ID_ERROR); a CANCEL_PUSH from a client is
/// H3_ID_ERROR because this server never promises pushes; frame layout and size errors as in
/// <see cref="Http3FrameReader.Validate"/>. Unknown and GREASE frames are skipped without
/// buffering. The end of the stream is H3_CLOSED_CRITICAL_STREAM (<see cref="OnStreamEnded"/>).
/// </remarks>
internal sealed class Http3ControlStreamReader
{
    private readonly bool _peerIsClient;
    private readonly int _maxBufferedPayload;
    private readonly byte[] _header = new byte[Http3FrameReader.MaxHeaderLength];
    private byte[] _payload = [];
    private int _headerCount;
    private int _payloadCount;
    private int _payloadLength;
    private ulong _frameType;
    private Http3PayloadCursor _skip;
    private State _state;

    /// <param name="peerIsClient">True when this end is the server (the peer is a client).</param>
    /// <param name="maxBufferedPayload">The largest control frame payload (SETTINGS in practice) accepted.</param>
    public Http3ControlStreamReader(bool peerIsClient, int maxBufferedPayload = Http3FrameReader.DefaultMaxBufferedPayload)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBufferedPayload, VarInt.MaxLength);
        _peerIsClient = peerIsClient;
        _maxBufferedPayload = maxBufferedPayload;
    }

    private enum State : byte
    {
        Header,
        Payload,
        Skip,
    }

    /// <summary>The peer's settings, once its SETTINGS frame has been read.</summary>
    public Http3Settings? PeerSettings { get; private set; }

    /// <summary>The ID of the latest GOAWAY, if any.</summary>
    public ulong? GoAwayId { get; private set; }

    /// <summary>The latest MAX_PUSH_ID (from a client), if any.</summary>
    public ulong? MaxPushId { get; private set; }

    /// <summary>The push ID of the latest CANCEL_PUSH (from a server), if any.</summary>
    public ulong? LastCancelledPushId { get; private set; }

    /// <summary>The first error found; <see cref="Http3ErrorCode.NoError"/> while the stream is healthy.</summary>
    public Http3ErrorCode Error { get; private set; } = Http3ErrorCode.NoError;

    /// <summary>Frames read so far, skipped ones included.</summary>
    public int FramesRead { get; private set; }

    /// <inheritdoc cref="Feed(ReadOnlySpan{byte}, out Http3ControlEvents)"/>
    public Http3ErrorCode Feed(ReadOnlySpan<byte> data) => Feed(data, out _);

    /// <summary>
    /// Consumes the next bytes of the control stream. Returns <see cref="Http3ErrorCode.NoError"/>
    /// or the connection error to close with; after an error, further bytes are ignored and the
    /// same error is returned.
    /// </summary>
    public Http3ErrorCode Feed(ReadOnlySpan<byte> data, out Http3ControlEvents events)
    {
        events = Http3ControlEvents.None;
        while (!data.IsEmpty && Error == Http3ErrorCode.NoError)
        {
            switch (_state)
            {
                case State.Skip:
                    data = data[_skip.Take(data).Length..];
                    if (_skip.IsComplete)
                    {
                        _state = State.Header;
                    }

                    break;
                case State.Header:
                    data = ConsumeHeader(data, ref events);
                    break;
                default:
                    data = ConsumePayload(data, ref events);
                    break;
            }
        }

        return Error;
    }

    /// <summary>The peer ended the control stream: always H3_CLOSED_CRITICAL_STREAM (unless an error came first).</summary>
    public Http3ErrorCode OnStreamEnded()
    {
        if (Error == Http3ErrorCode.NoError)
        {
            Error = Http3ErrorCode.ClosedCriticalStream;
        }

        return Error;
    }

    private ReadOnlySpan<byte> ConsumeHeader(ReadOnlySpan<byte> data, scoped ref Http3ControlEvents events)
    {
        if (_headerCount == 0
            && Http3FrameReader.TryReadFrameHeader(data, out ulong type, out ulong length, out int headerLength) == Http3ReadStatus.Done)
        {
            OnHeader(type, length, ref events);
            return data[headerLength..];
        }

        int needed = HeaderBytesNeeded();
        int count = Math.Min(needed, data.Length);
        data[..count].CopyTo(_header.AsSpan(_headerCount));
        _headerCount += count;
        if (HeaderBytesNeeded() == 0)
        {
            Http3FrameReader.TryReadFrameHeader(_header.AsSpan(0, _headerCount), out type, out length, out _);
            _headerCount = 0;
            OnHeader(type, length, ref events);
        }

        return data[count..];
    }

    /// <summary>How many more bytes the buffered partial header needs (0 when complete).</summary>
    private int HeaderBytesNeeded()
    {
        if (_headerCount == 0)
        {
            return 1;
        }

        int typeLength = VarInt.GetEncodedLength(_header[0]);
        if (_headerCount <= typeLength)
        {
            return typeLength - _headerCount + 1;
        }

        return typeLength + VarInt.GetEncodedLength(_header[typeLength]) - _headerCount;
    }

    private void OnHeader(ulong type, ulong length, ref Http3ControlEvents events)
    {
        FramesRead++;
        Error = CheckOrdering(type);
        if (Error == Http3ErrorCode.NoError)
        {
            Error = Http3FrameReader.Validate(type, length, (ulong)_maxBufferedPayload);
        }

        if (Error != Http3ErrorCode.NoError)
        {
            return;
        }

        if (!Http3FrameTypes.IsBuffered(type))
        {
            _skip = new Http3PayloadCursor(length);
            _state = _skip.IsComplete ? State.Header : State.Skip;
            return;
        }

        _frameType = type;
        _payloadLength = (int)length;
        _payloadCount = 0;
        _state = State.Payload;
        if (_payloadLength == 0)
        {
            OnFrame([], ref events);
        }
    }

    private Http3ErrorCode CheckOrdering(ulong type)
    {
        if (PeerSettings is null && type != (ulong)Http3FrameType.Settings)
        {
            return Http3ErrorCode.MissingSettings;
        }

        return (Http3FrameType)type switch
        {
            Http3FrameType.Settings when PeerSettings is not null => Http3ErrorCode.FrameUnexpected,
            Http3FrameType.Data or Http3FrameType.Headers or Http3FrameType.PushPromise => Http3ErrorCode.FrameUnexpected,
            Http3FrameType.MaxPushId when !_peerIsClient => Http3ErrorCode.FrameUnexpected,
            _ when Http3FrameTypes.IsReservedHttp2(type) => Http3ErrorCode.FrameUnexpected,
            _ => Http3ErrorCode.NoError,
        };
    }

    private ReadOnlySpan<byte> ConsumePayload(ReadOnlySpan<byte> data, scoped ref Http3ControlEvents events)
    {
        if (_payloadCount == 0 && data.Length >= _payloadLength)
        {
            OnFrame(data[.._payloadLength], ref events);
            return data[_payloadLength..];
        }

        if (_payload.Length < _payloadLength)
        {
            _payload = new byte[Math.Max(_payloadLength, Math.Min(2 * _payload.Length, _maxBufferedPayload))];
        }

        int count = Math.Min(_payloadLength - _payloadCount, data.Length);
        data[..count].CopyTo(_payload.AsSpan(_payloadCount));
        _payloadCount += count;
        if (_payloadCount == _payloadLength)
        {
            OnFrame(_payload.AsSpan(0, _payloadLength), ref events);
        }

        return data[count..];
    }

    private void OnFrame(ReadOnlySpan<byte> payload, ref Http3ControlEvents events)
    {
        _state = State.Header;
        _payloadCount = 0;
        switch ((Http3FrameType)_frameType)
        {
            case Http3FrameType.Settings:
                Error = Http3Settings.TryParsePayload(payload, out Http3Settings settings);
                if (Error == Http3ErrorCode.NoError)
                {
                    PeerSettings = settings;
                    events |= Http3ControlEvents.Settings;
                }

                break;
            case Http3FrameType.GoAway:
                Error = Http3GoAwayFrame.TryReadPayload(payload, out Http3GoAwayFrame goAway);
                if (Error == Http3ErrorCode.NoError)
                {
                    OnGoAway(goAway.Id, ref events);
                }

                break;
            case Http3FrameType.MaxPushId:
                Error = Http3MaxPushIdFrame.TryReadPayload(payload, out Http3MaxPushIdFrame maxPushId);
                if (Error == Http3ErrorCode.NoError)
                {
                    OnMaxPushId(maxPushId.PushId, ref events);
                }

                break;
            case Http3FrameType.CancelPush:
                Error = Http3CancelPushFrame.TryReadPayload(payload, out Http3CancelPushFrame cancel);
                if (Error == Http3ErrorCode.NoError)
                {
                    OnCancelPush(cancel.PushId, ref events);
                }

                break;
            default:
                // Only buffered control frames reach here; anything else is a bug upstream.
                Error = Http3ErrorCode.InternalError;
                break;
        }
    }

    private void OnGoAway(ulong id, ref Http3ControlEvents events)
    {
        // A server's GOAWAY names a client-initiated bidirectional stream (RFC 9114 §5.2).
        if ((!_peerIsClient && id % 4 != 0) || id > GoAwayId)
        {
            Error = Http3ErrorCode.IdError;
            return;
        }

        GoAwayId = id;
        events |= Http3ControlEvents.GoAway;
    }

    private void OnMaxPushId(ulong pushId, ref Http3ControlEvents events)
    {
        if (pushId < MaxPushId)
        {
            Error = Http3ErrorCode.IdError;
            return;
        }

        MaxPushId = pushId;
        events |= Http3ControlEvents.MaxPushId;
    }

    private void OnCancelPush(ulong pushId, ref Http3ControlEvents events)
    {
        // This server never sends PUSH_PROMISE, so every push ID a client cancels is unknown (RFC 9114 §7.2.3).
        if (_peerIsClient)
        {
            Error = Http3ErrorCode.IdError;
            return;
        }

        LastCancelledPushId = pushId;
        events |= Http3ControlEvents.CancelPush;
    }
}
