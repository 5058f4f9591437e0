using System.Diagnostics.CodeAnalysis;
using MemoryPack;

namespace Engine.State.Crdt;

/// <summary>
/// An observed-remove set with add-wins semantics, in the optimised dot-kernel form (Almeida et
/// al., 2018): each element carries the dots of the adds that put it there, and a causal context
/// records every dot the replica has seen. A remove drops only the dots it observed, so an add
/// concurrent with a remove survives. No tombstones are kept: removal lives in the context.
/// Used for presence across nodes.
/// </summary>
/// <typeparam name="T">The element type; MemoryPack-serializable, with value equality.</typeparam>
[MemoryPackable]
public sealed partial class OrSet<T> : IDeltaCrdt<OrSet<T>>, IEquatable<OrSet<T>>
    where T : notnull
{
    [MemoryPackIgnore]
    private OrSet<T>? _pending;

    public OrSet()
    {
        Entries = [];
        Context = new CausalContext();
    }

    [MemoryPackConstructor]
    private OrSet(Dictionary<T, HashSet<Dot>>? entries, CausalContext? context)
    {
        Entries = entries ?? throw new InvalidDataException("An OrSet's element table is missing.");
        Context = context ?? throw new InvalidDataException("An OrSet's causal context is missing.");
        foreach ((T element, HashSet<Dot>? dots) in Entries)
        {
            if (dots is null || dots.Count == 0)
            {
                throw new InvalidDataException($"OrSet element '{element}' has no dots.");
            }

            foreach (Dot dot in dots)
            {
                if (!Context.Contains(dot))
                {
                    throw new InvalidDataException($"OrSet element '{element}' carries dot {dot}, which its causal context has not seen.");
                }
            }
        }
    }

    [MemoryPackInclude]
    private Dictionary<T, HashSet<Dot>> Entries { get; }

    [MemoryPackInclude]
    private CausalContext Context { get; }

    /// <summary>Number of elements present.</summary>
    [MemoryPackIgnore]
    public int Count => Entries.Count;

    /// <summary>The elements present.</summary>
    [MemoryPackIgnore]
    public IEnumerable<T> Elements => Entries.Keys;

    [MemoryPackIgnore]
    public bool HasPendingDelta => _pending is not null;

    /// <summary>Whether <paramref name="element"/> is present.</summary>
    public bool Contains(T element) => Entries.ContainsKey(element);

    /// <summary>Adds <paramref name="element"/> as node <paramref name="nodeId"/>; it wins over concurrent removes.</summary>
    public void Add(T element, uint nodeId)
    {
        Dot dot = Context.NextDot(nodeId);
        var delta = new OrSet<T>();
        delta.Entries[element] = [dot];
        delta.Context.Add(dot);

        // Re-adding supersedes this replica's earlier dots for the element, keeping one dot per add site.
        if (Entries.TryGetValue(element, out HashSet<Dot>? observed))
        {
            foreach (Dot old in observed)
            {
                delta.Context.Add(old);
            }
        }

        ApplyLocal(delta);
    }

    /// <summary>Removes <paramref name="element"/> as observed here; concurrent adds elsewhere survive.</summary>
    /// <returns>Whether the element was present.</returns>
    public bool Remove(T element)
    {
        if (!Entries.TryGetValue(element, out HashSet<Dot>? observed))
        {
            return false;
        }

        var delta = new OrSet<T>();
        foreach (Dot dot in observed)
        {
            delta.Context.Add(dot);
        }

        ApplyLocal(delta);
        return true;
    }

    public void Merge(OrSet<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);

        // Keep my dots the other side still has or never saw; add its dots I never saw.
        List<T>? emptied = null;
        foreach ((T element, HashSet<Dot> mine) in Entries)
        {
            other.Entries.TryGetValue(element, out HashSet<Dot>? theirs);
            mine.RemoveWhere(dot => theirs?.Contains(dot) != true && other.Context.Contains(dot));
            if (mine.Count == 0)
            {
                (emptied ??= []).Add(element);
            }
        }

        if (emptied is not null)
        {
            foreach (T element in emptied)
            {
                Entries.Remove(element);
            }
        }

        foreach ((T element, HashSet<Dot> theirs) in other.Entries)
        {
            foreach (Dot dot in theirs)
            {
                if (!Context.Contains(dot))
                {
                    if (!Entries.TryGetValue(element, out HashSet<Dot>? mine))
                    {
                        mine = [];
                        Entries[element] = mine;
                    }

                    mine.Add(dot);
                }
            }
        }

        Context.Merge(other.Context);
    }

    public bool TryTakeDelta([NotNullWhen(true)] out OrSet<T>? delta)
    {
        delta = _pending;
        _pending = null;
        return delta is not null;
    }

    public OrSet<T> Clone()
    {
        var copy = new OrSet<T>();
        copy.Merge(this);
        return copy;
    }

    public bool Equals(OrSet<T>? other) =>
        other is not null && Context.Equals(other.Context) && Entries.Count == other.Entries.Count &&
        Entries.All(pair => other.Entries.TryGetValue(pair.Key, out HashSet<Dot>? dots) && dots.SetEquals(pair.Value));

    public override bool Equals(object? obj) => Equals(obj as OrSet<T>);

    public override int GetHashCode()
    {
        int hash = Context.GetHashCode();
        foreach (T element in Entries.Keys)
        {
            hash ^= element.GetHashCode();
        }

        return hash;
    }

    public override string ToString() => $"OrSet({Count} elements)";

    // A local mutation is a delta joined into both the state and the pending delta group.
    private void ApplyLocal(OrSet<T> delta)
    {
        Merge(delta);
        if (_pending is null)
        {
            _pending = delta;
        }
        else
        {
            _pending.Merge(delta);
        }
    }
}
