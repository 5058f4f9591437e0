namespace Engine.Cluster;

/// <summary>
/// The embedded default: the cluster is this process. Publish hands the message to this
/// process's matching subscribers, synchronously, on the publisher's thread (so a handler must
/// not block and must not take a lock the publisher holds). Instances built on one shared
/// <see cref="InProcessClusterBus.Hub"/> see each other (unit tests of cluster logic without NATS).
/// </summary>
public sealed class InProcessClusterBus : IClusterBus
{
    private readonly Hub _hub;

    /// <summary>A bus alone in its process (the default).</summary>
    public InProcessClusterBus()
        : this(new Hub())
    {
    }

    /// <summary>A bus on a shared <paramref name="hub"/>: every bus on it receives every message.</summary>
    public InProcessClusterBus(Hub hub)
    {
        _hub = hub;
        InstanceId = Guid.NewGuid().ToString("N")[..12];
        NodeId = ClusterIdentity.NewNodeId();
    }

    public string InstanceId { get; }

    public uint NodeId { get; }

    public bool IsClustered => false;

    public bool IsConnected => true;

    public event Action<bool>? ConnectionChanged
    {
        add { }
        remove { }
    }

    /// <summary>Handler exceptions so far (each was swallowed; the other subscribers still ran).</summary>
    public long HandlerErrors => Interlocked.Read(ref _hub.HandlerErrors);

    public bool Publish(string subject, ReadOnlySpan<byte> payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        byte[] copy = payload.ToArray();
        foreach (Hub.Subscription subscription in _hub.Snapshot())
        {
            if (SubjectPattern.Matches(subscription.Pattern, subject))
            {
                try
                {
                    subscription.Handler(new ClusterMessage(subject, copy, InstanceId));
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    Interlocked.Increment(ref _hub.HandlerErrors);
                }
            }
        }

        return true;
    }

    public IAsyncDisposable Subscribe(string subject, Action<ClusterMessage> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(handler);
        return _hub.Add(subject, handler);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Where the in-process buses of one test meet.</summary>
    public sealed class Hub
    {
        private readonly Lock _gate = new();
        private Subscription[] _subscriptions = [];
        internal long HandlerErrors;

        internal Subscription[] Snapshot() => Volatile.Read(ref _subscriptions);

        internal Subscription Add(string pattern, Action<ClusterMessage> handler)
        {
            var subscription = new Subscription(this, pattern, handler);
            lock (_gate)
            {
                _subscriptions = [.. _subscriptions, subscription];
            }

            return subscription;
        }

        private void Remove(Subscription subscription)
        {
            lock (_gate)
            {
                _subscriptions = [.. _subscriptions.Where(s => s != subscription)];
            }
        }

        internal sealed class Subscription(Hub hub, string pattern, Action<ClusterMessage> handler) : IAsyncDisposable
        {
            public string Pattern { get; } = pattern;

            public Action<ClusterMessage> Handler { get; } = handler;

            public ValueTask DisposeAsync()
            {
                hub.Remove(this);
                return ValueTask.CompletedTask;
            }
        }
    }
}
