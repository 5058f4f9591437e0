using System.Diagnostics;
using Engine.Cluster;
using Engine.Demo;
using Engine.Hosting;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Tests.Documents;
using Engine.Tests.Host;

namespace Engine.Tests.Cluster;

/// <summary>
/// The whole cluster rides out a nats-server crash: SIGKILL, then a restart on the same port with the
/// same JetStream store, under three (or two) Engine instances wired as in production. What the
/// players of one room see, what JetStream holds afterwards, and where the lease time draws the line
/// (docs/cluster.md, "The trade-off of the lease time").
/// </summary>
public class NatsRestartTests
{
    private const string Room = "arena";

    /// <summary>Far longer than the outage below (even on a loaded machine): the owner must keep the room.</summary>
    private static readonly RoomLeaseOptions RideOutLeases = new() { LeaseTime = TimeSpan.FromSeconds(30) };

    /// <summary>Shorter than the outage: the owner gives the room up while NATS is down.</summary>
    private static readonly RoomLeaseOptions ShortLeases = new() { LeaseTime = TimeSpan.FromSeconds(3) };

    /// <summary>NATS stays down at least this long, so every client goes through its reconnect backoff.</summary>
    private static readonly TimeSpan MinimumOutage = TimeSpan.FromSeconds(3);

    /// <summary>The tests chat faster than the demo's 2 lines/s allow.</summary>
    private static void FastChat(EngineOptions options) => options.ChatRatePerSecond = 1000;

    [Fact]
    public async Task Cluster_NatsRestartedWithinLeaseTime_PlayGoesOnAndEveryEventReachesPlayersAndJetStream()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(240));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using ClusterTestKit.Instance one = await ClusterTestKit.Instance.StartAsync(kit, "one", server.Url, RideOutLeases, FastChat);
        await using ClusterTestKit.Instance two = await ClusterTestKit.Instance.StartAsync(kit, "two", server.Url, RideOutLeases, FastChat);
        await using ClusterTestKit.Instance three = await ClusterTestKit.Instance.StartAsync(kit, "three", server.Url, RideOutLeases, FastChat);
        await using NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
        var store = new JetStreamRoomEventStore(reader.Connection, reader.ClusterName, kit.LoggerFactory);

        // Two players on the owner, one relayed through each other instance.
        await using PlayerTrail alice = await PlayerTrail.JoinAsync(kit, one, Room, "alice");
        await using PlayerTrail dave = await PlayerTrail.JoinAsync(kit, one, Room, "dave");
        await using PlayerTrail bob = await PlayerTrail.JoinAsync(kit, two, Room, "bob");
        await using PlayerTrail carol = await PlayerTrail.JoinAsync(kit, three, Room, "carol");
        PlayerTrail[] everyone = [alice, dave, bob, carol];
        RoomHost room = one.Rooms.Find(Room) ?? throw new InvalidOperationException("alice's instance does not run the room it claimed first.");
        Assert.Null(two.Rooms.Find(Room));
        Assert.Null(three.Rooms.Find(Room));
        foreach (PlayerTrail player in everyone)
        {
            await player.UntilAsync(t => t.LastSequence > carol.JoinedAfter, "sees carol join");
        }

        // Before the crash: everyone chats; a relayed player and a direct one write the document.
        foreach (PlayerTrail speaker in everyone)
        {
            await SayAsync(speaker, "before, from " + speaker.Name, everyone);
        }

        await bob.Client.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("bob"), Amount = 1 });
        await alice.Client.SendAsync(new DocumentSetMessage { Key = ArenaRoom.TitleKey, Value = "before the crash" });
        foreach (PlayerTrail player in everyone)
        {
            await player.UntilAsync(t => t.Score("bob") == 1 && t.Title == "before the crash", "sees the document written before the crash");
        }

        // Everything numbered so far is acknowledged by JetStream before the crash.
        await StoredThroughAsync(kit, store, room.LastSequence);

        await server.StopAsync();
        var outage = Stopwatch.StartNew();
        await kit.WaitUntilAsync(() => !one.Bus.IsConnected && !two.Bus.IsConnected && !three.Bus.IsConnected, "every instance notices NATS is gone");

        // Local play goes on: the owner's players chat and see each other's lines in order; one of
        // them scores on the owner, a relayed one on its own instance's replica.
        for (int round = 0; round < 3; round++)
        {
            await SayAsync(alice, $"offline {round}, from alice", [alice, dave]);
            await SayAsync(dave, $"offline {round}, from dave", [alice, dave]);
        }

        Assert.Equal(alice.Chats, dave.Chats);
        await dave.Client.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("dave"), Amount = 1 });
        await carol.Client.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("carol"), Amount = 1 });
        await alice.UntilAsync(t => t.Score("dave") == 1, "sees dave's score while NATS is down");
        Assert.False(server.IsRunning);
        Assert.True(one.Leases.Holds(Room), "the owner gave the room up during an outage shorter than the lease time." + kit.Diagnostics());

        if (MinimumOutage - outage.Elapsed is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest, kit.Token);
        }

        await server.StartAsync(kit.Token);
        await kit.WaitUntilAsync(() => one.Bus.IsConnected && two.Bus.IsConnected && three.Bus.IsConnected, "every instance reconnects");

        // The relayed players get every line said meanwhile (live, or replayed after their link broke
        // and they resumed), then chat again through their own instances.
        int saidSoFar = alice.Chats.Count;
        foreach (PlayerTrail relayed in (PlayerTrail[])[bob, carol])
        {
            await relayed.UntilAsync(t => t.Chats.Count >= saidSoFar, "gets every line said during the outage", resume: true);
        }

        await SayAsync(bob, "back, from bob", everyone);
        await SayAsync(carol, "back, from carol", everyone);

        // Every player saw every event since its join exactly once, in order, without a gap, and the
        // same chat as everyone else.
        string[] expected =
        [
            .. everyone.Select(p => "before, from " + p.Name),
            .. Enumerable.Range(0, 3).SelectMany(i => (string[])[$"offline {i}, from alice", $"offline {i}, from dave"]),
            "back, from bob", "back, from carol",
        ];
        Assert.Equal(expected, alice.Chats);
        foreach (PlayerTrail player in everyone)
        {
            player.Pump();
            Assert.Equal(expected, player.Chats);
            player.AssertEveryEventOnceInOrder();
        }

        Assert.Empty(alice.Closes);
        Assert.Empty(dave.Closes);
        Assert.All(bob.Closes.Concat(carol.Closes), code => Assert.Equal(4000, code)); // a relay link that lost a frame, resumed

        // JetStream holds every event the room numbered, gap-free and byte for byte as delivered,
        // including those of the outage (the backlog flowed); nothing was dropped from the queue.
        Assert.Equal(room.LastSequence, alice.LastSequence);
        IReadOnlyList<StoredRoomEvent> stored = await StoredThroughAsync(kit, store, alice.LastSequence);
        Assert.Equal(Enumerable.Range(1, (int)alice.LastSequence).Select(i => (long)i), stored.Select(e => e.Sequence));
        AssertStoredAsSeen(stored, alice);
        Assert.Equal(0, room.NotStoredEvents);

        // The document converged everywhere, with the writes made during the outage.
        foreach (PlayerTrail player in everyone)
        {
            await player.UntilAsync(
                t => t.Title == "before the crash" && t.Score("bob") == 1 && t.Score("dave") == 1 && t.Score("carol") == 1,
                "sees the document with the outage's writes",
                resume: player == bob || player == carol);
        }

        foreach (PlayerTrail player in everyone)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(player.Describe());
        }

        // The room never moved: the owner kept its lease through the outage.
        Assert.Same(room, one.Rooms.Find(Room));
        Assert.Null(two.Rooms.Find(Room));
        Assert.Null(three.Rooms.Find(Room));
        Assert.Equal(0, two.Relay.MovedLinks + three.Relay.MovedLinks);
    }

    [Fact]
    public async Task Cluster_NatsDownLongerThanLeaseTime_RoomStopsWith1013AndRejoinNumbersOnAfterTheStoredEvents()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(240));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using ClusterTestKit.Instance one = await ClusterTestKit.Instance.StartAsync(kit, "one", server.Url, ShortLeases, FastChat);
        await using ClusterTestKit.Instance two = await ClusterTestKit.Instance.StartAsync(kit, "two", server.Url, ShortLeases, FastChat);
        await using NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
        var store = new JetStreamRoomEventStore(reader.Connection, reader.ClusterName, kit.LoggerFactory);

        await using PlayerTrail alice = await PlayerTrail.JoinAsync(kit, one, Room, "alice");
        await using PlayerTrail bob = await PlayerTrail.JoinAsync(kit, two, Room, "bob");
        RoomHost room = one.Rooms.Find(Room) ?? throw new InvalidOperationException("alice's instance does not run the room it claimed first.");
        Assert.Null(two.Rooms.Find(Room));
        await SayAsync(bob, "before, from bob", [alice, bob]);
        await StoredThroughAsync(kit, store, room.LastSequence);

        await server.StopAsync();
        await kit.WaitUntilAsync(() => !one.Bus.IsConnected && !two.Bus.IsConnected, "every instance notices NATS is gone");

        // Alice may still chat until the owner gives the lease up; then the room stops and its own
        // players are closed with 1013 while NATS is still down.
        await alice.Client.SendAsync(new ChatMessage { Text = "offline, from alice" });
        Assert.Equal(1013, await alice.Client.WaitClosedCodeAsync(TimeSpan.FromSeconds(60)));
        alice.Pump();
        Assert.False(server.IsRunning);
        Assert.Null(one.Rooms.Find(Room));
        Assert.False(one.Leases.Holds(Room));

        // NATS comes back: the relayed player learns the room moved and is closed with 1013 too.
        await server.StartAsync(kit.Token);
        await kit.WaitUntilAsync(() => one.Bus.IsConnected && two.Bus.IsConnected, "every instance reconnects");
        Assert.Equal(1013, await bob.Client.WaitClosedCodeAsync(TimeSpan.FromSeconds(60)));
        bob.Pump();

        // The stopped room's backlog (alice saw all it numbered, the outage's lines too) flows into JetStream.
        long firstLifeEnd = room.LastSequence;
        Assert.Equal(firstLifeEnd, alice.LastSequence);
        IReadOnlyList<StoredRoomEvent> firstLife = await StoredThroughAsync(kit, store, firstLifeEnd);
        Assert.Equal(firstLifeEnd, firstLife[^1].Sequence);

        // Both join again (an Unavailable answer while JetStream recovers is retried, as a client
        // does); the room's numbering goes on right after the last stored event, and they play on.
        await using PlayerTrail bobAgain = await PlayerTrail.JoinAsync(kit, two, Room, "bob");
        Assert.Equal(firstLifeEnd, bobAgain.JoinedAfter);
        await using PlayerTrail aliceAgain = await PlayerTrail.JoinAsync(kit, one, Room, "alice");
        await SayAsync(bobAgain, "after, from bob", [aliceAgain, bobAgain]);
        await SayAsync(aliceAgain, "after, from alice", [aliceAgain, bobAgain]);
        bobAgain.AssertEveryEventOnceInOrder();
        aliceAgain.AssertEveryEventOnceInOrder();
        Assert.Equal(["after, from bob", "after, from alice"], bobAgain.Chats);

        // JetStream: one gap-free numbering across both lives of the room; every event a player saw is
        // stored under its number, byte for byte (a reused number would hold another event).
        RoomHost reopened = one.Rooms.Find(Room) ?? two.Rooms.Find(Room) ?? throw new InvalidOperationException("No instance runs the room after the rejoin.");
        Assert.Equal(reopened.LastSequence, bobAgain.LastSequence);
        IReadOnlyList<StoredRoomEvent> stored = await StoredThroughAsync(kit, store, bobAgain.LastSequence);
        Assert.Equal(Enumerable.Range(1, (int)bobAgain.LastSequence).Select(i => (long)i), stored.Select(e => e.Sequence));
        foreach (PlayerTrail player in (PlayerTrail[])[alice, bob, bobAgain, aliceAgain])
        {
            AssertStoredAsSeen(stored, player);
        }

        foreach (PlayerTrail player in (PlayerTrail[])[alice, bob, bobAgain, aliceAgain])
        {
            TestContext.Current.TestOutputHelper?.WriteLine(player.Describe());
        }

        Assert.Contains(stored, e => e.Sequence == bobAgain.JoinedAfter + 1 && MessageCodec.ReadType(e.Message.Span) == MessageType.Joined);
    }

    /// <summary>
    /// <paramref name="speaker"/> says <paramref name="text"/> and waits until every listener has it,
    /// so the room's order is the order of these calls.
    /// </summary>
    private static async Task SayAsync(PlayerTrail speaker, string text, IEnumerable<PlayerTrail> listeners)
    {
        await speaker.Client.SendAsync(new ChatMessage { Text = text });
        foreach (PlayerTrail listener in listeners)
        {
            await listener.UntilAsync(t => t.Chats.Contains(text), $"hears \"{text}\"");
        }
    }

    /// <summary>The room's stored events, once the first <paramref name="through"/> are all there (polled; NATS may still be recovering).</summary>
    private static async Task<IReadOnlyList<StoredRoomEvent>> StoredThroughAsync(ClusterTestKit kit, JetStreamRoomEventStore store, long through)
    {
        IReadOnlyList<StoredRoomEvent> events = [];
        await kit.WaitUntilAsync(() =>
        {
            try
            {
                (events, bool complete) = store.ReadAfterAsync(Room, 0, 1000, kit.Token).AsTask().GetAwaiter().GetResult();
                return complete && events.Count > 0 && events[^1].Sequence >= through;
            }
            catch (ClusterUnavailableException)
            {
                return false;
            }
        }, $"events 1 to {through} of {Room} stored in JetStream, without a gap (read so far: {events.Count}, the last {(events.Count > 0 ? events[^1].Sequence : 0)})");
        return events;
    }

    /// <summary>Every event <paramref name="player"/> saw is stored under its number with the same bytes.</summary>
    private static void AssertStoredAsSeen(IReadOnlyList<StoredRoomEvent> stored, PlayerTrail player)
    {
        Dictionary<long, StoredRoomEvent> bySequence = stored.ToDictionary(e => e.Sequence);
        foreach (PlayerTrail.SeenEvent seen in player.Events)
        {
            Assert.True(bySequence.TryGetValue(seen.Sequence, out StoredRoomEvent kept), $"{player.Name} saw event {seen.Sequence} ({seen.Type}), which JetStream does not hold.");
            Assert.True(kept.Message.Span.SequenceEqual(seen.Bytes), $"JetStream holds another event under {seen.Sequence} than the {seen.Type} {player.Name} saw.");
        }
    }

    /// <summary>
    /// What one player saw of the room across its connections: every sequenced room event (joins,
    /// leaves, chat, game events) with its bytes, the document, the JoinAccepted and Error answers. It
    /// reads the client's inbox without blocking (snapshots and presence are skipped). When the server
    /// closes the connection, <see cref="UntilAsync"/> may resume through the same instance with the
    /// last sequence seen, as the browser client does, and the trail goes on on the new connection.
    /// </summary>
    private sealed class PlayerTrail : IAsyncDisposable
    {
        /// <summary>How long one wait may take: generous, a restart and a resume may be part of it.</summary>
        private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

        /// <summary>More resumes than this in one wait means the link keeps breaking: a failure, not bad luck.</summary>
        private const int MaxResumes = 5;

        private readonly ClusterTestKit _kit;
        private readonly ClusterTestKit.Instance _edge;
        private readonly List<SeenEvent> _events = [];
        private readonly List<string> _chats = [];
        private readonly List<int?> _closes = [];
        private readonly List<JoinAcceptedMessage> _accepted = [];
        private readonly List<string> _notes = [];
        private readonly DocumentView _document = new();
        private string _resumeToken;
        private bool _unavailable;
        private bool _resumeFailed;

        private PlayerTrail(ClusterTestKit kit, ClusterTestKit.Instance edge, string name, TestClient client)
        {
            _kit = kit;
            _edge = edge;
            Name = name;
            Client = client;
            _resumeToken = client.Welcome!.ResumeToken;
        }

        public string Name { get; }

        /// <summary>The player's current connection.</summary>
        public TestClient Client { get; private set; }

        /// <summary>The room's sequence in the first JoinAccepted: the player sees every event after it.</summary>
        public long JoinedAfter { get; private set; }

        public IReadOnlyList<SeenEvent> Events => _events;

        public List<string> Chats => _chats;

        /// <summary>The close codes of the connections this trail resumed from.</summary>
        public IReadOnlyList<int?> Closes => _closes;

        public long LastSequence => _events.Count == 0 ? JoinedAfter : _events[^1].Sequence;

        public string? Title => _document.Entries.GetValueOrDefault(ArenaRoom.TitleKey);

        public long Score(string player) => _document.Counters.GetValueOrDefault(ArenaRoom.ScoreCounter(player));

        /// <summary>Connects to <paramref name="edge"/> and joins; a join answered Unavailable (NATS or JetStream not ready yet) is tried again on a new connection.</summary>
        public static async Task<PlayerTrail> JoinAsync(ClusterTestKit kit, ClusterTestKit.Instance edge, string room, string name)
        {
            var elapsed = Stopwatch.StartNew();
            while (true)
            {
                var trail = new PlayerTrail(kit, edge, name, await edge.Host.ConnectAsync());
                await trail.Client.SendAsync(new JoinMessage { Room = room, Name = name });
                while (true)
                {
                    bool closed = trail.Client.Closed.Task.IsCompleted;
                    trail.Pump();
                    if (trail._accepted.Count > 0)
                    {
                        kit.Describe(trail.Describe);
                        return trail;
                    }

                    if (trail._unavailable || closed || elapsed.Elapsed > WaitLimit)
                    {
                        break;
                    }

                    await Task.Delay(20, kit.Token);
                }

                string attempt = trail.Describe();
                await trail.DisposeAsync();
                Assert.True(trail._unavailable && elapsed.Elapsed < WaitLimit, $"{name} could not join {room} on {edge.Name}: {attempt}{Environment.NewLine}{kit.Diagnostics()}");
                await Task.Delay(200, kit.Token);
            }
        }

        /// <summary>Takes in everything the current connection received so far.</summary>
        public void Pump()
        {
            foreach ((MessageType type, byte[] bytes) in Client.Drain())
            {
                switch (type)
                {
                    case MessageType.Joined:
                        Saw(MessageCodec.Read<JoinedMessage>(bytes).Sequence, type, bytes);
                        break;
                    case MessageType.Left:
                        Saw(MessageCodec.Read<LeftMessage>(bytes).Sequence, type, bytes);
                        break;
                    case MessageType.GameEvent:
                        Saw(MessageCodec.Read<GameEventMessage>(bytes).Sequence, type, bytes);
                        break;
                    case MessageType.ChatPosted:
                        ChatPostedMessage chat = MessageCodec.Read<ChatPostedMessage>(bytes);
                        Saw(chat.Sequence, type, bytes);
                        _chats.Add(chat.Text);
                        break;
                    case MessageType.DocumentChanged:
                        _document.Apply(MessageCodec.Read<DocumentChangedMessage>(bytes));
                        break;
                    case MessageType.JoinAccepted:
                        JoinAcceptedMessage accepted = MessageCodec.Read<JoinAcceptedMessage>(bytes);
                        if (_accepted.Count == 0)
                        {
                            JoinedAfter = accepted.Sequence;
                        }

                        _accepted.Add(accepted);
                        _notes.Add($"JoinAccepted at {accepted.Sequence} (recovered {accepted.Recovered})");
                        break;
                    case MessageType.Error:
                        ErrorMessage error = MessageCodec.Read<ErrorMessage>(bytes);
                        _notes.Add($"Error {error.Code}: {error.Message}");
                        _unavailable |= error.Code == ErrorCode.Unavailable;
                        _resumeFailed |= error.Code == ErrorCode.ResumeFailed;
                        break;
                }
            }
        }

        /// <summary>
        /// Takes in messages until <paramref name="done"/> holds. A closed connection (or one whose room
        /// lookup was answered Unavailable) fails the wait, or with <paramref name="resume"/> is resumed.
        /// </summary>
        public async Task UntilAsync(Func<PlayerTrail, bool> done, string what, bool resume = false)
        {
            var elapsed = Stopwatch.StartNew();
            int resumes = 0;
            while (true)
            {
                bool closed = Client.Closed.Task.IsCompleted;
                Pump();
                if (done(this))
                {
                    return;
                }

                Assert.False(_resumeFailed, $"{Name} resumed without its seat while waiting until it {what}. {Describe()}{Environment.NewLine}{_kit.Diagnostics()}");
                if (closed || _unavailable)
                {
                    Assert.True(resume, $"{Name}'s connection ended while waiting until it {what}. {Describe()}{Environment.NewLine}{_kit.Diagnostics()}");
                    Assert.True(++resumes <= MaxResumes, $"{Name} resumed {MaxResumes} times while waiting until it {what}. {Describe()}{Environment.NewLine}{_kit.Diagnostics()}");
                    await ResumeAsync(closed);
                    continue;
                }

                if (elapsed.Elapsed > WaitLimit)
                {
                    Assert.Fail($"{Name} did not {what} within {WaitLimit.TotalSeconds:0} s. {Describe()}{Environment.NewLine}{_kit.Diagnostics()}");
                }

                await Task.Delay(20, _kit.Token);
            }
        }

        /// <summary>The events since the join arrived exactly once each, in order, without a gap; every resume recovered.</summary>
        public void AssertEveryEventOnceInOrder()
        {
            Assert.Equal(Enumerable.Range(0, _events.Count).Select(i => JoinedAfter + 1 + i), _events.Select(e => e.Sequence));
            Assert.All(_accepted.Skip(1), a => Assert.True(a.Recovered, $"{Name} resumed with a resync instead of the missed events. {Describe()}"));
        }

        public string Describe()
        {
            string sequences = string.Join(",", _events.Select(e => e.Sequence));
            return $"{Name} on {_edge.Name}: joined after {JoinedAfter}, saw [{sequences}], chat [{string.Join(" | ", _chats)}], " +
                $"resumed from closes [{string.Join(",", _closes)}], now {(Client.Closed.Task.IsCompleted ? $"closed {Client.CloseCode} {Client.CloseDescription}" : "open")}, " +
                $"title \"{Title}\", scores {string.Join(",", _document.Counters.Select(c => c.Key + "=" + c.Value))}, notes [{string.Join("; ", _notes)}]";
        }

        public async ValueTask DisposeAsync() => await Client.DisposeAsync();

        private void Saw(long sequence, MessageType type, byte[] bytes) => _events.Add(new SeenEvent(sequence, type, bytes));

        /// <summary>Reconnects to the same instance with the session's token and the last sequence seen.</summary>
        private async Task ResumeAsync(bool closed)
        {
            if (closed)
            {
                _closes.Add(Client.CloseCode);
            }
            else
            {
                _notes.Add("reconnecting after Unavailable");
            }

            _unavailable = false;
            await Client.DisposeAsync();
            Client = await _edge.Host.ConnectAsync(_resumeToken, LastSequence);
            Assert.True(Client.Welcome!.Resumed, $"{Name}'s session was not resumed on {_edge.Name}. {Describe()}");
            _resumeToken = Client.Welcome.ResumeToken.Length > 0 ? Client.Welcome.ResumeToken : _resumeToken;
        }

        /// <summary>One sequenced room event as the player received it.</summary>
        public sealed record SeenEvent(long Sequence, MessageType Type, byte[] Bytes);
    }
}
