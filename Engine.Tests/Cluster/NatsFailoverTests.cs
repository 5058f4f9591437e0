using Engine.Cluster;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Sessions.Relay;
using Engine.Tests.Host;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Cluster;

/// <summary>The owner of a room is cut off from NATS mid-game; another instance takes the room over.</summary>
public class NatsFailoverTests
{
    [Fact]
    public async Task Owner_CutOffMidGame_AnotherInstanceOwnsTheRoomPlayersRejoinAndNumberingContinues()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(150));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using var proxy = new TcpCutProxy(server.Port);
        await using NatsClusterBus a = await kit.ConnectAsync("a", ClusterTestKit.Options(proxy.Url));
        await using NatsClusterBus b = await kit.ConnectAsync("b", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
        await using EngineTestHost one = await EngineTestHost.StartAsync(bus: a);
        await using EngineTestHost two = await EngineTestHost.StartAsync(bus: b);
        await using TestClient alice = await one.JoinAsync("arena", "alice");
        TestClient bob = await two.JoinAsync("arena", "bob"); // relayed to one
        string bobToken = bob.Welcome!.ResumeToken;
        await bob.SendAsync(new ChatMessage { Text = "before the cut" });
        long acknowledged = (await alice.ExpectAsync<ChatPostedMessage>(m => m.Text == "before the cut")).Sequence;
        var store = new JetStreamRoomEventStore(reader.Connection, reader.ClusterName, kit.LoggerFactory);
        await kit.WaitUntilAsync(() => store.LastSequenceAsync("arena", kit.Token).AsTask().GetAwaiter().GetResult() >= acknowledged, "the chat line stored in JetStream");

        // The owner is cut off: its lease lapses; the other instance claims the room and sends its
        // relayed player to reconnect; the cut-off owner stops the room and closes its own players.
        proxy.Cut();
        Assert.Equal(1013, await bob.WaitClosedCodeAsync(TimeSpan.FromSeconds(60)));
        await bob.DisposeAsync();
        Assert.Equal(1013, await alice.WaitClosedCodeAsync(TimeSpan.FromSeconds(60)));
        Assert.True(two.Services.GetRequiredService<RelayServer>().MovedLinks >= 1);

        // Bob comes back through his instance (now the owner): the seat is gone, so he joins again,
        // and the room's numbering continues after every stored event.
        await using TestClient back = await two.ConnectAsync(bobToken);
        Assert.True(back.Welcome!.Resumed);
        Assert.Equal(ErrorCode.ResumeFailed, (await back.ExpectAsync<ErrorMessage>()).Code);
        await back.JoinAsync("arena", "bob");
        Assert.True(back.Accepted!.Sequence >= acknowledged, $"the new owner numbers on from {back.Accepted.Sequence}, before the stored {acknowledged}");
        Assert.NotNull(two.Services.GetRequiredService<RoomManager>().Find("arena"));

        // Alice's instance is still cut off: she reconnects to the other one and finds bob there.
        await using TestClient aliceAgain = await two.JoinAsync("arena", "alice");
        Assert.Equal(["alice", "bob"], aliceAgain.Accepted!.Members.Select(m => m.Name).Order());
        await back.SendAsync(new ChatMessage { Text = "after the move" });
        Assert.Equal("after the move", (await aliceAgain.ExpectAsync<ChatPostedMessage>()).Text);

        // JetStream holds the room's events gap-free across the move.
        IReadOnlyList<StoredRoomEvent> events = [];
        await kit.WaitUntilAsync(() =>
        {
            (IReadOnlyList<StoredRoomEvent> all, bool complete) = store.ReadAfterAsync("arena", 0, 1000, kit.Token).AsTask().GetAwaiter().GetResult();
            events = all;
            return complete && all.Any(e => e.Message.Span[0] == (byte)MessageType.ChatPosted && MessageCodec.Read<ChatPostedMessage>(e.Message.Span).Text == "after the move");
        }, "the events after the move stored");
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Contains(events, e => e.Sequence == acknowledged);
    }
}
