using System.Diagnostics.CodeAnalysis;
using Engine.State.Clock;

namespace Engine.State.Crdt;

/// <summary>
/// A map of last-writer-wins registers, one per key, with tombstones for removal: the room-state
/// type. Each key converges to its highest-timestamped write or removal independently.
/// </summary>
/// <remarks>
/// Tombstones are kept so that a late, older write cannot resurrect a removed key. They cost one
/// entry each until <see cref="PruneTombstones(HlcTimestamp)"/> drops those older than a horizon every replica
/// has passed.
/// </remarks>
/// <typeparam name="TKey">The key type; MemoryPack-serializable.</typeparam>
/// <typeparam name="TValue">The value type; MemoryPack-serializable.</typeparam>
// Serialized by Serialization/LwwMapFormatter (an explicit, padding-free layout).
public sealed class LwwMap<TKey, TValue> : IDeltaCrdt<LwwMap<TKey, TValue>>, IEquatable<LwwMap<TKey, TValue>>
    where TKey : notnull
{
    private HashSet<TKey>? _changed;
    private int _liveCount;

    public LwwMap()
    {
        Entries = [];
    }

    /// <summary>An empty map with room for <paramref name="capacity"/> entries (decoding).</summary>
    internal LwwMap(int capacity)
    {
        Entries = new Dictionary<TKey, LwwEntry<TValue>>(capacity);
    }

    private LwwMap(Dictionary<TKey, LwwEntry<TValue>> entries, int liveCount)
    {
        Entries = entries;
        _liveCount = liveCount;
    }

    /// <summary>The entries, tombstones included; internal so the formatter enumerates without boxing.</summary>
    internal Dictionary<TKey, LwwEntry<TValue>> Entries { get; }

    /// <summary>Number of live (not removed) keys.</summary>
    public int Count => _liveCount;

    /// <summary>Number of tombstones held.</summary>
    public int TombstoneCount => Entries.Count - _liveCount;

    /// <summary>Every entry, tombstones included.</summary>
    public IReadOnlyDictionary<TKey, LwwEntry<TValue>> AllEntries => Entries;

    /// <summary>The live keys and values.</summary>
    public IEnumerable<KeyValuePair<TKey, TValue>> Items =>
        Entries.Where(pair => !pair.Value.IsRemoved).Select(pair => new KeyValuePair<TKey, TValue>(pair.Key, pair.Value.Value!));

    public bool HasPendingDelta => _changed is { Count: > 0 };

    /// <summary>Gets a live value.</summary>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (Entries.TryGetValue(key, out LwwEntry<TValue> entry) && !entry.IsRemoved)
        {
            value = entry.Value!;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Whether <paramref name="key"/> is live.</summary>
    public bool ContainsKey(TKey key) => Entries.TryGetValue(key, out LwwEntry<TValue> entry) && !entry.IsRemoved;

    /// <summary>Writes <paramref name="key"/> if <paramref name="timestamp"/> is newer than its current write or removal.</summary>
    /// <returns>Whether the write won.</returns>
    public bool Set(TKey key, TValue value, HlcTimestamp timestamp) =>
        Apply(key, new LwwEntry<TValue>(value, timestamp, isRemoved: false));

    /// <summary>Writes <paramref name="key"/> stamped with <paramref name="clock"/>'s next timestamp.</summary>
    public bool Set(TKey key, TValue value, HybridLogicalClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return Set(key, value, clock.Now());
    }

    /// <summary>Removes <paramref name="key"/> (leaving a tombstone) if <paramref name="timestamp"/> is newer than its current write.</summary>
    /// <returns>Whether the removal won.</returns>
    public bool Remove(TKey key, HlcTimestamp timestamp) =>
        Apply(key, new LwwEntry<TValue>(default, timestamp, isRemoved: true));

    /// <summary>Removes <paramref name="key"/> stamped with <paramref name="clock"/>'s next timestamp.</summary>
    public bool Remove(TKey key, HybridLogicalClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return Remove(key, clock.Now());
    }

    public void Merge(LwwMap<TKey, TValue> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach ((TKey key, LwwEntry<TValue> entry) in other.Entries)
        {
            Store(key, entry);
        }
    }

    public bool TryTakeDelta([NotNullWhen(true)] out LwwMap<TKey, TValue>? delta)
    {
        if (!HasPendingDelta)
        {
            delta = null;
            return false;
        }

        delta = new LwwMap<TKey, TValue>();
        foreach (TKey key in _changed!)
        {
            delta.Store(key, Entries[key]);
        }

        _changed.Clear();
        return true;
    }

    /// <summary>
    /// Drops tombstones older than <paramref name="horizon"/>. Safe only once every replica has
    /// merged all writes older than the horizon; otherwise a stale write could resurrect a key.
    /// </summary>
    /// <returns>How many tombstones were dropped.</returns>
    public int PruneTombstones(HlcTimestamp horizon) => PruneTombstones((_, timestamp) => timestamp < horizon);

    /// <summary>
    /// Drops the tombstones <paramref name="isStale"/> picks (given each tombstone's key and
    /// timestamp), for a caller that knows more per key than its timestamp, such as when this
    /// replica learnt of the removal. The same safety rule as <see cref="PruneTombstones(HlcTimestamp)"/> applies.
    /// </summary>
    /// <returns>How many tombstones were dropped.</returns>
    public int PruneTombstones(Func<TKey, HlcTimestamp, bool> isStale)
    {
        ArgumentNullException.ThrowIfNull(isStale);
        List<TKey>? stale = null;
        foreach ((TKey key, LwwEntry<TValue> entry) in Entries)
        {
            if (entry.IsRemoved && isStale(key, entry.Timestamp))
            {
                (stale ??= []).Add(key);
            }
        }

        if (stale is null)
        {
            return 0;
        }

        foreach (TKey key in stale)
        {
            Entries.Remove(key);
            _changed?.Remove(key);
        }

        return stale.Count;
    }

    public LwwMap<TKey, TValue> Clone() => new(new Dictionary<TKey, LwwEntry<TValue>>(Entries), _liveCount);

    public bool Equals(LwwMap<TKey, TValue>? other) =>
        other is not null && Entries.Count == other.Entries.Count &&
        Entries.All(pair => other.Entries.TryGetValue(pair.Key, out LwwEntry<TValue> entry) && entry == pair.Value);

    public override bool Equals(object? obj) => Equals(obj as LwwMap<TKey, TValue>);

    public override int GetHashCode()
    {
        int hash = 0;
        foreach ((TKey key, LwwEntry<TValue> entry) in Entries)
        {
            hash ^= HashCode.Combine(key, entry);
        }

        return hash;
    }

    public override string ToString() => $"LwwMap({Count} live, {TombstoneCount} tombstones)";

    /// <summary>Adds an entry while decoding; false if the key is already present.</summary>
    internal bool TryLoad(TKey key, LwwEntry<TValue> entry)
    {
        if (!Entries.TryAdd(key, entry))
        {
            return false;
        }

        if (!entry.IsRemoved)
        {
            _liveCount++;
        }

        return true;
    }

    private bool Apply(TKey key, LwwEntry<TValue> entry)
    {
        if (entry.Timestamp == HlcTimestamp.Zero)
        {
            throw new ArgumentException("The zero timestamp cannot stamp a write; take timestamps from a HybridLogicalClock.", nameof(entry));
        }

        if (!Store(key, entry))
        {
            return false;
        }

        (_changed ??= []).Add(key);
        return true;
    }

    private bool Store(TKey key, LwwEntry<TValue> entry)
    {
        ref LwwEntry<TValue> slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(Entries, key, out bool existed);
        if (existed && entry.Timestamp <= slot.Timestamp)
        {
            return false;
        }

        if (existed && !slot.IsRemoved)
        {
            _liveCount--;
        }

        if (!entry.IsRemoved)
        {
            _liveCount++;
        }

        slot = entry;
        return true;
    }
}
