using System.Diagnostics.CodeAnalysis;

namespace Engine.State.Crdt;

/// <summary>
/// A delta-state CRDT (Almeida, Shoker and Baquero, "Delta State Replicated Data Types", 2018).
/// A delta is itself a (small) state of the same type, so one <see cref="Merge"/> joins both
/// full states and deltas: merge is commutative, associative and idempotent, and joining every
/// delta a replica produced gives the same state as joining that replica whole.
/// </summary>
/// <typeparam name="TSelf">The CRDT type.</typeparam>
public interface IDeltaCrdt<TSelf>
    where TSelf : class, IDeltaCrdt<TSelf>
{
    /// <summary>Whether local mutations have happened since the last <see cref="TryTakeDelta"/>.</summary>
    bool HasPendingDelta { get; }

    /// <summary>Joins another replica's state, or a delta, into this one.</summary>
    /// <remarks>Merged-in changes do not enter this replica's pending delta: in a full mesh
    /// (every node publishes to every other), each node only needs to ship its own mutations.</remarks>
    void Merge(TSelf other);

    /// <summary>
    /// Takes the delta of the local mutations since the last call (a delta group) and starts a new one.
    /// </summary>
    /// <returns>False when nothing changed locally.</returns>
    bool TryTakeDelta([NotNullWhen(true)] out TSelf? delta);

    /// <summary>A deep copy of the replicated state (without the pending delta).</summary>
    TSelf Clone();
}
