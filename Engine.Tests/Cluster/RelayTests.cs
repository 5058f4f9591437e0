using Engine.Cluster;
using Engine.Demo;
using Engine.Protocol;
using Engine.Sessions.Relay;
using Engine.Tests.Host;
using MemoryPack;
using Microsoft.Extensions.DependencyInjection;

using Documents = Engine.Tests.Documents;

namespace Engine.Tests.Cluster;

/// <summary>
/// Rooms across instances, with in-process buses on one hub and a shared lease table: a player who
/// reaches another instance than the room's owner is relayed to it, and the room cannot tell.
/// (The same over real NATS: <c>NatsClusterTests</c>.)
/// </summary>
public class RelayTests
{
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly InProcessClusterBus.Hub _hub = new();
        private readonly SharedRoomLeases _leases = new();

        public List<EngineTestHost> Hosts { get; } = [];

        public static async Task<Cluster> StartAsync(int instances)
        {
            var cluster = new Cluster();
            for (int i = 0; i < instances; i++)
            {
                var bus = new InProcessClusterBus(cluster._hub);
                cluster.Hosts.Add(await EngineTestHost.StartAsync(bus: bus, leases: cluster._leases.For(bus)));
            }

            return cluster;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (EngineTestHost host in Hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Join_OnAnotherInstance_RelayedToTheOwnerAndEveryoneSeesEveryone()
    {
        await using Cluster cluster = await Cluster.StartAsync(3);
        await using TestClient alice = await cluster.Hosts[0].JoinAsync("arena", "alice");
        await using TestClient bob = await cluster.Hosts[1].JoinAsync("arena", "bob");
        await using TestClient carol = await cluster.Hosts[2].JoinAsync("arena", "carol");

        Assert.Equal(3, carol.Accepted!.Members.Length);
        await alice.ExpectAsync<PresenceMessage>(p => p.Members.Length == 3);
        await bob.ExpectAsync<PresenceMessage>(p => p.Members.Length == 3);
        Assert.Equal(2, cluster.Hosts[0].Services.GetRequiredService<RelayServer>().OwnedLinks); // bob and carol
        Assert.Equal(1, cluster.Hosts[1].Services.GetRequiredService<RelayServer>().EdgeLinks);
        Assert.Null(cluster.Hosts[1].Services.GetRequiredService<Engine.Rooms.RoomManager>().Find("arena")); // no second copy of the room
    }

    [Fact]
    public async Task Chat_FromEveryInstance_SameOrderForEveryone()
    {
        await using Cluster cluster = await Cluster.StartAsync(3);
        TestClient[] clients =
        [
            await cluster.Hosts[0].JoinAsync("arena", "alice"),
            await cluster.Hosts[1].JoinAsync("arena", "bob"),
            await cluster.Hosts[2].JoinAsync("arena", "carol"),
        ];
        try
        {
            await Task.WhenAll(clients.Select((c, i) => Task.Run(async () =>
            {
                for (int n = 0; n < 2; n++)
                {
                    await c.SendAsync(new ChatMessage { Text = $"{i}-{n}" });
                }
            })));

            var orders = new List<string[]>();
            foreach (TestClient client in clients)
            {
                var lines = new List<ChatPostedMessage>();
                while (lines.Count < 6)
                {
                    lines.Add(await client.ExpectAsync<ChatPostedMessage>());
                }

                Assert.Equal(lines.Select(l => l.Sequence).Order(), lines.Select(l => l.Sequence));
                orders.Add([.. lines.Select(l => l.Text)]);
            }

            Assert.All(orders, o => Assert.Equal(orders[0], o));
        }
        finally
        {
            foreach (TestClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TypingAndDots_RelayedPlayer_BothDirections()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        await using TestClient alice = await cluster.Hosts[0].JoinAsync("arena", "alice");
        await using TestClient bob = await cluster.Hosts[1].JoinAsync("arena", "bob");

        await bob.SendAsync(new TypingMessage { IsTyping = true });
        TypingChangedMessage typing = await alice.ExpectAsync<TypingChangedMessage>();
        Assert.Equal(bob.Welcome!.PlayerId, typing.PlayerId);

        // Bob moves right (input over the relay); both see bob's dot move in the entity snapshots.
        ArenaDot Dot(TestClient c) => MemoryPackSerializer.Deserialize<ArenaDot>(c.Entities.Current.TryGetBody((uint)bob.Welcome!.PlayerId, out ReadOnlySpan<byte> body) ? body : [])!;
        await bob.ExpectEntitiesAsync((snapshot, view) => view.Current.TryGetBody((uint)bob.Welcome!.PlayerId, out ReadOnlySpan<byte> _));
        float start = Dot(bob).X;
        for (uint seq = 1; seq <= 5; seq++)
        {
            await bob.SendAsync(new InputMessage { Sequence = seq, Data = [ArenaRoom.Right] });
        }

        await bob.ExpectEntitiesAsync((_, _) => Dot(bob).X > start);
        await alice.ExpectEntitiesAsync((snapshot, view) => view.Current.TryGetBody((uint)bob.Welcome!.PlayerId, out ReadOnlySpan<byte> _) && Dot(alice).X > start);
    }

    [Fact]
    public async Task Disconnect_RelayedPlayer_SeatHeldThenResumedThroughTheSameInstance()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        await using TestClient alice = await cluster.Hosts[0].JoinAsync("arena", "alice");
        TestClient bob = await cluster.Hosts[1].JoinAsync("arena", "bob");
        string token = bob.Welcome!.ResumeToken;
        await alice.ExpectAsync<PresenceMessage>(p => p.Members.Length == 2 && p.Members.All(m => m.Online));

        bob.Abort();
        await bob.DisposeAsync();
        await alice.ExpectAsync<PresenceMessage>(p => p.Members.Any(m => m.Name == "bob" && !m.Online));
        await alice.SendAsync(new ChatMessage { Text = "while you were away" });
        ChatPostedMessage missed = await alice.ExpectAsync<ChatPostedMessage>();

        await using TestClient back = await cluster.Hosts[1].ConnectAsync(token, lastSequence: missed.Sequence - 1);
        Assert.True(back.Welcome!.Resumed);
        JoinAcceptedMessage accepted = await back.ExpectAsync<JoinAcceptedMessage>();
        ChatPostedMessage replayed = await back.ExpectAsync<ChatPostedMessage>();

        Assert.True(accepted.Recovered);
        Assert.Equal("while you were away", replayed.Text);
        await alice.ExpectAsync<PresenceMessage>(p => p.Members.All(m => m.Online));
    }

    [Fact]
    public async Task LeaveAndJoin_RelayedPlayer_RoutedAfreshToTheOtherRoomsOwner()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        await using TestClient alice = await cluster.Hosts[0].JoinAsync("arena", "alice");
        await using TestClient dave = await cluster.Hosts[1].JoinAsync("lounge", "dave");
        await using TestClient bob = await cluster.Hosts[1].JoinAsync("arena", "bob"); // relayed to host 0

        await bob.SendAsync(new LeaveMessage());
        await alice.ExpectAsync<LeftMessage>();
        await bob.SendAsync(new JoinMessage { Room = "lounge", Name = "bob" }); // lounge is host 1's own
        JoinAcceptedMessage lounge = await bob.ExpectAsync<JoinAcceptedMessage>(m => m.Room == "lounge");

        Assert.Equal(["bob", "dave"], lounge.Members.Select(m => m.Name).Order());
        Assert.Equal(0, cluster.Hosts[1].Services.GetRequiredService<RelayServer>().EdgeLinks);
    }

    [Fact]
    public async Task DocumentWrites_RelayedPlayer_AppliedAtItsEdgeAndSeenByEveryone()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        await using TestClient alice = await cluster.Hosts[0].JoinAsync("arena", "alice");
        await using TestClient bob = await cluster.Hosts[1].JoinAsync("arena", "bob");

        await bob.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("alice"), Amount = 1 }); // not bob's: refused at the edge
        Assert.Equal(ErrorCode.Unauthorized, (await bob.ExpectAsync<ErrorMessage>()).Code);
        await bob.SendAsync(new DocumentIncrementMessage { Counter = ArenaRoom.ScoreCounter("bob"), Amount = 1 });
        await alice.SendAsync(new DocumentSetMessage { Key = ArenaRoom.TitleKey, Value = "from the owner's side" });

        static bool Done(Documents.DocumentView v) => v.Counters.GetValueOrDefault("score:bob") == 1 && v.Entries.GetValueOrDefault("title") == "from the owner's side";
        await new Documents.DocumentView().UntilAsync(alice, Done);
        await new Documents.DocumentView().UntilAsync(bob, Done);
        Engine.Documents.RoomDocument? edgeReplica = cluster.Hosts[1].Services.GetRequiredService<Engine.Hosting.EngineServices>().EdgeDocuments.Find("arena");
        Assert.NotNull(edgeReplica);
        Assert.Equal(1, edgeReplica.GetCounter("score:bob"));
        Assert.Equal(0, edgeReplica.GetCounter("score:alice"));
    }

    [Fact]
    public async Task Relay_AReliableFrameForTheClientLost_ClientClosedWith4000AndResumesWithReplay()
    {
        var hub = new InProcessClusterBus.Hub();
        var leases = new SharedRoomLeases();
        var ownerBus = new InProcessClusterBus(hub);
        var edgeBus = new InProcessClusterBus(hub);
        await using EngineTestHost owner = await EngineTestHost.StartAsync(bus: ownerBus, leases: leases.For(ownerBus));
        await using EngineTestHost edge = await EngineTestHost.StartAsync(bus: edgeBus, leases: leases.For(edgeBus));
        await using TestClient alice = await owner.JoinAsync("arena", "alice");
        long link = 0;
        await using IAsyncDisposable tap = new InProcessClusterBus(hub).Subscribe(RelayServer.EdgeSubject(edgeBus.InstanceId), m => Volatile.Write(ref link, BitConverter.ToInt64(m.Payload.Span[1..9])));
        TestClient bob = await edge.JoinAsync("arena", "bob");
        string token = bob.Welcome!.ResumeToken;
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref link) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10); // the tap sees the owner's frames on the publisher's thread, maybe after bob does
        }

        Assert.NotEqual(0, link);

        // A reliable frame numbered far ahead: the ones between were "lost" on the bus.
        byte[] chat = MessageCodec.ToArray(new ChatPostedMessage { Sequence = 99, Name = "ghost", Text = "out of nowhere" });
        byte[] frame = new byte[RelayFrame.HeaderLength + RelayFrame.MessagePrefixLength + chat.Length];
        RelayFrame.WriteMessage(frame, link, reliable: true, reliableSequence: 1_000, chat);
        ownerBus.Publish(RelayServer.EdgeSubject(edgeBus.InstanceId), frame);

        Assert.Equal(4000, await bob.WaitClosedCodeAsync());
        await bob.DisposeAsync();
        Assert.Equal(1, edge.Services.GetRequiredService<RelayServer>().LostLinks);
        await alice.SendAsync(new ChatMessage { Text = "did you miss this?" });
        long seen = (await alice.ExpectAsync<ChatPostedMessage>()).Sequence - 1;
        await using TestClient back = await edge.ConnectAsync(token, lastSequence: seen);
        Assert.True((await back.ExpectAsync<JoinAcceptedMessage>()).Recovered);
        Assert.Equal("did you miss this?", (await back.ExpectAsync<ChatPostedMessage>()).Text);
    }

    [Fact]
    public async Task Spectate_OnAnInstanceThatDoesNotRunTheRoom_421NamingTheOwner()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        await using TestClient alice = await cluster.Hosts[0].JoinAsync("arena", "alice");
        using HttpClient http = cluster.Hosts[1].CreateHttpClient();

        using HttpResponseMessage response = await http.GetAsync("/events/arena", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(System.Net.HttpStatusCode.MisdirectedRequest, response.StatusCode);
        Assert.Contains(cluster.Hosts[0].Services.GetRequiredService<IClusterBus>().InstanceId, await response.Content.ReadAsStringAsync());
        Assert.Null(cluster.Hosts[1].Services.GetRequiredService<Engine.Rooms.RoomManager>().Find("arena"));
    }

    [Fact]
    public async Task Relay_GarbageFramesOnTheRelaySubjects_CountedAndPlayGoesOn()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        await using TestClient alice = await cluster.Hosts[0].JoinAsync("arena", "alice");
        await using TestClient bob = await cluster.Hosts[1].JoinAsync("arena", "bob");
        RelayServer owner = cluster.Hosts[0].Services.GetRequiredService<RelayServer>();
        var intruder = new InProcessClusterBus(new InProcessClusterBus.Hub());
        IClusterBus ownerBus = cluster.Hosts[0].Services.GetRequiredService<IClusterBus>();

        long before = owner.Malformed;
        ownerBus.Publish(RelayServer.OwnerSubject(owner.InstanceId), [0x07, 1, 2]); // too short
        ownerBus.Publish(RelayServer.OwnerSubject(owner.InstanceId), [0x01, 9, 9, 9, 9, 9, 9, 9, 9, 1, 0x04]); // unknown link
        ownerBus.Publish(RelayServer.OwnerSubject(owner.InstanceId), [0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0xFF]); // attach that does not decode

        Assert.True(owner.Malformed >= before + 3);
        await bob.SendAsync(new ChatMessage { Text = "still here" });
        Assert.Equal("still here", (await alice.ExpectAsync<ChatPostedMessage>()).Text);
        await intruder.DisposeAsync();
    }
}
