using System.Buffers;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic;

namespace Engine.Transport.Http3;

/// <summary>A response as received: status, and the body once the stream ended.</summary>
internal sealed class Http3ClientResponse(long streamId)
{
    public long StreamId { get; } = streamId;

    public int Status { get; internal set; }

    public MemoryStream Body { get; } = new();

    public bool IsComplete { get; internal set; }

    /// <summary>Set when the exchange failed (stream reset, malformed response); the code says why.</summary>
    public Http3ErrorCode? Error { get; internal set; }
}

/// <summary>
/// The client side of HTTP/3 on one <see cref="QuicConnection"/>, sans-IO (first version):
/// opens our control stream with SETTINGS, sends GET requests, and reads each response's HEADERS
/// and DATA frames into memory. Used to fetch from independent servers in tests; streaming bodies
/// and the public API come later.
/// </summary>
internal sealed class Http3ClientConnection
{
    /// <summary>Largest response body held in memory.</summary>
    public const int MaxBodyBytes = 64 * 1024 * 1024;

    private const int MaxFieldSectionSize = 64 * 1024;

    private readonly QuicConnection _connection;
    private readonly Http3ControlStreamReader _control = new(peerIsClient: false);
    private readonly QPackDecoder _decoder = new();
    private readonly Dictionary<long, PendingResponse> _responses = [];
    private readonly Dictionary<long, bool> _peerUniStreamIsControl = [];
    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private bool _controlOpened;

    public Http3ClientConnection(QuicConnection connection) =>
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));

    /// <summary>Sends a GET with a whole HEADERS frame and the FIN; the response fills in as <see cref="Process"/> runs.</summary>
    public Http3ClientResponse Get(string authority, string path)
    {
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
        var writer = new Quic.Wire.QuicWriter(frame);
        Http3HeadersFrame.WriteFrame(ref writer, fieldSection.WrittenSpan);
        if (_connection.WriteStream(streamId, frame, fin: true) != frame.Length)
        {
            throw new InvalidOperationException("A request head did not fit a fresh stream's buffer.");
        }

        var response = new Http3ClientResponse(streamId);
        _responses[streamId] = new PendingResponse(response);
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
            else if (e.Kind == QuicConnectionEventKind.StreamPeerReset && _responses.Remove(e.StreamId, out PendingResponse? reset))
            {
                reset.Response.Error = (Http3ErrorCode)e.ErrorCode;
            }
        }
    }

    private void EnsureControlStream()
    {
        if (_controlOpened || !_connection.TryOpenStream(bidirectional: false, out long id))
        {
            return;
        }

        _controlOpened = true;
        byte[] settings = new Http3Settings { QPackMaxTableCapacity = 0, QPackBlockedStreams = 0, MaxFieldSectionSize = MaxFieldSectionSize }.ToFrameBytes();
        _connection.WriteStream(id, [(byte)Http3StreamType.Control, .. settings], fin: false);
    }

    private void Read(long streamId, TimeSpan now)
    {
        while (!_connection.IsClosing)
        {
            int read = _connection.ReadStream(streamId, _readBuffer, out bool finished);
            ReadOnlySpan<byte> data = _readBuffer.AsSpan(0, read);
            if ((streamId & 0x3) == 3)
            {
                OnServerUniBytes(streamId, data, now);
            }
            else if (_responses.TryGetValue(streamId, out PendingResponse? pending))
            {
                pending.Buffer.AddRange(data);
                ParseResponse(pending, finished);
            }

            if (read == 0 || finished)
            {
                return;
            }
        }
    }

    private void OnServerUniBytes(long streamId, ReadOnlySpan<byte> data, TimeSpan now)
    {
        if (!_peerUniStreamIsControl.TryGetValue(streamId, out bool isControl))
        {
            if (Http3StreamTypes.TryRead(data, out ulong type, out int consumed) != Http3ReadStatus.Done)
            {
                return;
            }

            isControl = type == (ulong)Http3StreamType.Control;
            _peerUniStreamIsControl[streamId] = isControl;
            data = data[consumed..];
        }

        if (isControl && _control.Feed(data) is var error && error != Http3ErrorCode.NoError)
        {
            _connection.Close((ulong)error, "server control stream error", now);
        }
    }

    private void ParseResponse(PendingResponse pending, bool finished)
    {
        Http3ClientResponse response = pending.Response;
        while (true)
        {
            ReadOnlySpan<byte> buffered = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending.Buffer)[pending.Consumed..];
            if (Http3FrameReader.TryReadFrameHeader(buffered, out ulong type, out ulong length, out int headerLength) != Http3ReadStatus.Done
                || (ulong)(buffered.Length - headerLength) < length)
            {
                break;
            }

            ReadOnlySpan<byte> payload = buffered.Slice(headerLength, (int)length);
            if (type == (ulong)Http3FrameType.Headers && response.Status == 0)
            {
                var status = new StatusField();
                if (_decoder.Decode(payload, MaxFieldSectionSize, ref status) != QPackStatus.Success || status.Status == 0)
                {
                    Fail(pending, Http3ErrorCode.MessageError, finished);
                    return;
                }

                response.Status = status.Status;
            }
            else if (type == (ulong)Http3FrameType.Data)
            {
                if (response.Body.Length + payload.Length > MaxBodyBytes)
                {
                    Fail(pending, Http3ErrorCode.ExcessiveLoad, finished);
                    return;
                }

                response.Body.Write(payload);
            }

            pending.Consumed += headerLength + (int)length;
        }

        // Drop what was parsed once it is a large share, so the buffer stays about one frame long.
        if (pending.Consumed > 256 * 1024)
        {
            pending.Buffer.RemoveRange(0, pending.Consumed);
            pending.Consumed = 0;
        }

        if (finished)
        {
            response.IsComplete = pending.Consumed == pending.Buffer.Count && response.Status != 0;
            if (!response.IsComplete)
            {
                response.Error = Http3ErrorCode.MessageError;
            }

            _responses.Remove(response.StreamId);
        }
    }

    private void Fail(PendingResponse pending, Http3ErrorCode error, bool finished)
    {
        pending.Response.Error = error;
        if (!finished)
        {
            _connection.StopSending(pending.Response.StreamId, (ulong)error); // a stream read to its end may already be released
        }

        _responses.Remove(pending.Response.StreamId);
    }

    private sealed class PendingResponse(Http3ClientResponse response)
    {
        public Http3ClientResponse Response { get; } = response;

        public List<byte> Buffer { get; } = [];

        public int Consumed { get; set; }
    }

    private struct StatusField : IQPackHeaderHandler
    {
        public int Status { get; private set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (name.SequenceEqual(":status"u8) && value.Length == 3 && int.TryParse(value, out int status))
            {
                Status = status;
            }
        }
    }
}
