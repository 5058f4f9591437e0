using Engine.Cluster;

namespace Engine.Bench.Load;

/// <summary>
/// Bench only (<c>serve --room-owner ID</c>): every room is owned by the instance <paramref name="owner"/>,
/// for good, so <c>cluster-fanout</c> knows which instance runs the bench room and which one relays.
/// Registered before <c>AddEngine</c>, whose <c>TryAddSingleton&lt;IRoomLeases&gt;</c> then keeps it.
/// </summary>
internal sealed class FixedOwnerLeases(string owner) : IRoomLeases
{
    public TimeSpan LeaseTime => Timeout.InfiniteTimeSpan;

    public event Action<string>? LeaseLost
    {
        add { }
        remove { }
    }

    public ValueTask<string> AcquireOrFindOwnerAsync(string room, CancellationToken cancellationToken = default) => ValueTask.FromResult(owner);

    public ValueTask ReleaseAsync(string room, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
