using Engine.Cluster;
using Engine.Protocol;
using Engine.Tests.Host;

namespace Engine.Tests.Cluster;

/// <summary>Room events in JetStream, through the real host and a real nats-server.</summary>
public class NatsEventTests
{
    private static async Task<List<StoredRoomEvent>> StoredAsync(ClusterTestKit kit, NatsClusterBus reader, string room, int atLeast)
    {
        var store = new JetStreamRoomEventStore(reader.Connection, reader.ClusterName, kit.LoggerFactory);
        List<StoredRoomEvent> events = [];
        await kit.WaitUntilAsync(() =>
        {
            try
            {
                events = [.. store.ReadAfterAsync(room, 0, 1000, kit.Token).AsTask().GetAwaiter().GetResult().Events];
            }
            catch (ClusterUnavailableException)
            {
                return false;
            }

            return events.Count >= atLeast;
        }, $"{atLeast} events of {room} stored");
        return events;
    }

    [Fact]
    public async Task Events_ChatOnAClusteredInstance_StoredInJetStreamInOrder()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(90));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus bus = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
        await using EngineTestHost host = await EngineTestHost.StartAsync(bus: bus);
        await using TestClient alice = await host.JoinAsync("arena", "alice");

        for (int i = 0; i < 5; i++)
        {
            await alice.SendAsync(new ChatMessage { Text = "line " + i });
            await alice.ExpectAsync<ChatPostedMessage>(m => m.Text == "line " + i);
        }

        List<StoredRoomEvent> stored = await StoredAsync(kit, reader, "arena", 6);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), stored.Select(e => e.Sequence));
        Assert.Equal(MessageType.Joined, MessageCodec.ReadType(stored[0].Message.Span));
        Assert.Equal(["line 0", "line 1", "line 2", "line 3", "line 4"], stored.Skip(1).Select(e => MessageCodec.Read<ChatPostedMessage>(e.Message.Span).Text));
    }

    [Fact]
    public async Task Events_NatsKilledMidRun_LocalPlayGoesOnAndTheBacklogIsStoredWhenItIsBack()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(120));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus bus = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using EngineTestHost host = await EngineTestHost.StartAsync(bus: bus);
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");

        await server.StopAsync();
        await kit.WaitUntilAsync(() => !bus.IsConnected, "the instance notices NATS is gone");
        for (int i = 0; i < 3; i++)
        {
            await alice.SendAsync(new ChatMessage { Text = "offline " + i });
            Assert.Equal("offline " + i, (await bob.ExpectAsync<ChatPostedMessage>()).Text); // play goes on
        }

        await server.StartAsync(kit.Token);
        await using NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
        List<StoredRoomEvent> stored = await StoredAsync(kit, reader, "arena", 5);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), stored.Select(e => e.Sequence));
        Assert.Equal(["offline 0", "offline 1", "offline 2"], stored.Skip(2).Select(e => MessageCodec.Read<ChatPostedMessage>(e.Message.Span).Text));
    }

    [Fact]
    public async Task Events_RoomOpenedAgainOnAnotherInstance_SequenceContinuesTheStoredOnes()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(90));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
        await using (NatsClusterBus first = await kit.ConnectAsync("first", ClusterTestKit.Options(server.Url)))
        {
            await using EngineTestHost host = await EngineTestHost.StartAsync(bus: first);
            await using TestClient alice = await host.JoinAsync("arena", "alice");
            await alice.SendAsync(new ChatMessage { Text = "before" });
            await alice.ExpectAsync<ChatPostedMessage>();
            await StoredAsync(kit, reader, "arena", 2);
        }

        await using NatsClusterBus second = await kit.ConnectAsync("second", ClusterTestKit.Options(server.Url));
        await using EngineTestHost other = await EngineTestHost.StartAsync(bus: second);
        await using TestClient bob = await other.JoinAsync("arena", "bob");

        Assert.Equal(2, bob.Accepted!.Sequence); // a fresh room would say 0: this one continues after the stored 1 and 2 (bob's Joined is 3)
        List<StoredRoomEvent> stored = await StoredAsync(kit, reader, "arena", 3);
        Assert.Equal([1L, 2L, 3L], stored.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Resume_GapBeyondTheReplayRing_MissedEventsReplayedFromJetStreamExactlyOnceInOrder()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(90));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus bus = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => { o.ReplayBufferSize = 16; o.ChatRatePerSecond = 1000; }, bus: bus);
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        TestClient bob = await host.JoinAsync("arena", "bob");
        string token = bob.Welcome!.ResumeToken;
        long bobSaw = (await alice.ExpectAsync<JoinedMessage>(m => m.Name == "bob")).Sequence;
        bob.Abort();
        await bob.DisposeAsync();

        var sent = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            sent.Add("missed " + i);
            await alice.SendAsync(new ChatMessage { Text = sent[^1] });
        }

        ChatPostedMessage lastLine;
        do
        {
            lastLine = await alice.ExpectAsync<ChatPostedMessage>();
        }
        while (lastLine.Text != sent[^1]);

        await StoredAsync(kit, reader, "arena", (int)lastLine.Sequence); // all stored: far more than the ring's 16

        await using TestClient back = await host.ConnectAsync(token, lastSequence: bobSaw);
        JoinAcceptedMessage accepted = await back.ExpectAsync<JoinAcceptedMessage>();
        var replayed = new List<string>();
        while (replayed.Count < sent.Count)
        {
            replayed.Add((await back.ExpectAsync<ChatPostedMessage>()).Text);
        }

        Assert.True(accepted.Recovered);
        Assert.Equal(sent, replayed);
    }

    [Fact]
    public async Task Sse_LastEventIdBeyondTheReplayRing_OlderEventsFromJetStreamThenLiveGapFree()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(90));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus bus = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => { o.ReplayBufferSize = 16; o.ChatRatePerSecond = 1000; }, bus: bus);
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        long spectatorSaw = (await alice.ExpectAsync<JoinedMessage>(m => m.Name == "alice")).Sequence;
        var sent = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            sent.Add("line " + i);
            await alice.SendAsync(new ChatMessage { Text = sent[^1] });
        }

        ChatPostedMessage last;
        do
        {
            last = await alice.ExpectAsync<ChatPostedMessage>();
        }
        while (last.Text != sent[^1]);

        await StoredAsync(kit, reader, "arena", (int)last.Sequence); // far more than the ring's 16

        using HttpClient http = host.CreateHttpClient();
        await using SseReader feed = await SseReader.OpenAsync(http, "/events/arena", spectatorSaw);
        var lines = new List<SseEvent>();
        while (lines.Count < sent.Count)
        {
            lines.Add(await feed.ReadAsync());
        }

        Assert.Equal(sent.Select((_, i) => spectatorSaw + 1 + i), lines.Select(e => e.Id)); // every id once, in order
        Assert.All(lines, e => Assert.Equal("chat", e.Event));
        Assert.Equal(sent, lines.Select(e => System.Text.Json.JsonDocument.Parse(e.Data).RootElement.GetProperty("text").GetString()));
        await alice.SendAsync(new ChatMessage { Text = "live" });
        SseEvent live = await feed.ReadAsync();
        Assert.Equal((last.Sequence + 1, "chat"), (live.Id, live.Event));
    }
}
