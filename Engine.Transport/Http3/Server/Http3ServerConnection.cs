using Engine.Transport.Coding;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>
/// The server side of HTTP/3 (RFC 9114) on one <see cref="QuicConnectionCore"/>, sans-IO like the
/// connection: <see cref="Process"/> drains the connection's events. It opens our control stream
/// with SETTINGS, reads the peer's control and QPACK streams (each exactly once), parses each
/// request stream frame by frame (unknown frames skipped, bodies bounded), hands complete requests
/// to an <see cref="IHttp3RequestHandler"/>, and writes responses as flow control allows.
/// <see cref="BeginShutdown"/> sends GOAWAY and closes once the requests in flight are answered.
/// </summary>
internal sealed partial class Http3ServerConnection
{
    private static long s_lastId;

    private readonly QuicConnectionCore _connection;
    private readonly IHttp3RequestHandler _handler;
    private readonly Http3ServerOptions _options;
    private readonly QPackDecoder _decoder = new();
    private readonly Dictionary<long, Http3ServerRequest> _requests = [];
    private readonly HashSet<long> _unacknowledgedResponses = [];
    private readonly byte[] _readBuffer = new byte[16 * 1024];
    private long _controlStreamId = -1;
    private long _goAwayStreamId = -1;
    private long _nextRequestStreamId;
    private IHttp3ServerExtension? _extension;

    public Http3ServerConnection(QuicConnectionCore connection, Func<Http3Request, Http3Response> handler)
        : this(connection, new Http3WholeResponseHandler(handler ?? throw new ArgumentNullException(nameof(handler))))
    {
    }

    public Http3ServerConnection(QuicConnectionCore connection, IHttp3RequestHandler handler, Http3ServerOptions? options = null)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _options = options ?? new Http3ServerOptions();
        _options.Validate();
    }

    public QuicConnectionCore Connection => _connection;

    /// <summary>The protocol on top (WebTransport) that takes over its streams; set before the first <see cref="Process"/>.</summary>
    public IHttp3ServerExtension? Extension
    {
        get => _extension;
        set => _extension = value;
    }

    /// <summary>A number unique to this connection within the process (for logs and connection IDs).</summary>
    public long Id { get; } = Interlocked.Increment(ref s_lastId);

    /// <summary>Requests handed to the handler.</summary>
    public int RequestsServed { get; private set; }

    /// <summary>Requests refused at the HTTP/3 layer (malformed, too large, after GOAWAY, incomplete).</summary>
    public int RequestsRejected { get; private set; }

    /// <summary>Responses whose FIN is queued but not yet acknowledged (a graceful shutdown waits for them).</summary>
    public int UnacknowledgedResponses => _unacknowledgedResponses.Count;

    /// <summary>Why the latest request was refused at the HTTP/3 layer (the peer only sees the error code).</summary>
    public string? LastRejection { get; private set; }

    /// <summary>Request streams still open (being received or answered).</summary>
    public int ActiveRequests => _requests.Count;

    /// <summary>The peer's SETTINGS, once its control stream delivered them.</summary>
    public Http3Settings? PeerSettings => _uniStreams.Control.PeerSettings;

    /// <summary>True once GOAWAY was sent.</summary>
    public bool IsShuttingDown => _goAwayStreamId >= 0;

    /// <summary>An exception our own code threw while processing (a bug; the connection was closed with H3_INTERNAL_ERROR).</summary>
    public Exception? InternalError { get; private set; }

    /// <summary>Handler exceptions, each costing only its request.</summary>
    public int HandlerErrors { get; private set; }

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
            CloseConnection((ulong)Http3ErrorCode.InternalError, "internal error", now);
        }
    }

    /// <summary>
    /// Sends GOAWAY naming the first request stream we will not serve; requests already received
    /// are answered, later ones get H3_REQUEST_REJECTED, and the connection closes with
    /// H3_NO_ERROR once none is in flight.
    /// </summary>
    public void BeginShutdown(TimeSpan now)
    {
        if (_connection.IsClosing || IsShuttingDown)
        {
            return;
        }

        _goAwayStreamId = _nextRequestStreamId;
        if (_controlStreamId >= 0)
        {
            byte[] frame = new byte[Http3FrameCodec.GetSingleVarintFrameLength(Http3FrameType.GoAway, (ulong)_goAwayStreamId)];
            var writer = new SpanWriter(frame);
            Http3FrameCodec.WriteSingleVarintFrame(ref writer, Http3FrameType.GoAway, (ulong)_goAwayStreamId);
            _connection.WriteStream(_controlStreamId, frame, fin: false);
        }

        _extension?.OnShutdown(now);
        CloseIfDrained(now);
    }

    private void ProcessEvents(TimeSpan now)
    {
        if (_connection.IsClosing)
        {
            AbortAll();
            return;
        }

        if (_controlStreamId < 0 && _connection.IsHandshakeComplete)
        {
            OpenControlStream(now);
        }

        while (!_connection.IsClosing && _connection.TryPollEvent(out QuicConnectionEvent e))
        {
            if (e.StreamId >= 0 && _extension is { } extension && extension.Owns(e.StreamId))
            {
                extension.OnStreamEvent(e, now);
                continue;
            }

            switch (e.Kind)
            {
                case QuicConnectionEventKind.StreamOpened:
                    OnStreamOpened(e.StreamId);
                    break;
                case QuicConnectionEventKind.StreamReadable:
                    OnReadable(e.StreamId, now);
                    break;
                case QuicConnectionEventKind.StreamWritable:
                    _requests.GetValueOrDefault(e.StreamId)?.OnWritable();
                    break;
                case QuicConnectionEventKind.StreamPeerReset:
                    OnPeerReset(e.StreamId, now);
                    break;
                case QuicConnectionEventKind.StreamPeerStopSending:
                    _unacknowledgedResponses.Remove(e.StreamId);
                    OnPeerStopSending(e.StreamId);
                    break;
                case QuicConnectionEventKind.StreamFinished:
                    _unacknowledgedResponses.Remove(e.StreamId);
                    break;
                case QuicConnectionEventKind.DatagramReceived:
                    _extension?.OnDatagramsReceived(now);
                    break;
                case QuicConnectionEventKind.StreamsAvailable:
                    _extension?.OnStreamsAvailable(now);
                    break;
            }
        }

        if (_connection.IsClosing)
        {
            AbortAll();
        }
        else
        {
            _extension?.OnProcessed(now);
            CloseIfDrained(now);
        }
    }

    private void OpenControlStream(TimeSpan now)
    {
        if (!_connection.TryOpenStream(bidirectional: false, out long id))
        {
            return;
        }

        _controlStreamId = id;
        byte[] settings = Http3Settings.BuildServerSettingsFrame((ulong)_options.MaxFieldSectionSize);
        byte[] opening = [(byte)Http3StreamType.Control, .. settings];
        _connection.WriteStream(id, opening, fin: false); // a fresh stream's buffer takes these few bytes whole
        if (IsShuttingDown)
        {
            _goAwayStreamId = -1;
            BeginShutdown(now);
        }
    }

    private void OnStreamOpened(long streamId)
    {
        switch (streamId & 0x3)
        {
            case 0:
                var request = new Http3ServerRequest(this, streamId);
                _requests[streamId] = request;
                _nextRequestStreamId = Math.Max(_nextRequestStreamId, streamId + 4);
                if (IsShuttingDown && streamId >= _goAwayStreamId)
                {
                    RejectRequest(request, Http3ErrorCode.RequestRejected, "after GOAWAY");
                }

                break;
        }
    }

    private void OnReadable(long streamId, TimeSpan now)
    {
        // Streams we no longer track (answered and read to the end, stopped, or rejected) are ignored.
        if (_requests.TryGetValue(streamId, out Http3ServerRequest? request))
        {
            ReadRequest(request, now);
        }
        else if ((streamId & 0x3) == 2)
        {
            ReadUniStream(streamId, now);
        }
    }

    private void ReadRequest(Http3ServerRequest request, TimeSpan now)
    {
        while (!_connection.IsClosing && !request.ReadDone && _requests.ContainsKey(request.StreamId))
        {
            int read = _connection.ReadStream(request.StreamId, _readBuffer, out bool finished);
            request.ReadDone |= finished;
            if (request.Phase < Http3ServerRequest.ReceivePhase.Complete)
            {
                ulong error = request.Receive(_readBuffer.AsSpan(0, read), finished, _options, _decoder, now);
                if (error != 0)
                {
                    CloseConnection(error, "request stream " + request.StreamId + ": " + DescribeError(error), now);
                    return;
                }
            }

            if (read == 0)
            {
                break;
            }
        }

        if (_requests.ContainsKey(request.StreamId))
        {
            ForgetIfDone(request);
        }
    }

    private void OnPeerReset(long streamId, TimeSpan now)
    {
        if (_requests.TryGetValue(streamId, out Http3ServerRequest? request))
        {
            // The client cancelled: abandon the response too, so the stream can be released.
            request.ReadDone = true;
            request.StopReceiving();
            request.Abort(Http3ErrorCode.RequestCancelled);
            ForgetIfDone(request);
        }
        else if ((streamId & 0x3) == 2 && _uniStreams.OnPeerReset(streamId) is var error && error != Http3ErrorCode.NoError)
        {
            CloseConnection((ulong)error, "the client reset a critical stream", now);
        }
    }

    private void OnPeerStopSending(long streamId)
    {
        // The QUIC layer already answered with RESET_STREAM; the response is dead.
        if (_requests.TryGetValue(streamId, out Http3ServerRequest? request))
        {
            request.MarkAborted();
            ForgetIfDone(request);
        }
    }

    /// <summary>An extended CONNECT for the extension's protocol: the extension owns the stream from now on.</summary>
    internal bool TryHandOverConnect(Http3ServerRequest request, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now)
    {
        if (_extension is not { } extension || request.Protocol is not { } protocol || !extension.ServesProtocol(protocol))
        {
            RespondAndStopReading(request, 501, "The extended CONNECT protocol \"" + request.Protocol + "\" is not served here.");
            return false;
        }

        RequestsServed++;
        if (extension.OnExtendedConnect(request, leftover, finished, now) is { } refusal)
        {
            RequestsRejected++;
            request.StopReceiving();
            StopReading(request, Http3ErrorCode.NoError);
            request.Respond(refusal);
            return false;
        }

        _requests.Remove(request.StreamId);
        return true;
    }

    /// <summary>A client bidirectional stream that opened with WEBTRANSPORT_STREAM: the extension owns it, or it is refused.</summary>
    internal void HandOverBidirectionalStream(Http3ServerRequest request, long sessionId, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now)
    {
        if (_extension is not { } extension)
        {
            RejectRequest(request, Http3ErrorCode.StreamCreationError, "a WebTransport stream, but WebTransport is not served");
            return;
        }

        _requests.Remove(request.StreamId);
        extension.OnBidirectionalStream(request.StreamId, sessionId, leftover, finished, now);
    }

    internal void Dispatch(Http3ServerRequest request)
    {
        RequestsServed++;
        try
        {
            _handler.OnRequest(request);
        }
        catch (Exception) when (!request.ResponseStarted && !request.IsAborted)
        {
            HandlerErrors++;
            request.Respond(new Http3Response(500, [new("content-type", "text/plain; charset=utf-8")], "Internal server error."u8.ToArray()));
        }
        catch (Exception)
        {
            HandlerErrors++;
            request.Abort(Http3ErrorCode.InternalError);
        }
    }

    /// <summary>A handler callback (Writable, Aborted) threw: the request fails with H3_INTERNAL_ERROR unless it already ended.</summary>
    internal void OnHandlerError(Http3ServerRequest request)
    {
        HandlerErrors++;
        request.Abort(Http3ErrorCode.InternalError);
    }

    /// <summary>Refuses a request: RESET_STREAM and STOP_SENDING with <paramref name="error"/>.</summary>
    internal void RejectRequest(Http3ServerRequest request, Http3ErrorCode error, string why)
    {
        LastRejection = why; // the peer sees only the code; this says why, for logs and tests
        RequestsRejected++;
        request.StopReceiving();
        request.Abort(error);
    }

    /// <summary>Answers with a short status page and stops reading the rest of the request (STOP_SENDING H3_NO_ERROR, RFC 9114 §4.1).</summary>
    internal void RespondAndStopReading(Http3ServerRequest request, int status, string message)
    {
        RequestsRejected++;
        request.StopReceiving();
        StopReading(request, Http3ErrorCode.NoError);
        request.Respond(new Http3Response(status, [new("content-type", "text/plain; charset=utf-8")], System.Text.Encoding.UTF8.GetBytes(message)));
    }

    internal void AbortStream(Http3ServerRequest request, Http3ErrorCode error)
    {
        if (_connection.IsClosing)
        {
            return;
        }

        _connection.ResetStream(request.StreamId, (ulong)error);
        StopReading(request, error);
    }

    internal void OnResponseCompleted(Http3ServerRequest request)
    {
        _unacknowledgedResponses.Add(request.StreamId); // a graceful close waits for it to be acknowledged
        ForgetIfDone(request);
    }

    private void StopReading(Http3ServerRequest request, Http3ErrorCode error)
    {
        if (!request.ReadDone && !_connection.IsClosing)
        {
            _connection.StopSending(request.StreamId, (ulong)error);
            request.ReadDone = true; // later bytes are discarded by QUIC, and the stream's events ignored here
        }
    }

    /// <summary>Forgets a request once both directions are over, so its id is never taken for a new request.</summary>
    private void ForgetIfDone(Http3ServerRequest request)
    {
        if (request.ReadDone && (request.IsCompleted || request.IsAborted))
        {
            _requests.Remove(request.StreamId);
        }
    }

    private void AbortAll()
    {
        _extension?.OnConnectionClosing();
        if (_requests.Count == 0)
        {
            return;
        }

        Http3ServerRequest[] open = [.. _requests.Values];
        _requests.Clear();
        foreach (Http3ServerRequest request in open)
        {
            request.MarkAborted();
        }
    }

    private void CloseIfDrained(TimeSpan now)
    {
        if (IsShuttingDown && _requests.Count == 0 && _unacknowledgedResponses.Count == 0 && (_extension?.ActiveSessions ?? 0) == 0 && !_connection.IsClosing)
        {
            _connection.Close((ulong)Http3ErrorCode.NoError, "server shutting down", now);
        }
    }

    private void CloseConnection(ulong error, string reason, TimeSpan now)
    {
        if (!_connection.IsClosing)
        {
            _connection.Close(error, reason, now);
        }

        AbortAll();
    }

    private static string DescribeError(ulong code) =>
        code >= 0x200 ? ((QPackErrorCode)code).ToString() : ((Http3ErrorCode)code).ToString();
}
