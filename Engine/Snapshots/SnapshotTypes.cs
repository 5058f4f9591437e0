namespace Engine.Snapshots;

/// <summary>
/// Which entities matter to one player, and how much. The encoder asks once per entity per player
/// per tick, so an implementation should answer from state it already holds (e.g. the player's
/// position and the entity's) without allocating.
/// </summary>
public interface IInterest
{
    /// <summary>
    /// False when <paramref name="entityId"/> is irrelevant to this player: it is never sent, and is
    /// removed from the client if the client has it. Otherwise <paramref name="priority"/> (&gt; 0,
    /// larger sends sooner) is added to the entity's accumulated priority on each tick it has an
    /// unsent change; values below <see cref="SnapshotEncoder.MinimumPriority"/> (and NaN) count as that.
    /// </summary>
    bool TryGetPriority(uint entityId, out float priority);
}

/// <summary>The most bytes one snapshot payload may take (header included): a datagram's payload, or a configured WebSocket budget.</summary>
public readonly record struct SnapshotBudget
{
    /// <summary>The smallest budget: a header with the longest record count and no records.</summary>
    public const int MinimumBytes = SnapshotFormat.HeaderFixedBytes + Leb128.MaxLength;

    /// <summary>Creates a budget of <paramref name="maxBytes"/> (at least <see cref="MinimumBytes"/>).</summary>
    public SnapshotBudget(int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, MinimumBytes);
        MaxBytes = maxBytes;
    }

    /// <summary>No limit: every pending record is sent.</summary>
    public static SnapshotBudget Unlimited { get; } = new(int.MaxValue);

    /// <summary>The limit in bytes.</summary>
    public int MaxBytes { get; }
}

/// <summary>What one <see cref="SnapshotEncoder.Encode"/> call wrote.</summary>
/// <param name="Tick">The snapshot's tick.</param>
/// <param name="BaselineTick">The acknowledged tick it is a delta against; 0 for a full snapshot.</param>
/// <param name="RecordsSent">Records written (created, changed and removed entities).</param>
/// <param name="RecordsDeferred">Records that did not fit the budget; they accumulate priority and go on a later tick.</param>
/// <param name="Bytes">The payload's length.</param>
public readonly record struct SnapshotEncodeResult(uint Tick, uint BaselineTick, int RecordsSent, int RecordsDeferred, int Bytes)
{
    /// <summary>True when the snapshot is against the empty state (no acknowledged baseline was held).</summary>
    public bool IsFull => BaselineTick == 0;
}

/// <summary>The payload layout shared by encoder and decoder (README.md in this folder).</summary>
internal static class SnapshotFormat
{
    /// <summary>tick u32 LE + baseline tick u32 LE.</summary>
    public const int HeaderFixedBytes = 8;

    /// <summary>Record kinds.</summary>
    public const byte Full = 0, Delta = 1, Removed = 2;
}
