using System.Diagnostics.CodeAnalysis;
using MemoryPack;

namespace Engine.State.Crdt;

/// <summary>A grow-only counter: one monotonically increasing count per node; the value is their sum.</summary>
[MemoryPackable]
public sealed partial class GCounter : IDeltaCrdt<GCounter>, IEquatable<GCounter>
{
    [MemoryPackIgnore]
    private HashSet<uint>? _changed;

    public GCounter()
    {
        Counts = [];
    }

    [MemoryPackConstructor]
    private GCounter(NodeCount[]? entries)
    {
        Counts = NodeCounts.ToDictionary(entries, "GCounter");
    }

    /// <summary>Per-node counts in the wire form: an array, so entries are 12 bytes with no padding.</summary>
    [MemoryPackInclude]
    private NodeCount[] Entries => NodeCounts.ToArray(Counts);

    [MemoryPackIgnore]
    private Dictionary<uint, ulong> Counts { get; }

    /// <summary>The sum of every node's count.</summary>
    /// <exception cref="OverflowException">The sum exceeds <see cref="ulong.MaxValue"/>.</exception>
    [MemoryPackIgnore]
    public ulong Value
    {
        get
        {
            ulong sum = 0;
            foreach (ulong count in Counts.Values)
            {
                sum = checked(sum + count);
            }

            return sum;
        }
    }

    /// <summary>The nodes that have counted, and how much each.</summary>
    [MemoryPackIgnore]
    public IReadOnlyDictionary<uint, ulong> CountsByNode => Counts;

    [MemoryPackIgnore]
    public bool HasPendingDelta => _changed is { Count: > 0 };

    /// <summary>Adds <paramref name="amount"/> to <paramref name="nodeId"/>'s count. Only a node may count for itself.</summary>
    /// <exception cref="OverflowException">The node's count would exceed <see cref="ulong.MaxValue"/>.</exception>
    public void Increment(uint nodeId, ulong amount = 1)
    {
        if (amount == 0)
        {
            return;
        }

        Counts.TryGetValue(nodeId, out ulong current);
        Counts[nodeId] = checked(current + amount);
        (_changed ??= []).Add(nodeId);
    }

    /// <summary>Joins by taking each node's larger count.</summary>
    public void Merge(GCounter other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach ((uint node, ulong count) in other.Counts)
        {
            if (!Counts.TryGetValue(node, out ulong mine) || count > mine)
            {
                Counts[node] = count;
            }
        }
    }

    public bool TryTakeDelta([NotNullWhen(true)] out GCounter? delta)
    {
        if (!HasPendingDelta)
        {
            delta = null;
            return false;
        }

        delta = new GCounter();
        foreach (uint node in _changed!)
        {
            delta.Counts[node] = Counts[node];
        }

        _changed.Clear();
        return true;
    }

    public GCounter Clone()
    {
        var copy = new GCounter();
        foreach ((uint node, ulong count) in Counts)
        {
            copy.Counts[node] = count;
        }

        return copy;
    }

    public bool Equals(GCounter? other) =>
        other is not null && Counts.Count == other.Counts.Count &&
        Counts.All(pair => other.Counts.TryGetValue(pair.Key, out ulong count) && count == pair.Value);

    public override bool Equals(object? obj) => Equals(obj as GCounter);

    public override int GetHashCode()
    {
        int hash = 0;
        foreach ((uint node, ulong count) in Counts)
        {
            hash ^= HashCode.Combine(node, count);
        }

        return hash;
    }

    public override string ToString() => $"GCounter({Value} over {Counts.Count} nodes)";
}
