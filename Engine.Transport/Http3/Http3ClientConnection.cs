using System.Buffers;
using System.Globalization;
using Engine.Transport.Coding;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic;

namespace Engine.Transport.Http3;

/// <summary>
/// The client side of HTTP/3 on one <see cref="QuicConnectionCore"/>, sans-IO (first version):
/// opens our control stream with SETTINGS, sends GET requests, and reads each response into
/// memory (<see cref="Http3ResponseReader"/>). Used to fetch from independent servers in tests;
/// streaming bodies and the public API come later.
/// </summary>
/// <remarks>
/// The peer's control and QPACK streams are critical (<see cref="Http3PeerUniStreams"/>). A GOAWAY
/// from the server fails every request on a stream at or above its ID as safe to retry, and
/// <see cref="Get"/> refuses new requests from then on. When the connection closes, every
/// unfinished request fails.
/// </remarks>
internal sealed class Http3ClientConnection
{
    private readonly QuicConnectionCore _connection;
    private readonly Http3ClientOptions _options;
    private readonly QPackDecoder _decoder = new();
    private readonly Http3PeerUniStreams _uniStreams = new(peerIsClient: false);
    private readonly Dictionary<long, Http3ResponseReader> _responses = [];
    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private bool _controlOpened;

    public Http3ClientConnection(QuicConnectionCore connection, Http3ClientOptions? options = null)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _options = options ?? new Http3ClientOptions();
        _options.Validate();
    }

    /// <summary>The stream ID of the server's latest GOAWAY: requests on streams at or above it were not processed.</summary>
    public ulong? GoAwayId => _uniStreams.Control.GoAwayId;

    /// <summary>Peer unidirectional streams with state held (for tests: it must not grow with finished streams).</summary>
    internal int TrackedPeerStreams => _uniStreams.TrackedStreams;

    /// <summary>Requests still waiting for their response.</summary>
    public int PendingRequests => _responses.Count;

    /// <summary>An exception our own code threw while processing (a bug; the connection was closed with H3_INTERNAL_ERROR).</summary>
    public Exception? InternalError { get; private set; }

    /// <summary>
    /// Sends a GET with a whole HEADERS frame and the FIN; the response fills in as <see cref="Process"/> runs.
    /// Throws <see cref="Http3RequestException"/> (safe to retry) after the server's GOAWAY or once the connection is closing.
    /// </summary>
    public Http3ClientResponse Get(string authority, string path)
    {
        if (_uniStreams.Control.GoAwayId is not null || _connection.IsClosing)
        {
            throw new Http3RequestException(Http3ErrorCode.RequestRejected,
                _connection.IsClosing ? "The connection is closing; the request was not sent (safe to retry on a new connection)."
                    : "The server is going away (GOAWAY); the request was not sent (safe to retry on a new connection).",
                isSafeToRetry: true);
        }

        EnsureControlStream();
        if (!_connection.TryOpenStream(bidirectional: true, out long streamId))
        {
            throw new InvalidOperationException("The server's stream limit is reached; wait for a response to finish.");
        }

        var fieldSection = new ArrayBufferWriter<byte>(128);
        QPackEncoder.WriteFieldSection(fieldSection,
        [
            new(":method", "GET"),
            new(":scheme", "https"),
            new(":authority", authority),
            new(":path", path),
        ]);
        byte[] frame = new byte[Http3HeadersFrame.GetFrameLength(fieldSection.WrittenCount)];
        var writer = new Engine.Transport.Coding.SpanWriter(frame);
        Http3HeadersFrame.WriteFrame(ref writer, fieldSection.WrittenSpan);
        if (_connection.WriteStream(streamId, frame, fin: true) != frame.Length)
        {
            throw new InvalidOperationException("A request head did not fit a fresh stream's buffer.");
        }

        var response = new Http3ClientResponse(streamId);
        _responses[streamId] = new Http3ResponseReader(response, _options, _decoder);
        return response;
    }

    /// <summary>Drains the connection's events; call after it handled input.</summary>
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

        if (_connection.IsClosing)
        {
            FailAll(Http3ErrorCode.GeneralProtocolError, $"The connection closed before the response was complete ({_connection.CloseInfo}).");
        }
    }

    private void ProcessEvents(TimeSpan now)
    {
        if (_connection.IsHandshakeComplete && !_connection.IsClosing)
        {
            EnsureControlStream();
        }

        while (!_connection.IsClosing && _connection.TryPollEvent(out QuicConnectionEvent e))
        {
            if (e.Kind is QuicConnectionEventKind.StreamOpened or QuicConnectionEventKind.StreamReadable)
            {
                Read(e.StreamId, now);
            }
            else if (e.Kind == QuicConnectionEventKind.StreamPeerReset)
            {
                OnPeerReset(e, now);
            }
        }
    }

    private void OnPeerReset(QuicConnectionEvent e, TimeSpan now)
    {
        if ((e.StreamId & 0x3) == 3)
        {
            Http3ErrorCode error = _uniStreams.OnPeerReset(e.StreamId);
            if (error != Http3ErrorCode.NoError)
            {
                CloseConnection((ulong)error, "the server reset a critical stream", now);
            }
        }
        else if (_responses.Remove(e.StreamId, out Http3ResponseReader? reset))
        {
            var code = (Http3ErrorCode)e.ErrorCode;
            reset.Response.Fail(new Http3RequestException(code,
                string.Create(CultureInfo.InvariantCulture, $"The server reset the response stream with 0x{e.ErrorCode:x}."),
                isSafeToRetry: code == Http3ErrorCode.RequestRejected));
        }
    }

    private void EnsureControlStream()
    {
        if (_controlOpened || !_connection.TryOpenStream(bidirectional: false, out long id))
        {
            return;
        }

        _controlOpened = true;
        byte[] settings = new Http3Settings { QPackMaxTableCapacity = 0, QPackBlockedStreams = 0, MaxFieldSectionSize = (ulong)_options.MaxFieldSectionSize }.ToFrameBytes();
        _connection.WriteStream(id, [(byte)Http3StreamType.Control, .. settings], fin: false);
    }

    private void Read(long streamId, TimeSpan now)
    {
        bool serverUni = (streamId & 0x3) == 3;
        if (!serverUni && !_responses.ContainsKey(streamId))
        {
            return; // a stream we already gave up on (stopped, or its response failed)
        }

        while (!_connection.IsClosing)
        {
            int read = _connection.ReadStream(streamId, _readBuffer, out bool finished);
            ReadOnlySpan<byte> data = _readBuffer.AsSpan(0, read);
            bool more = serverUni ? OnServerUniBytes(streamId, data, finished, now) : OnResponseBytes(streamId, data, finished, now);
            if (!more || read == 0 || finished)
            {
                return;
            }
        }
    }

    /// <summary>Returns false when the stream needs no further reading now.</summary>
    private bool OnServerUniBytes(long streamId, ReadOnlySpan<byte> data, bool finished, TimeSpan now)
    {
        switch (_uniStreams.Read(streamId, ref data, finished, out Http3StreamType type, out Http3ErrorCode error))
        {
            case Http3UniStreamStatus.ConnectionError:
                CloseConnection((ulong)error, error == Http3ErrorCode.ClosedCriticalStream ? "the server ended a critical stream" : "a second critical stream of one type", now);
                return false;
            case Http3UniStreamStatus.Abandon:
            case Http3UniStreamStatus.WebTransport:
                if (!finished)
                {
                    _connection.StopSending(streamId, (ulong)Http3StreamTypes.UnknownStreamStopCode);
                }

                return false;
            case Http3UniStreamStatus.NeedMoreData:
                return true;
        }

        ulong streamError = _uniStreams.Consume(type, data, out Http3ControlEvents events);
        if (streamError != 0)
        {
            CloseConnection(streamError, type + " stream error", now);
            return false;
        }

        if ((events & Http3ControlEvents.GoAway) != 0)
        {
            OnGoAway(_uniStreams.Control.GoAwayId!.Value);
        }

        return true;
    }

    /// <summary>Requests at or above the GOAWAY's stream ID were not and will not be processed (RFC 9114 §5.2).</summary>
    private void OnGoAway(ulong goAwayId)
    {
        foreach (Http3ResponseReader reader in _responses.Values.Where(r => (ulong)r.Response.StreamId >= goAwayId).ToList())
        {
            long streamId = reader.Response.StreamId;
            _responses.Remove(streamId);
            _connection.StopSending(streamId, (ulong)Http3ErrorCode.RequestCancelled);
            reader.Response.Fail(new Http3RequestException(Http3ErrorCode.RequestRejected,
                string.Create(CultureInfo.InvariantCulture, $"The server is going away (GOAWAY {goAwayId}): request on stream {streamId} was not processed and is safe to retry."),
                isSafeToRetry: true));
        }
    }

    private bool OnResponseBytes(long streamId, ReadOnlySpan<byte> data, bool finished, TimeSpan now)
    {
        Http3ResponseReader reader = _responses[streamId];
        Http3StreamFault? fault = reader.Read(data, finished);
        if (fault is not { } f)
        {
            if (finished)
            {
                _responses.Remove(streamId);
            }

            return true;
        }

        _responses.Remove(streamId);
        reader.Response.Fail(new Http3RequestException((Http3ErrorCode)f.Code, f.Message));
        if (f.IsConnectionError)
        {
            CloseConnection(f.Code, f.Message, now);
        }
        else if (!finished)
        {
            _connection.StopSending(streamId, f.Code); // a stream read to its end may already be released
        }

        return false;
    }

    private void CloseConnection(ulong code, string reason, TimeSpan now)
    {
        if (!_connection.IsClosing)
        {
            _connection.Close(code, reason, now);
        }
    }

    private void FailAll(Http3ErrorCode code, string message)
    {
        foreach (Http3ResponseReader reader in _responses.Values)
        {
            reader.Response.Fail(new Http3RequestException(code, message));
        }

        _responses.Clear();
    }
}
