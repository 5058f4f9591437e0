using System.Diagnostics.CodeAnalysis;
using Engine.State.Clock;
using MemoryPack;

namespace Engine.State.Crdt;

/// <summary>
/// A last-writer-wins register: the write with the highest HLC timestamp wins; the node id inside
/// the timestamp breaks ties between nodes, so every replica picks the same winner.
/// </summary>
/// <typeparam name="T">The value type; it must be MemoryPack-serializable to cross the wire.</typeparam>
[MemoryPackable]
public sealed partial class LwwRegister<T> : IDeltaCrdt<LwwRegister<T>>, IEquatable<LwwRegister<T>>
{
    [MemoryPackIgnore]
    private bool _changed;

    /// <summary>An empty register: <see cref="Timestamp"/> is <see cref="HlcTimestamp.Zero"/>.</summary>
    public LwwRegister()
    {
    }

    [MemoryPackConstructor]
    private LwwRegister(T? value, HlcTimestamp timestamp)
    {
        Value = value;
        Timestamp = timestamp;
    }

    /// <summary>The winning value; default while the register was never written.</summary>
    [MemoryPackInclude]
    public T? Value { get; private set; }

    /// <summary>The winning write's timestamp.</summary>
    [MemoryPackInclude]
    public HlcTimestamp Timestamp { get; private set; }

    /// <summary>Whether the register has been written.</summary>
    [MemoryPackIgnore]
    public bool HasValue => Timestamp != HlcTimestamp.Zero;

    [MemoryPackIgnore]
    public bool HasPendingDelta => _changed;

    /// <summary>Writes <paramref name="value"/> if <paramref name="timestamp"/> is newer than the current write.</summary>
    /// <returns>Whether the write won.</returns>
    public bool Set(T value, HlcTimestamp timestamp)
    {
        if (timestamp <= Timestamp)
        {
            return false;
        }

        Value = value;
        Timestamp = timestamp;
        _changed = true;
        return true;
    }

    /// <summary>Writes <paramref name="value"/> stamped with <paramref name="clock"/>'s next timestamp.</summary>
    public bool Set(T value, HybridLogicalClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return Set(value, clock.Now());
    }

    public void Merge(LwwRegister<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Timestamp > Timestamp)
        {
            Value = other.Value;
            Timestamp = other.Timestamp;
        }
    }

    public bool TryTakeDelta([NotNullWhen(true)] out LwwRegister<T>? delta)
    {
        if (!_changed)
        {
            delta = null;
            return false;
        }

        _changed = false;
        delta = Clone();
        return true;
    }

    public LwwRegister<T> Clone() => new(Value, Timestamp);

    public bool Equals(LwwRegister<T>? other) =>
        other is not null && Timestamp == other.Timestamp && EqualityComparer<T?>.Default.Equals(Value, other.Value);

    public override bool Equals(object? obj) => Equals(obj as LwwRegister<T>);

    public override int GetHashCode() => HashCode.Combine(Timestamp, Value);

    public override string ToString() => $"LwwRegister({Value} @ {Timestamp})";
}
