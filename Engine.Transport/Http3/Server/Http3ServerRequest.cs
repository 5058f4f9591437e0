using System.Buffers;
using System.Globalization;
using System.Net;
using Engine.Transport.Coding;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>
/// One request stream of an <see cref="Http3ServerConnection"/>: the decoded request and the
/// response being written. Every member must be used on the connection's thread (the driver's,
/// under its lock). Writes are non-blocking: <see cref="WriteBody"/> takes what the stream's send
/// buffer holds, and <see cref="Writable"/> says when to offer the rest.
/// </summary>
public sealed partial class Http3ServerRequest
{
    /// <summary>DATA frames written by <see cref="WriteBody"/> carry at most this much.</summary>
    public const int MaxDataFrameLength = 64 * 1024;

    private readonly Http3ServerConnection _owner;
    private readonly byte[] _dataHeader = new byte[9];
    private byte[] _pending = [];
    private int _pendingOffset;
    private int _pendingLength;
    private long _dataRemaining;
    private bool _finRequested;
    private ReadOnlyMemory<byte> _wholeBody;
    private int _wholeBodySent;

    internal Http3ServerRequest(Http3ServerConnection owner, long streamId)
    {
        _owner = owner;
        StreamId = streamId;
    }

    internal Http3ServerConnection Connection => _owner;

    /// <summary>A number unique to the request's connection within the process (requests of one connection share it).</summary>
    public long ConnectionId => _owner.Id;

    public long StreamId { get; }

    public IPEndPoint RemoteAddress => _owner.Connection.RemoteAddress;

    public string Method { get; private set; } = string.Empty;

    public string Scheme { get; private set; } = string.Empty;

    public string Authority { get; private set; } = string.Empty;

    public string Path { get; private set; } = string.Empty;

    /// <summary>Regular request fields in arrival order, names lowercase.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; private set; } = [];

    /// <summary>The whole request body (bounded by <see cref="Http3ServerOptions.MaxRequestBodyBytes"/>).</summary>
    public ReadOnlyMemory<byte> Body => _body is null ? ReadOnlyMemory<byte>.Empty : _body.WrittenMemory;

    public bool ResponseStarted { get; private set; }

    /// <summary>The response ended with its FIN queued.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>The response was abandoned: by us, by the peer (STOP_SENDING, reset) or because the connection closed.</summary>
    public bool IsAborted { get; private set; }

    /// <summary>Called when a short <see cref="WriteBody"/> may continue.</summary>
    public Action<Http3ServerRequest>? Writable { get; set; }

    /// <summary>Called once when the response is abandoned (see <see cref="IsAborted"/>).</summary>
    public Action<Http3ServerRequest>? Aborted { get; set; }

    /// <summary>Sends a whole response: headers with content-length, then the body (none for HEAD) as flow control allows, then the FIN.</summary>
    public void Respond(Http3Response response)
    {
        ArgumentNullException.ThrowIfNull(response);
        SendHeaders(response.Status, [.. response.Headers, new("content-length", response.Body.Length.ToString(CultureInfo.InvariantCulture))]);
        _wholeBody = Method == "HEAD" ? default : response.Body; // content-length tells the GET size; a HEAD response has no content (RFC 9110 §9.3.2)
        _finRequested = true;
        ContinueWholeBody();
    }

    /// <summary>Writes the response HEADERS frame. Names must be lowercase tokens; connection-specific fields are dropped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The status is not a final status (200–599).</exception>
    /// <exception cref="ArgumentException">A field name or value is invalid.</exception>
    /// <exception cref="InvalidOperationException">Headers were already sent.</exception>
    public void SendHeaders(int status, IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 200);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 599);
        ArgumentNullException.ThrowIfNull(headers);
        if (ResponseStarted)
        {
            throw new InvalidOperationException("The response headers were already sent.");
        }

        if (IsAborted)
        {
            return;
        }

        var section = new ArrayBufferWriter<byte>(256);
        QPackEncoder.WritePrefix(section);
        QPackEncoder.WriteField(section, ":status", status.ToString(CultureInfo.InvariantCulture));
        foreach ((string name, string value) in headers)
        {
            if (IsConnectionSpecific(name))
            {
                continue;
            }

            if (!QPackValidation.IsValidFieldName(System.Text.Encoding.ASCII.GetBytes(name)) || name.StartsWith(':') || value.AsSpan().IndexOfAny('\0', '\r', '\n') >= 0)
            {
                throw new ArgumentException($"Invalid response field \"{name}\": names must be lowercase tokens and values free of NUL, CR and LF.", nameof(headers));
            }

            QPackEncoder.WriteField(section, name, value);
        }

        byte[] frame = new byte[Http3HeadersFrame.GetFrameLength(section.WrittenCount)];
        var writer = new SpanWriter(frame);
        Http3HeadersFrame.WriteFrame(ref writer, section.WrittenSpan);
        ResponseStarted = true;
        SetPending(frame, frame.Length);
        FlushPending();
    }

    /// <summary>
    /// Writes body bytes in DATA frames; returns how many were taken. Bytes not taken must be
    /// offered again (after <see cref="Writable"/>) before anything else. Returns 0 once aborted.
    /// </summary>
    public int WriteBody(ReadOnlySpan<byte> data) => WriteFramedBody(data, MaxDataFrameLength);

    /// <summary>Ends the response (FIN) once everything written so far is queued.</summary>
    /// <exception cref="InvalidOperationException">No headers were sent, or a DATA frame was left short.</exception>
    public void Complete()
    {
        if (IsAborted || IsCompleted)
        {
            return;
        }

        if (!ResponseStarted)
        {
            throw new InvalidOperationException("Send the response headers before completing the response.");
        }

        if (_dataRemaining > 0)
        {
            Abort(Http3ErrorCode.InternalError);
            throw new InvalidOperationException($"The response ended {_dataRemaining} bytes short of the DATA frame being written.");
        }

        _finRequested = true;
        FlushPending();
    }

    /// <summary>Abandons the response with <paramref name="error"/> (RESET_STREAM) and stops reading the request.</summary>
    public void Abort(Http3ErrorCode error)
    {
        if (IsAborted || IsCompleted)
        {
            return;
        }

        _owner.AbortStream(this, error);
        MarkAborted();
    }

    internal void MarkAborted()
    {
        if (IsAborted || IsCompleted)
        {
            return;
        }

        IsAborted = true;
        _wholeBody = default;
        InvokeCallback(Aborted);
    }

    internal void OnWritable()
    {
        if (IsAborted || IsCompleted)
        {
            return;
        }

        if (!_wholeBody.IsEmpty || _wholeBodySent > 0)
        {
            ContinueWholeBody();
            return;
        }

        // FlushPending may have queued a FIN left pending by Complete: nothing is writable after it.
        if (FlushPending() && !IsCompleted)
        {
            InvokeCallback(Writable);
        }
    }

    /// <summary>Runs a handler callback; like an exception from the handler itself, one costs only this request.</summary>
    private void InvokeCallback(Action<Http3ServerRequest>? callback)
    {
        try
        {
            callback?.Invoke(this);
        }
        catch (Exception)
        {
            _owner.OnHandlerError(this);
        }
    }

    private void ContinueWholeBody()
    {
        if (!IsAborted && _wholeBodySent < _wholeBody.Length)
        {
            // One DATA frame for the whole body: its length is known up front.
            _wholeBodySent += WriteFramedBody(_wholeBody.Span[_wholeBodySent..], _wholeBody.Length - _wholeBodySent);
        }

        if (_wholeBodySent == _wholeBody.Length)
        {
            FlushPending();
        }
    }

    private int WriteFramedBody(ReadOnlySpan<byte> data, int frameLimit)
    {
        if (IsAborted)
        {
            return 0; // SendHeaders on an aborted request sends nothing, so the checks below do not apply
        }

        if (!ResponseStarted)
        {
            throw new InvalidOperationException("Send the response headers before the body.");
        }

        if (IsCompleted || _finRequested && _wholeBody.IsEmpty)
        {
            throw new InvalidOperationException("The response was already completed.");
        }

        int taken = 0;
        while (!IsAborted && FlushPending(finAllowed: false))
        {
            if (_dataRemaining == 0)
            {
                if (data.IsEmpty)
                {
                    break;
                }

                int frameLength = Math.Min(data.Length, frameLimit);
                var writer = new SpanWriter(_dataHeader);
                new Http3DataFrame((ulong)frameLength).Write(ref writer);
                SetPending(_dataHeader, writer.Position);
                _dataRemaining = frameLength;
                continue;
            }

            int offer = (int)Math.Min(data.Length, _dataRemaining);
            if (offer == 0)
            {
                break;
            }

            int accepted = _owner.Connection.WriteStream(StreamId, data[..offer], fin: false);
            taken += accepted;
            data = data[accepted..];
            _dataRemaining -= accepted;
            if (accepted < offer)
            {
                break;
            }
        }

        return taken;
    }

    private void SetPending(byte[] bytes, int length)
    {
        _pending = bytes;
        _pendingOffset = 0;
        _pendingLength = length;
    }

    /// <summary>Queues framing bytes left over from a short write, then the FIN when requested; true when nothing framing-related is left.</summary>
    private bool FlushPending(bool finAllowed = true)
    {
        if (IsAborted || IsCompleted)
        {
            return false;
        }

        if (_pendingOffset < _pendingLength)
        {
            _pendingOffset += _owner.Connection.WriteStream(StreamId, _pending.AsSpan(_pendingOffset, _pendingLength - _pendingOffset), fin: false);
            if (_pendingOffset < _pendingLength)
            {
                return false;
            }
        }

        if (finAllowed && _finRequested && _dataRemaining == 0 && _wholeBodySent == _wholeBody.Length)
        {
            _owner.Connection.WriteStream(StreamId, [], fin: true);
            IsCompleted = true;
            _wholeBody = default;
            _owner.OnResponseCompleted(this);
        }

        return true;
    }

    private static bool IsConnectionSpecific(string name) =>
        name is "connection" or "keep-alive" or "proxy-connection" or "transfer-encoding" or "upgrade";
}
