namespace Engine.Cluster;

/// <summary>One stored room event: its room sequence and its wire bytes (a whole message, type byte first).</summary>
public readonly record struct StoredRoomEvent(long Sequence, ReadOnlyMemory<byte> Message);

/// <summary>
/// The durable log of room events (joins, leaves, chat, game events) that outlives any instance:
/// on NATS a JetStream stream per cluster, one subject per room, deduplicated by message id
/// <c>&lt;room&gt;:&lt;sequence&gt;</c>, kept for a configured age and count. Resume and SSE read it
/// when an instance's replay ring does not reach back far enough. Without a cluster there is no
/// store (<see cref="NoRoomEventStore"/>): the ring is all there is.
/// </summary>
public interface IRoomEventStore : IAsyncDisposable
{
    /// <summary>False for <see cref="NoRoomEventStore"/>.</summary>
    bool IsDurable { get; }

    /// <summary>
    /// Stores an event. Completes when the store acknowledged it (a retry with the same room and
    /// sequence is deduplicated, so at-least-once appends store it once).
    /// </summary>
    /// <exception cref="ClusterUnavailableException">The store could not be reached in time.</exception>
    /// <exception cref="RoomEventConflictException">A different event is stored under this room and sequence (another instance numbers the room now).</exception>
    ValueTask AppendAsync(string room, long sequence, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);

    /// <summary>
    /// The stored events of <paramref name="room"/> with sequence greater than <paramref name="afterSequence"/>,
    /// in order, at most <paramref name="max"/>. <c>Complete</c> is false when the store no longer
    /// holds some of them (retention removed them): the caller must resync instead.
    /// </summary>
    ValueTask<(IReadOnlyList<StoredRoomEvent> Events, bool Complete)> ReadAfterAsync(string room, long afterSequence, int max, CancellationToken cancellationToken = default);

    /// <summary>The highest stored sequence of <paramref name="room"/>, 0 when none (a new owner continues from it).</summary>
    ValueTask<long> LastSequenceAsync(string room, CancellationToken cancellationToken = default);
}

/// <summary>No durable store: a single process keeps events only in its replay ring.</summary>
public sealed class NoRoomEventStore : IRoomEventStore
{
    public bool IsDurable => false;

    public ValueTask AppendAsync(string room, long sequence, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask<(IReadOnlyList<StoredRoomEvent> Events, bool Complete)> ReadAfterAsync(string room, long afterSequence, int max, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<(IReadOnlyList<StoredRoomEvent>, bool)>(([], false));

    public ValueTask<long> LastSequenceAsync(string room, CancellationToken cancellationToken = default) => ValueTask.FromResult(0L);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// The store already holds a different event under this room and number: another instance numbers
/// the room's events (it moved). The room must stop here; its players resume on the owner.
/// </summary>
public sealed class RoomEventConflictException(string message) : Exception(message);
