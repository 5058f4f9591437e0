using Engine.State.Clock;
using Engine.State.Crdt;

namespace Engine.Cluster;

/// <summary>What merging one message did.</summary>
/// <param name="Refusal">Why the message was refused whole (nothing changed); null when taken.</param>
/// <param name="WantsFullState">The sender's earlier messages were missed: ask it for a full state.</param>
internal readonly record struct PresenceMergeResult(string? Refusal, bool WantsFullState)
{
    public static PresenceMergeResult Refused(string reason) => new(reason, false);
}

/// <summary>
/// The replicated presence map on one instance: per reporting instance (this one and each peer) an
/// <see cref="LwwMap{TKey, TValue}"/> from (room, player) to (name, online), stamped by that instance's
/// clock. Partitioned by reporter on purpose: a room that moved leaves its old owner's removal in the
/// old owner's part, where it can never hide the new owner's newer report of the same player. The
/// view of a room is, per player, the newest live entry among the parts of instances still heard
/// from. Not the single source of anything: every instance builds the same view from what it hears.
/// </summary>
internal sealed partial class ClusterPresenceView
{
    // Dropping every own tombstone after a delta is taken: this instance is its part's only writer.
    private static readonly HlcTimestamp AfterEverything = new(ulong.MaxValue, uint.MaxValue);

    private readonly Lock _gate = new();
    private readonly string _self;
    private readonly ClusterPresenceOptions _options;
    private readonly TimeProvider _time;
    private readonly LwwMap<PresenceKey, PresenceValue> _own = new();
    private readonly Dictionary<string, Peer> _peers = new(StringComparer.Ordinal);
    private Snapshot? _snapshot; // null: changed since it was built

    public ClusterPresenceView(string self, ClusterPresenceOptions options, TimeProvider time)
    {
        _self = self;
        _options = options;
        _time = time;
    }

    /// <summary>Peers heard from within the TTL.</summary>
    public int PeerCount
    {
        get
        {
            lock (_gate)
            {
                return _peers.Count;
            }
        }
    }

    public IReadOnlyList<string> Rooms => Current().Rooms;

    public IReadOnlyList<ClusterMember> Members(string room) =>
        Current().ByRoom.TryGetValue(room, out ClusterMember[]? members) ? members : [];

    /// <summary>
    /// Records the local rooms' members as they are now, stamped <paramref name="stamp"/>, and returns
    /// what changed since the last call (sets and tombstones), or null when nothing did.
    /// </summary>
    public LwwMap<PresenceKey, PresenceValue>? ReportLocal(IReadOnlyDictionary<PresenceKey, PresenceValue> current, HlcTimestamp stamp)
    {
        lock (_gate)
        {
            foreach ((PresenceKey key, PresenceValue value) in current)
            {
                if (!_own.TryGetValue(key, out PresenceValue reported) || reported != value)
                {
                    _own.Set(key, value, stamp);
                }
            }

            List<PresenceKey>? gone = null;
            foreach ((PresenceKey key, LwwEntry<PresenceValue> entry) in _own.AllEntries)
            {
                if (!entry.IsRemoved && !current.ContainsKey(key))
                {
                    (gone ??= []).Add(key);
                }
            }

            foreach (PresenceKey key in gone ?? [])
            {
                _own.Remove(key, stamp);
            }

            if (!_own.TryTakeDelta(out LwwMap<PresenceKey, PresenceValue>? delta))
            {
                return null;
            }

            _own.PruneTombstones(AfterEverything);
            _snapshot = null;
            return delta;
        }
    }

    /// <summary>This instance's whole part (live entries with their stamps), for a full state.</summary>
    public LwwMap<PresenceKey, PresenceValue> OwnState()
    {
        lock (_gate)
        {
            return _own.Clone();
        }
    }

    /// <summary>
    /// Merges a validated message from <paramref name="sender"/> (never this instance). Its clock
    /// check has passed. Refuses it whole when it would take the view past its bounds.
    /// </summary>
    public PresenceMergeResult Merge(string sender, ClusterPresenceMessage message)
    {
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (message.Kind == ClusterPresenceKind.Leave)
            {
                if (_peers.Remove(sender))
                {
                    _snapshot = null;
                }

                return default;
            }

            if (!_peers.TryGetValue(sender, out Peer? peer))
            {
                if (_peers.Count >= _options.MaxPeers)
                {
                    return PresenceMergeResult.Refused($"already tracking {_peers.Count} instances (MaxPeers)");
                }

                peer = new Peer();
                _peers.Add(sender, peer);
            }

            if (message.Records is { } records && peer.Entries.AllEntries.Count + (peer.Pending?.Entries.AllEntries.Count ?? 0) + records.AllEntries.Count > _options.MaxEntriesPerPeer)
            {
                return PresenceMergeResult.Refused($"the instance's part would pass {_options.MaxEntriesPerPeer} entries (MaxEntriesPerPeer)");
            }

            bool missed = peer.LastSequence == 0
                ? message.Kind != ClusterPresenceKind.FullState || message.Part != 0
                : message.Sequence > peer.LastSequence + 1;
            peer.LastSequence = Math.Max(peer.LastSequence, message.Sequence);
            peer.LastHeard = now;
            switch (message.Kind)
            {
                case ClusterPresenceKind.Delta when message.Records is { } delta:
                    MergeNewerThanFloor(peer, delta);
                    break;
                case ClusterPresenceKind.FullState when message.Records is { } part:
                    MergeFullStatePart(peer, message, part);
                    break;
            }

            bool ask = missed && (peer.LastRequestAt is not { } asked || _time.GetElapsedTime(asked, now) >= _options.Interval * 2);
            if (ask)
            {
                peer.LastRequestAt = now;
            }

            return new PresenceMergeResult(null, ask);
        }
    }

    /// <summary>Drops every peer silent for the TTL; returns each with how many entries it had.</summary>
    public List<(string Instance, int Entries)> Expire()
    {
        long now = _time.GetTimestamp();
        List<(string, int)> expired = [];
        lock (_gate)
        {
            foreach ((string instance, Peer peer) in _peers)
            {
                if (_time.GetElapsedTime(peer.LastHeard, now) >= _options.Ttl)
                {
                    expired.Add((instance, peer.Entries.Count));
                }
            }

            foreach ((string instance, _) in expired)
            {
                _peers.Remove(instance);
            }

            if (expired.Count > 0)
            {
                _snapshot = null;
            }
        }

        return expired;
    }

    // A delta's record at or before the last complete full state is already in it (or superseded).
    private void MergeNewerThanFloor(Peer peer, LwwMap<PresenceKey, PresenceValue> records)
    {
        LwwMap<PresenceKey, PresenceValue> newer = records.AllEntries.Values.All(e => e.Timestamp > peer.Floor)
            ? records
            : Filter(records, e => e.Timestamp > peer.Floor);
        peer.Entries.Merge(newer);
        _snapshot = null;
    }

    /// <summary>
    /// A full state's part: its entries are merged at once (a merge only adds or updates), and once
    /// every part of that state is in, what the peer's part holds from before the state and the state
    /// lacks is dropped (a removal this instance missed), tombstones included.
    /// </summary>
    private void MergeFullStatePart(Peer peer, ClusterPresenceMessage message, LwwMap<PresenceKey, PresenceValue> records)
    {
        HlcTimestamp stamp = message.Stamp;
        if (stamp <= peer.Floor || (peer.Pending is { } current && stamp < current.Stamp))
        {
            return; // an older state than one already taken or being collected
        }

        if (peer.Pending is null || peer.Pending.Stamp != stamp)
        {
            peer.Pending = new PendingFullState(stamp, message.PartCount);
        }

        PendingFullState pending = peer.Pending;
        pending.Entries.Merge(records);
        pending.Parts.Add(message.Part);
        peer.Entries.Merge(records); // the sender's truth at a stamp past the floor: nothing stale in it
        _snapshot = null;
        if (pending.Parts.Count < pending.PartCount)
        {
            return;
        }

        pending.Entries.Merge(Filter(peer.Entries, e => e.Timestamp > stamp));
        peer.Entries = pending.Entries;
        peer.Floor = stamp;
        peer.Pending = null;
    }

    private static LwwMap<PresenceKey, PresenceValue> Filter(LwwMap<PresenceKey, PresenceValue> source, Func<LwwEntry<PresenceValue>, bool> keep)
    {
        var kept = new LwwMap<PresenceKey, PresenceValue>();
        foreach ((PresenceKey key, LwwEntry<PresenceValue> entry) in source.AllEntries)
        {
            if (keep(entry))
            {
                if (entry.IsRemoved)
                {
                    kept.Remove(key, entry.Timestamp);
                }
                else
                {
                    kept.Set(key, entry.Value, entry.Timestamp);
                }
            }
        }

        return kept;
    }

    private Snapshot Current()
    {
        Snapshot? snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null)
        {
            return snapshot;
        }

        lock (_gate)
        {
            return _snapshot ??= Build();
        }
    }

    // Per (room, player) the newest live entry among this instance's part and every peer's.
    private Snapshot Build()
    {
        var newest = new Dictionary<PresenceKey, (ClusterMember Member, HlcTimestamp Stamp)>();
        void Add(string instance, LwwMap<PresenceKey, PresenceValue> part)
        {
            foreach ((PresenceKey key, LwwEntry<PresenceValue> entry) in part.AllEntries)
            {
                if (!entry.IsRemoved && (!newest.TryGetValue(key, out var seen) || entry.Timestamp > seen.Stamp))
                {
                    newest[key] = (new ClusterMember(key.PlayerId, entry.Value.Name, entry.Value.Online, instance), entry.Timestamp);
                }
            }
        }

        Add(_self, _own);
        foreach ((string instance, Peer peer) in _peers)
        {
            Add(instance, peer.Entries);
        }

        Dictionary<string, ClusterMember[]> byRoom = newest
            .GroupBy(pair => pair.Key.Room, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Select(pair => pair.Value.Member).OrderBy(m => m.PlayerId).ToArray(), StringComparer.Ordinal);
        return new Snapshot(byRoom, [.. byRoom.Keys.Order(StringComparer.Ordinal)]);
    }

    private sealed record Snapshot(Dictionary<string, ClusterMember[]> ByRoom, string[] Rooms);

    private sealed class Peer
    {
        /// <summary>What the peer reported, tombstones of its deltas included until its next full state.</summary>
        public LwwMap<PresenceKey, PresenceValue> Entries { get; set; } = new();

        /// <summary>The stamp of the peer's last complete full state; nothing at or before it is news.</summary>
        public HlcTimestamp Floor { get; set; }

        public PendingFullState? Pending { get; set; }

        public ulong LastSequence { get; set; }

        public long LastHeard { get; set; }

        public long? LastRequestAt { get; set; }
    }

    private sealed class PendingFullState(HlcTimestamp stamp, int partCount)
    {
        public HlcTimestamp Stamp { get; } = stamp;

        public int PartCount { get; } = partCount;

        public HashSet<int> Parts { get; } = [];

        public LwwMap<PresenceKey, PresenceValue> Entries { get; } = new();
    }
}
