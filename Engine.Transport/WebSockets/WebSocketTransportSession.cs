using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using Engine.Transport.Abstractions;
using Engine.Transport.Common;
using Microsoft.Extensions.Logging;

namespace Engine.Transport.WebSockets;

/// <summary>
/// <see cref="ITransportSession"/> over one accepted <see cref="WebSocket"/>: binary messages only,
/// a bounded reliable send queue, latest-wins unreliable channels, and a close handshake that is
/// bounded in time.
/// </summary>
/// <remarks>
/// <para>
/// Sends copy the caller's bytes and return at once. One writer loop, started by the constructor,
/// is the only code that writes to the socket. It alternates: one round over the unreliable
/// channels (at most one datagram each), then one reliable message, so datagrams never wait
/// behind a reliable backlog. A reliable send that finds the queue full closes the session with
/// <see cref="SessionCloseCode.SlowConsumer"/>.
/// </para>
/// <para>
/// Receiving is the caller's loop: at most one <see cref="ReceiveAsync"/> may be outstanding at a
/// time. Failures caused by the peer (a dropped connection, a protocol violation, an oversized or
/// text message) never surface as exceptions; they close the session, set
/// <see cref="CloseInfo"/>, cancel <see cref="Closed"/> and are logged.
/// </para>
/// <para>
/// The session counts as closed from the moment a close begins: <see cref="CloseInfo"/> is set,
/// <see cref="Closed"/> is cancelled (its callbacks run on the thread pool, never inside a send),
/// sends return false and receives return <see cref="TransportReceiveResult.Closed"/>. Flushing
/// and the close handshake then finish in the background within
/// <see cref="WebSocketSessionOptions.CloseTimeout"/> per phase; <see cref="CloseAsync"/> and
/// <see cref="DisposeAsync"/> wait for them.
/// </para>
/// </remarks>
public sealed partial class WebSocketTransportSession : ITransportSession
{
    private readonly WebSocket _socket;
    private readonly WebSocketSessionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly RttEstimator _roundTrip = new();

    // Guards the send queue, the datagram slots, the close state and buffer ownership.
    private readonly Lock _gate = new();
    private readonly ReliableMessageQueue _reliableQueue;
    private readonly DatagramSlot[] _datagramSlots;
    private readonly AsyncAutoResetSignal _writerSignal = new();
    private readonly Task _writerTask;

    private readonly CancellationTokenSource _closedSource = new();
    private readonly CancellationToken _closedToken;

    // Every socket call carries this token: cancelling it is how the session aborts the
    // connection, and it also ends a send blocked on a full TCP buffer or a pending read.
    private readonly CancellationTokenSource _abortSource = new();
    private readonly CancellationToken _abortToken;
    private readonly TaskCompletionSource _closeCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly WriteCoalescingStream? _coalescer;

    // Written under _gate, read without it.
    private SessionCloseInfo? _closeInfo;

    // Guarded by _gate.
    private byte[]? _receiveBuffer;
    private bool _receiveActive;
    private bool _receiveCancelledByCaller;
    private bool _writerExited;
    private bool _disposed;
    private bool _resourcesReleased;

    private int _disposeStarted;
    private long _reliableMessagesSent;
    private long _unreliableDatagramsSent;
    private long _bytesSent;
    private long _messagesReceived;
    private long _bytesReceived;
    private long _unreliableDropped;

    /// <summary>Wraps an open WebSocket and starts the session's writer loop.</summary>
    /// <param name="webSocket">An open WebSocket, e.g. from <c>HttpContext.WebSockets.AcceptWebSocketAsync</c>. The session owns it from now on.</param>
    /// <param name="options">Limits and timeouts.</param>
    /// <param name="id">A unique id for logs and metrics.</param>
    /// <param name="remoteEndPoint">The peer's address, when known.</param>
    /// <param name="logger">Receives close reasons and connection failures.</param>
    /// <param name="timeProvider">Drives the close timeouts.</param>
    /// <param name="writeCoalescer">
    /// The stream under <paramref name="webSocket"/>, when it is a <see cref="WriteCoalescingStream"/>:
    /// the writer then sends everything queued as one batch (one TLS and socket write per burst).
    /// </param>
    public WebSocketTransportSession(
        WebSocket webSocket,
        WebSocketSessionOptions options,
        string id,
        EndPoint? remoteEndPoint,
        ILogger logger,
        TimeProvider timeProvider,
        WriteCoalescingStream? writeCoalescer = null)
    {
        ArgumentNullException.ThrowIfNull(webSocket);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (webSocket.State != WebSocketState.Open)
        {
            throw new ArgumentException($"The WebSocket must be open (it is {webSocket.State}).", nameof(webSocket));
        }

        _socket = webSocket;
        _coalescer = writeCoalescer;
        _options = options;
        Id = id;
        RemoteEndPoint = remoteEndPoint;
        _logger = logger;
        _timeProvider = timeProvider;
        _closedToken = _closedSource.Token;
        _abortToken = _abortSource.Token;

        _reliableQueue = new ReliableMessageQueue(options.SendQueueCapacity);
        _datagramSlots = new DatagramSlot[options.UnreliableChannels];
        for (int channel = 0; channel < _datagramSlots.Length; channel++)
        {
            _datagramSlots[channel] = new DatagramSlot();
        }

        // One spare byte tells "exactly the limit" apart from "over the limit".
        _receiveBuffer = ArrayPool<byte>.Shared.Rent(options.MaxMessageBytes + 1);
        _writerTask = RunWriterAsync();
    }

    /// <inheritdoc />
    public string Id { get; }

    /// <inheritdoc />
    public string TransportName => "websocket";

    public int MaxUnreliableMessageBytes => _options.MaxSendMessageBytes;

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The limits and timeouts this session runs with.</summary>
    public WebSocketSessionOptions Options => _options;

    /// <inheritdoc />
    public TimeSpan? RoundTripTime => _roundTrip.Smoothed;

    /// <inheritdoc />
    public SessionCloseInfo? CloseInfo => Volatile.Read(ref _closeInfo);

    /// <inheritdoc />
    public CancellationToken Closed => _closedToken;

    /// <summary>Reliable messages written to the socket.</summary>
    public long ReliableMessagesSent => Interlocked.Read(ref _reliableMessagesSent);

    /// <summary>Unreliable datagrams written to the socket.</summary>
    public long UnreliableDatagramsSent => Interlocked.Read(ref _unreliableDatagramsSent);

    /// <summary>Payload bytes written to the socket, reliable and unreliable (frame headers excluded).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Whole messages received from the peer.</summary>
    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    /// <summary>Payload bytes of the messages received from the peer.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Unreliable datagrams replaced by a newer one before they were written.</summary>
    public long UnreliableDropped => Interlocked.Read(ref _unreliableDropped);

    /// <summary>Reliable messages waiting for the writer.</summary>
    public int QueuedReliableMessages => _reliableQueue.Count;

    /// <inheritdoc />
    public void ObserveRoundTrip(TimeSpan sample) => _roundTrip.Observe(sample);

    /// <summary>
    /// Closes with <see cref="SessionCloseCode.GoingAway"/> if still open (flushing as
    /// <see cref="CloseAsync"/> does), waits for the close to finish, and returns the pooled
    /// buffers. Buffers still in use by an in-flight send or receive are returned when that
    /// operation ends, never earlier.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
        {
            return;
        }

        TryBeginClose(new SessionCloseInfo(SessionCloseCode.GoingAway, "session disposed", ByPeer: false), CloseKind.FlushThenClose);
        await _closeCompleted.Task;

        try
        {
            // Normally already finished; after an abort it ends as soon as its send is cancelled.
            await _writerTask.WaitAsync(_options.CloseTimeout, _timeProvider);
        }
        catch (TimeoutException)
        {
            WebSocketSessionLog.WriterStillRunningAtDispose(_logger, Id, _options.CloseTimeout);
        }

        lock (_gate)
        {
            _disposed = true;
        }

        ReleaseResourcesIfUnused();
        _socket.Dispose();
    }

    /// <summary>
    /// Returns pooled buffers once nothing can touch them any more: the session is disposed, the
    /// writer has stopped and no receive is in flight. Whichever of the three happens last calls
    /// this successfully; the flag makes the release happen exactly once.
    /// </summary>
    private void ReleaseResourcesIfUnused()
    {
        lock (_gate)
        {
            if (!_disposed || !_writerExited || _receiveActive || _resourcesReleased)
            {
                return;
            }

            _resourcesReleased = true;
            if (_receiveBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_receiveBuffer);
                _receiveBuffer = null;
            }

            foreach (DatagramSlot slot in _datagramSlots)
            {
                slot.ReturnBuffers();
            }

            _reliableQueue.Clear();
        }

        // Closed's source is not disposed: its callbacks may still be running on the thread pool,
        // and without a timer or wait handle it holds nothing that needs releasing.
        _abortSource.Dispose();
    }
}
