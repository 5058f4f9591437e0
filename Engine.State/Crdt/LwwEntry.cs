using Engine.State.Clock;

namespace Engine.State.Crdt;

/// <summary>One key's register in an <see cref="LwwMap{TKey, TValue}"/>: a value, or a tombstone, and its timestamp.</summary>
public readonly struct LwwEntry<TValue> : IEquatable<LwwEntry<TValue>>
{
    public LwwEntry(TValue? value, HlcTimestamp timestamp, bool isRemoved)
    {
        Value = value;
        Timestamp = timestamp;
        IsRemoved = isRemoved;
    }

    /// <summary>The value; default for a tombstone.</summary>
    public TValue? Value { get; }

    /// <summary>When the value was written or the key removed.</summary>
    public HlcTimestamp Timestamp { get; }

    /// <summary>Whether this entry records a removal.</summary>
    public bool IsRemoved { get; }

    public bool Equals(LwwEntry<TValue> other) =>
        Timestamp == other.Timestamp && IsRemoved == other.IsRemoved && EqualityComparer<TValue?>.Default.Equals(Value, other.Value);

    public override bool Equals(object? obj) => obj is LwwEntry<TValue> other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Value, Timestamp, IsRemoved);

    public static bool operator ==(LwwEntry<TValue> left, LwwEntry<TValue> right) => left.Equals(right);

    public static bool operator !=(LwwEntry<TValue> left, LwwEntry<TValue> right) => !left.Equals(right);

    public override string ToString() => IsRemoved ? $"removed @ {Timestamp}" : $"{Value} @ {Timestamp}";
}
