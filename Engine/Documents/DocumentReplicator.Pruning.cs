using Engine.Rooms;
using Engine.State.Clock;

namespace Engine.Documents;

/// <summary>
/// Tombstone pruning. Every full state carries its send time and the sender's seen vector; each
/// replica keeps them per document (<see cref="PruningHorizon"/>) and, after merging a state and on
/// each anti-entropy round, drops the tombstones it has held since before the horizon the live
/// participants agree on. See docs/cluster.md, "Room documents", for why that is safe and for the
/// trade-off of <see cref="PeerTimeout"/>.
/// </summary>
internal sealed partial class DocumentReplicator
{
    /// <summary>
    /// A participant not heard from for this long no longer holds back the horizon: if it comes
    /// back with a value older than a pruned removal, that value returns. Four anti-entropy rounds.
    /// </summary>
    public static readonly TimeSpan PeerTimeout = 4 * AntiEntropyInterval;

    /// <summary>
    /// With no participant heard from within <see cref="PeerTimeout"/>, tombstones older than this
    /// go (nobody else holds the document; the margin lets a message already on its way still meet them).
    /// </summary>
    public static readonly TimeSpan AloneMargin = TimeSpan.FromSeconds(10);

    private long _pruned;

    /// <summary>Tombstones pruned, over every replica here.</summary>
    public long Pruned => Interlocked.Read(ref _pruned);

    /// <summary>Monotonic time since start, for participants' liveness (wall-clock jumps must not expire them).</summary>
    private TimeSpan Now => _time.GetElapsedTime(_started);

    /// <summary>Prunes what <paramref name="document"/>'s horizon allows (under its lock). Zero horizon: none yet.</summary>
    private (int Pruned, HlcTimestamp Horizon) Prune(RoomDocument document, TimeSpan now)
    {
        if (document.TombstoneCount == 0)
        {
            return (0, HlcTimestamp.Zero);
        }

        HlcTimestamp clock = _clock.Now();
        var alone = new HlcTimestamp(Math.Max(0, clock.PhysicalMilliseconds - (long)AloneMargin.TotalMilliseconds), 0, 0);
        if (document.Horizon.Compute(_bus.InstanceId, now, PeerTimeout, alone) is not { } horizon)
        {
            return (0, HlcTimestamp.Zero);
        }

        return (document.PruneTombstones(horizon), horizon);
    }

    /// <summary>A full state of <paramref name="document"/> (under its lock), stamped and with this replica's seen vector.</summary>
    private DocumentReplicationMessage StateOf(RoomDocument document, TimeSpan now)
    {
        // Taken under the document's lock before the copy: every write or merge stamped before it is in the copy.
        HlcTimestamp sentAt = _clock.Now();
        return new DocumentReplicationMessage
        {
            Kind = DocumentReplicationKind.State,
            Document = document.ToState(),
            SentAt = sentAt,
            Seen = document.Horizon.Report(now, PeerTimeout),
        };
    }

    /// <summary>
    /// Checks a state's pruning fields before anything merges: a bounded vector of sane instance ids,
    /// and no time further ahead than the clock's drift limit (the clock then moves past them).
    /// Null when acceptable, else why the message is refused.
    /// </summary>
    private string? CheckProgress(DocumentReplicationMessage message)
    {
        if (message.Kind != DocumentReplicationKind.State)
        {
            return null;
        }

        HlcTimestamp newest = message.SentAt;
        if (message.Seen is { } seen)
        {
            if (PruningHorizon.Check(seen) is { } bad)
            {
                return bad;
            }

            foreach (HlcTimestamp time in seen.Values)
            {
                newest = HlcTimestamp.Max(newest, time);
            }
        }

        if (newest == HlcTimestamp.Zero)
        {
            return null;
        }

        try
        {
            _clock.Receive(newest);
            return null;
        }
        catch (HlcDriftException exception)
        {
            return "pruning fields: " + exception.Message;
        }
    }

    private void CountPruned(string room, int pruned, HlcTimestamp horizon)
    {
        if (pruned > 0)
        {
            Interlocked.Add(ref _pruned, pruned);
            DocumentLog.TombstonesPruned(_logger, room, pruned, horizon);
        }
    }

    /// <summary>Where a room's replica lives here: a room this instance runs, or an edge replica (then its lock).</summary>
    private readonly record struct HostedReplica(RoomHost? Room, Lock? EdgeGate, string Name);
}
