using Engine.Cluster;
using Engine.Demo;
using Engine.Documents;
using Engine.Protocol;
using Engine.State.Clock;
using Engine.State.Crdt;
using Engine.State.Serialization;
using Engine.Tests.Host;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Documents;

/// <summary>The room document through the real host: the wire messages, the demo's rules, and replication between instances.</summary>
public class DocumentHostTests
{
    private static readonly string[] Players = ["alice", "bob", "carol"];

    [Fact]
    public async Task Join_Always_FullDocumentFollowsJoinAccepted()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient alice = await host.JoinAsync("arena", "alice");

        DocumentChangedMessage first = await alice.ExpectAsync<DocumentChangedMessage>();

        Assert.True(first.Full);
        Assert.Empty(first.Entries);
        Assert.Empty(first.Counters);
    }

    [Fact]
    public async Task DocumentWrites_TitleAndOwnScore_EveryMemberSeesThem()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");
        var aliceView = new DocumentView();
        var bobView = new DocumentView();

        await alice.SendAsync(new DocumentSetMessage { Key = ArenaRoom.TitleKey, Value = "Friday match" });
        await bob.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("bob"), Amount = 1 });
        await bob.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("bob"), Amount = 1 });

        static bool Done(DocumentView v) => v.Entries.GetValueOrDefault("title") == "Friday match" && v.Counters.GetValueOrDefault("score:bob") == 2;
        await aliceView.UntilAsync(alice, Done);
        await bobView.UntilAsync(bob, Done);
        Assert.Equal(1, bobView.FullCount);
    }

    [Fact]
    public async Task DocumentWrites_RoomRefuses_UnauthorizedErrorAndNothingChanges()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");

        await bob.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("alice"), Amount = 1 });
        ErrorMessage someoneElses = await bob.ExpectAsync<ErrorMessage>();
        await bob.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("bob"), Amount = 5 });
        ErrorMessage tooMuch = await bob.ExpectAsync<ErrorMessage>();
        await bob.SendAsync(new DocumentSetMessage { Key = "anything", Value = "x" });
        ErrorMessage otherKey = await bob.ExpectAsync<ErrorMessage>();
        await bob.SendAsync(new DocumentSetMessage { Key = ArenaRoom.TitleKey, Value = new string('x', 61) });
        ErrorMessage longTitle = await bob.ExpectAsync<ErrorMessage>();

        Assert.All(new[] { someoneElses, tooMuch, otherKey, longTitle }, e => Assert.Equal(ErrorCode.Unauthorized, e.Code));
        RoomDocumentSnapshot(host, "arena", out int keys, out int counters);
        Assert.Equal((0, 0), (keys, counters));
    }

    [Fact]
    public async Task DocumentWrites_OverTheRate_RateLimitedErrors()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.DocumentRatePerSecond = 1);
        await using TestClient bob = await host.JoinAsync("arena", "bob");

        for (int i = 0; i < 4; i++)
        {
            await bob.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("bob"), Amount = 1 });
        }

        ErrorMessage error = await bob.ExpectAsync<ErrorMessage>();
        Assert.Equal(ErrorCode.RateLimited, error.Code);
    }

    [Fact]
    public async Task Replication_ThreeInstancesOnOneBus_PlayersOnEachConverge()
    {
        var hub = new InProcessClusterBus.Hub();
        await using EngineTestHost one = await EngineTestHost.StartAsync(bus: new InProcessClusterBus(hub));
        await using EngineTestHost two = await EngineTestHost.StartAsync(bus: new InProcessClusterBus(hub));
        await using EngineTestHost three = await EngineTestHost.StartAsync(bus: new InProcessClusterBus(hub));
        await using TestClient alice = await one.JoinAsync("arena", "alice");
        await using TestClient bob = await two.JoinAsync("arena", "bob");
        await using TestClient carol = await three.JoinAsync("arena", "carol");

        var writes = new List<Task>();
        foreach ((TestClient client, string name) in new[] { (alice, "alice"), (bob, "bob"), (carol, "carol") })
        {
            for (int i = 0; i < 3; i++)
            {
                writes.Add(client.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter(name), Amount = 1 }));
            }

            writes.Add(client.SendAsync(new DocumentSetMessage { Key = ArenaRoom.TitleKey, Value = "by " + name }));
        }

        await Task.WhenAll(writes);
        var views = new[] { new DocumentView(), new DocumentView(), new DocumentView() };
        static bool AllScores(DocumentView v) => Players.All(n => v.Counters.GetValueOrDefault("score:" + n) == 3);
        await views[0].UntilAsync(alice, AllScores);
        await views[1].UntilAsync(bob, AllScores);
        await views[2].UntilAsync(carol, AllScores);

        // The title converges to one writer's on every replica and every client (the highest timestamp).
        string?[] titles = [.. new[] { one, two, three }.Select(h => Document(h, "arena").Get("title"))];
        Assert.NotNull(titles[0]);
        Assert.All(titles, t => Assert.Equal(titles[0], t));
        foreach ((DocumentView view, TestClient client) in views.Zip(new[] { alice, bob, carol }))
        {
            await view.UntilAsync(client, v => v.Entries.GetValueOrDefault("title") == titles[0]);
        }
    }

    [Fact]
    public async Task Replication_RoomCreatedLater_GetsTheExistingDocument()
    {
        var hub = new InProcessClusterBus.Hub();
        await using EngineTestHost one = await EngineTestHost.StartAsync(bus: new InProcessClusterBus(hub));
        await using EngineTestHost two = await EngineTestHost.StartAsync(bus: new InProcessClusterBus(hub));
        await using TestClient alice = await one.JoinAsync("arena", "alice");
        await alice.SendAsync(new DocumentSetMessage { Key = ArenaRoom.TitleKey, Value = "set before bob" });
        await new DocumentView().UntilAsync(alice, v => v.Entries.ContainsKey("title"));

        await using TestClient bob = await two.JoinAsync("arena", "bob");

        await new DocumentView().UntilAsync(bob, v => v.Entries.GetValueOrDefault("title") == "set before bob");
    }

    [Fact]
    public async Task Replication_BadMessagesOnTheDocumentSubject_DroppedCountedAndPlayGoesOn()
    {
        var hub = new InProcessClusterBus.Hub();
        var intruder = new InProcessClusterBus(hub);
        await using EngineTestHost host = await EngineTestHost.StartAsync(bus: new InProcessClusterBus(hub));
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        DocumentReplicator replicator = host.Services.GetRequiredService<DocumentReplicator>();

        var future = new LwwMap<string, string>();
        future.Set("title", "from the future", new HlcTimestamp(DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds(), 0, 99));
        var oversized = new LwwMap<string, string>();
        oversized.Set("title", new string('x', 5_000), new HybridLogicalClock(99));
        intruder.Publish("doc.arena", [0xFF, 0x00, 0x13]);
        intruder.Publish("doc.arena", StateCodec.Encode(new DocumentReplicationMessage { Document = new DocumentDelta { Entries = future } }));
        intruder.Publish("doc.arena", StateCodec.Encode(new DocumentReplicationMessage { Document = new DocumentDelta { Entries = oversized } }));
        intruder.Publish("doc.arena", StateCodec.Encode(new DocumentReplicationMessage { Kind = (DocumentReplicationKind)9 }));

        Assert.Equal(2, replicator.Malformed);
        Assert.Equal(2, replicator.Refused);
        Assert.Null(Document(host, "arena").Get("title"));
        await alice.SendAsync(new DocumentSetMessage { Key = ArenaRoom.TitleKey, Value = "still fine" });
        await new DocumentView().UntilAsync(alice, v => v.Entries.GetValueOrDefault("title") == "still fine");
    }

    private static RoomDocument Document(EngineTestHost host, string room) =>
        host.Services.GetRequiredService<Engine.Rooms.RoomManager>().Find(room)!.DocumentUnsafe;

    private static void RoomDocumentSnapshot(EngineTestHost host, string room, out int keys, out int counters)
    {
        DocumentDelta state = host.Services.GetRequiredService<Engine.Rooms.RoomManager>().Find(room)!.DocumentState();
        keys = state.Entries?.AllEntries.Count ?? 0;
        counters = state.Counters?.Count ?? 0;
    }
}
