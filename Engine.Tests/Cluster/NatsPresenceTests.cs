using Engine.Cluster;
using Engine.Rooms;
using Engine.Tests.Host;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Cluster;

/// <summary>
/// Cluster-wide presence on a real nats-server: three instances with production wiring, two rooms
/// owned by different instances, players relayed into both; then a player drops and an instance is
/// cut off from NATS.
/// </summary>
public class NatsPresenceTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    private static IClusterPresence Presence(EngineTestHost host) => host.Services.GetRequiredService<IClusterPresence>();

    private static string InstanceOf(EngineTestHost host) => host.Services.GetRequiredService<IClusterBus>().InstanceId;

    /// <summary>The room as <paramref name="host"/> sees it: "name:on|off@instance", by name.</summary>
    private static string View(EngineTestHost host, string room) =>
        string.Join(",", Presence(host).Members(room).Select(m => $"{m.Name}:{(m.Online ? "on" : "off")}@{m.Instance}").Order(StringComparer.Ordinal));

    [Fact]
    public async Task Presence_TwoRoomsOnTwoOwners_EveryInstanceSeesAllThenOfflineThenGoneThenACutOwnersRoomsExpire()
    {
        using var kit = new ClusterTestKit(TimeSpan.FromSeconds(180));
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using var proxy = new TcpCutProxy(server.Port);
        await using NatsClusterBus a = await kit.ConnectAsync("a", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus b = await kit.ConnectAsync("b", ClusterTestKit.Options(server.Url));
        await using NatsClusterBus c = await kit.ConnectAsync("c", ClusterTestKit.Options(proxy.Url));
        await using EngineTestHost one = await EngineTestHost.StartAsync(o => o.ReconnectGrace = Grace, bus: a);
        await using EngineTestHost two = await EngineTestHost.StartAsync(o => o.ReconnectGrace = Grace, bus: b);
        await using EngineTestHost three = await EngineTestHost.StartAsync(o => o.ReconnectGrace = Grace, bus: c);
        EngineTestHost[] hosts = [one, two, three];
        string ownerOfRed = InstanceOf(one);
        string ownerOfBlue = InstanceOf(three);
        kit.Describe(() => string.Join(Environment.NewLine, hosts.Select((h, i) =>
        {
            var p = h.Services.GetRequiredService<ClusterPresence>();
            return $"host {i} ({InstanceOf(h)}): red [{View(h, "red")}] blue [{View(h, "blue")}] peers {p.PeerCount} published {p.Published} merged {p.Merged} " +
                $"malformed {p.Malformed} refused {p.Refused} expired {p.PeersExpired} full states {p.FullStatesSent} requests {p.RequestsSent}";
        })));

        // red is owned by one (alice there, bob relayed from two); blue by three (carol there, dave relayed from one).
        await using TestClient alice = await one.JoinAsync("red", "alice");
        TestClient bob = await two.JoinAsync("red", "bob");
        await using TestClient carol = await three.JoinAsync("blue", "carol");
        await using TestClient dave = await one.JoinAsync("blue", "dave");
        Assert.NotNull(one.Services.GetRequiredService<RoomManager>().Find("red"));
        Assert.NotNull(three.Services.GetRequiredService<RoomManager>().Find("blue"));

        string red = $"alice:on@{ownerOfRed},bob:on@{ownerOfRed}";
        string blue = $"carol:on@{ownerOfBlue},dave:on@{ownerOfBlue}";
        await kit.WaitUntilAsync(() => hosts.All(h => View(h, "red") == red && View(h, "blue") == blue), "every instance sees both rooms' members online");
        Assert.All(hosts, h => Assert.Equal(["blue", "red"], Presence(h).Rooms));

        // Bob drops: his seat is held (offline everywhere), then the grace ends and he leaves (gone everywhere).
        await bob.DisposeAsync();
        await kit.WaitUntilAsync(() => hosts.All(h => View(h, "red") == $"alice:on@{ownerOfRed},bob:off@{ownerOfRed}"), "bob offline on every instance");
        await kit.WaitUntilAsync(() => hosts.All(h => View(h, "red") == $"alice:on@{ownerOfRed}"), "bob gone from every instance after the grace");

        // Three (blue's owner) is cut off from NATS: one and two stop hearing it, and after the TTL
        // its room's members leave their views; red, owned by one, stays.
        proxy.Cut();
        await kit.WaitUntilAsync(() => View(one, "blue") == "" && View(two, "blue") == "", "blue's members expire from one and two");
        Assert.Equal($"alice:on@{ownerOfRed}", View(one, "red"));
        Assert.Equal($"alice:on@{ownerOfRed}", View(two, "red"));
        Assert.Equal(["red"], Presence(two).Rooms);
        Assert.True(one.Services.GetRequiredService<ClusterPresence>().PeersExpired >= 1, kit.Diagnostics());
        Assert.True(two.Services.GetRequiredService<ClusterPresence>().PeersExpired >= 1, kit.Diagnostics());
        Assert.All(hosts.Take(2), h => Assert.Equal(0, h.Services.GetRequiredService<ClusterPresence>().Malformed + h.Services.GetRequiredService<ClusterPresence>().Refused));
    }
}
