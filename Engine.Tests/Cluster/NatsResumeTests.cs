using Engine.Cluster;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Tests.Host;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Cluster;

/// <summary>
/// A player resumes on a different instance than the one it left, with events missed in between
/// (three instances, one real nats-server, production wiring). The instance that gets the resume
/// token finds the seat in the seat records and re-links the session to the room's owner.
/// </summary>
public class NatsResumeTests
{
    [Fact]
    public async Task Resume_OnAnInstanceThatNeverSawTheSession_MissedEventsExactlyOnceInOrderRecovered()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(120));
        await using Trio trio = await Trio.StartAsync(kit);
        await using TestClient alice = await trio.One.JoinAsync("arena", "alice"); // claims the room: one owns it
        TestClient bob = await trio.Two.JoinAsync("arena", "bob");
        await using TestClient carol = await trio.Three.JoinAsync("arena", "carol");
        long bobSaw = (await bob.ExpectAsync<JoinedMessage>(m => m.Name == "carol")).Sequence;
        await trio.WaitSeatsAsync("arena", 3);
        string bobToken = bob.Welcome!.ResumeToken;
        bob.Abort();
        await bob.DisposeAsync();

        List<string> missed = await ChatAsync(alice, "missed", 5);
        await using TestClient bobBack = await trio.Three.ConnectAsync(bobToken, lastSequence: bobSaw);
        Assert.True(bobBack.Welcome!.Resumed);
        Assert.Equal(bob.Welcome.SessionId, bobBack.Welcome.SessionId);
        JoinAcceptedMessage accepted = await bobBack.ExpectAsync<JoinAcceptedMessage>();
        Assert.True(accepted.Recovered);
        Assert.Equal(bob.Accepted!.PlayerId, accepted.PlayerId);
        Assert.Equal(missed, await NextChatAsync(bobBack, missed.Count));
        await carol.SendAsync(new ChatMessage { Text = "live" });
        Assert.Equal(["live"], await NextChatAsync(bobBack, 1)); // nothing replayed twice

        // A player of the owner itself (not relayed) resumes through another instance too.
        string aliceToken = alice.Welcome!.ResumeToken;
        long aliceSaw = (await alice.ExpectAsync<ChatPostedMessage>(m => m.Text == "live")).Sequence;
        alice.Abort();
        await carol.SendAsync(new ChatMessage { Text = "for alice" });
        await using TestClient aliceBack = await trio.Two.ConnectAsync(aliceToken, lastSequence: aliceSaw);
        Assert.True((await aliceBack.ExpectAsync<JoinAcceptedMessage>()).Recovered);
        Assert.Equal(["for alice"], await NextChatAsync(aliceBack, 1));
        await bobBack.SendAsync(new ChatMessage { Text = "all here" });
        Assert.Equal(["all here"], await NextChatAsync(aliceBack, 1));
        Assert.DoesNotContain(aliceBack.Drain().Concat(bobBack.Drain()), m => m.Type == MessageType.Error);
    }

    [Fact]
    public async Task Resume_OnAnotherInstanceBeyondTheReplayRing_ReplayedFromJetStreamRecovered()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(120));
        await using Trio trio = await Trio.StartAsync(kit, ring: 16);
        await using TestClient alice = await trio.One.JoinAsync("arena", "alice");
        TestClient bob = await trio.Two.JoinAsync("arena", "bob");
        long bobSaw = (await bob.ExpectAsync<JoinedMessage>(m => m.Name == "bob")).Sequence;
        await trio.WaitSeatsAsync("arena", 2);
        string bobToken = bob.Welcome!.ResumeToken;
        bob.Abort();
        await bob.DisposeAsync();

        List<string> missed = await ChatAsync(alice, "missed", 40); // far more than the ring's 16
        await trio.WaitStoredAsync("arena", bobSaw + missed.Count); // bob's seat is held: the lines are the only events
        await using TestClient bobBack = await trio.Three.ConnectAsync(bobToken, lastSequence: bobSaw);
        Assert.True((await bobBack.ExpectAsync<JoinAcceptedMessage>()).Recovered);
        Assert.Equal(missed, await NextChatAsync(bobBack, missed.Count));
    }

    [Fact]
    public async Task Resume_OnAnotherInstanceBeyondRetention_NotRecoveredWithFullState()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(120));
        await using Trio trio = await Trio.StartAsync(kit, ring: 16, retainedPerRoom: 20);
        await using TestClient alice = await trio.One.JoinAsync("arena", "alice");
        TestClient bob = await trio.Two.JoinAsync("arena", "bob");
        long bobSaw = (await bob.ExpectAsync<JoinedMessage>(m => m.Name == "bob")).Sequence;
        await trio.WaitSeatsAsync("arena", 2);
        string bobToken = bob.Welcome!.ResumeToken;
        bob.Abort();
        await bob.DisposeAsync();

        List<string> missed = await ChatAsync(alice, "missed", 40); // the ring keeps 16, the stream 20
        await trio.WaitStoredAsync("arena", bobSaw + missed.Count);
        await using TestClient bobBack = await trio.Three.ConnectAsync(bobToken, lastSequence: bobSaw);
        JoinAcceptedMessage accepted = await bobBack.ExpectAsync<JoinAcceptedMessage>();
        Assert.False(accepted.Recovered);
        Assert.Equal(["alice", "bob"], accepted.Members.Select(m => m.Name).Order());
        Assert.Equal(bobSaw + missed.Count, accepted.Sequence); // the full state is as of the last event
        await alice.SendAsync(new ChatMessage { Text = "live" });
        Assert.Equal(["live"], await NextChatAsync(bobBack, 1)); // none of the missed lines: they are not replayed
    }

    [Fact]
    public async Task Spectate_OnAnInstanceThatDoesNotRunTheRoom_ServedFromJetStreamGapFreeAndResyncBeyondRetention()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(120));
        await using Trio trio = await Trio.StartAsync(kit, ring: 16, retainedPerRoom: 20);
        await using TestClient alice = await trio.One.JoinAsync("arena", "alice");
        List<string> early = await ChatAsync(alice, "early", 3);
        await trio.WaitStoredAsync("arena", 4); // joined alice + 3 lines

        using HttpClient http = trio.Two.CreateHttpClient();
        await using (SseReader feed = await SseReader.OpenAsync(http, "/events/arena", lastEventId: 0))
        {
            var seen = new List<SseEvent>();
            for (int i = 0; i < 4; i++)
            {
                seen.Add(await feed.ReadAsync());
            }

            Assert.Equal([1L, 2L, 3L, 4L], seen.Select(e => e.Id));
            Assert.Equal(["joined", "chat", "chat", "chat"], seen.Select(e => e.Event));
            Assert.Equal(early, seen.Skip(1).Select(e => System.Text.Json.JsonDocument.Parse(e.Data).RootElement.GetProperty("text").GetString()));
            await alice.SendAsync(new ChatMessage { Text = "live" });
            SseEvent live = await feed.ReadAsync(); // once stored, within a poll
            Assert.Equal((5L, "chat"), (live.Id, live.Event));
            await alice.ExpectAsync<ChatPostedMessage>(m => m.Text == "live");
        }

        Assert.Null(trio.Two.Services.GetRequiredService<RoomManager>().Find("arena")); // served without a copy of the room

        // Beyond retention: a resync (members from the cluster-wide presence), then what the log keeps.
        await ChatAsync(alice, "late", 30);
        await trio.WaitStoredAsync("arena", 35);
        await kit.WaitUntilAsync(() => trio.Three.Services.GetRequiredService<IClusterPresence>().Members("arena").Any(m => m.Name == "alice"), "alice in the presence seen by the third instance");
        using HttpClient http3 = trio.Three.CreateHttpClient();
        await using SseReader behind = await SseReader.OpenAsync(http3, "/events/arena", lastEventId: 1);
        SseEvent resync = await behind.ReadAsync();
        Assert.Equal(("resync", 15L), (resync.Event, resync.Id)); // the log keeps 16..35
        Assert.Contains("alice", resync.Data, StringComparison.Ordinal);
        for (long id = 16; id <= 35; id++)
        {
            Assert.Equal(id, (await behind.ReadAsync()).Id);
        }
    }

    private static async Task<List<string>> ChatAsync(TestClient from, string prefix, int count)
    {
        var sent = new List<string>();
        for (int i = 0; i < count; i++)
        {
            sent.Add($"{prefix} {i}");
            await from.SendAsync(new ChatMessage { Text = sent[^1] });
        }

        Assert.Equal(sent, await NextChatAsync(from, count));
        return sent;
    }

    private static async Task<List<string>> NextChatAsync(TestClient client, int count)
    {
        var texts = new List<string>();
        while (texts.Count < count)
        {
            texts.Add((await client.ExpectAsync<ChatPostedMessage>()).Text);
        }

        return texts;
    }

    /// <summary>Three instances with production wiring on one nats-server, and a reader for the records and the stream.</summary>
    private sealed class Trio : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _owned = [];
        private ClusterTestKit _kit = null!;
        private JetStreamRoomEventStore _store = null!;
        private NatsSeatRecords _seats = null!;

        public EngineTestHost One { get; private set; } = null!;

        public EngineTestHost Two { get; private set; } = null!;

        public EngineTestHost Three { get; private set; } = null!;

        public static async Task<Trio> StartAsync(ClusterTestKit kit, int ring = 1_024, int retainedPerRoom = 10_000)
        {
            var trio = new Trio { _kit = kit };
            NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
            trio._owned.Add(server);
            kit.Describe(server);
            var settings = new Dictionary<string, string?> { [RoomEventStoreOptions.SectionName + ":MaxMessagesPerRoom"] = retainedPerRoom.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var hosts = new EngineTestHost[3];
            for (int i = 0; i < 3; i++)
            {
                NatsClusterBus bus = await kit.ConnectAsync("abc"[i].ToString(), ClusterTestKit.Options(server.Url));
                trio._owned.Add(bus);
                hosts[i] = await EngineTestHost.StartAsync(o => { o.ReplayBufferSize = ring; o.ChatRatePerSecond = 1000; }, bus: bus, settings: settings);
                trio._owned.Add(hosts[i]);
            }

            (trio.One, trio.Two, trio.Three) = (hosts[0], hosts[1], hosts[2]);
            NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
            trio._owned.Add(reader);
            // The same retention as the instances: a store that ensures the stream updates its configuration.
            trio._store = new JetStreamRoomEventStore(reader.Connection, reader.ClusterName, kit.LoggerFactory, new RoomEventStoreOptions { MaxMessagesPerRoom = retainedPerRoom });
            trio._seats = new NatsSeatRecords(reader.Connection, reader.ClusterName, TimeProvider.System, kit.LoggerFactory);
            trio._owned.Add(trio._seats);
            return trio;
        }

        public Task WaitSeatsAsync(string room, int count) =>
            _kit.WaitUntilAsync(() => _seats.ReadRoomAsync(room, _kit.Token).AsTask().GetAwaiter().GetResult().Count == count, $"{count} seats of {room} recorded");

        public Task WaitStoredAsync(string room, long sequence) =>
            _kit.WaitUntilAsync(() => _store.LastSequenceAsync(room, _kit.Token).AsTask().GetAwaiter().GetResult() >= sequence, $"{room}'s events up to {sequence} stored");

        public async ValueTask DisposeAsync()
        {
            for (int i = _owned.Count - 1; i >= 0; i--)
            {
                await _owned[i].DisposeAsync();
            }
        }
    }
}
