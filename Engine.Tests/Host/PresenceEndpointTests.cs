using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Cluster;
using Engine.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Host;

/// <summary><c>GET /presence</c> and <c>GET /presence/{room}</c> on a real host (a single instance: its own rooms).</summary>
public class PresenceEndpointTests
{
    private static async Task<JsonElement> WaitForAsync(HttpClient http, string path, Func<JsonElement, bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            JsonElement body = await http.GetFromJsonAsync<JsonElement>(path, TestContext.Current.CancellationToken);
            if (condition(body))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{path} never satisfied the condition; last body: {body}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Presence_TwoPlayersInARoom_JsonListsThemOnlineWithThisInstance()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");
        using HttpClient http = host.CreateHttpClient();
        string instance = host.Services.GetRequiredService<IClusterBus>().InstanceId;

        JsonElement all = await WaitForAsync(http, "/presence", b => b.GetProperty("rooms").GetArrayLength() == 1
            && b.GetProperty("rooms")[0].GetProperty("members").GetArrayLength() == 2);

        Assert.Equal(instance, all.GetProperty("instance").GetString());
        Assert.Equal(1, all.GetProperty("totalRooms").GetInt32());
        Assert.False(all.GetProperty("truncated").GetBoolean());
        JsonElement room = all.GetProperty("rooms")[0];
        Assert.Equal("arena", room.GetProperty("room").GetString());
        JsonElement[] members = [.. room.GetProperty("members").EnumerateArray()];
        Assert.Equal(["alice", "bob"], members.Select(m => m.GetProperty("name").GetString()).Order());
        Assert.All(members, m => Assert.True(m.GetProperty("online").GetBoolean()));
        Assert.All(members, m => Assert.Equal(instance, m.GetProperty("instance").GetString()));
        Assert.Contains(members, m => m.GetProperty("playerId").GetInt32() == alice.Welcome!.PlayerId);

        JsonElement one = await http.GetFromJsonAsync<JsonElement>("/presence/arena", TestContext.Current.CancellationToken);
        Assert.Equal("arena", one.GetProperty("room").GetString());
        Assert.Equal(2, one.GetProperty("members").GetArrayLength());
        JsonElement unknown = await http.GetFromJsonAsync<JsonElement>("/presence/nobody-here", TestContext.Current.CancellationToken);
        Assert.Equal(0, unknown.GetProperty("members").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/presence/not%20a%20room", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Same(host.Services.GetRequiredService<IClusterPresence>(), host.Services.GetRequiredService<EngineServices>().Presence);
    }

    [Fact]
    public async Task Presence_PlayerDisconnects_OfflineWhileTheSeatIsHeldThenGone()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ReconnectGrace = TimeSpan.FromSeconds(2));
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        TestClient bob = await host.JoinAsync("arena", "bob");
        using HttpClient http = host.CreateHttpClient();
        static JsonElement? Bob(JsonElement room) => room.GetProperty("members").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(m => m!.Value.GetProperty("name").GetString() == "bob");
        await WaitForAsync(http, "/presence/arena", r => Bob(r) is { } b && b.GetProperty("online").GetBoolean());

        await bob.DisposeAsync();

        await WaitForAsync(http, "/presence/arena", r => Bob(r) is { } b && !b.GetProperty("online").GetBoolean());
        await WaitForAsync(http, "/presence/arena", r => Bob(r) is null && r.GetProperty("members").GetArrayLength() == 1);
    }

    [Fact]
    public void Report_MoreRoomsThanListed_FirstByNameAndTruncated()
    {
        var presence = new FixedPresence(["a", "b", "c"]);

        ClusterPresenceReport report = ClusterPresenceReport.Of(presence, "me", maxRooms: 2);

        Assert.Equal(3, report.TotalRooms);
        Assert.True(report.Truncated);
        Assert.Equal(["a", "b"], report.Rooms.Select(r => r.Room));
        Assert.Equal("a-player", Assert.Single(report.Rooms[0].Members).Name);
    }

    private sealed class FixedPresence(string[] rooms) : IClusterPresence
    {
        public IReadOnlyList<string> Rooms => rooms;

        public IReadOnlyList<ClusterMember> Members(string room) => [new ClusterMember(1, room + "-player", true, "x")];
    }
}
