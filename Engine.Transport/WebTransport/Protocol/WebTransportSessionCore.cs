using Engine.Transport.Http3;
using Engine.Transport.Quic;

namespace Engine.Transport.WebTransport.Protocol;

/// <summary>
/// One WebTransport session (draft-02) on a QUIC connection, sans-IO: its CONNECT stream and the
/// capsules on it, the streams and datagrams that name it, and how it ends. Every member runs on
/// the connection's thread. Created by <see cref="WebTransportConnection"/> once the CONNECT got
/// its 2xx; <see cref="Sink"/> must be set before <see cref="WebTransportConnection.Start"/>.
/// </summary>
internal sealed class WebTransportSessionCore
{
    private readonly WebTransportConnection _owner;
    private readonly ConnectStreamReader _capsules = new();
    private readonly List<ConnectStreamEvent> _capsuleEvents = [];
    private readonly HashSet<long> _streams = [];
    private byte[] _datagramScratch = [];
    private byte[] _pendingConnectBytes = [];
    private int _pendingConnectOffset;
    private bool _pendingConnectFin;

    internal WebTransportSessionCore(WebTransportConnection owner, long sessionId)
    {
        _owner = owner;
        SessionId = sessionId;
    }

    /// <summary>The session ID: the CONNECT stream's ID.</summary>
    public long SessionId { get; }

    public IWebTransportSessionSink? Sink { get; set; }

    public QuicConnectionCore Quic => _owner.Quic;

    /// <summary>The peer sent DRAIN_WEBTRANSPORT_SESSION (or we did, on shutdown).</summary>
    public bool IsDraining { get; private set; }

    public bool IsClosed => CloseInfo is not null;

    public WebTransportCloseRecord? CloseInfo { get; private set; }

    /// <summary>Streams of this session the peer opened and the application still holds.</summary>
    public int IncomingStreams { get; private set; }

    /// <summary>Largest application payload <see cref="TrySendDatagram"/> takes now (the QUIC maximum less the session prefix).</summary>
    public int MaxDatagramPayloadSize => Math.Max(0, Quic.MaxDatagramPayloadSize - WebTransportDatagram.PrefixLength(SessionId));

    internal IReadOnlyCollection<long> Streams => _streams;

    /// <summary>Sends a datagram on this session; false when closed or larger than <see cref="MaxDatagramPayloadSize"/>.</summary>
    public bool TrySendDatagram(ReadOnlySpan<byte> payload)
    {
        if (IsClosed || Quic.IsClosing || payload.Length > MaxDatagramPayloadSize)
        {
            return false;
        }

        int prefix = WebTransportDatagram.PrefixLength(SessionId);
        if (_datagramScratch.Length < prefix + payload.Length)
        {
            _datagramScratch = new byte[Math.Max(prefix + payload.Length, 1500)];
        }

        WebTransportDatagram.WritePrefix(_datagramScratch, SessionId);
        payload.CopyTo(_datagramScratch.AsSpan(prefix));
        return Quic.TrySendDatagram(_datagramScratch.AsSpan(0, prefix + payload.Length));
    }

    /// <summary>Opens a stream of this session and writes its header; false when closed or at the peer's stream limit (wait for <see cref="IWebTransportSessionSink.OnStreamsAvailable"/>).</summary>
    public bool TryOpenStream(bool bidirectional, out long streamId)
    {
        streamId = -1;
        if (IsClosed || Quic.IsClosing || !Quic.TryOpenStream(bidirectional, out streamId))
        {
            return false;
        }

        byte[] header = bidirectional ? WebTransportStreamSignal.BidirectionalHeader(SessionId) : WebTransportStreamSignal.UnidirectionalHeader(SessionId);
        Quic.WriteStream(streamId, header, fin: false); // a fresh stream's send buffer takes a few bytes whole
        _streams.Add(streamId);
        _owner.Route(streamId, this);
        return true;
    }

    /// <summary>
    /// Ends the session from our side: CLOSE_WEBTRANSPORT_SESSION with <paramref name="code"/> and
    /// <paramref name="reason"/>, then the FIN of our CONNECT stream; every stream of the session is
    /// reset and stopped with H3_CONNECT_ERROR. Idempotent.
    /// </summary>
    public void Close(uint code, string reason) => End(new WebTransportCloseRecord(code, reason ?? string.Empty, ByPeer: false), sendClose: true);

    /// <summary>Asks the peer to wind down (DRAIN_WEBTRANSPORT_SESSION); the session stays open.</summary>
    public void Drain()
    {
        if (IsClosed || IsDraining || Quic.IsClosing)
        {
            return;
        }

        IsDraining = true;
        WriteConnect(WebTransportCapsules.DrainSessionFrame(), fin: false);
    }

    /// <summary>The application let go of a stream (both directions over): it no longer counts against the limit.</summary>
    public void ForgetStream(long streamId)
    {
        if (_streams.Remove(streamId))
        {
            if (IsPeerInitiated(streamId))
            {
                IncomingStreams--;
            }

            _owner.Retire(streamId);
        }
    }

    /// <summary>A peer stream whose header named this session; false when the session is full (the caller refuses it).</summary>
    internal bool TryAdoptIncoming(long streamId, ReadOnlySpan<byte> prefetched, bool finished)
    {
        if (IsClosed || IncomingStreams >= _owner.Limits.MaxIncomingStreamsPerSession)
        {
            return false;
        }

        IncomingStreams++;
        _streams.Add(streamId);
        _owner.Route(streamId, this);
        Sink?.OnIncomingStream(streamId, bidirectional: (streamId & 0x2) == 0, prefetched, finished);
        return true;
    }

    internal void OnDatagram(ReadOnlySpan<byte> payload)
    {
        if (!IsClosed)
        {
            Sink?.OnDatagram(payload);
        }
    }

    internal void OnStreamsAvailable()
    {
        if (!IsClosed)
        {
            Sink?.OnStreamsAvailable();
        }
    }

    /// <summary>Bytes of the CONNECT stream after the request or response HEADERS.</summary>
    internal void OnConnectBytes(ReadOnlySpan<byte> data, bool finished)
    {
        if (IsClosed)
        {
            return; // after the close, the rest of the peer's CONNECT stream is read and discarded
        }

        _capsuleEvents.Clear();
        _capsules.Read(data, finished, _capsuleEvents);
        foreach (ConnectStreamEvent e in _capsuleEvents)
        {
            switch (e.Kind)
            {
                case ConnectStreamEventKind.Close:
                    End(new WebTransportCloseRecord(e.Code, e.Reason, ByPeer: true), sendClose: false);
                    return;
                case ConnectStreamEventKind.Drain:
                    IsDraining = true;
                    Sink?.OnDraining();
                    break;
                case ConnectStreamEventKind.Finished:
                    // A FIN without CLOSE_WEBTRANSPORT_SESSION: closed with code 0 and no reason (draft-02 §5).
                    End(new WebTransportCloseRecord(0, string.Empty, ByPeer: true), sendClose: false);
                    return;
                case ConnectStreamEventKind.Error:
                    _owner.CountMalformedCapsules();
                    if (Quic.IsStreamOpen(SessionId))
                    {
                        Quic.ResetStream(SessionId, e.ErrorCode);
                        Quic.StopSending(SessionId, e.ErrorCode);
                    }

                    End(new WebTransportCloseRecord(0, "malformed capsule on the CONNECT stream (" + e.Reason + ")", ByPeer: false), sendClose: false);
                    return;
            }
        }
    }

    /// <summary>The peer reset or stopped the CONNECT stream: the session is over.</summary>
    internal void OnConnectAborted(ulong errorCode)
    {
        if (!IsClosed)
        {
            End(new WebTransportCloseRecord(0, $"the CONNECT stream was aborted (0x{errorCode:x})", ByPeer: true), sendClose: false);
        }
    }

    /// <summary>Our CONNECT stream can take more: finish a CLOSE or DRAIN capsule that did not fit.</summary>
    internal void OnConnectWritable() => FlushConnect();

    /// <summary>The QUIC connection is closing: the session ends without capsules.</summary>
    internal void OnConnectionClosing(string reason) =>
        End(new WebTransportCloseRecord(0, reason, ByPeer: false), sendClose: false, connectionClosing: true);

    private void End(WebTransportCloseRecord close, bool sendClose, bool connectionClosing = false)
    {
        if (IsClosed)
        {
            return;
        }

        CloseInfo = close;
        if (!connectionClosing && !Quic.IsClosing)
        {
            if (Quic.IsStreamOpen(SessionId))
            {
                if (sendClose)
                {
                    WriteConnect(WebTransportCapsules.CloseSessionFrame(close.Code, close.Reason), fin: true);
                }
                else if (close.ByPeer)
                {
                    WriteConnect([], fin: true); // answer the peer's CLOSE (or FIN) with our FIN
                }
            }

            foreach (long streamId in _streams)
            {
                AbortStream(streamId);
                _owner.Retire(streamId);
            }
        }

        _streams.Clear();
        IncomingStreams = 0;
        _owner.OnSessionEnded(this);
        Sink?.OnClosed(close);
    }

    private void AbortStream(long streamId)
    {
        if (!Quic.IsStreamOpen(streamId))
        {
            return;
        }

        bool local = !IsPeerInitiated(streamId);
        bool bidirectional = (streamId & 0x2) == 0;
        if (bidirectional || local)
        {
            Quic.ResetStream(streamId, (ulong)Http3ErrorCode.ConnectError);
        }

        if (bidirectional || !local)
        {
            Quic.StopSending(streamId, (ulong)Http3ErrorCode.ConnectError);
        }
    }

    private bool IsPeerInitiated(long streamId) => ((streamId & 0x1) == 1) == !Quic.IsServer;

    private void WriteConnect(byte[] bytes, bool fin)
    {
        if (_pendingConnectOffset < _pendingConnectBytes.Length || _pendingConnectFin)
        {
            _pendingConnectBytes = [.. _pendingConnectBytes.AsSpan(_pendingConnectOffset), .. bytes];
            _pendingConnectOffset = 0;
            _pendingConnectFin |= fin;
        }
        else
        {
            _pendingConnectBytes = bytes;
            _pendingConnectOffset = 0;
            _pendingConnectFin = fin;
        }

        FlushConnect();
    }

    private void FlushConnect()
    {
        if (Quic.IsClosing || !Quic.IsStreamOpen(SessionId) || (_pendingConnectOffset == _pendingConnectBytes.Length && !_pendingConnectFin))
        {
            return;
        }

        ReadOnlySpan<byte> rest = _pendingConnectBytes.AsSpan(_pendingConnectOffset);
        int taken = Quic.WriteStream(SessionId, rest, _pendingConnectFin);
        _pendingConnectOffset += taken;
        if (taken == rest.Length)
        {
            _pendingConnectFin = false;
            _pendingConnectBytes = [];
            _pendingConnectOffset = 0;
        }
    }
}
