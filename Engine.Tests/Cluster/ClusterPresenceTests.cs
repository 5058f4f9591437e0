using Engine.Cluster;

namespace Engine.Tests.Cluster;

/// <summary>
/// Cluster presence between instances on one in-process hub, on a manual clock: reports, deltas,
/// full states on request, expiry after the TTL, leave, and a room that moved between owners.
/// </summary>
public class ClusterPresenceTests
{
    private static readonly ClusterPresenceOptions Options = new();

    private readonly ManualTimeProvider _time = new();
    private readonly InProcessClusterBus.Hub _hub = new();

    /// <summary>One report interval passes and every instance given reports, in order.</summary>
    private void Round(params PresenceTestInstance[] instances)
    {
        _time.Advance(Options.Interval);
        foreach (PresenceTestInstance instance in instances)
        {
            instance.Report();
        }
    }

    [Fact]
    public async Task Members_TwoInstancesEachOwningARoom_EveryInstanceSeesEveryRoom()
    {
        await using var a = new PresenceTestInstance(_hub, _time);
        await using var b = new PresenceTestInstance(_hub, _time);
        a.Seat("red", 1, "alice");
        b.Seat("blue", 2, "bob");
        b.Seat("blue", 3, "carol", online: false);

        Round(a, b);

        foreach (PresenceTestInstance viewer in new[] { a, b })
        {
            Assert.Equal(["blue", "red"], viewer.Presence.Rooms);
            Assert.Equal([$"1:alice:on@{a.Id}"], viewer.View("red"));
            Assert.Equal([$"2:bob:on@{b.Id}", $"3:carol:off@{b.Id}"], viewer.View("blue"));
        }

        Assert.Empty(a.Presence.Members("green"));
        Assert.Equal(0, a.Presence.Malformed + a.Presence.Refused + b.Presence.Malformed + b.Presence.Refused);
    }

    [Fact]
    public async Task Members_PlayerGoesOfflineThenLeaves_DeltasShowOfflineThenGone()
    {
        await using var a = new PresenceTestInstance(_hub, _time);
        await using var b = new PresenceTestInstance(_hub, _time);
        a.Seat("red", 1, "alice");
        a.Seat("red", 2, "bob");
        Round(a, b);
        Round(a, b); // a answers b's first request with a full state
        Assert.Equal([$"1:alice:on@{a.Id}", $"2:bob:on@{a.Id}"], b.View("red"));
        long fullStates = a.Presence.FullStatesSent;

        a.Seat("red", 1, "alice", online: false);
        Round(a, b);
        Assert.Equal([$"1:alice:off@{a.Id}", $"2:bob:on@{a.Id}"], b.View("red"));

        a.Unseat("red", 1);
        Round(a, b);
        Assert.Equal([$"2:bob:on@{a.Id}"], b.View("red"));

        a.Unseat("red", 2);
        Round(a, b);
        Assert.Empty(b.View("red"));
        Assert.DoesNotContain("red", b.Presence.Rooms);
        Assert.Equal(fullStates, a.Presence.FullStatesSent); // all of it went as deltas
    }

    [Fact]
    public async Task Expire_PeerSilentForTtl_ItsEntriesDisappearAndComeBackWhenItSpeaksAgain()
    {
        await using var a = new PresenceTestInstance(_hub, _time);
        await using var b = new PresenceTestInstance(_hub, _time);
        b.Seat("blue", 2, "bob");
        Round(a, b);
        Assert.Single(a.View("blue"));

        // b goes quiet: a keeps its entries until the TTL has passed, then drops them.
        var silent = TimeSpan.Zero;
        while (silent + Options.Interval < Options.Ttl)
        {
            Round(a);
            silent += Options.Interval;
            Assert.Single(a.View("blue"));
        }

        Round(a);
        Assert.Empty(a.View("blue"));
        Assert.Equal(1, a.Presence.PeersExpired);
        Assert.Contains("silent", a.Logs.Text, StringComparison.Ordinal);

        // b speaks again (a delta a cannot place): a asks for its full state and has it back.
        Round(b, a, b);
        Assert.Equal([$"2:bob:on@{b.Id}"], a.View("blue"));
    }

    [Fact]
    public async Task Leave_PeerDisposed_ItsEntriesDisappearAtOnce()
    {
        await using var a = new PresenceTestInstance(_hub, _time);
        var b = new PresenceTestInstance(_hub, _time);
        b.Seat("blue", 2, "bob");
        Round(a, b);
        Assert.Single(a.View("blue"));

        await b.DisposeAsync();

        Assert.Empty(a.View("blue"));
        Assert.Equal(0, a.Presence.PeerCount);
        Assert.Equal(0, a.Presence.PeersExpired);
    }

    [Fact]
    public async Task DisposeAsync_Twice_SecondReturnsAndOneLeaveIsSent()
    {
        await using var a = new PresenceTestInstance(_hub, _time);
        var b = new PresenceTestInstance(_hub, _time);
        Round(a, b);
        long published = b.Presence.Published;

        await b.Presence.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await b.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken); // the container disposes it once per registration

        Assert.Equal(published + 1, b.Presence.Published);
        b.Report(); // nothing after the leave
        Assert.Equal(published + 1, b.Presence.Published);
    }

    [Fact]
    public async Task Newcomer_StartsLate_GetsEveryonesPartBeforeTheirNextPeriodicFullState()
    {
        await using var a = new PresenceTestInstance(_hub, _time);
        a.Seat("red", 1, "alice");
        Round(a);
        Round(a);
        await using var c = new PresenceTestInstance(_hub, _time);

        Round(c, a); // c asks everyone; a answers at its next report, well before FullStateInterval

        Assert.Equal([$"1:alice:on@{a.Id}"], c.View("red"));
        Assert.Equal(2, a.Presence.FullStatesSent);
    }

    [Fact]
    public async Task LostDelta_ReceiverSeesTheGap_AsksForFullStateAndTheMissedRemovalIsRepaired()
    {
        var lossy = new LossyBus(new InProcessClusterBus(_hub));
        await using var a = new PresenceTestInstance(_hub, _time);
        await using var b = new PresenceTestInstance(lossy, _time);
        a.Seat("red", 1, "alice");
        a.Seat("red", 2, "bob");
        Round(a, b);
        Round(a, b); // a has answered b's first request: its next message is a delta
        Assert.Equal(2, b.View("red").Length);

        lossy.Dropping = true;
        a.Unseat("red", 1);
        Round(a);
        lossy.Dropping = false;
        Assert.Equal(2, b.View("red").Length); // the removal was lost

        Round(a, b, a); // a's next message shows b the gap; b asks; a sends its full state
        Assert.Equal([$"2:bob:on@{a.Id}"], b.View("red"));
        Assert.True(b.Presence.RequestsSent >= 2, $"b sent {b.Presence.RequestsSent} requests");
    }

    [Fact]
    public async Task MovedRoom_OldOwnerRemovesAfterNewOwnerReported_NewOwnersEntryStays()
    {
        await using var a = new PresenceTestInstance(_hub, _time);
        await using var b = new PresenceTestInstance(_hub, _time);
        await using var c = new PresenceTestInstance(_hub, _time);
        a.Seat("red", 7, "alice");
        Round(a, b, c);
        Assert.Equal([$"7:alice:on@{a.Id}"], c.View("red"));

        // The room moved to b (the same player id: it is handed out by the player's edge instance).
        b.Seat("red", 7, "alice");
        Round(b, c);
        Assert.Equal([$"7:alice:on@{b.Id}"], c.View("red")); // the newest report wins

        a.Unseat("red", 7); // the old owner stops the room later: its removal is the newest write
        Round(a, b, c);
        Assert.Equal([$"7:alice:on@{b.Id}"], c.View("red"));
        Assert.Equal([$"7:alice:on@{b.Id}"], a.View("red"));
    }

    [Fact]
    public async Task FullState_MoreRecordsThanOneMessage_SentInPartsAndAllArrive()
    {
        var small = new ClusterPresenceOptions { MaxRecordsPerMessage = 10 };
        await using var a = new PresenceTestInstance(_hub, _time, small);
        await using var b = new PresenceTestInstance(_hub, _time, small);
        for (int id = 1; id <= 25; id++)
        {
            a.Seat("red", id, "p" + id);
        }

        long before = a.Presence.Published;
        a.Report();

        Assert.Equal(4, a.Presence.Published - before); // three parts and the request to everyone
        Assert.Equal(25, b.View("red").Length);
        Assert.Equal(0, b.Presence.Malformed + b.Presence.Refused);
    }

    [Fact]
    public async Task SingleInstance_AloneOnItsBus_ShowsItsOwnRooms()
    {
        await using var alone = new PresenceTestInstance(new InProcessClusterBus(), _time);
        alone.Seat("lobby", 4, "dave");

        alone.Report();

        Assert.Equal(["lobby"], alone.Presence.Rooms);
        Assert.Equal([$"4:dave:on@{alone.Id}"], alone.View("lobby"));
        Assert.Equal(0, alone.Presence.Merged); // its own messages are not news
    }

    /// <summary>A bus whose deliveries to this instance can be dropped (a full queue, a cut).</summary>
    private sealed class LossyBus(InProcessClusterBus inner) : IClusterBus
    {
        public volatile bool Dropping;

        public string InstanceId => inner.InstanceId;

        public uint NodeId => inner.NodeId;

        public bool IsClustered => inner.IsClustered;

        public bool IsConnected => inner.IsConnected;

        public event Action<bool>? ConnectionChanged
        {
            add { }
            remove { }
        }

        public bool Publish(string subject, ReadOnlySpan<byte> payload) => inner.Publish(subject, payload);

        public IAsyncDisposable Subscribe(string subject, Action<ClusterMessage> handler) =>
            inner.Subscribe(subject, message =>
            {
                if (!Dropping)
                {
                    handler(message);
                }
            });

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
