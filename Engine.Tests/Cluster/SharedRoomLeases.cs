using System.Collections.Concurrent;
using Engine.Cluster;

namespace Engine.Tests.Cluster;

/// <summary>
/// A lease table shared by in-process instances: the first instance to ask owns the room until it
/// releases it (the real one, NatsRoomLeases, keeps it in JetStream KV with a TTL). For relay tests
/// without NATS.
/// </summary>
public sealed class SharedRoomLeases
{
    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);

    /// <summary>The lease view of one instance.</summary>
    public IRoomLeases For(IClusterBus bus) => new View(this, bus.InstanceId);

    public string? OwnerOf(string room) => _owners.GetValueOrDefault(room);

    private sealed class View(SharedRoomLeases table, string instance) : IRoomLeases
    {
        public TimeSpan LeaseTime => Timeout.InfiniteTimeSpan;

        public event Action<string>? LeaseLost
        {
            add { }
            remove { }
        }

        public ValueTask<string> AcquireOrFindOwnerAsync(string room, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(table._owners.GetOrAdd(room, instance));

        public ValueTask ReleaseAsync(string room, CancellationToken cancellationToken = default)
        {
            table._owners.TryRemove(KeyValuePair.Create(room, instance));
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
