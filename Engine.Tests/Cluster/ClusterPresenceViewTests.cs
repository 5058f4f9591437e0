using Engine.Cluster;
using Engine.State.Clock;
using Engine.State.Crdt;

namespace Engine.Tests.Cluster;

/// <summary>The replicated presence map alone: merge rules of deltas and full states, gaps, bounds, the local part.</summary>
public class ClusterPresenceViewTests
{
    private const string Peer = "peer-1";
    private const uint PeerNode = 77;
    private static readonly ClusterPresenceOptions Options = new();

    private readonly ManualTimeProvider _time = new();
    private readonly ClusterPresenceView _view;
    private ulong _sequence;

    public ClusterPresenceViewTests() => _view = new ClusterPresenceView("self", Options, _time);

    private static HlcTimestamp At(long ms) => new(1_800_000_000_000 + ms, 0, PeerNode);

    private static LwwMap<PresenceKey, PresenceValue> Records(long ms, params (int Id, string? Name)[] records)
    {
        var map = new LwwMap<PresenceKey, PresenceValue>();
        foreach ((int id, string? name) in records)
        {
            if (name is null)
            {
                map.Remove(new PresenceKey("red", id), At(ms));
            }
            else
            {
                map.Set(new PresenceKey("red", id), new PresenceValue(name, true), At(ms));
            }
        }

        return map;
    }

    private PresenceMergeResult Delta(long ms, params (int Id, string? Name)[] records) =>
        _view.Merge(Peer, new ClusterPresenceMessage { Kind = ClusterPresenceKind.Delta, Sequence = ++_sequence, Stamp = At(ms), Records = Records(ms, records) });

    private PresenceMergeResult Full(long ms, int part, int parts, params (int Id, string? Name)[] records) =>
        _view.Merge(Peer, new ClusterPresenceMessage { Kind = ClusterPresenceKind.FullState, Sequence = ++_sequence, Stamp = At(ms), Part = part, PartCount = parts, Records = Records(ms, records) });

    private string[] Red() => [.. _view.Members("red").Select(m => $"{m.PlayerId}:{m.Name}")];

    [Fact]
    public void FullState_Complete_DropsWhatItLacksFromBefore()
    {
        Full(10, 0, 1, (1, "alice"), (2, "bob"));
        // A delta removing alice was lost; the next full state no longer lists her.
        _sequence++;

        Full(30, 0, 1, (2, "bob"));

        Assert.Equal(["2:bob"], Red());
    }

    [Fact]
    public void FullState_APartMissing_AddsButRemovesNothingUntilAStateIsComplete()
    {
        Full(10, 0, 1, (1, "alice"), (2, "bob"));

        Full(30, 0, 2, (3, "carol")); // part 1 of 2 never arrives
        Assert.Equal(["1:alice", "2:bob", "3:carol"], Red());

        Full(50, 1, 2, (3, "carol"));
        Full(50, 0, 2, (2, "bob"));
        Assert.Equal(["2:bob", "3:carol"], Red());
    }

    [Fact]
    public void FullState_OlderThanTheLastComplete_Ignored()
    {
        Full(50, 0, 1, (2, "bob"));

        Full(30, 0, 1, (1, "alice"));

        Assert.Equal(["2:bob"], Red());
    }

    [Fact]
    public void Delta_StampedBeforeTheLastFullState_CannotBringARemovedPlayerBack()
    {
        Full(10, 0, 1, (1, "alice"));
        Full(50, 0, 1);

        Delta(30, (1, "alice")); // delayed: older than the state that no longer has alice

        Assert.Empty(Red());
    }

    [Fact]
    public void Delta_NewerThanTheFullStateCollected_KeptWhenTheStateCompletes()
    {
        Full(10, 0, 1, (1, "alice"));
        Full(40, 0, 2, (1, "alice"));
        Delta(45, (1, null), (2, "bob")); // after the state was taken: alice left, bob came

        Full(40, 1, 2);

        Assert.Equal(["2:bob"], Red());
    }

    [Fact]
    public void Merge_FirstMessageIsADelta_WantsFullStateThenNotAgainWithinTwoIntervals()
    {
        Assert.True(Delta(10, (1, "alice")).WantsFullState);
        _sequence++; // a lost message

        Assert.False(Delta(20).WantsFullState); // asked just now
        _time.Advance(Options.Interval * 2);
        _sequence++;
        Assert.True(Delta(30).WantsFullState);
        Assert.False(Delta(40).WantsFullState); // in sequence
    }

    [Fact]
    public void Merge_FullStateFirstThenInSequence_NeverWantsFullState()
    {
        Assert.False(Full(10, 0, 1, (1, "alice")).WantsFullState);
        Assert.False(Delta(20, (2, "bob")).WantsFullState);
        Assert.Equal(["1:alice", "2:bob"], Red());
    }

    [Fact]
    public void Merge_PastMaxEntriesPerPeer_RefusedWholeAndNothingChanges()
    {
        var view = new ClusterPresenceView("self", new ClusterPresenceOptions { MaxRecordsPerMessage = 2, MaxEntriesPerPeer = 3 }, _time);
        Assert.Null(view.Merge(Peer, new ClusterPresenceMessage { Kind = ClusterPresenceKind.FullState, Sequence = 1, Stamp = At(10), Records = Records(10, (1, "a"), (2, "b")) }).Refusal);

        PresenceMergeResult result = view.Merge(Peer, new ClusterPresenceMessage { Kind = ClusterPresenceKind.Delta, Sequence = 2, Stamp = At(20), Records = Records(20, (3, "c"), (4, "d")) });

        Assert.Contains("MaxEntriesPerPeer", result.Refusal, StringComparison.Ordinal);
        Assert.Equal(2, view.Members("red").Count);
    }

    [Fact]
    public void Merge_OneInstanceMoreThanMaxPeers_Refused()
    {
        var view = new ClusterPresenceView("self", new ClusterPresenceOptions { MaxPeers = 1 }, _time);
        var first = new ClusterPresenceMessage { Kind = ClusterPresenceKind.FullState, Sequence = 1, Stamp = At(10), Records = Records(10, (1, "a")) };

        Assert.Null(view.Merge("one", first).Refusal);
        Assert.Contains("MaxPeers", view.Merge("two", first).Refusal, StringComparison.Ordinal);
        Assert.Equal(1, view.PeerCount);
    }

    [Fact]
    public void ReportLocal_ChangesOnly_DeltaHoldsSetsAndTombstones()
    {
        var key1 = new PresenceKey("red", 1);
        var key2 = new PresenceKey("red", 2);
        var alice = new PresenceValue("alice", true);
        var bob = new PresenceValue("bob", true);
        Assert.Equal(2, _view.ReportLocal(new Dictionary<PresenceKey, PresenceValue> { [key1] = alice, [key2] = bob }, At(10))!.Count);

        Assert.Null(_view.ReportLocal(new Dictionary<PresenceKey, PresenceValue> { [key1] = alice, [key2] = bob }, At(20)));
        LwwMap<PresenceKey, PresenceValue> delta = _view.ReportLocal(new Dictionary<PresenceKey, PresenceValue> { [key1] = new PresenceValue("alice", false) }, At(30))!;

        Assert.Equal(1, delta.Count);
        Assert.Equal(1, delta.TombstoneCount);
        Assert.True(delta.AllEntries[key2].IsRemoved);
        Assert.False(delta.AllEntries[key1].Value.Online);
        Assert.Equal(0, _view.OwnState().TombstoneCount); // the own part keeps no tombstones
        Assert.Equal(["1:alice"], Red());
        Assert.False(_view.Members("red")[0].Online);
    }

    [Fact]
    public void Expire_PeerSilentJustUnderTtl_KeptThenDroppedAtTtl()
    {
        Full(10, 0, 1, (1, "alice"));

        _time.Advance(Options.Ttl - TimeSpan.FromMilliseconds(1));
        Assert.Empty(_view.Expire());
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal([(Peer, 1)], _view.Expire());
        Assert.Empty(Red());
    }
}
