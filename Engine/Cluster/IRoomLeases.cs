namespace Engine.Cluster;

/// <summary>
/// Which instance runs each room's tick loop: the room's <em>owner</em>, holding a lease that
/// lapses unless renewed. With no cluster every room is owned here (<see cref="LocalRoomLeases"/>);
/// on NATS the lease is a key in a JetStream key-value bucket with a TTL.
/// </summary>
public interface IRoomLeases : IAsyncDisposable
{
    /// <summary>How long a lease lives without renewal (an owner that dies is replaced after about this long).</summary>
    TimeSpan LeaseTime { get; }

    /// <summary>
    /// The owner of <paramref name="room"/>: this instance's id when this instance holds the lease
    /// (claiming it first if nobody does), else the holder's id. While this instance holds a lease it
    /// renews it in the background until <see cref="ReleaseAsync"/>.
    /// </summary>
    /// <exception cref="ClusterUnavailableException">The lease store cannot be reached (NATS down); the caller decides (e.g. refuse the join, or serve locally).</exception>
    ValueTask<string> AcquireOrFindOwnerAsync(string room, CancellationToken cancellationToken = default);

    /// <summary>Gives up this instance's lease of <paramref name="room"/> (the room closed here); a no-op when not held.</summary>
    ValueTask ReleaseAsync(string room, CancellationToken cancellationToken = default);

    /// <summary>
    /// Raised (on a background thread) when this instance lost a lease it held: a renewal failed
    /// past the lease time, or another instance holds it now. The room must stop ticking here.
    /// </summary>
    event Action<string>? LeaseLost;
}

/// <summary>The lease store could not be reached.</summary>
public sealed class ClusterUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One process is the cluster: it owns every room.</summary>
public sealed class LocalRoomLeases(string instanceId) : IRoomLeases
{
    public TimeSpan LeaseTime => Timeout.InfiniteTimeSpan;

    public event Action<string>? LeaseLost
    {
        add { }
        remove { }
    }

    public ValueTask<string> AcquireOrFindOwnerAsync(string room, CancellationToken cancellationToken = default) => ValueTask.FromResult(instanceId);

    public ValueTask ReleaseAsync(string room, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
