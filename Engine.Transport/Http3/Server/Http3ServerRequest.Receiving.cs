using System.Buffers;
using Engine.Transport.Http3.QPack;

namespace Engine.Transport.Http3;

/// <summary>The request side: frames parsed incrementally as stream bytes arrive (RFC 9114 §4.1).</summary>
public sealed partial class Http3ServerRequest
{
    private readonly byte[] _frameHeader = new byte[16];
    private int _frameHeaderLength;
    private ulong _frameType;
    private long _payloadRemaining;
    private byte[]? _fieldSection;
    private int _fieldSectionFill;
    private ArrayBufferWriter<byte>? _body;
    private long _bodyReceived;
    private long? _declaredContentLength;

    internal ReceivePhase Phase { get; private set; } = ReceivePhase.Head;

    /// <summary>The request side has ended (FIN read, peer reset, or we stopped reading).</summary>
    internal bool ReadDone { get; set; }

    /// <summary>
    /// Consumes request bytes. Returns a connection error code (H3_* or QPACK_*), or 0 when the
    /// bytes were fine; stream-level outcomes (reject, 413, 431, dispatch) are reported to the owner.
    /// </summary>
    internal ulong Receive(ReadOnlySpan<byte> data, bool finished, Http3ServerOptions options, QPackDecoder decoder, TimeSpan now = default)
    {
        while (!data.IsEmpty && Phase < ReceivePhase.Complete)
        {
            if (_payloadRemaining > 0)
            {
                int count = (int)Math.Min(_payloadRemaining, data.Length);
                if (_frameType == (ulong)Http3FrameType.Data && !AppendBody(data[..count], options))
                {
                    return 0;
                }

                _payloadRemaining -= count;
                data = data[count..];
                continue;
            }

            if (_fieldSection is not null)
            {
                int count = Math.Min(_fieldSection.Length - _fieldSectionFill, data.Length);
                data[..count].CopyTo(_fieldSection.AsSpan(_fieldSectionFill));
                _fieldSectionFill += count;
                data = data[count..];
                if (_fieldSectionFill == _fieldSection.Length)
                {
                    ulong error = OnFieldSection(options, decoder);
                    if (error != 0 || Phase >= ReceivePhase.Complete)
                    {
                        return error;
                    }

                    if (Method == "CONNECT" && Protocol is not null)
                    {
                        // Extended CONNECT (RFC 9220) never ends its stream: answer at the head.
                        if (_owner.TryHandOverConnect(this, data, finished, now))
                        {
                            Phase = ReceivePhase.HandedOver; // the stream belongs to the extension now (WebTransport)
                        }

                        return 0;
                    }
                }

                continue;
            }

            // A frame header (type and length varints) may arrive split; gather at most 16 bytes of it.
            int take = Math.Min(_frameHeader.Length - _frameHeaderLength, data.Length);
            data[..take].CopyTo(_frameHeader.AsSpan(_frameHeaderLength));
            Http3ReadStatus status = Http3FrameReader.TryReadFrameHeader(_frameHeader.AsSpan(0, _frameHeaderLength + take), out ulong type, out ulong length, out int headerLength);
            if (status == Http3ReadStatus.NeedMoreData)
            {
                _frameHeaderLength += take;
                data = data[take..];
                continue;
            }

            data = data[(headerLength - _frameHeaderLength)..];
            _frameHeaderLength = 0;
            if (Phase == ReceivePhase.Head && type == (ulong)Http3FrameType.WebTransportStream)
            {
                // Not a request: a WebTransport stream, whose "length" is the session ID.
                Phase = ReceivePhase.HandedOver;
                _owner.HandOverBidirectionalStream(this, (long)length, data, finished, now);
                return 0;
            }

            ulong frameError = OnFrameHeader(type, length, options);
            if (frameError != 0 || Phase >= ReceivePhase.Complete)
            {
                return frameError;
            }
        }

        return finished && Phase < ReceivePhase.Complete ? OnEnd() : 0;
    }

    private ulong OnFrameHeader(ulong type, ulong length, Http3ServerOptions options)
    {
        switch (type)
        {
            case (ulong)Http3FrameType.Headers:
                if (Phase == ReceivePhase.Trailers)
                {
                    return (ulong)Http3ErrorCode.FrameUnexpected;
                }

                if (length > (ulong)options.MaxFieldSectionSize + 1024)
                {
                    // The encoded section alone exceeds what its decoded form may be (plus prefix slack).
                    _owner.RespondAndStopReading(this, 431, "Request header fields too large.");
                    return 0;
                }

                _fieldSection = new byte[length];
                _fieldSectionFill = 0;
                return _fieldSection.Length == 0 ? OnFieldSection(options, decoder: null) : 0;
            case (ulong)Http3FrameType.Data:
                if (Phase != ReceivePhase.Body)
                {
                    return (ulong)Http3ErrorCode.FrameUnexpected; // DATA before HEADERS or after trailers (RFC 9114 §4.1)
                }

                _frameType = type;
                _payloadRemaining = (long)length;
                return 0;
            default:
                if (Http3FrameTypes.IsKnown(type) || Http3FrameTypes.IsReservedHttp2(type))
                {
                    return (ulong)Http3ErrorCode.FrameUnexpected; // control-stream frames, PUSH_PROMISE from a client, HTTP/2 types
                }

                _frameType = type; // unknown and GREASE frames are skipped (RFC 9114 §9)
                _payloadRemaining = (long)length;
                return 0;
        }
    }

    private ulong OnFieldSection(Http3ServerOptions options, QPackDecoder? decoder)
    {
        byte[] section = _fieldSection ?? [];
        _fieldSection = null;
        var head = new Http3RequestHeadReader();
        QPackStatus decoded = section.Length == 0 || decoder is null
            ? QPackStatus.DecompressionFailed
            : decoder.Decode(section, options.MaxFieldSectionSize, ref head);
        if (decoded.TryGetErrorCode(out QPackErrorCode qpackError))
        {
            return (ulong)qpackError;
        }

        if (Phase == ReceivePhase.Body)
        {
            // Trailers follow the head's field rules and carry no pseudo-headers (RFC 9114 §4.1.2, §4.3); they are not used.
            if (head.Problem is not null || head.HasPseudoHeaders)
            {
                _owner.RejectRequest(this, Http3ErrorCode.MessageError, "malformed trailers: " + (head.Problem ?? "a pseudo-header"));
                return 0;
            }

            Phase = ReceivePhase.Trailers;
            return 0;
        }

        if (decoded == QPackStatus.FieldSectionTooLarge)
        {
            _owner.RespondAndStopReading(this, 431, "Request header fields too large.");
            return 0;
        }

        head.CheckComplete();
        if (head.Problem is { } problem)
        {
            _owner.RejectRequest(this, Http3ErrorCode.MessageError, "malformed request: " + problem);
            return 0;
        }

        Method = head.Method!;
        Scheme = head.Scheme ?? string.Empty;
        Authority = head.Authority ?? string.Empty;
        Path = head.Path ?? string.Empty;
        Protocol = head.Protocol;
        Headers = head.Fields;
        _declaredContentLength = head.ContentLength;
        Phase = ReceivePhase.Body;
        if (_declaredContentLength > options.MaxRequestBodyBytes)
        {
            _owner.RespondAndStopReading(this, 413, "Request body too large.");
        }

        return 0;
    }

    /// <summary>The extended CONNECT protocol (:protocol), when present.</summary>
    public string? Protocol { get; private set; }

    private bool AppendBody(ReadOnlySpan<byte> bytes, Http3ServerOptions options)
    {
        _bodyReceived += bytes.Length;
        if (_bodyReceived > options.MaxRequestBodyBytes || _bodyReceived > _declaredContentLength)
        {
            if (_bodyReceived > _declaredContentLength)
            {
                _owner.RejectRequest(this, Http3ErrorCode.MessageError, "malformed request: more DATA than content-length");
            }
            else
            {
                _owner.RespondAndStopReading(this, 413, "Request body too large.");
            }

            return false;
        }

        (_body ??= new ArrayBufferWriter<byte>(Math.Min(bytes.Length, 16 * 1024))).Write(bytes);
        return true;
    }

    private ulong OnEnd()
    {
        ReadDone = true;
        if (_frameHeaderLength > 0 || _payloadRemaining > 0 || _fieldSection is not null)
        {
            return (ulong)Http3ErrorCode.FrameError; // the stream ended inside a frame (RFC 9114 §7.1)
        }

        if (Phase == ReceivePhase.Head)
        {
            _owner.RejectRequest(this, Http3ErrorCode.RequestIncomplete, "the request stream ended before its HEADERS");
            return 0;
        }

        if (_declaredContentLength is { } declared && declared != _bodyReceived)
        {
            _owner.RejectRequest(this, Http3ErrorCode.MessageError, "malformed request: body shorter than content-length");
            return 0;
        }

        Phase = ReceivePhase.Complete;
        _owner.Dispatch(this);
        return 0;
    }

    /// <summary>Stops parsing: later bytes on this stream are dropped.</summary>
    internal void StopReceiving()
    {
        Phase = ReceivePhase.Discarding;
        _fieldSection = null;
        _payloadRemaining = 0;
        _frameHeaderLength = 0;
    }

    internal enum ReceivePhase
    {
        Head,
        Body,
        Trailers,
        Complete,
        Discarding,

        /// <summary>The stream was handed to an extension (WebTransport) and is no longer HTTP/3's.</summary>
        HandedOver,
    }
}
