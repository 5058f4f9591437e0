using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Engine.Transport.Io;
using Engine.Transport.Quic;
using Engine.Transport.Tls;
using CoreClientOptions = Engine.Transport.Quic.QuicClientOptions;
using CoreConnection = Engine.Transport.Quic.QuicConnectionCore;

namespace Engine.Transport.Net;

/// <summary>
/// A QUIC connection (client or server side), shaped like System.Net.Quic's: open and accept
/// streams, send and receive datagrams, close with an application error code. Inbound streams
/// wait for <see cref="AcceptInboundStreamAsync"/> in a queue the peer cannot grow past the
/// MaxInbound*Streams limits; received datagrams wait in the core's 64-slot queue, which drops
/// the oldest when full.
/// </summary>
public sealed class QuicConnection : IAsyncDisposable, IQuicConnectionOwner, IQuicStreamOwner
{
    private readonly QuicEndpointHost _host;
    private readonly bool _ownsHost;
    private readonly Dictionary<long, QuicStream> _streams = [];
    private readonly Channel<QuicStream> _inbound = Channel.CreateUnbounded<QuicStream>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TaskCompletionSource _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AsyncPulse _datagrams = new();
    private readonly AsyncPulse _streamCredit = new();
    private int _disposed;

    internal QuicConnection(QuicEndpointHost host, CoreConnection core, bool ownsHost)
    {
        _host = host;
        Core = core;
        _ownsHost = ownsHost;
        LocalEndPoint = host.Driver.LocalEndPoint;
        RemoteEndPoint = core.RemoteAddress;
    }

    public IPEndPoint LocalEndPoint { get; }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The ALPN protocol both sides agreed on.</summary>
    public string NegotiatedApplicationProtocol => Core.NegotiatedApplicationProtocol ?? string.Empty;

    /// <summary>Largest datagram <see cref="TrySendDatagram"/> accepts now; 0 when the peer refuses datagrams.</summary>
    public int MaxDatagramSendSize => Invoke(_ => Core.MaxDatagramPayloadSize);

    internal CoreConnection Core { get; }

    /// <summary>Set once the core connection closed; every later operation throws it.</summary>
    internal QuicException? CloseException { get; private set; }

    internal bool IsFinished => CloseException is not null;

    internal Task HandshakeTask => _handshake.Task;

    /// <summary>Called on the driver's thread once the handshake completes (the listener queues the connection then).</summary>
    internal Action<QuicConnection>? HandshakeCompleted { get; set; }

    /// <summary>Connects to <see cref="QuicClientConnectionOptions.RemoteEndPoint"/> on a socket of its own and completes the handshake.</summary>
    /// <exception cref="ArgumentException">The options are invalid (every problem is listed).</exception>
    /// <exception cref="QuicException">The handshake failed, timed out or was refused.</exception>
    public static async ValueTask<QuicConnection> ConnectAsync(QuicClientConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IPEndPoint remote = options.RemoteEndPoint!;
        var core = new CoreClientOptions
        {
            Tls = new TlsClientOptions
            {
                ServerName = options.TargetHost,
                ApplicationProtocols = options.ApplicationProtocols,
                ServerCertificateHashes = options.ServerCertificateHashes,
                TrustedRoots = options.TrustedRoots,
            },
            Transport = options.ToCore(connectionIdLength: 0),
        };
        core.Validate();
        IPAddress any = remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        var host = new QuicEndpointHost(new QuicEndpoint(new QuicEndpointOptions { ConnectionIdLength = 0 }), new IPEndPoint(any, 0));
        QuicConnection connection = host.Invoke(now =>
        {
            CoreConnection started = host.Endpoint.Connect(core, remote, now);
            var created = new QuicConnection(host, started, ownsHost: true);
            host.Attach(started, created, now);
            return created;
        });
        try
        {
            await connection._handshake.Task.WaitAsync(options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (TimeoutException exception)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new QuicException(QuicError.ConnectionTimeout, $"The handshake with {remote} did not complete within {options.HandshakeTimeout}.", innerException: exception);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens a stream; waits while the peer's stream limit is reached.</summary>
    public ValueTask<QuicStream> OpenOutboundStreamAsync(QuicStreamType type, CancellationToken cancellationToken = default)
    {
        bool bidirectional = type == QuicStreamType.Bidirectional;
        return _streamCredit.UntilAsync(() => Invoke(_ =>
        {
            ThrowIfClosed();
            if (!Core.TryOpenStream(bidirectional, out long id))
            {
                return null;
            }

            var opened = new QuicStream(this, id, canRead: bidirectional, canWrite: true);
            _streams[id] = opened;
            return opened;
        }), cancellationToken);
    }

    /// <summary>Takes the next stream the peer opened.</summary>
    /// <exception cref="QuicException">The connection closed.</exception>
    public async ValueTask<QuicStream> AcceptInboundStreamAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _inbound.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException exception) when (exception.InnerException is QuicException closed)
        {
            throw new QuicException(closed.QuicError, closed.Message, closed.ApplicationErrorCode, closed.TransportErrorCode, closed);
        }
    }

    /// <summary>
    /// Queues an unreliable datagram (RFC 9221). False when it is larger than
    /// <see cref="MaxDatagramSendSize"/>; a full send queue drops its oldest datagram. Never retransmitted.
    /// </summary>
    public bool TrySendDatagram(ReadOnlyMemory<byte> payload) => Invoke(_ =>
    {
        ThrowIfClosed();
        return Core.TrySendDatagram(payload.Span);
    });

    /// <summary>Waits for the next datagram and copies it into <paramref name="buffer"/>; returns its length.</summary>
    /// <exception cref="ArgumentException">The waiting datagram is larger than <paramref name="buffer"/>.</exception>
    public async ValueTask<int> ReceiveDatagramAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task arrived = _datagrams.NextAsync();
            int length = Invoke(_ =>
            {
                if (Core.TryReceiveDatagram(buffer.Span, out int received))
                {
                    return received;
                }

                ThrowIfClosed();
                return Core.PendingDatagramCount > 0 ? -2 : -1;
            });
            if (length >= 0)
            {
                return length;
            }

            if (length == -2)
            {
                throw new ArgumentException($"The next datagram does not fit a {buffer.Length}-byte buffer; use one of MaxDatagramReceiveSize bytes.", nameof(buffer));
            }

            await arrived.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the connection with an application error code; the peer sees it with its streams and pending operations.</summary>
    public ValueTask CloseAsync(long errorCode, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(errorCode);
        Invoke(now =>
        {
            if (!Core.IsClosing)
            {
                Core.Close((ulong)errorCode, string.Empty, now);
            }

            ProcessEvents();
            return 0;
        });
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes with code 0 if still open; a client connection also releases its socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_host.Driver.Failure is null)
        {
            await CloseAsync(0).ConfigureAwait(false);
        }

        if (_ownsHost)
        {
            _host.Dispose();
        }
    }

    /// <summary>Runs on the driver's thread under its lock: turns core events into completed waits.</summary>
    internal void ProcessEvents()
    {
        if (CloseException is not null)
        {
            return;
        }

        bool closed = false;
        while (Core.TryPollEvent(out QuicConnectionEvent e))
        {
            QuicStream? stream = e.StreamId >= 0 ? _streams.GetValueOrDefault(e.StreamId) : null;
            switch (e.Kind)
            {
                case QuicConnectionEventKind.HandshakeCompleted:
                    HandshakeCompleted?.Invoke(this);
                    _handshake.TrySetResult();
                    break;
                case QuicConnectionEventKind.StreamOpened:
                    bool bidirectional = (e.StreamId & 0x2) == 0;
                    var inbound = new QuicStream(this, e.StreamId, canRead: true, canWrite: bidirectional);
                    _streams[e.StreamId] = inbound;
                    _inbound.Writer.TryWrite(inbound);
                    break;
                case QuicConnectionEventKind.StreamReadable:
                    stream?.OnReadable();
                    break;
                case QuicConnectionEventKind.StreamWritable:
                    stream?.OnWritable();
                    break;
                case QuicConnectionEventKind.StreamPeerReset:
                    stream?.OnPeerReset((long)e.ErrorCode);
                    break;
                case QuicConnectionEventKind.StreamPeerStopSending:
                    stream?.OnPeerStopSending((long)e.ErrorCode);
                    break;
                case QuicConnectionEventKind.StreamFinished:
                    stream?.OnWritesFinished();
                    break;
                case QuicConnectionEventKind.DatagramReceived:
                    _datagrams.Pulse();
                    break;
                case QuicConnectionEventKind.StreamsAvailable:
                    _streamCredit.Pulse();
                    break;
                case QuicConnectionEventKind.Closed:
                    // Stream events queued before the close may still follow it: apply them first.
                    closed = true;
                    break;
            }
        }

        if (closed || Core.IsClosed)
        {
            OnClosed();
        }
    }

    /// <summary>The host dispatches this connection's events here (driver thread).</summary>
    void IQuicConnectionOwner.OnConnectionEvents(TimeSpan now) => ProcessEvents();

    internal T Invoke<T>(Func<TimeSpan, T> action)
    {
        if (_host.Driver.Failure is { } failure)
        {
            throw new QuicException(QuicError.InternalError, "The connection's UDP driver failed.", innerException: failure);
        }

        return _host.Invoke(action);
    }

    internal void ThrowIfClosed()
    {
        if (CloseException is { } closed)
        {
            throw new QuicException(closed.QuicError, closed.Message, closed.ApplicationErrorCode, closed.TransportErrorCode, closed);
        }
    }

    internal void Forget(long streamId) => _streams.Remove(streamId);

    CoreConnection IQuicStreamOwner.Core => Core;

    QuicException? IQuicStreamOwner.CloseException => CloseException;

    T IQuicStreamOwner.Invoke<T>(Func<TimeSpan, T> action) => Invoke(action);

    void IQuicStreamOwner.ThrowIfClosed() => ThrowIfClosed();

    void IQuicStreamOwner.Forget(long streamId) => Forget(streamId);

    ulong IQuicStreamOwner.ToWireErrorCode(long applicationErrorCode) => (ulong)applicationErrorCode;

    private void OnClosed()
    {
        CloseException = QuicException.FromClose(Core.CloseInfo, _handshake.Task.IsCompletedSuccessfully);
        _handshake.TrySetException(CloseException);
        _ = _handshake.Task.Exception; // observed: a failed handshake is reported through ConnectAsync or never surfaces
        _inbound.Writer.TryComplete(CloseException);
        foreach (QuicStream stream in _streams.Values)
        {
            stream.OnConnectionClosed();
        }

        _streams.Clear();
        _datagrams.Pulse();
        _streamCredit.Pulse();
        _closed.TrySetResult();
    }
}
