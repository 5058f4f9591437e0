using System.Net;
using System.Threading.Channels;
using Engine.Transport.Abstractions;
using Engine.Transport.Io;
using Engine.Transport.Net;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Connection;
using Engine.Transport.WebTransport.Protocol;

namespace Engine.Transport.WebTransport;

/// <summary>Receives one datagram's bytes on the connection's driver thread (see <see cref="WebTransportSession.DatagramReceived"/>).</summary>
public delegate void DatagramHandler(ReadOnlySpan<byte> datagram);

/// <summary>How a WebTransport session ended: the application code and reason, and which side ended it.</summary>
public sealed record WebTransportCloseInfo(uint Code, string Reason, bool ByPeer);

/// <summary>
/// One WebTransport session (draft-02 over HTTP/3), server or client side: bidirectional and
/// unidirectional streams both ways (as <see cref="QuicStream"/>s, which are <see cref="Stream"/>s),
/// unreliable datagrams both ways, and a close with a code and reason. Inbound streams wait for
/// Accept… in queues bounded by the session's stream limit; received datagrams wait in a bounded
/// queue that drops the oldest when full. Thread-safe: every call goes to the connection's driver.
/// </summary>
public sealed class WebTransportSession : IAsyncDisposable, IQuicStreamOwner
{
    private readonly WebTransportSessionCore _core;
    private readonly QuicEndpointHost _host;
    private readonly Dictionary<long, QuicStream> _streams = [];
    private readonly Channel<QuicStream> _bidirectional = Channel.CreateUnbounded<QuicStream>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Channel<QuicStream> _unidirectional = Channel.CreateUnbounded<QuicStream>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly DatagramRing _datagrams;
    private readonly AsyncPulse _datagramArrived = new();
    private readonly AsyncPulse _streamCredit = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly CancellationTokenSource _draining = new();
    private readonly Action? _onDisposed;
    private WebTransportCloseInfo? _closeInfo;
    private byte[] _fragmentScratch = [];
    private int _knownMaxDatagramSize = -1; // refreshed on every message send; -1 until first asked
    private DatagramHandler? _datagramHandler;

    internal WebTransportSession(WebTransportSessionCore core, QuicEndpointHost host, IPEndPoint remote, string path, IReadOnlyList<KeyValuePair<string, string>> headers, int datagramQueue, Action? onDisposed = null)
    {
        _core = core;
        _host = host;
        _datagrams = new DatagramRing(datagramQueue);
        _onDisposed = onDisposed;
        RemoteEndPoint = remote;
        Path = path;
        RequestHeaders = headers;
        core.Sink = new Sink(this);
    }

    /// <summary>The session ID (the CONNECT stream's ID).</summary>
    public long Id => _core.SessionId;

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The CONNECT's :path (with its query).</summary>
    public string Path { get; }

    /// <summary>The CONNECT's regular header fields (server side; the client's own on the client side).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestHeaders { get; }

    /// <summary>Cancelled when the session ends, from either side (or with its connection).</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Cancelled when the peer asks to wind the session down (DRAIN_WEBTRANSPORT_SESSION).</summary>
    public CancellationToken DrainRequested => _draining.Token;

    /// <summary>How the session ended; null while open.</summary>
    public WebTransportCloseInfo? CloseInfo => Volatile.Read(ref _closeInfo);

    /// <summary>Largest datagram <see cref="TrySendDatagram"/> takes now (the path's QUIC maximum less the session prefix); 0 when the peer takes no datagrams.</summary>
    public int MaxDatagramSize => _host.Invoke(_core, static (_, core) => core.MaxDatagramPayloadSize);

    /// <summary>The send group of every session on this session's UDP socket.</summary>
    internal UnreliableSendGroup SendGroup => _host.SendGroup;

    /// <summary>
    /// <see cref="MaxDatagramSize"/> as of the latest message send, read without visiting the driver
    /// (a tick asks once per player); the first read asks the driver.
    /// </summary>
    internal int KnownMaxDatagramSize
    {
        get
        {
            int known = Volatile.Read(ref _knownMaxDatagramSize);
            if (known < 0)
            {
                known = _closed.IsCancellationRequested ? 0 : MaxDatagramSize;
                Volatile.Write(ref _knownMaxDatagramSize, known);
            }

            return known;
        }
    }

    /// <summary>The connection's smoothed RTT (QUIC's, RFC 9002); null before the first sample.</summary>
    public TimeSpan? RoundTripTime => _host.Invoke(_core, static (_, core) => core.Quic.SmoothedRtt);

    /// <summary>
    /// When set, each received datagram is handed to this handler on the connection's driver thread
    /// as it arrives, instead of being queued for <see cref="ReceiveDatagramAsync"/>: no thread is
    /// woken per datagram. The handler must be quick, must not block, and must not throw (an
    /// exception closes this session with code 0). The span is valid only during the call.
    /// </summary>
    public DatagramHandler? DatagramReceived
    {
        get => Volatile.Read(ref _datagramHandler);
        set => Volatile.Write(ref _datagramHandler, value);
    }

    /// <summary>Received datagrams dropped because the application's queue was full.</summary>
    public long DatagramsDropped => Invoke(_ => _datagrams.Dropped);

    internal WebTransportSessionCore Core => _core;

    QuicConnectionCore IQuicStreamOwner.Core => _core.Quic;

    QuicException? IQuicStreamOwner.CloseException => CloseException;

    internal QuicException? CloseException { get; private set; }

    /// <summary>Sends an unreliable datagram; false when it exceeds <see cref="MaxDatagramSize"/> or the session is closed. A full QUIC send queue drops its oldest datagram.</summary>
    public bool TrySendDatagram(ReadOnlySpan<byte> payload)
    {
        if (_closed.IsCancellationRequested)
        {
            return false;
        }

        if (_host.Driver.IsHeldByCurrentThread)
        {
            return _core.TrySendDatagram(payload); // inside a DatagramReceived handler: the driver flushes after its turn
        }

        ThrowIfDriverFailed();
        return _host.Invoke(new DatagramSend(payload, _core), static (_, send) => send.Core.TrySendDatagram(send.Payload));
    }

    /// <summary>Waits for the next datagram and copies it into <paramref name="buffer"/>; returns its length.</summary>
    /// <exception cref="ArgumentException">The next datagram does not fit <paramref name="buffer"/>.</exception>
    /// <exception cref="QuicException">The session closed.</exception>
    public async ValueTask<int> ReceiveDatagramAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task arrived = _datagramArrived.NextAsync();
            ThrowIfDriverFailed();
            int length = _host.Invoke((Session: this, Buffer: buffer), static (_, s) => s.Session.TryTakeDatagram(s.Buffer.Span));
            if (length >= 0)
            {
                return length;
            }

            if (length == -2)
            {
                throw new ArgumentException($"The next datagram does not fit a {buffer.Length}-byte buffer.", nameof(buffer));
            }

            await arrived.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>On the driver's thread: the next datagram's length once copied, -1 when none waits, -2 when it does not fit.</summary>
    private int TryTakeDatagram(Span<byte> buffer)
    {
        if (_datagrams.TryPeek(out ReadOnlySpan<byte> next))
        {
            if (next.Length > buffer.Length)
            {
                return -2;
            }

            _datagrams.TryDequeue(buffer, out int received);
            return received;
        }

        ThrowIfClosed();
        return -1;
    }

    /// <summary>Takes the next bidirectional stream the peer opened.</summary>
    public ValueTask<QuicStream> AcceptBidirectionalStreamAsync(CancellationToken cancellationToken = default) => AcceptAsync(_bidirectional, cancellationToken);

    /// <summary>Takes the next unidirectional stream the peer opened (read-only).</summary>
    public ValueTask<QuicStream> AcceptUnidirectionalStreamAsync(CancellationToken cancellationToken = default) => AcceptAsync(_unidirectional, cancellationToken);

    /// <summary>Opens a bidirectional stream; waits while the peer's stream limit is reached.</summary>
    public ValueTask<QuicStream> OpenBidirectionalStreamAsync(CancellationToken cancellationToken = default) => OpenAsync(bidirectional: true, cancellationToken);

    /// <summary>Opens a unidirectional (write-only) stream; waits while the peer's stream limit is reached.</summary>
    public ValueTask<QuicStream> OpenUnidirectionalStreamAsync(CancellationToken cancellationToken = default) => OpenAsync(bidirectional: false, cancellationToken);

    /// <summary>
    /// Ends the session: CLOSE_WEBTRANSPORT_SESSION with <paramref name="code"/> and
    /// <paramref name="reason"/> (UTF-8, cut to 1,024 bytes), our CONNECT stream's FIN, and every
    /// stream of the session reset with H3_CONNECT_ERROR. Idempotent: the first close wins.
    /// </summary>
    public ValueTask CloseAsync(uint code, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Invoke(_ =>
        {
            _core.Close(code, reason);
            return 0;
        });
        return ValueTask.CompletedTask;
    }

    /// <summary>Asks the peer to wind the session down (DRAIN_WEBTRANSPORT_SESSION); the session stays open.</summary>
    public void Drain() => Invoke(_ =>
    {
        _core.Drain();
        return 0;
    });

    /// <summary>Closes with code 0 if still open; a client session also closes its connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_closed.IsCancellationRequested)
        {
            try
            {
                await CloseAsync(0, string.Empty).ConfigureAwait(false);
            }
            catch (QuicException)
            {
                // The driver is gone; nothing is left to tell the peer.
            }
        }

        _onDisposed?.Invoke();
    }

    T IQuicStreamOwner.Invoke<T>(Func<TimeSpan, T> action) => Invoke(action);

    void IQuicStreamOwner.ThrowIfClosed() => ThrowIfClosed();

    void IQuicStreamOwner.Forget(long streamId)
    {
        _streams.Remove(streamId);
        _core.ForgetStream(streamId);
    }

    ulong IQuicStreamOwner.ToWireErrorCode(long applicationErrorCode) =>
        applicationErrorCode is >= 0 and <= uint.MaxValue
            ? WebTransportErrorCodes.ToHttp3((uint)applicationErrorCode)
            : throw new ArgumentOutOfRangeException(nameof(applicationErrorCode), "WebTransport stream error codes are 32-bit (0–4294967295).");

    internal T Invoke<T>(Func<TimeSpan, T> action)
    {
        ThrowIfDriverFailed();
        return _host.Invoke(action);
    }

    private void ThrowIfDriverFailed()
    {
        if (_host.Driver.Failure is { } failure)
        {
            throw new QuicException(QuicError.InternalError, "The connection's UDP driver failed.", innerException: failure);
        }
    }

    internal void ThrowIfClosed()
    {
        if (CloseException is { } closed)
        {
            throw new QuicException(closed.QuicError, closed.Message, closed.ApplicationErrorCode, closed.TransportErrorCode, closed);
        }
    }

    private static async ValueTask<QuicStream> AcceptAsync(Channel<QuicStream> queue, CancellationToken cancellationToken)
    {
        try
        {
            return await queue.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException exception) when (exception.InnerException is QuicException closed)
        {
            throw new QuicException(closed.QuicError, closed.Message, closed.ApplicationErrorCode, closed.TransportErrorCode, closed);
        }
    }

    private ValueTask<QuicStream> OpenAsync(bool bidirectional, CancellationToken cancellationToken) =>
        _streamCredit.UntilAsync(() => Invoke(_ =>
        {
            ThrowIfClosed();
            if (!_core.TryOpenStream(bidirectional, out long id))
            {
                return null;
            }

            var opened = new QuicStream(this, id, canRead: bidirectional, canWrite: true);
            _streams[id] = opened;
            return opened;
        }), cancellationToken);

    private void OnClosed(WebTransportCloseRecord close)
    {
        var info = new WebTransportCloseInfo(close.Code, close.Reason, close.ByPeer);
        Volatile.Write(ref _closeInfo, info);
        CloseException = new QuicException(
            close.ByPeer ? QuicError.ConnectionAborted : QuicError.OperationAborted,
            $"The WebTransport session {(close.ByPeer ? "was closed by the peer" : "was closed")} with code {close.Code}{(close.Reason.Length > 0 ? " (" + close.Reason + ")" : string.Empty)}.",
            close.Code);
        _bidirectional.Writer.TryComplete(CloseException);
        _unidirectional.Writer.TryComplete(CloseException);
        foreach (QuicStream stream in _streams.Values)
        {
            stream.OnConnectionClosed(keepReceivedBytes: false);
        }

        _streams.Clear();
        _datagramArrived.Pulse();
        _streamCredit.Pulse();
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Cancel(), _closed, preferLocal: false); // token callbacks never run on the driver's thread
    }

    /// <summary>
    /// Sends <paramref name="message"/> as one whole-message datagram or as fragments
    /// (<see cref="MessageDatagrams"/>), all in one visit to the driver's thread and without
    /// allocating: the split follows the maximum datagram size of this moment.
    /// </summary>
    internal MessageSendResult SendMessageDatagrams(ReadOnlySpan<byte> message, ushort messageId)
    {
        if (_closed.IsCancellationRequested)
        {
            return default;
        }

        if (_host.Driver.IsHeldByCurrentThread)
        {
            return SendMessageOnDriver(message, messageId);
        }

        ThrowIfDriverFailed();
        return _host.Invoke(new MessageSend(message, this, messageId), static (_, send) => send.Session.SendMessageOnDriver(send.Message, send.MessageId));
    }

    private MessageSendResult SendMessageOnDriver(ReadOnlySpan<byte> message, ushort messageId)
    {
        int max = _core.MaxDatagramPayloadSize;
        Volatile.Write(ref _knownMaxDatagramSize, max);
        int count = MessageDatagrams.CountDatagrams(message.Length, max);
        if (count == 0)
        {
            return new MessageSendResult(0, 0, 0, TooLarge: true);
        }

        if (_fragmentScratch.Length < max)
        {
            _fragmentScratch = new byte[max];
        }

        int sent = 0;
        int bytes = 0;
        for (int index = 0; index < count; index++)
        {
            int length = MessageDatagrams.Write(_fragmentScratch, message, max, count, index, messageId);
            if (_core.TrySendDatagram(_fragmentScratch.AsSpan(0, length)))
            {
                sent++;
                bytes += length;
            }
        }

        return new MessageSendResult(count, sent, bytes, TooLarge: false);
    }

    /// <summary>A message on its way to the driver's thread (a span cannot be captured).</summary>
    private readonly ref struct MessageSend(ReadOnlySpan<byte> message, WebTransportSession session, ushort messageId)
    {
        public ReadOnlySpan<byte> Message { get; } = message;

        public WebTransportSession Session { get; } = session;

        public ushort MessageId { get; } = messageId;
    }

    /// <summary>A datagram on its way to the driver's thread (a span cannot be captured).</summary>
    private readonly ref struct DatagramSend(ReadOnlySpan<byte> payload, WebTransportSessionCore core)
    {
        public ReadOnlySpan<byte> Payload { get; } = payload;

        public WebTransportSessionCore Core { get; } = core;
    }

    /// <summary>The core's events, on the driver's thread.</summary>
    private sealed class Sink(WebTransportSession session) : IWebTransportSessionSink
    {
        public void OnIncomingStream(long streamId, bool bidirectional, ReadOnlySpan<byte> prefetched, bool finished)
        {
            var stream = new QuicStream(session, streamId, canRead: true, canWrite: bidirectional, prefetched, finished);
            session._streams[streamId] = stream;
            (bidirectional ? session._bidirectional : session._unidirectional).Writer.TryWrite(stream);
        }

        public void OnStreamEvent(in QuicConnectionEvent e)
        {
            if (!session._streams.TryGetValue(e.StreamId, out QuicStream? stream))
            {
                return;
            }

            switch (e.Kind)
            {
                case QuicConnectionEventKind.StreamReadable:
                    stream.OnReadable();
                    break;
                case QuicConnectionEventKind.StreamWritable:
                    stream.OnWritable();
                    break;
                case QuicConnectionEventKind.StreamPeerReset:
                    stream.OnPeerReset(FromWire(e.ErrorCode));
                    break;
                case QuicConnectionEventKind.StreamPeerStopSending:
                    stream.OnPeerStopSending(FromWire(e.ErrorCode));
                    break;
                case QuicConnectionEventKind.StreamFinished:
                    stream.OnWritesFinished();
                    break;
            }
        }

        public void OnDatagram(ReadOnlySpan<byte> payload)
        {
            if (session.DatagramReceived is { } handler)
            {
                try
                {
                    handler(payload);
                }
                catch (Exception)
                {
                    session._core.Close(0, "the datagram handler failed");
                }

                return;
            }

            session._datagrams.Enqueue(payload);
            session._datagramArrived.Pulse();
        }

        public void OnStreamsAvailable() => session._streamCredit.Pulse();

        public void OnDraining() => ThreadPool.UnsafeQueueUserWorkItem(static s => s.Cancel(), session._draining, preferLocal: false);

        public void OnClosed(WebTransportCloseRecord close) => session.OnClosed(close);

        /// <summary>A WebTransport application code when the wire code is one; otherwise the HTTP/3 code itself (H3_CONNECT_ERROR when the session ended).</summary>
        private static long FromWire(ulong code) =>
            WebTransportErrorCodes.TryFromHttp3(code, out uint application) ? application : (long)code;
    }
}

/// <summary>What <see cref="WebTransportSession.SendMessageDatagrams"/> did: datagrams needed, sent, their bytes, or that the message cannot be sent as datagrams.</summary>
internal readonly record struct MessageSendResult(int Datagrams, int Sent, int Bytes, bool TooLarge);
