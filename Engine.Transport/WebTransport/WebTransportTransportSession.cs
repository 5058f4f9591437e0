using System.Buffers;
using System.Net;
using System.Threading.Channels;
using Engine.Transport.Abstractions;
using Engine.Transport.Common;
using Engine.Transport.Net;
using Microsoft.Extensions.Logging;

namespace Engine.Transport.WebTransport;

/// <summary>
/// An <see cref="ITransportSession"/> over one WebTransport session (docs/protocol.md,
/// "WebTransport"): reliable messages on the one bidirectional stream the client opens,
/// each prefixed with its length (u32 little-endian); unreliable messages as datagrams, split into
/// fragments when larger than one; RTT from QUIC. Rooms cannot tell it from WebSocket.
/// </summary>
/// <remarks>
/// Bounds: <see cref="WebTransportSessionOptions.SendQueueCapacity"/> reliable messages wait to be
/// written (full: close with 4000); <see cref="WebTransportSessionOptions.ReceiveQueueCapacity"/>
/// received messages wait to be read (full: the stream waits under QUIC flow control, datagrams
/// are dropped). An unreliable message is sent at once (QUIC's datagram queue drops its oldest
/// when congested), so a newer snapshot never queues behind an older one.
/// </remarks>
public sealed partial class WebTransportTransportSession : ITransportSession, IUnreliableMessageSource, IUnreliableSendBatching
{
    private readonly WebTransportSession _session;
    private readonly WebTransportSessionOptions _options;
    private readonly ILogger? _logger;
    private readonly IDatagramMeter? _meter;
    private readonly object _gate = new();
    private readonly ReliableMessageQueue _sendQueue;
    private readonly AsyncAutoResetSignal _sendSignal = new();
    private readonly Channel<ReceivedMessage> _received;
    private readonly CancellationTokenSource _closed = new();
    private QuicStream? _messageStream;
    private SessionCloseInfo? _closeInfo;
    private Task? _closing;
    private byte[]? _lastReceived;
    private long _bytesSent;
    private long _bytesReceived;
    private long _datagramsSent;
    private long _datagramsReceived;
    private long _datagramsDropped;
    private long _fragmentsSent;

    /// <summary>Wraps an established session and starts its loops: the message stream, datagrams, and the close watch.</summary>
    public WebTransportTransportSession(WebTransportSession session, WebTransportSessionOptions? options = null, string? id = null, ILogger? logger = null, IDatagramMeter? meter = null)
    {
        _meter = meter;
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _options = options ?? WebTransportSessionOptions.Default;
        _logger = logger;
        Id = id ?? "wt-" + session.Id;
        _sendQueue = new ReliableMessageQueue(_options.SendQueueCapacity);
        _received = Channel.CreateBounded<ReceivedMessage>(new BoundedChannelOptions(_options.ReceiveQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        RemoteEndPoint = session.RemoteEndPoint;
        _ = Task.Run(AcceptMessageStreamAsync);
        _ = Task.Run(ReceiveDatagramsAsync);
        _session.Closed.UnsafeRegister(static s => ((WebTransportTransportSession)s!).OnSessionClosed(), this);
    }

    public string Id { get; }

    public string TransportName => "webtransport";

    public UnreliableSendGroup SendGroup => _session.SendGroup;

    public int MaxUnreliableMessageBytes => Math.Max(0, _session.KnownMaxDatagramSize - MessageDatagrams.WholeHeaderLength);

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>QUIC's smoothed RTT for the connection (engine-level samples are not needed).</summary>
    public TimeSpan? RoundTripTime
    {
        get
        {
            try
            {
                return _session.RoundTripTime;
            }
            catch (QuicException)
            {
                return null;
            }
        }
    }

    public SessionCloseInfo? CloseInfo => Volatile.Read(ref _closeInfo);

    public CancellationToken Closed => _closed.Token;

    /// <summary>The WebTransport session underneath.</summary>
    public WebTransportSession Session => _session;

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public long DatagramsSent => Interlocked.Read(ref _datagramsSent);

    public long DatagramsReceived => Interlocked.Read(ref _datagramsReceived);

    /// <summary>Datagrams not sent or not delivered: too large to fragment, refused by QUIC, malformed or unexpected from the peer, or the receive queue was full.</summary>
    public long DatagramsDropped => Interlocked.Read(ref _datagramsDropped);

    /// <summary>Datagrams sent that carried a fragment of a larger message.</summary>
    public long FragmentsSent => Interlocked.Read(ref _fragmentsSent);

    /// <summary>QUIC measures the RTT itself; samples from above are not needed.</summary>
    public void ObserveRoundTrip(TimeSpan sample)
    {
    }

    public async ValueTask DisposeAsync()
    {
        if (CloseInfo is null)
        {
            await CloseAsync(SessionCloseCode.GoingAway, "disposed").ConfigureAwait(false);
        }

        // A close in progress records its code before it sends the CLOSE capsule: let it send the
        // capsule, or disposing the session first would close it with code 0 and no reason.
        Task? closing;
        lock (_gate)
        {
            closing = _closing;
        }

        if (closing is not null)
        {
            try
            {
                await closing.ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is QuicException or OperationCanceledException or ObjectDisposedException)
            {
                // the session or its connection is already gone
            }
        }

        await _session.DisposeAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _sendQueue.Clear();
        }

        while (_received.Reader.TryRead(out ReceivedMessage message))
        {
            ArrayPool<byte>.Shared.Return(message.Buffer);
        }
    }

    /// <summary>Whole-message datagrams go to <paramref name="handler"/> on the QUIC driver's thread; malformed ones are dropped and counted there.</summary>
    public void SetUnreliableHandler(UnreliableMessageHandler? handler)
    {
        if (handler is null)
        {
            _session.DatagramReceived = null;
            return;
        }

        _session.DatagramReceived = datagram =>
        {
            if (TryAcceptDatagram(datagram, out ReadOnlySpan<byte> message))
            {
                handler(message);
            }
        };
    }

    /// <summary>Counts a received datagram and takes the message out of it; a fragment from a client or a malformed datagram is dropped and counted.</summary>
    private bool TryAcceptDatagram(ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> message)
    {
        Interlocked.Increment(ref _datagramsReceived);
        Interlocked.Add(ref _bytesReceived, datagram.Length);
        _meter?.Received(datagram.Length);
        if (MessageDatagrams.TryReadWhole(datagram, out message) && message.Length <= _options.MaxMessageBytes)
        {
            return true;
        }

        Interlocked.Increment(ref _datagramsDropped);
        _meter?.Dropped(DatagramDropReason.Malformed);
        return false;
    }

    private void OnSessionClosed()
    {
        WebTransportCloseInfo? info = _session.CloseInfo;
        SetClosed(new SessionCloseInfo((SessionCloseCode)(int)(info?.Code ?? 1006), info?.Reason ?? string.Empty, ByPeer: info?.ByPeer ?? true));
    }

    /// <summary>Records how the session closed (the first record wins) and wakes every waiter.</summary>
    private void SetClosed(SessionCloseInfo info)
    {
        if (Interlocked.CompareExchange(ref _closeInfo, info, null) is not null)
        {
            return;
        }

        _received.Writer.TryComplete();
        _sendSignal.Set();
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Cancel(), _closed, preferLocal: false);
    }
}
