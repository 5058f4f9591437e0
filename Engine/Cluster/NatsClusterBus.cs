using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace Engine.Cluster;

/// <summary>
/// <see cref="IClusterBus"/> over NATS core (at-most-once pub/sub). Every subject travels as
/// <c>&lt;ClusterName&gt;.&lt;subject&gt;</c> and is handed back without the prefix; the sender's
/// <see cref="InstanceId"/> travels in the <c>Engine-Instance</c> header. Nothing here blocks a caller:
/// <see cref="Publish"/> copies into a bounded queue that one pump task drains into the connection (the
/// pump, not the caller, waits while NATS is down), and each subscription has its own bounded inbound
/// queue and handler task. The connection reconnects forever (250 ms doubling to 2 s, jittered) and
/// NATS.Client.Core re-subscribes every live subscription after a reconnect. Build one with
/// <see cref="ConnectAsync"/>.
/// </summary>
public sealed partial class NatsClusterBus : IClusterBus
{
    /// <summary>The NATS header that carries the publishing instance's <see cref="InstanceId"/>.</summary>
    public const string InstanceHeader = "Engine-Instance";

    /// <summary>Bytes kept free under the server's max_payload for the headers (<c>NATS/1.0</c> and <see cref="InstanceHeader"/>).</summary>
    private const int HeaderAllowance = 128;

    /// <summary>How long disposal lets the pump flush what is queued while connected.</summary>
    private static readonly TimeSpan DisposeFlushTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long disposal waits for one subscription's task (its handler and UNSUB).</summary>
    private static readonly TimeSpan DisposeSubscriptionTimeout = TimeSpan.FromSeconds(5);

    private readonly NatsConnection _connection;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _prefixed = new(StringComparer.Ordinal);
    private NatsHeaders? _headers;
    private readonly ClusterOptions _options;
    private readonly ILogger _logger;
    private readonly string _cluster;
    private readonly string _prefix;
    private readonly NatsSubOpts _subscriptionOptions;

    /// <summary>
    /// Messages waiting for the pump: bounded at <see cref="ClusterOptions.OutboundQueueCapacity"/>;
    /// when full, writing drops the oldest message (its buffer goes back to the pool; counted in
    /// <see cref="OutboundDropped"/>), so <see cref="Publish"/> never waits.
    /// </summary>
    private readonly Channel<Outbound> _outbound;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _pump;
    private readonly Lock _stateGate = new();
    private readonly Lock _subscriptionsGate = new();
    private readonly HashSet<Subscription> _subscriptions = [];
    private readonly TaskCompletionSource _firstConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _connecting = Task.CompletedTask;
    private volatile bool _connected;
    private bool _everConnected;
    private int _disposed;
    private long _published;
    private long _received;
    private long _outboundDropped;
    private long _inboundDropped;
    private long _handlerErrors;
    private long _refused;
    private long _publishErrors;

    private NatsClusterBus(ClusterOptions options, NatsConnection connection, string instanceId, ILoggerFactory loggerFactory)
    {
        _options = options;
        _connection = connection;
        _logger = loggerFactory.CreateLogger<NatsClusterBus>();
        _cluster = options.ClusterName;
        _prefix = options.ClusterName + ".";
        InstanceId = instanceId;
        NodeId = ClusterIdentity.NewNodeId();
        _subscriptionOptions = new NatsSubOpts
        {
            ChannelOpts = new NatsSubChannelOpts { Capacity = options.InboundQueueCapacity, FullMode = BoundedChannelFullMode.DropNewest },
        };
        _outbound = Channel.CreateBounded<Outbound>(
            new BoundedChannelOptions(options.OutboundQueueCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
                AllowSynchronousContinuations = false,
            },
            OnOutboundDropped);

        // Events arrive in order on NATS.Client.Core's one event task.
        _connection.ConnectionOpened += OnConnectionEvent;
        _connection.ConnectionDisconnected += OnConnectionEvent;
        _connection.ReconnectFailed += OnConnectionEvent;
        _connection.MessageDropped += (_, _) =>
        {
            Interlocked.Increment(ref _inboundDropped);
            return ValueTask.CompletedTask;
        };
        _pump = Task.Run(PumpAsync);
    }

    /// <inheritdoc />
    public string InstanceId { get; }

    /// <inheritdoc />
    public uint NodeId { get; }

    /// <inheritdoc />
    public bool IsClustered => true;

    /// <inheritdoc />
    public bool IsConnected => _connected;

    /// <inheritdoc />
    /// <remarks>Raised on NATS.Client.Core's event task, in order, only when the value changes.</remarks>
    public event Action<bool>? ConnectionChanged;

    /// <summary>The cluster's name (the subject prefix without its dot).</summary>
    public string ClusterName => _cluster;

    /// <summary>The NATS connection, shared with the room leases (JetStream KV) and the event store (JetStream).</summary>
    public NatsConnection Connection => _connection;

    /// <summary>Messages handed to the NATS connection (written to its buffer; NATS core may still lose them).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Messages delivered to handlers (including ones whose handler threw).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Queued messages dropped because the outbound queue was full (oldest first).</summary>
    public long OutboundDropped => Interlocked.Read(ref _outboundDropped);

    /// <summary>Received messages dropped because a subscription's inbound queue was full (newest first).</summary>
    public long InboundDropped => Interlocked.Read(ref _inboundDropped);

    /// <summary>Exceptions thrown by subscription handlers (each was logged; the subscription carried on).</summary>
    public long HandlerErrors => Interlocked.Read(ref _handlerErrors);

    /// <summary>Messages <see cref="Publish"/> refused because the payload was over the limit.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Messages the pump took from the queue but NATS.Client.Core failed to publish (logged; dropped).</summary>
    public long PublishErrors => Interlocked.Read(ref _publishErrors);

    /// <summary>
    /// The largest payload <see cref="Publish"/> accepts now: <see cref="ClusterOptions.MaxPayloadBytes"/>,
    /// capped by the server's max_payload (less room for headers) once a server has been seen.
    /// </summary>
    public int MaxPayloadBytes
    {
        get
        {
            int limit = _options.MaxPayloadBytes;
            if (_connection.ServerInfo is { MaxPayload: > HeaderAllowance } info)
            {
                limit = Math.Min(limit, info.MaxPayload - HeaderAllowance);
            }

            return limit;
        }
    }

    /// <summary>
    /// Creates the bus and connects. When NATS is unreachable (refused, or no answer within the connect
    /// timeout) it logs a warning and still returns the bus, disconnected, connecting in the background:
    /// an instance starts even while NATS is down. Throws only for invalid options.
    /// </summary>
    /// <param name="options">Cluster settings; <see cref="ClusterOptions.Url"/> must be set.</param>
    /// <param name="loggerFactory">For the bus's and NATS.Client.Core's logs.</param>
    /// <param name="cancellationToken">Cancels the wait for the first connection (the bus is still returned, connecting in the background).</param>
    /// <exception cref="ArgumentException">The options are invalid or name no server.</exception>
    public static async Task<NatsClusterBus> ConnectAsync(ClusterOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        if (!options.IsClustered)
        {
            throw new ArgumentException("Engine:Nats:Url is empty: there is no NATS to connect to (ClusterBus.Create gives the in-process bus then).", nameof(options));
        }

        string instanceId = NewInstanceId();

        // First try once, so an unreachable NATS is known at once (refused) or after the connect timeout.
        var first = new NatsConnection(BuildNatsOpts(options, instanceId, loggerFactory, retryOnInitialConnect: false));
        var bus = new NatsClusterBus(options, first, instanceId, loggerFactory);
        Exception? failure;
        Task connect = first.ConnectAsync().AsTask();
        try
        {
            await connect.WaitAsync(first.Opts.ConnectTimeout * 3, cancellationToken).ConfigureAwait(false);
            bus.RefreshConnected();
            return bus;
        }
        catch (Exception exception) when (exception is NatsException or TimeoutException or OperationCanceledException or IOException or System.Net.Sockets.SocketException)
        {
            failure = exception;
        }
        catch
        {
            // A configuration NATS.Client.Core rejects (a TLS file it cannot use, say): nothing to retry.
            await bus.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // Still running after a timeout, it fails once disposed: observe that, nobody waits for it.
        _ = connect.ContinueWith(static task => _ = task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        await bus.DisposeAsync().ConfigureAwait(false);

        // Then a connection that retries its initial connect forever (reconnects are forever anyway).
        bus = StartConnecting(options, instanceId, loggerFactory, warnIfSlow: false);
        ClusterLog.NatsUnreachableAtStart(bus._logger, options.ClusterName, options.Url!, failure.Message, instanceId);
        return bus;
    }

    /// <summary>
    /// Creates the bus without waiting: it connects in the background, forever, and logs a warning when
    /// the first connection takes longer than a few connect timeouts. <paramref name="options"/> must be valid.
    /// </summary>
    internal static NatsClusterBus StartConnecting(ClusterOptions options, ILoggerFactory loggerFactory) =>
        StartConnecting(options, NewInstanceId(), loggerFactory, warnIfSlow: true);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The subject is empty, has whitespace, an empty token or a wildcard.</exception>
    /// <summary>
    /// The subject with the cluster prefix, cached: publishers use a few subjects over and over (a
    /// room's, an instance's relay inbox). Bounded: past 4,096 the cache starts over.
    /// </summary>
    private string PrefixedSubject(string subject)
    {
        if (_prefixed.TryGetValue(subject, out string? prefixed))
        {
            return prefixed;
        }

        if (_prefixed.Count >= 4096)
        {
            _prefixed.Clear();
        }

        return _prefixed[subject] = _prefix + subject;
    }

    public bool Publish(string subject, ReadOnlySpan<byte> payload)
    {
        if (!SubjectSyntax.IsValid(subject, allowWildcards: false))
        {
            throw new ArgumentException($"Invalid cluster subject \"{subject}\": dot-separated non-empty tokens, no whitespace and no wildcard.", nameof(subject));
        }

        int limit = MaxPayloadBytes;
        if (payload.Length > limit)
        {
            long refused = Interlocked.Increment(ref _refused);
            if (IsPowerOfTwo(refused))
            {
                ClusterLog.PayloadRefused(_logger, _cluster, payload.Length, subject, limit);
            }

            return false;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(buffer);
        if (!_outbound.Writer.TryWrite(new Outbound(PrefixedSubject(subject), buffer, payload.Length)))
        {
            // Only after DisposeAsync: the queue is closed.
            ArrayPool<byte>.Shared.Return(buffer);
            return false;
        }

        return true;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Works while disconnected: the subscription is made when the connection opens, and
    /// NATS.Client.Core renews it after every reconnect. Messages published while it was not yet (or
    /// no longer) registered at the server are not delivered (NATS core keeps nothing).
    /// </remarks>
    /// <exception cref="ArgumentException">The subject is empty, has whitespace or an empty token, or misplaces a wildcard.</exception>
    public IAsyncDisposable Subscribe(string subject, Action<ClusterMessage> handler)
    {
        if (!SubjectSyntax.IsValid(subject, allowWildcards: true))
        {
            throw new ArgumentException($"Invalid cluster subject \"{subject}\": dot-separated non-empty tokens, no whitespace, '*' or '>' only as whole tokens and '>' only last.", nameof(subject));
        }

        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(this, subject, handler);
        lock (_subscriptionsGate)
        {
            // Checked under the gate: DisposeAsync marks the bus disposed before it takes the gate to stop them all.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            _subscriptions.Add(subscription);
        }

        subscription.Start();
        return subscription;
    }

    /// <summary>
    /// Flushes what is queued (for up to 2 s, when connected), ends every subscription (waiting for a
    /// running handler) and closes the connection. Messages still queued after that are dropped.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        bool wasConnected;
        lock (_stateGate)
        {
            // Disposal is no connection change: no ConnectionChanged, no log line.
            wasConnected = _connected;
            _connected = false;
        }

        _outbound.Writer.TryComplete();
        if (wasConnected)
        {
            await _pump.WaitAsync(DisposeFlushTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        Subscription[] subscriptions;
        lock (_subscriptionsGate)
        {
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
        }

        foreach (Subscription subscription in subscriptions)
        {
            await subscription.StopAsync(DisposeSubscriptionTimeout).ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        await _connecting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _closing.Dispose();
    }

    /// <summary>The NATS.Client.Core options for <paramref name="options"/> (internal for tests of the mapping).</summary>
    internal static NatsOpts BuildNatsOpts(ClusterOptions options, string instanceId, ILoggerFactory loggerFactory, bool retryOnInitialConnect)
    {
        bool tls = !string.IsNullOrEmpty(options.TlsCaFile) || !string.IsNullOrEmpty(options.TlsCertFile) || options.TlsInsecure;
        return NatsOpts.Default with
        {
            Url = string.Join(',', options.Url!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
            Name = $"engine-{options.ClusterName}-{instanceId}",
            Echo = true,
            Headers = true,
            LoggerFactory = loggerFactory,
            AuthOpts = new NatsAuthOpts
            {
                Username = NullIfEmpty(options.User),
                Password = NullIfEmpty(options.Password),
                Token = NullIfEmpty(options.Token),
                CredsFile = NullIfEmpty(options.CredentialsFile),
                NKeyFile = NullIfEmpty(options.NKeyFile),
            },
            TlsOpts = !tls ? NatsTlsOpts.Default : new NatsTlsOpts
            {
                Mode = TlsMode.Require,
                CaFile = NullIfEmpty(options.TlsCaFile),
                CertFile = NullIfEmpty(options.TlsCertFile),
                KeyFile = NullIfEmpty(options.TlsKeyFile),
                InsecureSkipVerify = options.TlsInsecure,
            },

            // Forever, quickly: a partitioned instance rejoins within about 2 s of NATS coming back.
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(250),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
            ReconnectJitter = TimeSpan.FromMilliseconds(250),
            IgnoreAuthErrorAbort = true,
            RetryOnInitialConnect = retryOnInitialConnect,

            // A silently dead link (no FIN/RST) is noticed after about 3 pings (15 s), not the default 6 minutes.
            PingInterval = TimeSpan.FromSeconds(5),
            MaxPingOut = 2,

            // The pump waits for the reconnect; the bounded outbound queue absorbs the outage.
            PublishTimeoutOnDisconnected = false,
            SubPendingChannelCapacity = options.InboundQueueCapacity,
            SubPendingChannelFullMode = BoundedChannelFullMode.DropNewest,
        };
    }

    private static string NewInstanceId() => Guid.NewGuid().ToString("N")[..12];

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static bool IsPowerOfTwo(long count) => (count & (count - 1)) == 0;

    private static NatsClusterBus StartConnecting(ClusterOptions options, string instanceId, ILoggerFactory loggerFactory, bool warnIfSlow)
    {
        var connection = new NatsConnection(BuildNatsOpts(options, instanceId, loggerFactory, retryOnInitialConnect: true));
        var bus = new NatsClusterBus(options, connection, instanceId, loggerFactory);
        bus._connecting = bus.ConnectInBackgroundAsync(warnIfSlow);
        return bus;
    }

    private async Task ConnectInBackgroundAsync(bool warnIfSlow)
    {
        try
        {
            // With RetryOnInitialConnect this returns once connected, or throws when disposed.
            Task connect = _connection.ConnectAsync().AsTask();
            if (warnIfSlow)
            {
                await Task.WhenAny(connect, Task.Delay(_connection.Opts.ConnectTimeout * 3, _closing.Token)).ConfigureAwait(false);
                if (!connect.IsCompleted && Volatile.Read(ref _disposed) == 0)
                {
                    ClusterLog.NatsUnreachableAtStart(_logger, _cluster, _options.Url!, "no connection yet", InstanceId);
                }
            }

            await connect.ConfigureAwait(false);
            RefreshConnected();
        }
        catch (Exception exception) when (Volatile.Read(ref _disposed) == 0 && exception is not OutOfMemoryException)
        {
            ClusterLog.BackgroundConnectFailed(_logger, exception, _cluster);
        }
        catch (Exception) when (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed while connecting: nothing to report.
        }
    }

    /// <summary>Sets <see cref="IsConnected"/> from the connection's state, raising <see cref="ConnectionChanged"/> on a change.</summary>
    private void RefreshConnected()
    {
        // Under the gate, so concurrent refreshes (factory and event task) raise changes in order.
        lock (_stateGate)
        {
            bool connected = _connection.ConnectionState == NatsConnectionState.Open;
            if (Volatile.Read(ref _disposed) != 0 || connected == _connected)
            {
                return;
            }

            _connected = connected;
            if (connected)
            {
                if (_everConnected)
                {
                    ClusterLog.NatsReconnected(_logger, _cluster, OutboundDropped);
                }
                else
                {
                    ClusterLog.NatsConnected(_logger, _cluster, InstanceId, _connection.Opts.Url);
                }

                _everConnected = true;
                _firstConnected.TrySetResult();
            }
            else
            {
                ClusterLog.NatsDisconnected(_logger, _cluster, _options.OutboundQueueCapacity);
            }

            try
            {
                ConnectionChanged?.Invoke(connected);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ClusterLog.ConnectionChangedHandlerFailed(_logger, exception, _cluster);
            }
        }
    }

    private ValueTask OnConnectionEvent(object? sender, NatsEventArgs args)
    {
        RefreshConnected();
        return ValueTask.CompletedTask;
    }

    private void OnOutboundDropped(Outbound dropped)
    {
        ArrayPool<byte>.Shared.Return(dropped.Buffer);
        Interlocked.Increment(ref _outboundDropped);
    }

    /// <summary>The one task that takes messages off the outbound queue and publishes them, in order.</summary>
    private async Task PumpAsync()
    {
        ChannelReader<Outbound> reader = _outbound.Reader;
        CancellationToken closing = _closing.Token;
        try
        {
            // Before the first connection a publish would start one more initial-connect retry loop of its own.
            await _firstConnected.Task.WaitAsync(closing).ConfigureAwait(false);
            while (await reader.WaitToReadAsync(closing).ConfigureAwait(false))
            {
                while (reader.TryRead(out Outbound message))
                {
                    try
                    {
                        NatsHeaders headers = _headers ??= new NatsHeaders { [InstanceHeader] = InstanceId }; // only this pump uses it

                        // While disconnected this waits for the reconnect (PublishTimeoutOnDisconnected is false).
                        await _connection.PublishAsync(
                            message.Subject,
                            new ReadOnlyMemory<byte>(message.Buffer, 0, message.Length),
                            headers,
                            serializer: NatsRawSerializer<ReadOnlyMemory<byte>>.Default,
                            cancellationToken: closing).ConfigureAwait(false);
                        Interlocked.Increment(ref _published);
                    }
                    catch (OperationCanceledException) when (closing.IsCancellationRequested)
                    {
                        throw;
                    }
                    catch (Exception exception) when (exception is not OutOfMemoryException)
                    {
                        long errors = Interlocked.Increment(ref _publishErrors);
                        if (IsPowerOfTwo(errors))
                        {
                            ClusterLog.PublishFailed(_logger, exception, _cluster, message.Subject);
                        }
                    }
                    finally
                    {
                        // The payload was serialized into the connection's buffer before PublishAsync returned.
                        ArrayPool<byte>.Shared.Return(message.Buffer);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // Disposed.
        }
        finally
        {
            while (reader.TryRead(out Outbound rest))
            {
                ArrayPool<byte>.Shared.Return(rest.Buffer);
            }
        }
    }

    private void Forget(Subscription subscription)
    {
        lock (_subscriptionsGate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    /// <summary>One queued message: the prefixed subject and a pooled copy of the payload.</summary>
    private readonly record struct Outbound(string Subject, byte[] Buffer, int Length);
}
