using System.Buffers.Binary;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Snapshots;

namespace Engine.Tests.Host;

/// <summary>
/// Entity rooms end to end, over real sockets: per-player deltas against acknowledged baselines,
/// snapshots cut to one datagram (WebTransport) or the configured size (WebSocket), interest.
/// </summary>
public class EntitySnapshotHostTests
{
    [Fact]
    public async Task EntitySnapshot_WebTransportCrowdLargerThanADatagram_EverySnapshotFitsOneDatagramAndAllEntitiesArrive()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync<CrowdRoom>(o => o.TickRate = 30);
        await using WebTransportTestClient alice = await WebTransportTestClient.ConnectAsync(host);
        await alice.JoinAsync("crowd", "alice");

        // The full world is ~7.5 KB: it arrives over several ticks, each snapshot within one datagram.
        int largest = await ReceiveWholeCrowdAsync(alice, TimeSpan.FromSeconds(30));

        Assert.Equal(0, alice.ReassembledMessages);
        Assert.True(alice.DatagramMessages > 0);
        Assert.InRange(largest, 200, 1200 - 16); // under a 1,200-byte QUIC packet less its AEAD tag (the server's own limit decides exactly)
        for (uint id = 1; id <= CrowdRoom.StaticEntities; id++)
        {
            Assert.True(alice.Entities.Current.TryGetBody(id, out ReadOnlySpan<byte> body));
            Assert.True(body.SequenceEqual(CrowdRoom.StaticBody(id)), $"entity {id}'s body differs from the server's");
        }
    }

    [Fact]
    public async Task EntitySnapshot_AcksOnInputBatchDatagrams_LaterSnapshotsAreSmallDeltas()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync<CrowdRoom>(o => o.TickRate = 30);
        await using WebTransportTestClient alice = await WebTransportTestClient.ConnectAsync(host);
        await alice.JoinAsync("crowd", "alice");

        // Never acknowledged: every snapshot is full (baseline 0), however many arrive.
        for (int i = 0; i < 5; i++)
        {
            EntitySnapshotMessage unacked = await alice.ExpectEntitiesAsync(acknowledge: false);
            Assert.Equal(0u, TestClient.BaselineOf(unacked));
        }

        // Acked on input batches (datagrams, as the browser does): deltas against the ack, and once
        // the whole crowd is across, only the clock entity's change (a few bytes) per tick.
        uint sequence = 0;
        EntitySnapshotMessage small = await alice.ExpectEntitiesAsync(
            (s, view) =>
            {
                alice.SendDatagram(new InputBatchMessage { AckTick = view.NewestApplied, Inputs = [new InputEntry { Sequence = ++sequence, Data = [0] }] });
                return TestClient.BaselineOf(s) != 0 && view.Current.Count == CrowdRoom.StaticEntities + 1 && s.Payload.Length < 64;
            },
            TimeSpan.FromSeconds(30),
            acknowledge: false);

        Assert.True(TestClient.BaselineOf(small) < TestClient.TickOf(small));
        Assert.True(small.LastProcessedInput > 0);
    }

    [Fact]
    public async Task EntitySnapshot_WebSocketWithSmallBudget_EveryMessageWithinBudgetAndAllEntitiesArrive()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync<CrowdRoom>(o =>
        {
            o.TickRate = 50;
            o.MaxSnapshotBytes = 300;
        });
        await using TestClient bob = await host.JoinAsync("crowd", "bob");

        int largest = await ReceiveWholeCrowdAsync(bob, TimeSpan.FromSeconds(60));

        Assert.InRange(largest, 100, 300);
        Assert.True(bob.Entities.Current.TryGetBody(CrowdRoom.StaticEntities, out ReadOnlySpan<byte> body) && body.SequenceEqual(CrowdRoom.StaticBody(CrowdRoom.StaticEntities)));
    }

    [Fact]
    public async Task EntitySnapshot_InterestHook_IrrelevantEntitiesNeverReachThePlayer()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync<HalfVisibleRoom>(o => o.TickRate = 50);
        await using TestClient alice = await host.JoinAsync("half", "alice");
        await using WebTransportTestClient bob = await WebTransportTestClient.ConnectAsync(host);
        await bob.JoinAsync("half", "bob");

        foreach (ProtocolTestClient client in new ProtocolTestClient[] { alice, bob })
        {
            int playerId = client.Welcome!.PlayerId;
            int applied = 0;
            await client.ExpectEntitiesAsync(
                (_, view) =>
                {
                    for (int i = 0; i < view.Current.Count; i++)
                    {
                        Assert.True(HalfVisibleRoom.IsVisible(playerId, view.Current.GetId(i)), $"player {playerId} received entity {view.Current.GetId(i)}");
                    }

                    return ++applied >= 20 && view.Current.Count == HalfVisibleRoom.Entities / 2;
                },
                TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task EntitySnapshot_InterestHookThrows_LoggedPlayerStartsOverWithAFullSnapshotAndTheRoomCarriesOn()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync<FlakyInterestRoom>(o => o.TickRate = 50);
        await using TestClient alice = await host.JoinAsync("flaky", "alice");
        int fullAfterFirst = 0, applied = 0;

        await alice.ExpectEntitiesAsync(
            (s, view) =>
            {
                fullAfterFirst += applied++ > 0 && TestClient.BaselineOf(s) == 0 ? 1 : 0;
                return fullAfterFirst >= 2 && view.Current.Count == FlakyInterestRoom.Entities;
            },
            TimeSpan.FromSeconds(30));

        await alice.SendAsync(new ChatMessage { Text = "still here" });
        Assert.Equal("still here", (await alice.ExpectAsync<ChatPostedMessage>()).Text);
    }

    [Fact]
    public void Framing_EntitySnapshotWrittenInPlace_IsWhatMessageCodecWrites()
    {
        byte[] payload = [1, 0, 0, 0, 0, 0, 0, 0, 0];
        var expected = new EntitySnapshotMessage { LastProcessedInput = 77, ServerTime = 1_700_000_000_123, Payload = payload };
        byte[] framed = new byte[EntitySnapshotHeaderBytes + payload.Length];

        EntitySnapshotFraming.WriteHeader(framed, 77, 1_700_000_000_123);
        payload.CopyTo(framed, EntitySnapshotHeaderBytes);
        EntitySnapshotFraming.SetPayloadLength(framed, payload.Length);

        Assert.Equal(MessageCodec.ToArray(expected), framed);
    }

    private const int EntitySnapshotHeaderBytes = EntitySnapshotFraming.HeaderBytes;

    /// <summary>Applies snapshots until the client holds the whole crowd; returns the largest message seen.</summary>
    private static async Task<int> ReceiveWholeCrowdAsync(ProtocolTestClient client, TimeSpan timeout)
    {
        int largest = 0;
        await client.ExpectEntitiesAsync(
            (s, view) =>
            {
                largest = Math.Max(largest, s.Payload.Length + EntitySnapshotHeaderBytes);
                return view.Current.Count == CrowdRoom.StaticEntities + 1;
            },
            timeout);
        return largest;
    }
}

/// <summary>300 entities that never change (24-byte bodies, ~7.5 KB in all) and a clock entity that changes every tick.</summary>
public sealed class CrowdRoom : Room
{
    public const uint StaticEntities = 300;
    public const uint ClockId = 1_000;

    public static byte[] StaticBody(uint id)
    {
        byte[] body = new byte[24];
        for (int i = 0; i < body.Length; i++)
        {
            body[i] = (byte)((id * 31) + (uint)(i * 7));
        }

        return body;
    }

    private readonly byte[][] _bodies = [.. Enumerable.Range(1, (int)StaticEntities).Select(i => StaticBody((uint)i))];

    public override void OnTick(TickInfo tick)
    {
    }

    public override void WriteEntities(EntityFrameWriter entities)
    {
        for (int i = 0; i < _bodies.Length; i++)
        {
            entities.Add((uint)(i + 1), _bodies[i]);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(entities.Add(ClockId, 4), Context.Tick);
    }
}

/// <summary>40 entities; each player sees only those whose id has the parity of its own player id.</summary>
public sealed class HalfVisibleRoom : Room
{
    public const int Entities = 40;

    public static bool IsVisible(int playerId, uint entityId) => (entityId + (uint)playerId) % 2 == 0;

    public override void OnTick(TickInfo tick)
    {
    }

    public override void WriteEntities(EntityFrameWriter entities)
    {
        for (uint id = 1; id <= Entities; id++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(entities.Add(id, 8), Context.Tick + id);
        }
    }

    public override bool TryGetInterest(Player viewer, uint entityId, out float priority)
    {
        priority = 1;
        return IsVisible(viewer.Id, entityId);
    }
}

/// <summary>Entities whose interest hook throws on every 10th tick (a game bug the host must survive).</summary>
public sealed class FlakyInterestRoom : Room
{
    public const int Entities = 5;

    public override void OnTick(TickInfo tick)
    {
    }

    public override void WriteEntities(EntityFrameWriter entities)
    {
        for (uint id = 1; id <= Entities; id++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(entities.Add(id, 4), Context.Tick);
        }
    }

    public override bool TryGetInterest(Player viewer, uint entityId, out float priority)
    {
        if (Context.Tick % 10 == 0 && entityId == 3)
        {
            throw new InvalidOperationException("a bug in the game's interest hook");
        }

        priority = 1;
        return true;
    }
}
