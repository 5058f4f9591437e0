using MemoryPack;

namespace Engine.State.Crdt;

/// <summary>
/// The set of dots a replica has seen: a version vector for each node's contiguous prefix, plus a
/// "dot cloud" for dots seen out of order (a delta can arrive before the ones before it).
/// Normalised after every change, so two contexts that saw the same dots are equal.
/// </summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class CausalContext : IEquatable<CausalContext>
{
    public CausalContext()
    {
        Compact = [];
        Cloud = [];
    }

    [MemoryPackConstructor]
    private CausalContext(NodeCount[]? versionVector, HashSet<Dot>? cloud)
    {
        Compact = NodeCounts.ToDictionary(versionVector, "causal context version vector");
        Cloud = cloud ?? throw new InvalidDataException("A causal context's dot cloud is missing.");
        foreach (Dot dot in Cloud)
        {
            if (dot.Counter == 0)
            {
                throw new InvalidDataException("A causal context holds a dot with counter 0; counters start at 1.");
            }
        }

        Normalize();
    }

    /// <summary>The version vector in the wire form: 12-byte entries with no padding.</summary>
    [MemoryPackInclude]
    [MemoryPackOrder(0)]
    private NodeCount[] VersionVector => NodeCounts.ToArray(Compact);

    /// <summary>Per node, the highest counter up to which every dot has been seen.</summary>
    [MemoryPackIgnore]
    private Dictionary<uint, ulong> Compact { get; }

    /// <summary>Dots seen beyond their node's contiguous prefix.</summary>
    [MemoryPackInclude]
    [MemoryPackOrder(1)]
    private HashSet<Dot> Cloud { get; }

    /// <summary>Number of dots held outside the version vector; stays small when deltas arrive in order.</summary>
    [MemoryPackIgnore]
    public int CloudSize => Cloud.Count;

    /// <summary>Whether <paramref name="dot"/> has been seen.</summary>
    public bool Contains(Dot dot) =>
        (Compact.TryGetValue(dot.NodeId, out ulong max) && dot.Counter <= max) || Cloud.Contains(dot);

    /// <summary>The next unused dot for <paramref name="nodeId"/>, recorded as seen.</summary>
    public Dot NextDot(uint nodeId)
    {
        Compact.TryGetValue(nodeId, out ulong max);
        var dot = new Dot(nodeId, checked(max + 1));
        while (Cloud.Contains(dot))
        {
            dot = dot with { Counter = checked(dot.Counter + 1) };
        }

        return dot;
    }

    /// <summary>Records <paramref name="dot"/> as seen.</summary>
    public void Add(Dot dot)
    {
        if (dot.Counter == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dot), dot, "Dot counters start at 1.");
        }

        if (!Contains(dot))
        {
            Cloud.Add(dot);
            Normalize();
        }
    }

    /// <summary>Joins another context into this one.</summary>
    public void Merge(CausalContext other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach ((uint node, ulong max) in other.Compact)
        {
            if (!Compact.TryGetValue(node, out ulong mine) || max > mine)
            {
                Compact[node] = max;
            }
        }

        Cloud.UnionWith(other.Cloud);
        Normalize();
    }

    public CausalContext Clone()
    {
        var copy = new CausalContext();
        copy.Merge(this);
        return copy;
    }

    public bool Equals(CausalContext? other) =>
        other is not null && Cloud.SetEquals(other.Cloud) && Compact.Count == other.Compact.Count &&
        Compact.All(pair => other.Compact.TryGetValue(pair.Key, out ulong max) && max == pair.Value);

    public override bool Equals(object? obj) => Equals(obj as CausalContext);

    public override int GetHashCode()
    {
        int hash = 0;
        foreach ((uint node, ulong max) in Compact)
        {
            hash ^= HashCode.Combine(node, max);
        }

        return hash;
    }

    // Folds cloud dots that extend a node's contiguous prefix into the version vector and drops
    // those the vector already covers, so equal knowledge has one representation. Sorting makes
    // this one pass: each node's dots are visited in counter order.
    private void Normalize()
    {
        if (Cloud.Count == 0)
        {
            return;
        }

        Dot[] dots = [.. Cloud];
        Array.Sort(dots, static (a, b) => a.NodeId != b.NodeId ? a.NodeId.CompareTo(b.NodeId) : a.Counter.CompareTo(b.Counter));
        foreach (Dot dot in dots)
        {
            Compact.TryGetValue(dot.NodeId, out ulong max);
            if (dot.Counter <= max)
            {
                Cloud.Remove(dot);
            }
            else if (dot.Counter == max + 1)
            {
                Compact[dot.NodeId] = dot.Counter;
                Cloud.Remove(dot);
            }
        }
    }
}
