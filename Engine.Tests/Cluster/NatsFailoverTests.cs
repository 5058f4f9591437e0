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
    public async Task Owner_CutOffMidGame_AnotherInstanceOwnsTheRoomAndPlayersResumeTheirSeatsGapFree()
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
        string aliceToken = alice.Welcome!.ResumeToken;
        string bobToken = bob.Welcome!.ResumeToken;
        await bob.SendAsync(new ChatMessage { Text = "before the cut" });
        long acknowledged = (await alice.ExpectAsync<ChatPostedMessage>(m => m.Text == "before the cut")).Sequence;
        Assert.Equal(acknowledged, (await bob.ExpectAsync<ChatPostedMessage>(m => m.Text == "before the cut")).Sequence);
        var store = new JetStreamRoomEventStore(reader.Connection, reader.ClusterName, kit.LoggerFactory);
        await using var seats = new NatsSeatRecords(reader.Connection, reader.ClusterName, TimeProvider.System, kit.LoggerFactory);
        await kit.WaitUntilAsync(() => store.LastSequenceAsync("arena", kit.Token).AsTask().GetAwaiter().GetResult() >= acknowledged, "the chat line stored in JetStream");
        await kit.WaitUntilAsync(() => seats.ReadRoomAsync("arena", kit.Token).AsTask().GetAwaiter().GetResult().Count == 2, "both seats recorded");

        // The owner is cut off: its lease lapses; the other instance claims the room and sends its
        // relayed player to reconnect; the cut-off owner stops the room and closes its own players.
        proxy.Cut();
        Assert.Equal(1013, await bob.WaitClosedCodeAsync(TimeSpan.FromSeconds(60)));
        await bob.DisposeAsync();
        Assert.Equal(1013, await alice.WaitClosedCodeAsync(TimeSpan.FromSeconds(60)));
        Assert.True(two.Services.GetRequiredService<RelayServer>().MovedLinks >= 1);

        // Bob resumes through his instance, which now owns the room and restored both seats from the records.
        await using TestClient bobBack = await two.ConnectAsync(bobToken, lastSequence: acknowledged);
        Assert.True(bobBack.Welcome!.Resumed);
        JoinAcceptedMessage bobAccepted = await bobBack.ExpectAsync<JoinAcceptedMessage>();
        Assert.True(bobAccepted.Recovered);
        Assert.Equal(["alice", "bob"], bobAccepted.Members.Select(m => m.Name).Order());
        Assert.NotNull(two.Services.GetRequiredService<RoomManager>().Find("arena"));

        // While alice is away bob says something; alice (her instance still cut off) resumes on the
        // other instance, which never saw her session: the seat records bring it back, with the line she missed.
        await bobBack.SendAsync(new ChatMessage { Text = "while you were away" });
        long missed = (await bobBack.ExpectAsync<ChatPostedMessage>(m => m.Text == "while you were away")).Sequence;
        Assert.Equal(acknowledged + 1, missed);
        await using TestClient aliceBack = await two.ConnectAsync(aliceToken, lastSequence: acknowledged);
        Assert.True(aliceBack.Welcome!.Resumed);
        JoinAcceptedMessage aliceAccepted = await aliceBack.ExpectAsync<JoinAcceptedMessage>();
        Assert.True(aliceAccepted.Recovered);
        Assert.Equal(alice.Accepted!.PlayerId, aliceAccepted.PlayerId);
        ChatPostedMessage replayed = await aliceBack.ExpectAsync<ChatPostedMessage>();
        Assert.Equal(("while you were away", missed), (replayed.Text, replayed.Sequence));
        await bobBack.SendAsync(new ChatMessage { Text = "after the move" });
        ChatPostedMessage next = await aliceBack.ExpectAsync<ChatPostedMessage>(); // exactly once: nothing replayed twice
        Assert.Equal(("after the move", missed + 1), (next.Text, next.Sequence));
        Assert.DoesNotContain(aliceBack.Drain(), m => m.Type == MessageType.Error);

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
