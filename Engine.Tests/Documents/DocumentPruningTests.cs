using System.Diagnostics.Metrics;
using Engine.Cluster;
using Engine.Documents;
using Engine.Hosting;
using Engine.Rooms;
using Engine.State.Clock;
using Engine.State.Crdt;
using Engine.State.Serialization;
using Engine.Telemetry;
using MemoryPack;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Engine.Tests.Documents;

/// <summary>
/// Tombstone pruning through the production replicator: instances on one in-process hub (one owner
/// running the room, the others edge replicas), anti-entropy rounds driven by the test, the hybrid
/// logical clocks on a manual time provider.
/// </summary>
public sealed partial class DocumentPruningTests : IAsyncDisposable
{
    private const string RoomName = "arena";
    private const int RoundLimit = 8;

    private readonly InProcessClusterBus.Hub _hub = new();
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<Instance> _instances = [];

    [Fact]
    public void KeyRemoved_ThreeInstances_TombstonesPrunedEverywhereAndKeyStaysGone()
    {
        Instance owner = Owner();
        Instance two = Edge();
        Edge();
        owner.Write(DocumentWriteKind.Set, "flag", "up");
        Rounds(2);
        Assert.All(_instances, i => Assert.Equal("up", i.Get("flag")));

        two.Write(DocumentWriteKind.Remove, "flag");
        Assert.All(_instances, i => Assert.Equal(1, i.Tombstones));

        int rounds = RoundsUntil(() => _instances.All(i => i.Tombstones == 0));

        Assert.True(rounds <= RoundLimit, $"tombstones left after {RoundLimit} rounds: {string.Join(", ", _instances.Select(i => i.Tombstones))}");
        Assert.All(_instances, i => Assert.True(i.Replicator.Pruned >= 1));
        Rounds(3); // and it does not come back
        Assert.All(_instances, i => Assert.Null(i.Get("flag")));
        Assert.All(_instances, i => Assert.Equal(0, i.Tombstones));
        Assert.All(_instances, i => Assert.Equal(0, i.Replicator.Refused));
    }

    [Fact]
    public void StaleReplica_CutOffBeforeRemoveAndBackWithinPeerTimeout_ItsValueLosesAndThenPruned()
    {
        Instance owner = Owner();
        Edge();
        Edge();
        Instance cut = Edge();
        owner.Write(DocumentWriteKind.Set, "flag", "up");
        Rounds(2);
        cut.Bus.IsCut = true;

        owner.Write(DocumentWriteKind.Remove, "flag");
        Rounds(3); // 90 s of manual time: the cut replica is still a participant (PeerTimeout 120 s)

        // The cut replica's reports are stale, so nobody may prune; it still holds the old value.
        Instance[] connected = [.. _instances.Where(i => i != cut)];
        Assert.All(connected, i => Assert.Equal(1, i.Tombstones));
        Assert.All(_instances, i => Assert.Equal(0, i.Replicator.Pruned));
        Assert.Equal("up", cut.Get("flag"));

        cut.Bus.IsCut = false;
        cut.Replicator.RunAntiEntropy(); // back: its state, with the stale value, reaches everyone first
        Assert.All(connected, i => Assert.Null(i.Get("flag")));
        Assert.All(connected, i => Assert.Equal(1, i.Tombstones));

        int rounds = RoundsUntil(() => _instances.All(i => i.Tombstones == 0));

        Assert.True(rounds <= RoundLimit, $"tombstones left after {RoundLimit} rounds: {string.Join(", ", _instances.Select(i => i.Tombstones))}");
        Rounds(3);
        Assert.All(_instances, i => Assert.Null(i.Get("flag")));
        Assert.All(_instances, i => Assert.Equal(0, i.Tombstones));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void KeysRemoved_ShuffledRoundsLosingStates_ConvergeWithEveryTombstonePruned(int seed)
    {
        var random = new Random(seed);
        Owner();
        Edge();
        Edge();
        Edge();
        foreach (string key in new[] { "a", "b", "c" })
        {
            Pick(random).Write(DocumentWriteKind.Set, key, "first");
        }

        Rounds(2);
        WriteMaybeLosingTheDelta(random, DocumentWriteKind.Remove, "a");
        WriteMaybeLosingTheDelta(random, DocumentWriteKind.Remove, "b");
        WriteMaybeLosingTheDelta(random, DocumentWriteKind.Set, "c", "second");

        // Rounds in a random order, a random interval apart, each instance's states lost half the time.
        for (int round = 0; round < 3; round++)
        {
            _time.Advance(TimeSpan.FromSeconds(random.Next(5, 40)));
            foreach (Instance instance in _instances.OrderBy(_ => random.Next()).ToList())
            {
                instance.Bus.IsCut = random.Next(2) == 0;
                instance.Replicator.RunAntiEntropy();
                instance.Bus.IsCut = false;
            }
        }

        int rounds = RoundsUntil(() => _instances.All(i => i.Tombstones == 0));

        Assert.True(rounds <= RoundLimit, $"tombstones left after {RoundLimit} rounds: {string.Join(", ", _instances.Select(i => i.Tombstones))}");
        Assert.All(_instances, i => Assert.Equal(2, i.Replicator.Pruned)); // once each: no replica took a pruned tombstone back
        Assert.All(_instances, i => Assert.Equal((null, null, "second"), (i.Get("a"), i.Get("b"), i.Get("c"))));
    }

    [Fact]
    public void PrunedKeys_FullDocumentRemovedAndPrunedAlone_FreesEverySlot()
    {
        Instance owner = Owner();
        int limit = new DocumentLimits().MaxEntries;
        for (int i = 0; i < limit; i++)
        {
            Assert.Null(owner.Write(DocumentWriteKind.Set, "old" + i, "x"));
        }

        for (int i = 0; i < limit; i++)
        {
            Assert.Null(owner.Write(DocumentWriteKind.Remove, "old" + i));
        }

        Assert.NotNull(owner.Write(DocumentWriteKind.Set, "new0", "x")); // the tombstones still hold every slot

        _time.Advance(DocumentReplicator.AloneMargin + TimeSpan.FromSeconds(1));
        owner.Replicator.RunAntiEntropy();

        Assert.Equal(0, owner.Tombstones);
        Assert.Equal(limit, owner.Replicator.Pruned);
        for (int i = 0; i < limit; i++)
        {
            Assert.Null(owner.Write(DocumentWriteKind.Set, "new" + i, "x"));
        }

        Assert.Equal(limit, owner.Use(d => d.Count));
    }

    [Fact]
    public void Alone_TombstoneYoungerThanTheMargin_Kept()
    {
        Instance owner = Owner();
        owner.Write(DocumentWriteKind.Set, "flag", "up");
        owner.Write(DocumentWriteKind.Remove, "flag");

        owner.Replicator.RunAntiEntropy();

        Assert.Equal(1, owner.Tombstones);
        Assert.Equal(0, owner.Replicator.Pruned);
    }

    [Fact]
    public void BadPruningFields_FarFutureTimesOrHugeVector_RefusedWholeCountedAndNothingMerged()
    {
        Instance owner = Owner();
        var intruder = new InProcessClusterBus(_hub);
        var farFuture = new HlcTimestamp(_time.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds(), 0, 7);
        var now = new HlcTimestamp(_time.GetUtcNow().ToUnixTimeMilliseconds(), 0, 7);

        intruder.Publish("doc." + RoomName, StateCodec.Encode(StateWith("a", farFuture, new() { [owner.Bus.InstanceId] = now })));
        intruder.Publish("doc." + RoomName, StateCodec.Encode(StateWith("b", now, new() { [owner.Bus.InstanceId] = farFuture })));
        intruder.Publish("doc." + RoomName, StateCodec.Encode(StateWith("c", now, Enumerable.Range(0, PruningHorizon.MaxParticipants + 1).ToDictionary(i => "i" + i, _ => now))));
        intruder.Publish("doc." + RoomName, StateCodec.Encode(StateWith("d", now, new() { [""] = now })));

        Assert.Equal(4, owner.Replicator.Refused);
        Assert.Equal(0, owner.Replicator.Merged);
        Assert.Equal(0, owner.Use(d => d.Count));
        Assert.Equal(0, owner.Use(d => d.Horizon.ParticipantCount)); // a refused sender does not take part
    }

    [Fact]
    public void LegacyState_WithoutPruningFields_MergesAndHoldsPruningBack()
    {
        Instance owner = Owner();
        owner.Write(DocumentWriteKind.Set, "flag", "up");
        owner.Write(DocumentWriteKind.Remove, "flag");
        var legacy = new InProcessClusterBus(_hub);
        var entries = new LwwMap<string, string>();
        entries.Set("title", "from an older instance", new HybridLogicalClock(7, _time));

        legacy.Publish("doc." + RoomName, StateCodec.Encode(new LegacyReplicationMessage { Kind = DocumentReplicationKind.State, Document = new DocumentDelta { Entries = entries } }));
        _time.Advance(DocumentReplicator.AloneMargin + TimeSpan.FromSeconds(1));
        owner.Replicator.RunAntiEntropy();

        Assert.Equal(1, owner.Replicator.Merged);
        Assert.Equal("from an older instance", owner.Get("title"));
        Assert.Equal(1, owner.Tombstones); // the older instance reports no vector: no agreed horizon
        Assert.Equal(0, owner.Replicator.Pruned);
    }

    [Fact]
    public void PruneTombstones_TombstoneMergedLateWithAnOldTimestamp_KeptUntilTheHorizonPassesItsArrival()
    {
        var clock = new HybridLogicalClock(1, _time);
        var document = new RoomDocument(clock);
        var removals = new LwwMap<string, string>();
        HlcTimestamp removedAt = new HybridLogicalClock(2, _time).Now();
        removals.Remove("flag", removedAt);
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Null(document.Merge(new DocumentDelta { Entries = removals }));
        HlcTimestamp arrived = clock.Current;

        Assert.Equal(0, document.PruneTombstones(new HlcTimestamp(removedAt.PhysicalMilliseconds + 1, 0, 0)));
        Assert.Equal(1, document.TombstoneCount);
        Assert.Equal(1, document.PruneTombstones(new HlcTimestamp(arrived.Packed + 1, 0)));
        Assert.Equal(0, document.TombstoneCount);
    }

    [Fact]
    public void Merge_TombstoneOlderThanAPrunedHorizon_TakenBackOnlyForAKeyStillHeld()
    {
        var clock = new HybridLogicalClock(1, _time);
        var document = new RoomDocument(clock);
        var peer = new HybridLogicalClock(2, _time);
        var late = new LwwMap<string, string>();
        late.Remove("gone", peer.Now());
        late.Remove("held", peer.Now());
        var live = new LwwMap<string, string>();
        live.Set("held", "older", new HlcTimestamp(late.AllEntries["held"].Timestamp.Packed - 1, 2));
        Assert.Null(document.Merge(new DocumentDelta { Entries = live }));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, document.PruneTombstones(clock.Now())); // nothing to prune, but the horizon is recorded

        Assert.Null(document.Merge(new DocumentDelta { Entries = late }));

        Assert.False(document.TryGetEntry("gone", out _, out _));
        Assert.Null(document.Get("held"));
        Assert.Equal(1, document.TombstoneCount); // only the removal that beat a value this replica held
    }

    /// <summary>A state setting <paramref name="key"/> at the current time: only its pruning fields can be wrong.</summary>
    private DocumentReplicationMessage StateWith(string key, HlcTimestamp sentAt, Dictionary<string, HlcTimestamp> seen)
    {
        var entries = new LwwMap<string, string>();
        entries.Set(key, "x", new HybridLogicalClock(7, _time));
        return new DocumentReplicationMessage
        {
            Kind = DocumentReplicationKind.State,
            Document = new DocumentDelta { Entries = entries },
            SentAt = sentAt,
            Seen = seen,
        };
    }

    private void WriteMaybeLosingTheDelta(Random random, DocumentWriteKind kind, string key, string? value = null)
    {
        Instance writer = Pick(random);
        writer.Bus.IsCut = random.Next(2) == 0;
        writer.Write(kind, key, value);
        writer.Bus.IsCut = false;
    }

    private Instance Pick(Random random) => _instances[random.Next(_instances.Count)];

    private Instance Owner() => Add(new Instance(_hub, _time, owner: true, _services.GetRequiredService<IMeterFactory>()));

    private Instance Edge() => Add(new Instance(_hub, _time, owner: false, _services.GetRequiredService<IMeterFactory>()));

    private Instance Add(Instance instance)
    {
        _instances.Add(instance);
        instance.Start();
        return instance;
    }

    /// <summary>Anti-entropy rounds: the clock moves one interval, then each instance in turn sends its states.</summary>
    private void Rounds(int count)
    {
        for (int round = 0; round < count; round++)
        {
            _time.Advance(DocumentReplicator.AntiEntropyInterval);
            foreach (Instance instance in _instances)
            {
                instance.Replicator.RunAntiEntropy();
            }
        }
    }

    /// <summary>Runs rounds until <paramref name="done"/> holds; returns how many it took, or more than <see cref="RoundLimit"/>.</summary>
    private int RoundsUntil(Func<bool> done)
    {
        int rounds = 0;
        while (!done() && rounds <= RoundLimit)
        {
            Rounds(1);
            rounds++;
        }

        return rounds;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Instance instance in _instances)
        {
            await instance.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    /// <summary>The shape of <see cref="DocumentReplicationMessage"/> before pruning: what an older instance sends.</summary>
    [MemoryPackable(SerializeLayout.Explicit)]
    internal sealed partial class LegacyReplicationMessage
    {
        [MemoryPackOrder(0)] public DocumentReplicationKind Kind { get; set; }

        [MemoryPackOrder(1)] public DocumentDelta? Document { get; set; }
    }

    /// <summary>A room whose rule lets every write through (the limits still apply).</summary>
    private sealed class OpenRoom : Room
    {
        public override void OnTick(TickInfo tick)
        {
        }

        public override bool AuthorizeDocumentWrite(Player player, DocumentWrite write) => true;
    }

    /// <summary>One instance's document side with production wiring: its bus, clock, replicator, and a room or an edge replica.</summary>
    private sealed class Instance : IAsyncDisposable
    {
        private readonly RoomHost? _host;
        private readonly EngineMetrics? _metrics;
        private readonly EdgeDocuments _edge;
        private readonly Player _player = new(1, "writer");

        public Instance(InProcessClusterBus.Hub hub, TimeProvider time, bool owner, IMeterFactory meters)
        {
            Bus = new CuttableBus(hub);
            var clock = new HybridLogicalClock(Bus.NodeId, time);
            _edge = new EdgeDocuments(clock, _ => new OpenRoom(), NullLogger.Instance);
            Replicator = new DocumentReplicator(Bus, time, NullLoggerFactory.Instance, _edge, clock);
            if (owner)
            {
                _metrics = new EngineMetrics(meters);
                _host = new RoomHost(RoomName, new OpenRoom(), new EngineOptions(), _metrics, time, NullLogger.Instance, new RoomDocument(clock), Replicator);
            }
        }

        public CuttableBus Bus { get; }

        public DocumentReplicator Replicator { get; }

        public int Tombstones => Use(d => d.TombstoneCount);

        public void Start()
        {
            if (_host is not null)
            {
                Replicator.Attach(name => name == RoomName ? _host : null, () => [_host]);
                Replicator.RequestState(RoomName); // as RoomManager does for a new room
            }
            else
            {
                Replicator.Attach(_ => null, () => []);
                _edge.Enter(RoomName); // a relayed player arrives: the edge replica asks for the state
            }
        }

        public string? Get(string key) => Use(d => d.Get(key));

        public T Use<T>(Func<RoomDocument, T> use)
        {
            if (_host is not null)
            {
                return _host.UseDocument(use);
            }

            lock (_edge.GateOf(RoomName)!)
            {
                return use(_edge.Find(RoomName)!);
            }
        }

        /// <summary>A player's write; the owner's delta leaves as its tick would send it. Null, or why it was refused.</summary>
        public string? Write(DocumentWriteKind kind, string key, string? value = null)
        {
            var write = new DocumentWrite(kind, key, value, 0);
            if (_host is null)
            {
                return _edge.Write(RoomName, _player, write)?.Message;
            }

            (string? refused, DocumentDelta? delta) = _host.UseDocument(d =>
            {
                string? refused = d.Apply(write);
                return (refused, d.TryTakeDelta(out DocumentDelta? delta) ? delta : null);
            });
            if (delta is not null)
            {
                Replicator.PublishDelta(RoomName, delta);
            }

            return refused;
        }

        public async ValueTask DisposeAsync()
        {
            await Replicator.DisposeAsync();
            await Bus.DisposeAsync();
            _metrics?.Dispose();
        }
    }

    /// <summary>An in-process bus the test can cut off: while cut, nothing it publishes leaves and nothing reaches it.</summary>
    private sealed class CuttableBus(InProcessClusterBus.Hub hub) : IClusterBus
    {
        private readonly InProcessClusterBus _inner = new(hub);
        private volatile bool _cut;

        public bool IsCut
        {
            get => _cut;
            set => _cut = value;
        }

        public string InstanceId => _inner.InstanceId;

        public uint NodeId => _inner.NodeId;

        public bool IsClustered => true;

        public bool IsConnected => !_cut;

        public event Action<bool>? ConnectionChanged
        {
            add { }
            remove { }
        }

        public bool Publish(string subject, ReadOnlySpan<byte> payload) => _cut || _inner.Publish(subject, payload);

        public IAsyncDisposable Subscribe(string subject, Action<ClusterMessage> handler) =>
            _inner.Subscribe(subject, message =>
            {
                if (!_cut)
                {
                    handler(message);
                }
            });

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }
}
