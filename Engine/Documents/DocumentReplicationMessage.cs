using Engine.State.Clock;
using MemoryPack;

namespace Engine.Documents;

/// <summary>What a document replication message on the bus is.</summary>
public enum DocumentReplicationKind : byte
{
    /// <summary>Local writes since the sender's last delta.</summary>
    Delta = 0,

    /// <summary>The sender's whole replica (anti-entropy: after a reconnect, on request, periodically).</summary>
    State = 1,

    /// <summary>The sender asks every instance hosting the room for its whole replica.</summary>
    StateRequest = 2,
}

/// <summary>The body of a message on <c>&lt;cluster&gt;.doc.&lt;room&gt;</c> (MemoryPack).</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class DocumentReplicationMessage
{
    [MemoryPackOrder(0)] public DocumentReplicationKind Kind { get; set; }

    /// <summary>The delta or state; null for a request.</summary>
    [MemoryPackOrder(1)] public DocumentDelta? Document { get; set; }

    /// <summary>
    /// State only: the sender's clock when it copied its replica (every write it had stamped before
    /// is in it). Zero from a sender that predates pruning.
    /// </summary>
    [MemoryPackOrder(2)] public HlcTimestamp SentAt { get; set; }

    /// <summary>
    /// State only: the sender's seen vector for this document — per instance it hears from, the
    /// <see cref="SentAt"/> of the latest state from that instance it merged. Null from a sender
    /// that predates pruning.
    /// </summary>
    [MemoryPackOrder(3)] public Dictionary<string, HlcTimestamp>? Seen { get; set; }
}
