using System.Buffers;
using System.Globalization;
using System.Text;
using Engine.Transport.Coding;
using Engine.Transport.Http3;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic;

namespace Engine.Transport.WebTransport.Protocol;

/// <summary>
/// The client side of one WebTransport draft-02 session over HTTP/3, sans-IO, as Chromium does it:
/// our control stream with SETTINGS (ENABLE_WEBTRANSPORT, H3_DATAGRAM), wait for the server's
/// SETTINGS and check they allow WebTransport, send the extended CONNECT, read the response head;
/// a 2xx establishes the session, anything else fails with the status. Then streams and datagrams
/// run through the shared <see cref="WebTransportConnection"/>.
/// </summary>
internal sealed class WebTransportClientProtocol
{
    private const int MaxResponseHead = 16 * 1024;

    private readonly IReadOnlyList<KeyValuePair<string, string>> _requestFields;
    private readonly Http3PeerUniStreams _uniStreams = new(peerIsClient: false);
    private readonly QPackDecoder _decoder = new();
    private readonly byte[] _readBuffer = new byte[16 * 1024];
    private readonly ArrayBufferWriter<byte> _head = new(256);
    private bool _controlOpened;
    private long _connectStreamId = -1;

    public WebTransportClientProtocol(QuicConnectionCore quic, string authority, string path, IReadOnlyList<KeyValuePair<string, string>> extraFields, WebTransportLimits limits)
    {
        State = new WebTransportConnection(quic, limits);
        _requestFields =
        [
            new(":method", "CONNECT"),
            new(":protocol", "webtransport"),
            new(":scheme", "https"),
            new(":authority", authority),
            new(":path", path),
            new("sec-webtransport-http3-draft02", "1"),
            .. extraFields,
        ];
    }

    public WebTransportConnection State { get; }

    public QuicConnectionCore Quic => State.Quic;

    /// <summary>The session, once the server answered 2xx.</summary>
    public WebTransportSessionCore? Session { get; private set; }

    /// <summary>The response status, once the head arrived.</summary>
    public int? Status { get; private set; }

    /// <summary>Why the session could not be established, or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>Sees every QUIC event before it is handled (diagnostics and tests).</summary>
    public Action<QuicConnectionEvent>? EventObserved { get; set; }

    /// <summary>Called once the session exists (set its sink here); buffered streams and datagrams follow.</summary>
    public Action<WebTransportSessionCore>? Established { get; set; }

    public void Process(TimeSpan now)
    {
        if (Quic.IsClosing)
        {
            Fail("The QUIC connection closed before the session was established (" + Quic.CloseInfo + ").");
            State.CloseAll("the connection closed");
            return;
        }

        if (Quic.IsHandshakeComplete && !_controlOpened)
        {
            OpenControlStream();
        }

        while (!Quic.IsClosing && Quic.TryPollEvent(out QuicConnectionEvent e))
        {
            EventObserved?.Invoke(e);
            OnEvent(e, now);
        }

        if (Quic.IsClosing)
        {
            Fail("The QUIC connection closed before the session was established (" + Quic.CloseInfo + ").");
            State.CloseAll("the connection closed");
        }
        else
        {
            State.Expire(now);
        }
    }

    private void OnEvent(in QuicConnectionEvent e, TimeSpan now)
    {
        long id = e.StreamId;
        if (id == _connectStreamId && Session is null)
        {
            if (e.Kind == QuicConnectionEventKind.StreamReadable)
            {
                ReadResponseHead(now);
            }
            else if (e.Kind == QuicConnectionEventKind.StreamPeerReset)
            {
                // STOP_SENDING alone is how a server refuses with a status (RFC 9114 §4.1): the response still comes.
                Fail($"The server reset the CONNECT stream (0x{e.ErrorCode:x}).");
            }

            return;
        }

        if (id >= 0 && State.Owns(id))
        {
            State.OnStreamEvent(e, now);
            return;
        }

        switch (e.Kind)
        {
            case QuicConnectionEventKind.StreamOpened when (id & 0x3) == 1:
                State.OnPeerBidirectionalStreamOpened(id);
                State.OnStreamEvent(new QuicConnectionEvent(QuicConnectionEventKind.StreamReadable, id), now);
                break;
            case QuicConnectionEventKind.StreamOpened or QuicConnectionEventKind.StreamReadable when (id & 0x3) == 3:
                ReadServerUniStream(id, now);
                break;
            case QuicConnectionEventKind.StreamPeerReset when (id & 0x3) == 3:
                if (_uniStreams.OnPeerReset(id) != Http3ErrorCode.NoError)
                {
                    CloseConnection(Http3ErrorCode.ClosedCriticalStream, "the server reset a critical stream", now);
                }

                break;
            case QuicConnectionEventKind.DatagramReceived:
                State.OnDatagramsReceived(now);
                break;
            case QuicConnectionEventKind.StreamsAvailable:
                State.OnStreamsAvailable();
                break;
        }
    }

    private void OpenControlStream()
    {
        if (!Quic.TryOpenStream(bidirectional: false, out long id))
        {
            return;
        }

        _controlOpened = true;
        byte[] settings = new Http3Settings
        {
            QPackMaxTableCapacity = 0,
            QPackBlockedStreams = 0,
            H3Datagram = true,
            EnableWebTransport = true,
        }.ToFrameBytes();
        Quic.WriteStream(id, [(byte)Http3StreamType.Control, .. settings], fin: false);
    }

    private void ReadServerUniStream(long streamId, TimeSpan now)
    {
        while (!Quic.IsClosing && Quic.IsStreamOpen(streamId))
        {
            int read = Quic.ReadStream(streamId, _readBuffer, out bool finished);
            ReadOnlySpan<byte> data = _readBuffer.AsSpan(0, read);
            switch (_uniStreams.Read(streamId, ref data, finished, out Http3StreamType type, out Http3ErrorCode error))
            {
                case Http3UniStreamStatus.ConnectionError:
                    CloseConnection(error, "the server broke a critical stream rule", now);
                    return;
                case Http3UniStreamStatus.WebTransport:
                    State.OnUnidirectionalStream(streamId, data, finished, now);
                    return;
                case Http3UniStreamStatus.Abandon:
                    if (!finished)
                    {
                        Quic.StopSending(streamId, (ulong)Http3StreamTypes.UnknownStreamStopCode);
                    }

                    return;
                case Http3UniStreamStatus.Critical:
                    ulong streamError = _uniStreams.Consume(type, data, out _);
                    if (streamError != 0)
                    {
                        CloseConnection((Http3ErrorCode)streamError, type + " stream broke its rules", now);
                        return;
                    }

                    if (type == Http3StreamType.Control)
                    {
                        OnPeerSettingsMaybe();
                    }

                    break;
            }

            if (read == 0 || finished)
            {
                return;
            }
        }
    }

    /// <summary>Sends the CONNECT once the server's SETTINGS say it speaks WebTransport draft-02.</summary>
    private void OnPeerSettingsMaybe()
    {
        if (_connectStreamId >= 0 || Failure is not null || _uniStreams.Control.PeerSettings is not { } settings)
        {
            return;
        }

        if (!settings.SupportsWebTransportDraft02)
        {
            Fail("The server's HTTP/3 SETTINGS do not enable WebTransport draft-02 (ENABLE_WEBTRANSPORT and H3_DATAGRAM).");
            return;
        }

        if (!Quic.TryOpenStream(bidirectional: true, out long streamId))
        {
            Fail("The server allows no bidirectional stream for the CONNECT.");
            return;
        }

        var section = new ArrayBufferWriter<byte>(256);
        QPackEncoder.WriteFieldSection(section, _requestFields);
        byte[] frame = new byte[Http3HeadersFrame.GetFrameLength(section.WrittenCount)];
        var writer = new SpanWriter(frame);
        Http3HeadersFrame.WriteFrame(ref writer, section.WrittenSpan);
        Quic.WriteStream(streamId, frame, fin: false);
        _connectStreamId = streamId;
    }

    private void ReadResponseHead(TimeSpan now)
    {
        while (Session is null && Failure is null && Quic.IsStreamOpen(_connectStreamId))
        {
            int read = Quic.ReadStream(_connectStreamId, _readBuffer, out bool finished);
            _head.Write(_readBuffer.AsSpan(0, read));
            if (TryParseHead(finished, now) || read == 0 || finished)
            {
                return;
            }
        }
    }

    /// <summary>Skips unknown frames before the HEADERS frame, decodes it, and acts on the status.</summary>
    private bool TryParseHead(bool finished, TimeSpan now)
    {
        ReadOnlySpan<byte> bytes = _head.WrittenSpan;
        int offset = 0;
        while (true)
        {
            Http3ReadStatus status = Http3FrameReader.TryReadFrameHeader(bytes[offset..], out ulong type, out ulong length, out int headerLength);
            if (status != Http3ReadStatus.Done || (ulong)(bytes.Length - offset - headerLength) < length)
            {
                if (finished || bytes.Length > MaxResponseHead)
                {
                    Fail(finished ? "The server ended the CONNECT stream before its response head." : "The response head is too large.");
                    return true;
                }

                return false;
            }

            ReadOnlySpan<byte> payload = bytes.Slice(offset + headerLength, (int)length);
            offset += headerLength + (int)length;
            if (type == (ulong)Http3FrameType.Headers)
            {
                var head = new ResponseHead();
                if (_decoder.Decode(payload, MaxResponseHead, ref head) != QPackStatus.Success || head.Status is not { } code)
                {
                    Fail("The response head could not be decoded.");
                    return true;
                }

                Status = code;
                if (code is < 200 or > 299)
                {
                    Fail($"The server refused the WebTransport session with status {code}.");
                    return true;
                }

                Session = State.AddSession(_connectStreamId);
                Established?.Invoke(Session);
                State.Start(Session, bytes[offset..], finished, now);
                return true;
            }

            if (Http3FrameTypes.IsKnown(type) || Http3FrameTypes.IsReservedHttp2(type))
            {
                Fail($"Unexpected HTTP/3 frame 0x{type:x} before the response head.");
                return true;
            }
        }
    }

    private void Fail(string reason)
    {
        if (Failure is null && Session is null)
        {
            Failure = reason;
            if (_connectStreamId >= 0 && !Quic.IsClosing && Quic.IsStreamOpen(_connectStreamId))
            {
                Quic.StopSending(_connectStreamId, (ulong)Http3ErrorCode.RequestCancelled);
                Quic.ResetStream(_connectStreamId, (ulong)Http3ErrorCode.RequestCancelled);
            }
        }
    }

    private void CloseConnection(Http3ErrorCode code, string reason, TimeSpan now)
    {
        Fail(reason);
        if (!Quic.IsClosing)
        {
            Quic.Close((ulong)code, reason, now);
        }
    }

    /// <summary>Collects :status from a response head (other fields are not used).</summary>
    private struct ResponseHead : IQPackHeaderHandler
    {
        public int? Status { get; private set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (name.SequenceEqual(":status"u8) && int.TryParse(Encoding.ASCII.GetString(value), NumberStyles.None, CultureInfo.InvariantCulture, out int status))
            {
                Status = status;
            }
        }
    }
}
