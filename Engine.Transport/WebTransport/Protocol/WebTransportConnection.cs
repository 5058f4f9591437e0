using Engine.Transport.Http3;
using Engine.Transport.Quic;

namespace Engine.Transport.WebTransport.Protocol;

/// <summary>
/// The WebTransport state of one QUIC connection, shared by both roles: the sessions, which
/// stream belongs to which session, and the streams and datagrams that arrive before their
/// session is established (held within <see cref="WebTransportLimits"/>, then refused or dropped).
/// Sans-IO: the HTTP/3 layer (server extension or client) feeds it, on the connection's thread.
/// </summary>
internal sealed partial class WebTransportConnection
{
    private readonly Dictionary<long, WebTransportSessionCore> _sessions = [];
    private readonly Dictionary<long, WebTransportSessionCore> _streamSessions = [];
    private readonly Dictionary<long, WebTransportStreamHeaderReader> _headers = [];
    private readonly HashSet<long> _retired = [];
    private readonly HashSet<long> _endedSessions = [];
    private readonly Queue<long> _endedOrder = new();
    private readonly byte[] _readBuffer = new byte[16 * 1024];

    public WebTransportConnection(QuicConnectionCore quic, WebTransportLimits limits)
    {
        Quic = quic ?? throw new ArgumentNullException(nameof(quic));
        Limits = limits ?? throw new ArgumentNullException(nameof(limits));
        Limits.Validate();
    }

    public QuicConnectionCore Quic { get; }

    public WebTransportLimits Limits { get; }

    /// <summary>Sessions open now.</summary>
    public int ActiveSessions => _sessions.Count;

    public IEnumerable<WebTransportSessionCore> Sessions => _sessions.Values;

    /// <summary>Counters for metrics and tests.</summary>
    public WebTransportCounters Counters { get; } = new();

    /// <summary>Creates the session for an accepted CONNECT stream; set its sink, then call <see cref="Start"/>.</summary>
    public WebTransportSessionCore AddSession(long sessionId)
    {
        var session = new WebTransportSessionCore(this, sessionId);
        _sessions.Add(sessionId, session);
        Counters.SessionsOpened++;
        return session;
    }

    /// <summary>Feeds the bytes that followed the CONNECT's HEADERS, then delivers what was buffered for the session.</summary>
    public void Start(WebTransportSessionCore session, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now)
    {
        if (!leftover.IsEmpty || finished)
        {
            session.OnConnectBytes(leftover, finished);
        }

        DeliverBuffered(session, now);
    }

    /// <summary>A CONNECT that got no session (refused): later streams and datagrams naming it are refused at once.</summary>
    public void MarkEnded(long sessionId)
    {
        if (_endedSessions.Add(sessionId))
        {
            _endedOrder.Enqueue(sessionId);
            while (_endedOrder.Count > 256)
            {
                _endedSessions.Remove(_endedOrder.Dequeue()); // bounded memory: the oldest are forgotten
            }
        }
    }

    /// <summary>True for streams this layer owns: CONNECT streams, session streams, headers being read, buffered or retired streams.</summary>
    public bool Owns(long streamId) =>
        _sessions.ContainsKey(streamId) || _streamSessions.ContainsKey(streamId) || _headers.ContainsKey(streamId)
        || IsBuffered(streamId) || _retired.Contains(streamId);

    /// <summary>A peer bidirectional stream that began with WEBTRANSPORT_STREAM and named <paramref name="sessionId"/>.</summary>
    public void OnBidirectionalStream(long streamId, long sessionId, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now) =>
        OnStreamHeader(streamId, sessionId, leftover, finished, now);

    /// <summary>A peer unidirectional stream of type 0x54: its session ID follows in <paramref name="leftover"/> and later reads.</summary>
    public void OnUnidirectionalStream(long streamId, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now)
    {
        var reader = WebTransportStreamHeaderReader.SessionIdOnly();
        ContinueHeader(streamId, reader, leftover, finished, now);
    }

    /// <summary>A peer bidirectional stream whose first varint is still to be read (the client side: every server stream).</summary>
    public void OnPeerBidirectionalStreamOpened(long streamId)
    {
        _headers[streamId] = new WebTransportStreamHeaderReader();
    }

    public void OnStreamEvent(in QuicConnectionEvent e, TimeSpan now)
    {
        long id = e.StreamId;
        if (_sessions.TryGetValue(id, out WebTransportSessionCore? owner))
        {
            OnConnectStreamEvent(owner, e);
            return;
        }

        if (_streamSessions.TryGetValue(id, out WebTransportSessionCore? session))
        {
            session.Sink?.OnStreamEvent(e);
            return;
        }

        if (_headers.TryGetValue(id, out WebTransportStreamHeaderReader reader))
        {
            if (e.Kind == QuicConnectionEventKind.StreamReadable)
            {
                ContinueHeader(id, reader, [], finished: false, now);
            }
            else if (e.Kind == QuicConnectionEventKind.StreamPeerReset)
            {
                _headers.Remove(id);
                Retire(id);
            }

            return;
        }

        if (e.Kind == QuicConnectionEventKind.StreamPeerReset && IsBuffered(id))
        {
            RemoveBuffered(id);
            Retire(id);
            return;
        }

        if (_retired.Contains(id) && e.Kind == QuicConnectionEventKind.StreamReadable && Quic.IsStreamOpen(id) && CanRead(id))
        {
            while (Quic.ReadStream(id, _readBuffer, out bool done) > 0 && !done)
            {
                // A retired stream's late bytes are read and dropped so QUIC can release it.
            }
        }
    }

    public void OnStreamsAvailable()
    {
        foreach (WebTransportSessionCore session in _sessions.Values.ToArray())
        {
            session.OnStreamsAvailable();
        }
    }

    /// <summary>Asks every session to wind down (the server is shutting down).</summary>
    public void DrainAll()
    {
        foreach (WebTransportSessionCore session in _sessions.Values.ToArray())
        {
            session.Drain();
        }
    }

    /// <summary>The connection is closing: every session ends, without capsules.</summary>
    public void CloseAll(string reason)
    {
        foreach (WebTransportSessionCore session in _sessions.Values.ToArray())
        {
            session.OnConnectionClosing(reason);
        }

        ClearBuffers();
    }

    internal void Route(long streamId, WebTransportSessionCore session) => _streamSessions[streamId] = session;

    /// <summary>The stream left its session: its late events are absorbed here until QUIC releases it.</summary>
    internal void Retire(long streamId)
    {
        _streamSessions.Remove(streamId);
        if (Quic.IsStreamOpen(streamId))
        {
            _retired.Add(streamId);
        }
    }

    internal void OnSessionEnded(WebTransportSessionCore session)
    {
        _sessions.Remove(session.SessionId);
        MarkEnded(session.SessionId);
        Counters.SessionsClosed++;
        if (Quic.IsStreamOpen(session.SessionId) && !Quic.IsClosing)
        {
            _retired.Add(session.SessionId); // the peer's FIN (and anything before it) is still read and dropped
        }

        RefuseBufferedFor(session.SessionId);
    }

    internal void CountMalformedCapsules() => Counters.MalformedCapsules++;

    /// <summary>Forgets retired streams QUIC has released (bounded by the connection's stream limits meanwhile).</summary>
    private void PruneRetired()
    {
        if (_retired.Count == 0)
        {
            return;
        }

        _retired.RemoveWhere(id => !Quic.IsStreamOpen(id));
    }

    private void OnConnectStreamEvent(WebTransportSessionCore session, in QuicConnectionEvent e)
    {
        switch (e.Kind)
        {
            case QuicConnectionEventKind.StreamReadable:
                while (!session.IsClosed && Quic.IsStreamOpen(session.SessionId))
                {
                    int read = Quic.ReadStream(session.SessionId, _readBuffer, out bool finished);
                    session.OnConnectBytes(_readBuffer.AsSpan(0, read), finished);
                    if (read == 0 || finished)
                    {
                        break;
                    }
                }

                break;
            case QuicConnectionEventKind.StreamWritable:
                session.OnConnectWritable();
                break;
            case QuicConnectionEventKind.StreamPeerReset:
            case QuicConnectionEventKind.StreamPeerStopSending:
                session.OnConnectAborted(e.ErrorCode);
                break;
        }
    }

    private void ContinueHeader(long streamId, WebTransportStreamHeaderReader reader, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now)
    {
        int used = reader.IsComplete ? 0 : reader.Feed(leftover);
        leftover = leftover[used..];
        Span<byte> one = stackalloc byte[8];
        while (!reader.IsComplete && !finished && Quic.IsStreamOpen(streamId))
        {
            int read = Quic.ReadStream(streamId, one[..reader.BytesWanted], out finished);
            if (read == 0)
            {
                break;
            }

            reader.Feed(one[..read]);
        }

        if (!reader.IsComplete)
        {
            if (finished)
            {
                _headers.Remove(streamId);
                Retire(streamId); // ended inside its header: nothing to deliver
            }
            else
            {
                _headers[streamId] = reader;
            }

            return;
        }

        _headers.Remove(streamId);
        bool uni = (streamId & 0x2) != 0;
        if (!uni && reader.Signal != WebTransportStreamSignal.Bidirectional)
        {
            Counters.StreamsRefused++;
            Refuse(streamId, (ulong)Http3ErrorCode.StreamCreationError); // a peer bidirectional stream that is not WebTransport's (client side)
            return;
        }

        OnStreamHeader(streamId, reader.SessionId, leftover, finished, now);
    }

    private void OnStreamHeader(long streamId, long sessionId, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now)
    {
        if (_sessions.TryGetValue(sessionId, out WebTransportSessionCore? session))
        {
            if (!session.TryAdoptIncoming(streamId, leftover, finished))
            {
                Counters.StreamsRefused++;
                Refuse(streamId, (ulong)Http3ErrorCode.ExcessiveLoad);
            }

            return;
        }

        if (_endedSessions.Contains(sessionId) || !WebTransportStreamSignal.IsValidSessionId(sessionId))
        {
            Counters.StreamsRefused++;
            Refuse(streamId, WebTransportErrorCodes.SessionGone);
            return;
        }

        BufferStream(streamId, sessionId, leftover, finished, now);
    }

    private void Refuse(long streamId, ulong code)
    {
        if (!Quic.IsStreamOpen(streamId) || Quic.IsClosing)
        {
            return;
        }

        if (CanRead(streamId))
        {
            Quic.StopSending(streamId, code);
        }

        if (CanWrite(streamId))
        {
            Quic.ResetStream(streamId, code);
        }

        Retire(streamId);
    }

    private bool CanRead(long streamId) => (streamId & 0x2) == 0 || IsPeerInitiated(streamId);

    private bool CanWrite(long streamId) => (streamId & 0x2) == 0 || !IsPeerInitiated(streamId);

    private bool IsPeerInitiated(long streamId) => ((streamId & 0x1) == 1) == !Quic.IsServer;
}

/// <summary>What one connection's WebTransport layer counted (read on the connection's thread).</summary>
internal sealed class WebTransportCounters
{
    public long SessionsOpened { get; set; }

    public long SessionsClosed { get; set; }

    public long StreamsRefused { get; set; }

    public long StreamsBuffered { get; set; }

    public long DatagramsReceived { get; set; }

    public long DatagramsDropped { get; set; }

    public long DatagramsBuffered { get; set; }

    public long MalformedCapsules { get; set; }
}
