using System.Diagnostics.CodeAnalysis;
using MemoryPack;

namespace Engine.State.Crdt;

/// <summary>A counter that goes up and down: a pair of grow-only counters, increments minus decrements.</summary>
[MemoryPackable]
public sealed partial class PNCounter : IDeltaCrdt<PNCounter>, IEquatable<PNCounter>
{
    public PNCounter()
        : this(new GCounter(), new GCounter())
    {
    }

    [MemoryPackConstructor]
    private PNCounter(GCounter? increments, GCounter? decrements)
    {
        Increments = increments ?? throw new InvalidDataException("A PNCounter's increment counter is missing.");
        Decrements = decrements ?? throw new InvalidDataException("A PNCounter's decrement counter is missing.");
    }

    [MemoryPackInclude]
    private GCounter Increments { get; }

    [MemoryPackInclude]
    private GCounter Decrements { get; }

    /// <summary>Increments minus decrements.</summary>
    /// <exception cref="OverflowException">The value does not fit in a <see cref="long"/>.</exception>
    [MemoryPackIgnore]
    public long Value => checked((long)((Int128)Increments.Value - Decrements.Value));

    [MemoryPackIgnore]
    public bool HasPendingDelta => Increments.HasPendingDelta || Decrements.HasPendingDelta;

    /// <summary>Adds to the value on behalf of <paramref name="nodeId"/>.</summary>
    public void Increment(uint nodeId, ulong amount = 1) => Increments.Increment(nodeId, amount);

    /// <summary>Subtracts from the value on behalf of <paramref name="nodeId"/>.</summary>
    public void Decrement(uint nodeId, ulong amount = 1) => Decrements.Increment(nodeId, amount);

    public void Merge(PNCounter other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Increments.Merge(other.Increments);
        Decrements.Merge(other.Decrements);
    }

    public bool TryTakeDelta([NotNullWhen(true)] out PNCounter? delta)
    {
        if (!HasPendingDelta)
        {
            delta = null;
            return false;
        }

        GCounter up = Increments.TryTakeDelta(out GCounter? i) ? i : new GCounter();
        GCounter down = Decrements.TryTakeDelta(out GCounter? d) ? d : new GCounter();
        delta = new PNCounter(up, down);
        return true;
    }

    public PNCounter Clone() => new(Increments.Clone(), Decrements.Clone());

    public bool Equals(PNCounter? other) =>
        other is not null && Increments.Equals(other.Increments) && Decrements.Equals(other.Decrements);

    public override bool Equals(object? obj) => Equals(obj as PNCounter);

    public override int GetHashCode() => HashCode.Combine(Increments, Decrements);

    public override string ToString() => $"PNCounter({Value})";
}
