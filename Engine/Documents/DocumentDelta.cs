using Engine.State.Crdt;
using MemoryPack;

namespace Engine.Documents;

/// <summary>
/// What one replica of a room document sends the others: the map entries it changed (with their
/// timestamps and tombstones) and, per counter it changed, its own node's totals (a G-counter
/// delta is a node's whole count, merged by maximum). A full state has the same shape.
/// </summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class DocumentDelta
{
    /// <summary>Changed keys: values and tombstones, each with its hybrid-logical-clock timestamp.</summary>
    [MemoryPackOrder(0), MemoryPackAllowSerialize] public LwwMap<string, string>? Entries { get; set; }

    /// <summary>Changed counters by name.</summary>
    [MemoryPackOrder(1)] public Dictionary<string, PNCounter>? Counters { get; set; }

    /// <summary>True when nothing is in it.</summary>
    [MemoryPackIgnore]
    public bool IsEmpty => (Entries is null || Entries.AllEntries.Count == 0) && (Counters is null || Counters.Count == 0);
}
