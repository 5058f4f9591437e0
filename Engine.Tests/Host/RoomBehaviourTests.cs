using System.Net.WebSockets;
using Engine.Demo;
using Engine.Protocol;
using Engine.Rooms;
using MemoryPack;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Host;

public class RoomBehaviourTests
{
    [Fact]
    public async Task Hello_NewSession_WelcomeCarriesSessionTickRateTimeAndResumeToken()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TickRate = 20);
        await using TestClient client = await host.ConnectAsync();

        WelcomeMessage welcome = client.Welcome!;
        Assert.False(string.IsNullOrEmpty(welcome.SessionId));
        Assert.True(welcome.ResumeToken.Length >= 32);
        Assert.Equal(20, welcome.TickRate);
        Assert.InRange(welcome.ServerTime, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        Assert.Equal(30_000, welcome.HeartbeatIntervalMs);
        Assert.False(welcome.Resumed);
    }

    [Fact]
    public async Task Join_TwoPlayers_EachSeesTheOtherJoinAndPresence()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");

        JoinedMessage joined = await alice.ExpectAsync<JoinedMessage>(m => m.Name == "bob");
        PresenceMessage presence = await alice.ExpectAsync<PresenceMessage>(m => m.Members.Length == 2);

        Assert.Equal(bob.Welcome!.PlayerId, joined.PlayerId);
        Assert.Equal(["alice", "bob"], presence.Members.Select(m => m.Name).Order());
        Assert.All(presence.Members, m => Assert.True(m.Online));
        Assert.Equal(2, bob.Accepted!.Members.Length);
        Assert.Equal("arena", bob.Accepted.Room);
    }

    [Fact]
    public async Task Leave_Player_OthersSeeLeftWithReason()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");

        await bob.SendAsync(new LeaveMessage());

        LeftMessage left = await alice.ExpectAsync<LeftMessage>();
        Assert.Equal(bob.Welcome!.PlayerId, left.PlayerId);
        Assert.Equal("left", left.Reason);
        await alice.ExpectAsync<PresenceMessage>(m => m.Members.Length == 1);
    }

    [Fact]
    public async Task Join_RoomAtCapacity_RefusedWithRoomFull()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.RoomCapacity = 2);
        await using TestClient a = await host.JoinAsync("small", "a");
        await using TestClient b = await host.JoinAsync("small", "b");
        await using TestClient c = await host.ConnectAsync();

        await c.SendAsync(new JoinMessage { Room = "small", Name = "c" });

        ErrorMessage error = await c.ExpectAsync<ErrorMessage>();
        Assert.Equal(ErrorCode.RoomFull, error.Code);
        await using TestClient d = await host.JoinAsync("other", "d"); // rooms are created on demand
        Assert.Equal("other", d.Accepted!.Room);
    }

    [Fact]
    public async Task Chat_Posted_EveryMemberGetsItInOrderWithSequence()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ChatRatePerSecond = 100);
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");

        for (int i = 0; i < 5; i++)
        {
            await alice.SendAsync(new ChatMessage { Text = $"hello {i}" });
        }

        var received = new List<ChatPostedMessage>();
        for (int i = 0; i < 5; i++)
        {
            received.Add(await bob.ExpectAsync<ChatPostedMessage>());
        }

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"hello {i}"), received.Select(m => m.Text));
        Assert.All(received, m => Assert.Equal("alice", m.Name));
        Assert.Equal(received.Select(m => m.Sequence).Order(), received.Select(m => m.Sequence));
        Assert.Equal(5, received.Select(m => m.Sequence).Distinct().Count());
    }

    [Fact]
    public async Task Chat_TooLong_RejectedWithInvalidArgumentAndConnectionStays()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.MaxChatLength = 10);
        await using TestClient alice = await host.JoinAsync("arena", "alice");

        await alice.SendAsync(new ChatMessage { Text = new string('x', 11) });
        ErrorMessage error = await alice.ExpectAsync<ErrorMessage>();
        await alice.SendAsync(new ChatMessage { Text = "short" });

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Equal("short", (await alice.ExpectAsync<ChatPostedMessage>()).Text);
    }

    [Fact]
    public async Task Typing_NotRenewed_ExpiresAfterTimeout()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TypingTimeout = TimeSpan.FromMilliseconds(300));
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");

        await alice.SendAsync(new TypingMessage { IsTyping = true });

        TypingChangedMessage on = await bob.ExpectAsync<TypingChangedMessage>();
        TypingChangedMessage off = await bob.ExpectAsync<TypingChangedMessage>();
        Assert.True(on.IsTyping);
        Assert.Equal(alice.Welcome!.PlayerId, on.PlayerId);
        Assert.False(off.IsTyping);
        Assert.Equal(alice.Welcome.PlayerId, off.PlayerId);
    }

    [Fact]
    public async Task Presence_BurstOfJoins_OneListPerIntervalNotOnePerJoinAndTheLastListHasEveryone()
    {
        const int Players = 12;
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient first = await host.JoinAsync("burst", "p0");
        RoomHost room = host.Services.GetRequiredService<RoomManager>().Find("burst")!;
        await first.ExpectAsync<PresenceMessage>(m => m.Members.Length == 1);
        long before = room.PresenceBroadcasts;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        TestClient[] others = await Task.WhenAll(Enumerable.Range(1, Players - 1).Select(i => host.JoinAsync("burst", $"p{i}")));
        PresenceMessage last = await first.ExpectAsync<PresenceMessage>(m => m.Members.Length == Players);
        long sent = room.PresenceBroadcasts - before;
        TimeSpan elapsed = clock.Elapsed;

        // Lists go out at least PresenceInterval apart, and every one was sent within the elapsed
        // time (the first after the burst began, the last before it was received).
        Assert.True(sent <= 1 + (long)(elapsed / RoomHost.PresenceInterval), $"{sent} lists in {elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(Enumerable.Range(0, Players).Select(i => $"p{i}").Order(), last.Members.Select(m => m.Name).Order());
        foreach (TestClient other in others)
        {
            await other.DisposeAsync();
        }
    }

    [Fact]
    public async Task Presence_SilentClient_DroppedAndLeaveBroadcast()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o =>
        {
            // 2 s of silence drops a player; the live client pings every 100 ms, so only a stall
            // of the test process longer than 1.9 s could drop it too.
            o.HeartbeatInterval = TimeSpan.FromSeconds(1);
            o.HeartbeatTimeout = TimeSpan.FromSeconds(1);
        });
        await using TestClient silent = await host.JoinAsync("arena", "silent");
        await using TestClient alive = await host.JoinAsync("arena", "alive");
        using var heartbeat = new CancellationTokenSource();
        Task pinger = Task.Run(async () =>
        {
            while (!heartbeat.IsCancellationRequested)
            {
                await alive.SendAsync(new PingMessage { ClientTime = 1 });
                await Task.Delay(100);
            }
        });

        LeftMessage left = await alive.ExpectAsync<LeftMessage>();
        WebSocketCloseStatus? status = await silent.WaitClosedAsync();
        await heartbeat.CancelAsync();
        await pinger;

        Assert.Equal(silent.Welcome!.PlayerId, left.PlayerId);
        Assert.Equal("timeout", left.Reason);
        Assert.Equal((WebSocketCloseStatus)4003, status);
        Assert.Equal(alive.Welcome!.PlayerId, Assert.Single((await alive.ExpectAsync<PresenceMessage>()).Members).PlayerId);
    }

    [Fact]
    public async Task Tick_InputsApplied_SnapshotsEchoLastInputAndMoveTheDot()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TickRate = 50);
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        uint id = (uint)alice.Welcome!.PlayerId;
        EntitySnapshotMessage first = await alice.ExpectEntitiesAsync((_, view) => view.Current.Count == 1);
        ArenaDot start = alice.Entity<ArenaDot>(id)!;

        await alice.SendAsync(new InputMessage { Sequence = 1, ClientTick = TestClient.TickOf(first), Data = [ArenaRoom.Right] });
        EntitySnapshotMessage moved = await alice.ExpectEntitiesAsync((s, _) => s.LastProcessedInput == 1 && alice.Entity<ArenaDot>(id)!.X > start.X + 10);

        Assert.True(TestClient.TickOf(moved) > TestClient.TickOf(first));
        Assert.Equal(start.Y, alice.Entity<ArenaDot>(id)!.Y);
    }

    [Fact]
    public async Task Tick_TwoSecondsAtFiftyHertz_TicksRunOrSkippedMatchElapsedServerTime()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TickRate = 50);
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        RoomHost room = host.Services.GetRequiredService<RoomManager>().Find("arena")!;
        EntitySnapshotMessage first = await alice.ExpectAsync<EntitySnapshotMessage>();
        long overrunsBefore = room.Overruns;

        // Two seconds of server time, however long the machine takes to deliver them.
        EntitySnapshotMessage last = await alice.ExpectAsync<EntitySnapshotMessage>(s => s.ServerTime >= first.ServerTime + 2000, TimeSpan.FromSeconds(60));
        long skipped = room.Overruns - overrunsBefore;

        // What the loop guarantees: it never runs a tick before it is due, and every period that
        // passes is either ticked or counted as skipped (a loaded machine makes it skip ticks
        // rather than burst; the exact no-drift property is TickScheduleTests' job). The slack
        // covers a first tick up to 5 periods late (the catch-up runs back to back), the up to
        // 5 periods a tick may lag before it counts as skipped, and under one period of rounding
        // per skip (at most one skip per 5 periods).
        double periods = (last.ServerTime - first.ServerTime) / 1000.0 * 50;
        long ticks = TestClient.TickOf(last) - TestClient.TickOf(first);
        Assert.True(ticks <= periods + 6, $"{ticks} ticks in {periods:F1} periods: the loop ran ahead of its schedule");
        Assert.True(ticks + skipped >= (periods * 0.8) - 6, $"{ticks} ticks and {skipped} skipped in {periods:F1} periods: the loop lost time without counting it");
    }
}
