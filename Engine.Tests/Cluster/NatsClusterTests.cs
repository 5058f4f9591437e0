using Engine.Cluster;
using Engine.Demo;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Tests.Documents;
using Engine.Tests.Host;
using MemoryPack;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Cluster;

/// <summary>
/// Three Engine instances on one real nats-server, each configured as a production instance would
/// be (NATS bus, JetStream KV room leases, JetStream event store): one room, players on all three.
/// </summary>
public class NatsClusterTests
{
    [Fact]
    public async Task OneRoom_PlayersOnThreeInstances_SeeEachOthersJoinsChatTypingPresenceDotsAndDocument()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(150));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus a = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus b = await kit.ConnectAsync("b", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus c = await kit.ConnectAsync("c", ClusterTestKit.Options(server.Url));
        await using EngineTestHost one = await EngineTestHost.StartAsync(bus: a);
        await using EngineTestHost two = await EngineTestHost.StartAsync(bus: b);
        await using EngineTestHost three = await EngineTestHost.StartAsync(bus: c);
        Assert.IsType<NatsRoomLeases>(one.Services.GetRequiredService<IRoomLeases>());
        Assert.IsType<JetStreamRoomEventStore>(one.Services.GetRequiredService<IRoomEventStore>());

        await using TestClient alice = await one.JoinAsync("arena", "alice");
        await using TestClient bob = await two.JoinAsync("arena", "bob");
        await using TestClient carol = await three.JoinAsync("arena", "carol");
        TestClient[] clients = [alice, bob, carol];

        // One owner (alice's instance claimed the room first); the others relay and run no copy.
        Assert.NotNull(one.Services.GetRequiredService<RoomManager>().Find("arena"));
        Assert.Null(two.Services.GetRequiredService<RoomManager>().Find("arena"));
        Assert.Null(three.Services.GetRequiredService<RoomManager>().Find("arena"));
        Assert.Equal(["alice", "bob", "carol"], carol.Accepted!.Members.Select(m => m.Name).Order());
        await alice.ExpectAsync<JoinedMessage>(m => m.Name == "carol");
        foreach (TestClient client in clients)
        {
            await client.ExpectAsync<PresenceMessage>(p => p.Members.Length == 3 && p.Members.All(m => m.Online));
        }

        // Chat from every instance: everyone gets the same lines in the same order.
        for (int i = 0; i < clients.Length; i++)
        {
            await clients[i].SendAsync(new ChatMessage { Text = "hello from " + i });
        }

        var orders = new List<string[]>();
        foreach (TestClient client in clients)
        {
            var lines = new List<string>();
            while (lines.Count < 3)
            {
                lines.Add((await client.ExpectAsync<ChatPostedMessage>()).Text);
            }

            orders.Add([.. lines]);
        }

        Assert.All(orders, o => Assert.Equal(orders[0], o));

        // Typing from a relayed player reaches the owner's; dots: carol (relayed) moves and alice sees it.
        await carol.SendAsync(new TypingMessage { IsTyping = true });
        Assert.Equal(carol.Welcome!.PlayerId, (await alice.ExpectAsync<TypingChangedMessage>()).PlayerId);
        uint carolId = (uint)carol.Welcome.PlayerId;
        ArenaDot DotOf(TestClient c) => MemoryPackSerializer.Deserialize<ArenaDot>(c.Entities.Current.TryGetBody(carolId, out ReadOnlySpan<byte> body) ? body : [])!;
        await alice.ExpectEntitiesAsync((snapshot, view) => view.Current.TryGetBody(carolId, out ReadOnlySpan<byte> _));
        float start = DotOf(alice).X;
        for (uint seq = 1; seq <= 5; seq++)
        {
            await carol.SendAsync(new InputMessage { Sequence = seq, Data = [ArenaRoom.Right] });
        }

        await alice.ExpectEntitiesAsync((snapshot, view) => DotOf(alice).X > start);

        // The document: bob (relayed) scores, alice sets the title; all three see both.
        await bob.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("bob"), Amount = 1 });
        await alice.SendAsync(new DocumentSetMessage { Key = ArenaRoom.TitleKey, Value = "cluster night" });
        foreach (TestClient client in clients)
        {
            await new DocumentView().UntilAsync(client, v => v.Counters.GetValueOrDefault("score:bob") == 1 && v.Entries.GetValueOrDefault("title") == "cluster night");
        }
    }
}
