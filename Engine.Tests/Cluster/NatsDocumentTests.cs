using Engine.Cluster;
using Engine.Demo;
using Engine.Documents;
using Engine.Protocol;
using Engine.Rooms;
using Engine.State.Clock;
using Engine.Tests.Documents;
using Engine.Tests.Host;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Cluster;

/// <summary>
/// Room documents over a real nats-server: three instances (one owns the room, two relay their
/// players and keep edge replicas), one of them partitioned while everyone writes.
/// </summary>
public class NatsDocumentTests
{
    /// <summary>
    /// A copy of the instance's replica of the arena's document, taken under its lock: the owner's
    /// room replica, or the edge replica of an instance relaying players into the room.
    /// </summary>
    private static RoomDocument Replica(EngineTestHost host)
    {
        DocumentDelta? state = host.Services.GetRequiredService<RoomManager>().Find("arena")?.DocumentState()
            ?? host.Services.GetRequiredService<Engine.Hosting.EngineServices>().EdgeDocuments.StateOf("arena");
        var copy = new RoomDocument(new HybridLogicalClock(1, maxForwardDrift: TimeSpan.FromDays(1)));
        if (state is not null)
        {
            Assert.Null(copy.Merge(state));
        }

        return copy;
    }

    [Fact]
    public async Task Documents_OneInstancePartitionedDuringConcurrentWrites_AllThreeConverge()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(150));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using var proxy = new TcpCutProxy(server.Port);
        await using NatsClusterBus a = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus b = await kit.ConnectAsync("b", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus c = await kit.ConnectAsync("c", ClusterTestKit.Options(proxy.Url));
        await using EngineTestHost one = await EngineTestHost.StartAsync(bus: a);
        await using EngineTestHost two = await EngineTestHost.StartAsync(bus: b);
        await using EngineTestHost three = await EngineTestHost.StartAsync(bus: c);
        await using TestClient alice = await one.JoinAsync("arena", "alice");
        await using TestClient bob = await two.JoinAsync("arena", "bob");
        await using TestClient carol = await three.JoinAsync("arena", "carol");
        var views = new[] { new DocumentView(), new DocumentView() };
        TestClient[] clients = [alice, bob, carol];
        string[] names = ["alice", "bob", "carol"];

        // Replication is live everywhere: alice writes until her write has reached all three (a NATS
        // subscription may not be live at the server the moment it is made).
        long aliceBase = 0;
        DateTime deadline = DateTime.UtcNow + ClusterTestKit.ConditionDeadline;
        while (!new[] { one, two, three }.All(h => Replica(h).GetCounter("score:alice") > 0))
        {
            Assert.True(DateTime.UtcNow < deadline, "a first write never replicated to every instance" + kit.Diagnostics());
            await alice.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("alice"), Amount = 1 });
            aliceBase++;
            await Task.Delay(300); // within the demo's 10 writes/s
        }

        await kit.WaitUntilAsync(() => new[] { one, two, three }.All(h => Replica(h).GetCounter("score:alice") == aliceBase), "the first writes settled");

        proxy.Cut();
        await kit.WaitUntilAsync(() => !c.IsConnected, "instance three notices the partition");
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 3; i++)
            {
                await clients[i].SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter(names[i]), Amount = 1 });
            }

            await Task.Delay(400); // the demo allows 10 writes/s per connection
        }

        for (int i = 0; i < 3; i++)
        {
            await clients[i].SendAsync(new DocumentSetMessage { Key = ArenaRoom.TitleKey, Value = "by " + names[i] });
        }

        // Each side of the partition settles on its own: three alone, one and two together.
        await kit.WaitUntilAsync(() => Replica(three).GetCounter("score:carol") == 3 && Replica(three).Get("title") == "by carol", "instance three applied its writes");
        await kit.WaitUntilAsync(() => Replica(one).GetCounter("score:bob") == 3 && Replica(two).GetCounter("score:alice") == aliceBase + 3
            && Replica(one).Get("title") is not null && Replica(one).Get("title") == Replica(two).Get("title"), "one and two merged each other");
        Assert.Equal(0, Replica(one).GetCounter("score:carol"));
        Assert.True(Replica(three).TryGetEntry("title", out _, out HlcTimestamp cutOffTitle));
        Assert.True(Replica(one).TryGetEntry("title", out _, out HlcTimestamp connectedTitle));
        HlcTimestamp winner = HlcTimestamp.Max(cutOffTitle, connectedTitle);

        proxy.Restore();
        await kit.WaitUntilAsync(() => c.IsConnected, "instance three reconnects");
        bool Converged(EngineTestHost h) =>
            Replica(h).GetCounter("score:alice") == aliceBase + 3 && Replica(h).GetCounter("score:bob") == 3 && Replica(h).GetCounter("score:carol") == 3
            && Replica(h).TryGetEntry("title", out _, out HlcTimestamp t) && t == winner;
        await kit.WaitUntilAsync(() => Converged(one) && Converged(two) && Converged(three), "all three replicas converge");

        // The highest timestamp won everywhere, and every player sees the merged document.
        string title = Replica(one).Get("title")!;
        Assert.All(new[] { two, three }, h => Assert.Equal(title, Replica(h).Get("title")));
        static bool Final(DocumentView v, string title, long aliceScore) => v.Entries.GetValueOrDefault("title") == title
            && v.Counters.GetValueOrDefault("score:alice") == aliceScore && v.Counters.GetValueOrDefault("score:bob") == 3 && v.Counters.GetValueOrDefault("score:carol") == 3;
        await views[0].UntilAsync(alice, v => Final(v, title, aliceBase + 3));
        await views[1].UntilAsync(bob, v => Final(v, title, aliceBase + 3));

        // Carol's instance was cut off from the room's owner: what the owner sent her meanwhile was
        // lost, so her link closes (4000) when the next frame shows the gap, and she resumes through
        // her instance, as the browser client does; the full document follows JoinAccepted.
        await using TestClient back = await three.ConnectAsync(carol.Welcome!.ResumeToken);
        Assert.True(back.Welcome!.Resumed);
        await back.ExpectAsync<JoinAcceptedMessage>();
        var resumed = new DocumentView();
        await resumed.UntilAsync(back, v => v.FullCount == 1 && Final(v, title, aliceBase + 3));
    }
}
