using System.Buffers;
using System.Text;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic;

namespace Engine.Transport.Http3;

/// <summary>A decoded HTTP/3 request head.</summary>
internal sealed record Http3Request(long StreamId, string Method, string Scheme, string Authority, string Path);

/// <summary>A whole response: status, headers (lowercase names) and body.</summary>
internal sealed record Http3Response(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body);

/// <summary>
/// The server side of HTTP/3 (RFC 9114) on one <see cref="QuicConnection"/>, sans-IO like the
/// connection: <see cref="Process"/> drains the connection's events, opens our control stream with
/// SETTINGS, reads the peer's control and QPACK streams, decodes each request's HEADERS and writes
/// the handler's response (HEADERS then one DATA frame) as flow control allows. First version:
/// whole-body responses, request bodies ignored, no WebTransport yet.
/// </summary>
internal sealed class Http3ServerConnection
{
    /// <summary>Largest decoded request field section we accept (advertised as SETTINGS_MAX_FIELD_SECTION_SIZE).</summary>
    public const int MaxFieldSectionSize = 16 * 1024;

    /// <summary>Most bytes buffered per request stream before its HEADERS frame is complete.</summary>
    private const int MaxRequestHeadBytes = MaxFieldSectionSize + 64;

    private readonly QuicConnection _connection;
    private readonly Func<Http3Request, Http3Response> _handler;
    private readonly Http3ControlStreamReader _control = new(peerIsClient: true);
    private readonly QPackEncoderStreamReader _qpackEncoderStream = new();
    private readonly QPackDecoderStreamReader _qpackDecoderStream = new();
    private readonly QPackDecoder _decoder = new();
    private readonly Dictionary<long, RequestStream> _requests = [];
    private readonly Dictionary<long, ulong> _uniStreamTypes = [];
    private readonly Dictionary<long, byte[]> _partialStreamTypes = [];
    private readonly byte[] _readBuffer = new byte[16 * 1024];
    private long _controlStreamId = -1;

    public Http3ServerConnection(QuicConnection connection, Func<Http3Request, Http3Response> handler)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
    }

    public QuicConnection Connection => _connection;

    public int RequestsServed { get; private set; }

    /// <summary>Runs after the connection has handled input or timers; never throws for peer bytes.</summary>
    public void Process(TimeSpan now)
    {
        try
        {
            ProcessEvents(now);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // A bug of ours must cost this connection, never the driver or other connections.
            InternalError = exception;
            if (!_connection.IsClosing)
            {
                _connection.Close((ulong)Http3ErrorCode.InternalError, "internal error", now);
            }
        }
    }

    /// <summary>An exception our own code threw while processing (a bug; the connection was closed with H3_INTERNAL_ERROR).</summary>
    public Exception? InternalError { get; private set; }

    private void ProcessEvents(TimeSpan now)
    {
        if (_connection.IsClosing)
        {
            return;
        }

        if (_controlStreamId < 0 && _connection.IsHandshakeComplete)
        {
            OpenControlStream();
        }

        while (!_connection.IsClosing && _connection.TryPollEvent(out QuicConnectionEvent e))
        {
            switch (e.Kind)
            {
                case QuicConnectionEventKind.StreamOpened or QuicConnectionEventKind.StreamReadable:
                    OnReadable(e.StreamId, now);
                    break;
                case QuicConnectionEventKind.StreamWritable:
                    if (_requests.TryGetValue(e.StreamId, out RequestStream? writable))
                    {
                        ContinueResponse(writable);
                    }

                    break;
                case QuicConnectionEventKind.StreamPeerReset or QuicConnectionEventKind.StreamPeerStopSending:
                    _requests.Remove(e.StreamId);
                    break;
            }
        }
    }

    private void OpenControlStream()
    {
        if (!_connection.TryOpenStream(bidirectional: false, out long id))
        {
            return;
        }

        _controlStreamId = id;
        byte[] settings = Http3Settings.BuildServerSettingsFrame(MaxFieldSectionSize);
        byte[] opening = [(byte)Http3StreamType.Control, .. settings];
        _connection.WriteStream(id, opening, fin: false); // a fresh stream's buffer takes these few bytes whole
    }

    private void OnReadable(long streamId, TimeSpan now)
    {
        bool clientBidirectional = (streamId & 0x3) == 0;
        bool clientUnidirectional = (streamId & 0x3) == 2;
        if (!clientBidirectional && !clientUnidirectional)
        {
            return;
        }

        while (!_connection.IsClosing)
        {
            int read = _connection.ReadStream(streamId, _readBuffer, out bool finished);
            ReadOnlySpan<byte> data = _readBuffer.AsSpan(0, read);
            if (clientBidirectional)
            {
                OnRequestBytes(streamId, data, finished, now);
            }
            else
            {
                OnUniBytes(streamId, data, finished, now);
            }

            if (read == 0 || finished)
            {
                return;
            }
        }
    }

    private void OnUniBytes(long streamId, ReadOnlySpan<byte> data, bool finished, TimeSpan now)
    {
        if (!_uniStreamTypes.TryGetValue(streamId, out ulong type))
        {
            // The type is a varint of up to 8 bytes (GREASE types use 8) and may arrive split.
            byte[] pending = _partialStreamTypes.GetValueOrDefault(streamId) ?? [];
            byte[] head = [.. pending, .. data[..Math.Min(data.Length, 8)]];
            if (Http3StreamTypes.TryRead(head, out type, out int consumed) != Http3ReadStatus.Done)
            {
                if (finished)
                {
                    _partialStreamTypes.Remove(streamId);
                }
                else
                {
                    _partialStreamTypes[streamId] = head;
                }

                return;
            }

            _partialStreamTypes.Remove(streamId);
            _uniStreamTypes[streamId] = type;
            data = data[(consumed - pending.Length)..];
            if (!Http3StreamTypes.IsKnown(type) || type == (ulong)Http3StreamType.Push)
            {
                if (finished)
                {
                    _uniStreamTypes.Remove(streamId); // already read to its end (and released): nothing to stop
                }
                else
                {
                    _connection.StopSending(streamId, (ulong)Http3StreamTypes.UnknownStreamStopCode);
                }

                return;
            }
        }

        if (finished && type != (ulong)Http3StreamType.Control)
        {
            _uniStreamTypes.Remove(streamId); // nothing more will arrive; the control stream's end is an error handled below
        }

        switch ((Http3StreamType)type)
        {
            case Http3StreamType.Control:
                Http3ErrorCode error = finished ? Http3ErrorCode.ClosedCriticalStream : _control.Feed(data);
                if (error != Http3ErrorCode.NoError)
                {
                    _connection.Close((ulong)error, "control stream error", now);
                }

                break;
            case Http3StreamType.QPackEncoder:
                CloseOnQPackError(_qpackEncoderStream.Read(data), now);
                break;
            case Http3StreamType.QPackDecoder:
                CloseOnQPackError(_qpackDecoderStream.Read(data), now);
                break;
        }
    }

    private void CloseOnQPackError(QPackStatus status, TimeSpan now)
    {
        if (status.TryGetErrorCode(out QPackErrorCode code))
        {
            _connection.Close((ulong)code, "QPACK stream error", now);
        }
    }

    private void OnRequestBytes(long streamId, ReadOnlySpan<byte> data, bool finished, TimeSpan now)
    {
        if (!_requests.TryGetValue(streamId, out RequestStream? request))
        {
            request = new RequestStream(streamId);
            _requests[streamId] = request;
        }

        if (request.Responded)
        {
            // Request bodies are not used yet: bytes after the head are read and dropped.
            request.ReadFinished |= finished;
            ForgetIfDone(request);
            return;
        }

        if (request.Head.Count + data.Length > MaxRequestHeadBytes)
        {
            _connection.ResetStream(streamId, (ulong)Http3ErrorCode.ExcessiveLoad);
            _connection.StopSending(streamId, (ulong)Http3ErrorCode.ExcessiveLoad);
            _requests.Remove(streamId);
            return;
        }

        request.Head.AddRange(data);
        request.ReadFinished |= finished;
        ReadOnlySpan<byte> head = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(request.Head);
        Http3ReadStatus status = Http3FrameReader.TryReadFrameHeader(head, out ulong type, out ulong length, out int headerLength);
        if (status == Http3ReadStatus.NeedMoreData || (status == Http3ReadStatus.Done && (ulong)(head.Length - headerLength) < length))
        {
            if (finished)
            {
                RejectRequest(request, Http3ErrorCode.RequestIncomplete);
            }

            return;
        }

        if (status != Http3ReadStatus.Done || type != (ulong)Http3FrameType.Headers)
        {
            _connection.Close((ulong)Http3ErrorCode.FrameUnexpected, "a request must start with HEADERS", now);
            return;
        }

        var fields = new RequestFields();
        QPackStatus decoded = _decoder.Decode(head.Slice(headerLength, (int)length), MaxFieldSectionSize, ref fields);
        if (decoded.TryGetErrorCode(out QPackErrorCode qpackError))
        {
            _connection.Close((ulong)qpackError, "QPACK field section error", now);
            return;
        }

        if (decoded == QPackStatus.FieldSectionTooLarge || fields.Method is null || fields.Path is null)
        {
            RejectRequest(request, Http3ErrorCode.MessageError);
            return;
        }

        Http3Response response = _handler(new Http3Request(streamId, fields.Method, fields.Scheme ?? "https", fields.Authority ?? string.Empty, fields.Path));
        StartResponse(request, response);
        RequestsServed++;
    }

    private void RejectRequest(RequestStream request, Http3ErrorCode error)
    {
        _connection.ResetStream(request.StreamId, (ulong)error);
        _connection.StopSending(request.StreamId, (ulong)error);
        _requests.Remove(request.StreamId);
    }

    private void StartResponse(RequestStream request, Http3Response response)
    {
        var fieldSection = new ArrayBufferWriter<byte>(256);
        List<KeyValuePair<string, string>> fields =
        [
            new(":status", response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            .. response.Headers,
            new("content-length", response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ];
        QPackEncoder.WriteFieldSection(fieldSection, fields);
        int headersLength = Http3HeadersFrame.GetFrameLength(fieldSection.WrittenCount);
        int dataHeaderLength = new Http3DataFrame((ulong)response.Body.Length).GetLength();
        byte[] prefix = new byte[headersLength + dataHeaderLength];
        var writer = new Quic.Wire.QuicWriter(prefix);
        Http3HeadersFrame.WriteFrame(ref writer, fieldSection.WrittenSpan);
        new Http3DataFrame((ulong)response.Body.Length).Write(ref writer);
        request.Responded = true;
        request.Prefix = prefix;
        request.Body = response.Body;
        ContinueResponse(request);
    }

    private void ContinueResponse(RequestStream request)
    {
        while (request.PrefixSent < request.Prefix.Length)
        {
            bool last = request.Body.IsEmpty;
            int accepted = _connection.WriteStream(request.StreamId, request.Prefix.AsSpan(request.PrefixSent), fin: last);
            request.PrefixSent += accepted;
            if (accepted == 0)
            {
                return;
            }
        }

        while (request.BodySent < request.Body.Length)
        {
            int accepted = _connection.WriteStream(request.StreamId, request.Body.Span[request.BodySent..], fin: true);
            request.BodySent += accepted;
            if (accepted == 0)
            {
                return;
            }
        }

        request.ResponseFinished = request.PrefixSent == request.Prefix.Length && request.BodySent == request.Body.Length; // FIN went with the last byte
        ForgetIfDone(request);
    }

    /// <summary>Forgets a request once the response is out and the request side has ended, so late bytes are never taken for a new request.</summary>
    private void ForgetIfDone(RequestStream request)
    {
        if (request.ResponseFinished && request.ReadFinished)
        {
            _requests.Remove(request.StreamId);
            request.Head.Clear();
        }
    }

    private sealed class RequestStream(long streamId)
    {
        public long StreamId { get; } = streamId;

        public List<byte> Head { get; } = [];

        public bool Responded { get; set; }

        public bool ReadFinished { get; set; }

        public bool ResponseFinished { get; set; }

        public byte[] Prefix { get; set; } = [];

        public int PrefixSent { get; set; }

        public ReadOnlyMemory<byte> Body { get; set; }

        public int BodySent { get; set; }
    }

    /// <summary>Collects the pseudo-header fields of a request.</summary>
    private struct RequestFields : IQPackHeaderHandler
    {
        public string? Method { get; private set; }

        public string? Scheme { get; private set; }

        public string? Authority { get; private set; }

        public string? Path { get; private set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (name.SequenceEqual(":method"u8))
            {
                Method = Encoding.ASCII.GetString(value);
            }
            else if (name.SequenceEqual(":scheme"u8))
            {
                Scheme = Encoding.ASCII.GetString(value);
            }
            else if (name.SequenceEqual(":authority"u8))
            {
                Authority = Encoding.ASCII.GetString(value);
            }
            else if (name.SequenceEqual(":path"u8))
            {
                Path = Encoding.ASCII.GetString(value);
            }
        }
    }
}
