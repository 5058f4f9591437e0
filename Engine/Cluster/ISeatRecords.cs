using MemoryPack;

namespace Engine.Cluster;

/// <summary>
/// Where each player's seat is, kept outside the instance that runs the room, so a player can resume
/// on any instance and after its room moved (failover). The owner of a room records its seats; an
/// instance that gets a resume token it does not know looks the seat up; a new owner reads the
/// room's seats and holds them for their players to resume. With no cluster nothing is recorded
/// (<see cref="NoSeatRecords"/>): one process knows every session itself.
/// </summary>
public interface ISeatRecords : IAsyncDisposable
{
    /// <summary>False when nothing is recorded (one process).</summary>
    bool IsDurable { get; }

    /// <summary>The seat held by the session whose resume token hashes to <paramref name="tokenHash"/>, and its room; null when none is recorded.</summary>
    /// <exception cref="ClusterUnavailableException">The records cannot be reached.</exception>
    ValueTask<SeatLookup?> FindAsync(string tokenHash, CancellationToken cancellationToken = default);

    /// <summary>The seats recorded for <paramref name="room"/> (empty when none).</summary>
    /// <exception cref="ClusterUnavailableException">The records cannot be reached.</exception>
    ValueTask<IReadOnlyList<SeatRecord>> ReadRoomAsync(string room, CancellationToken cancellationToken = default);

    /// <summary>
    /// The room's seats are now <paramref name="seats"/> (called by the room's owner on every change).
    /// Written in the background, the latest list winning; retried while the records cannot be reached.
    /// </summary>
    void Update(string room, SeatRecord[] seats);

    /// <summary>The room stopped running here (it moved): nothing more is written for it from here.</summary>
    void Forget(string room);
}

/// <summary>A seat found by its token: the room it is in, and the seat.</summary>
public readonly record struct SeatLookup(string Room, SeatRecord Seat);

/// <summary>One player's seat in a room, as recorded for a resume elsewhere (MemoryPack).</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class SeatRecord
{
    /// <summary>The session's resume token, hashed (<see cref="HashToken"/>): the records never hold a usable token.</summary>
    [MemoryPackOrder(0)] public string TokenHash { get; set; } = "";

    [MemoryPackOrder(1)] public string SessionId { get; set; } = "";

    [MemoryPackOrder(2)] public int PlayerId { get; set; }

    /// <summary>The name the player joined the room with.</summary>
    [MemoryPackOrder(3)] public string Name { get; set; } = "";

    /// <summary>
    /// A resume token's hash: SHA-256, the first 24 bytes in base64url (32 characters, valid in a
    /// NATS subject or KV key). Whoever reads the records learns where seats are, not how to take them.
    /// </summary>
    public static string HashToken(string token)
    {
        byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));
        return Convert.ToBase64String(hash, 0, 24).Replace('+', '-').Replace('/', '_');
    }
}

/// <summary>A room's seats as stored (MemoryPack).</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class SeatList
{
    [MemoryPackOrder(0)] public SeatRecord[] Seats { get; set; } = [];
}

/// <summary>One process: no records (every session is known in memory).</summary>
public sealed class NoSeatRecords : ISeatRecords
{
    public bool IsDurable => false;

    public ValueTask<SeatLookup?> FindAsync(string tokenHash, CancellationToken cancellationToken = default) => ValueTask.FromResult<SeatLookup?>(null);

    public ValueTask<IReadOnlyList<SeatRecord>> ReadRoomAsync(string room, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<SeatRecord>>([]);

    public void Update(string room, SeatRecord[] seats)
    {
    }

    public void Forget(string room)
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
