using Engine.Cluster;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Engine.Tests.Cluster;

/// <summary>The seat records against a real nats-server: what is written, found, deleted and distrusted.</summary>
public class NatsSeatRecordsTests
{
    private static SeatRecord Seat(string token, int id, string name) =>
        new() { TokenHash = SeatRecord.HashToken(token), SessionId = "s" + id, PlayerId = id, Name = name };

    [Fact]
    public async Task UpdateThenFind_SeatsJoinAndLeave_FoundWhileSeatedAndGoneAfter()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(60));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus bus = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using var records = new NatsSeatRecords(bus.Connection, bus.ClusterName, TimeProvider.System, kit.LoggerFactory);
        SeatRecord alice = Seat("alice-token", 1, "alice"), bob = Seat("bob-token", 2, "bob");

        records.Update("arena", [alice, bob]);
        await kit.WaitUntilAsync(() => records.IsIdle && records.Writes >= 1, "the first list written");
        SeatLookup found = (await records.FindAsync(SeatRecord.HashToken("bob-token"), kit.Token))!.Value;
        Assert.Equal(("arena", 2, "s2", "bob"), (found.Room, found.Seat.PlayerId, found.Seat.SessionId, found.Seat.Name));
        Assert.Equal(2, (await records.ReadRoomAsync("arena", kit.Token)).Count);

        records.Update("arena", [alice]); // bob left
        await kit.WaitUntilAsync(() => records.IsIdle && records.Writes >= 2, "the second list written");
        Assert.Null(await records.FindAsync(SeatRecord.HashToken("bob-token"), kit.Token));
        Assert.NotNull(await records.FindAsync(SeatRecord.HashToken("alice-token"), kit.Token));

        records.Update("arena", []); // the room emptied
        await kit.WaitUntilAsync(() => records.IsIdle && records.Writes >= 3, "the empty list written");
        Assert.Empty(await records.ReadRoomAsync("arena", kit.Token));
        Assert.Null(await records.FindAsync(SeatRecord.HashToken("alice-token"), kit.Token));
        Assert.Null(await records.FindAsync(SeatRecord.HashToken("never-seated"), kit.Token));
    }

    [Fact]
    public async Task Find_TokenKeyPointsAtARoomWithoutTheSeatOrGarbage_NotFound()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(60));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus bus = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using var records = new NatsSeatRecords(bus.Connection, bus.ClusterName, TimeProvider.System, kit.LoggerFactory);
        records.Update("arena", [Seat("alice-token", 1, "alice")]);
        await kit.WaitUntilAsync(() => records.IsIdle && records.Writes >= 1, "the list written");

        // Left behind by an owner that died: a token key whose room does not list the seat.
        INatsKVStore store = await new NatsKVContext(new NatsJSContext(bus.Connection)).GetStoreAsync(records.Bucket, kit.Token);
        await store.PutAsync("t." + SeatRecord.HashToken("ghost-token"), "arena"u8.ToArray(), cancellationToken: kit.Token);
        Assert.Null(await records.FindAsync(SeatRecord.HashToken("ghost-token"), kit.Token));

        // A room value that is not a seat list reads as no seats.
        await store.PutAsync("r.lobby", new byte[] { 0xFF, 0x01, 0x02 }, cancellationToken: kit.Token);
        await store.PutAsync("t." + SeatRecord.HashToken("lobby-token"), "lobby"u8.ToArray(), cancellationToken: kit.Token);
        Assert.Empty(await records.ReadRoomAsync("lobby", kit.Token));
        Assert.Null(await records.FindAsync(SeatRecord.HashToken("lobby-token"), kit.Token));
    }

    [Fact]
    public async Task Update_WhileNatsIsDown_WrittenWhenItIsBack()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(90));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using var proxy = new TcpCutProxy(server.Port);
        await using NatsClusterBus bus = await kit.ConnectAsync("a", ClusterTestKit.Options(proxy.Url));
        await using NatsClusterBus reader = await kit.ConnectAsync("reader", ClusterTestKit.Options(server.Url));
        await using var records = new NatsSeatRecords(bus.Connection, bus.ClusterName, TimeProvider.System, kit.LoggerFactory);
        await using var check = new NatsSeatRecords(reader.Connection, reader.ClusterName, TimeProvider.System, kit.LoggerFactory);
        Assert.Empty(await records.ReadRoomAsync("arena", kit.Token)); // the bucket exists

        proxy.Cut();
        records.Update("arena", [Seat("alice-token", 1, "alice")]);
        await kit.WaitUntilAsync(() => records.Failures >= 1, "a write failed while cut off");
        await Assert.ThrowsAsync<ClusterUnavailableException>(async () => await records.FindAsync(SeatRecord.HashToken("alice-token"), kit.Token));

        proxy.Restore();
        await kit.WaitUntilAsync(() => check.ReadRoomAsync("arena", kit.Token).AsTask().GetAwaiter().GetResult().Count == 1, "the list written after the cut healed");
        Assert.NotNull(await check.FindAsync(SeatRecord.HashToken("alice-token"), kit.Token));
    }
}
