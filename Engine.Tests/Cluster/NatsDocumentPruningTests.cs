using System.Diagnostics;
using Engine.Cluster;
using Engine.Documents;
using Engine.Hosting;
using Engine.Protocol;
using Engine.Rooms;
using Engine.State.Clock;
using Engine.Tests.Host;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Cluster;

/// <summary>
/// Tombstone pruning over a real nats-server: three instances with production wiring (one owns the
/// room, two relay their players and keep edge replicas); a key removed on an edge is pruned on all
/// three once they have exchanged states, and stays removed.
/// </summary>
public class NatsDocumentPruningTests
{
    private const string RoomName = "arena";

    /// <summary>The instance's replica of the room's document, copied under its lock (the owner's, or an edge's).</summary>
    private static RoomDocument Replica(EngineTestHost host)
    {
        DocumentDelta? state = host.Services.GetRequiredService<RoomManager>().Find(RoomName)?.DocumentState()
            ?? host.Services.GetRequiredService<EngineServices>().EdgeDocuments.StateOf(RoomName);
        var copy = new RoomDocument(new HybridLogicalClock(1, maxForwardDrift: TimeSpan.FromDays(1)));
        if (state is not null)
        {
            Assert.Null(copy.Merge(state));
        }

        return copy;
    }

    [Fact]
    public async Task RemovedKey_ThreeInstancesOverNats_TombstonePrunedEverywhereAndKeyStaysGone()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(150));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus a = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus b = await kit.ConnectAsync("b", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus c = await kit.ConnectAsync("c", ClusterTestKit.Options(server.Url));
        await using EngineTestHost one = await EngineTestHost.StartAsync<OpenDocumentRoom>(bus: a);
        await using EngineTestHost two = await EngineTestHost.StartAsync<OpenDocumentRoom>(bus: b);
        await using EngineTestHost three = await EngineTestHost.StartAsync<OpenDocumentRoom>(bus: c);
        await using TestClient alice = await one.JoinAsync(RoomName, "alice");
        await using TestClient bob = await two.JoinAsync(RoomName, "bob");
        await using TestClient carol = await three.JoinAsync(RoomName, "carol");
        EngineTestHost[] hosts = [one, two, three];
        DocumentReplicator[] replicators = [.. hosts.Select(h => h.Services.GetRequiredService<DocumentReplicator>())];
        kit.Describe(() => "replicas (live, tombstones, pruned): " + string.Join("; ", hosts.Select((h, i) =>
            $"{Replica(h).Count}, {Replica(h).TombstoneCount}, {replicators[i].Pruned}")));

        // Replication is live everywhere once alice's write reached all three (a NATS subscription
        // may not be live at the server the moment it is made): she writes until it has.
        var elapsed = Stopwatch.StartNew();
        for (int attempt = 0; !hosts.All(h => Replica(h).Get("flag") is not null); attempt++)
        {
            Assert.True(elapsed.Elapsed < ClusterTestKit.ConditionDeadline, "a first write never replicated to every instance" + kit.Diagnostics());
            await alice.SendAsync(new DocumentSetMessage { Key = "flag", Value = "up " + attempt });
            await Task.Delay(300);
        }

        await bob.SendAsync(new DocumentRemoveMessage { Key = "flag" });
        await kit.WaitUntilAsync(() => hosts.All(h => Replica(h).Get("flag") is null && Replica(h).TombstoneCount == 1), "the removal reached every replica");

        // Anti-entropy rounds, driven here rather than waited for (the timer's period is 30 s).
        elapsed.Restart();
        while (!hosts.All(h => Replica(h).TombstoneCount == 0))
        {
            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(60), "tombstones not pruned everywhere" + Environment.NewLine + kit.Diagnostics());
            foreach (DocumentReplicator replicator in replicators)
            {
                replicator.RunAntiEntropy();
            }

            await Task.Delay(300, kit.Token);
        }

        Assert.All(replicators, r => Assert.Equal(1, r.Pruned));
        for (int round = 0; round < 3; round++)
        {
            foreach (DocumentReplicator replicator in replicators)
            {
                replicator.RunAntiEntropy();
            }

            await Task.Delay(300, kit.Token);
        }

        Assert.All(hosts, h => Assert.Null(Replica(h).Get("flag")));
        Assert.All(hosts, h => Assert.Equal(0, Replica(h).TombstoneCount));
        Assert.All(replicators, r => Assert.Equal(0, r.Refused));
    }
}

/// <summary>A room whose rule lets players set and remove any key (the document's limits still apply).</summary>
public sealed class OpenDocumentRoom : Room
{
    public override void OnTick(TickInfo tick)
    {
    }

    public override bool AuthorizeDocumentWrite(Player player, DocumentWrite write) => true;
}
