using System.Net.WebSockets;
using Engine.Protocol;

namespace Engine.Tests.Host;

public class ResumeTests
{
    [Fact]
    public async Task Resume_WithinBuffer_MissedEventsReplayedInOrderWithoutDuplicates()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ChatRatePerSecond = 100);
        TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");
        await alice.ExpectAsync<JoinedMessage>(m => m.Name == "bob");
        long seen = bob.Accepted!.Sequence + 1; // alice has seen up to bob's join
        string token = alice.Welcome!.ResumeToken;
        int aliceId = alice.Welcome.PlayerId;

        alice.Abort();
        await alice.DisposeAsync();
        await bob.ExpectAsync<PresenceMessage>(p => p.Members.Any(m => m.PlayerId == aliceId && !m.Online));
        for (int i = 0; i < 3; i++)
        {
            await bob.SendAsync(new ChatMessage { Text = $"missed {i}" });
            await bob.ExpectAsync<ChatPostedMessage>(m => m.Text == $"missed {i}");
        }

        await using TestClient back = await host.ConnectAsync(token, seen);
        JoinAcceptedMessage accepted = await back.ExpectAsync<JoinAcceptedMessage>();
        var replay = new List<ChatPostedMessage>();
        for (int i = 0; i < 3; i++)
        {
            replay.Add(await back.ExpectAsync<ChatPostedMessage>());
        }

        await bob.SendAsync(new ChatMessage { Text = "live" });
        ChatPostedMessage live = await back.ExpectAsync<ChatPostedMessage>();

        Assert.True(back.Welcome!.Resumed);
        Assert.Equal(aliceId, back.Welcome.PlayerId);
        Assert.True(accepted.Recovered);
        Assert.Equal(["missed 0", "missed 1", "missed 2"], replay.Select(m => m.Text));
        Assert.Equal(Enumerable.Range(0, 3).Select(i => seen + 1 + i), replay.Select(m => m.Sequence));
        Assert.Equal("live", live.Text);
        Assert.Equal(replay[^1].Sequence + 1, live.Sequence);
        Assert.DoesNotContain(bob.Drain(), m => m.Type == MessageType.Left); // the held seat never left
    }

    [Fact]
    public async Task Resume_GapBeyondBuffer_NotRecoveredAndFullStateResync()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o =>
        {
            o.ChatRatePerSecond = 1_000;
            o.ReplayBufferSize = 16;
        });
        TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");
        string token = alice.Welcome!.ResumeToken;
        long seen = alice.Accepted!.Sequence;
        alice.Abort();
        await alice.DisposeAsync();
        for (int i = 0; i < 40; i++)
        {
            await bob.SendAsync(new ChatMessage { Text = $"flood {i}" });
        }

        ChatPostedMessage lastChat = await bob.ExpectAsync<ChatPostedMessage>(m => m.Text == "flood 39");

        await using TestClient back = await host.ConnectAsync(token, seen);
        JoinAcceptedMessage accepted = await back.ExpectAsync<JoinAcceptedMessage>();

        Assert.False(accepted.Recovered);
        Assert.True(accepted.Sequence >= lastChat.Sequence);
        Assert.Equal(["alice", "bob"], accepted.Members.Select(m => m.Name).Order());
        Assert.Empty(accepted.State); // an entity room: the resync is the next snapshot, full (no baseline)
        EntitySnapshotMessage resync = await back.ExpectEntitiesAsync();
        Assert.Equal(0u, TestClient.BaselineOf(resync));
        Assert.Equal(2, back.Entities.Current.Count);
        await bob.SendAsync(new ChatMessage { Text = "after" });
        Assert.Equal("after", (await back.ExpectAsync<ChatPostedMessage>()).Text); // no stale replay before it
    }

    [Fact]
    public async Task Resume_UnknownToken_ResumeFailedAndFreshSession()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient client = await host.ConnectAsync("not-a-real-token", 5);

        ErrorMessage error = await client.ExpectAsync<ErrorMessage>();
        Assert.False(client.Welcome!.Resumed);
        Assert.Equal(ErrorCode.ResumeFailed, error.Code);
    }

    [Fact]
    public async Task Resume_SessionThatHadLeftItsRoom_ToldToJoinAgain()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        TestClient alice = await host.JoinAsync("arena", "alice");
        await alice.SendAsync(new LeaveMessage());
        await alice.ExpectAsync<LeftMessage>();
        string token = alice.Welcome!.ResumeToken;
        alice.Abort();
        await alice.DisposeAsync();

        await using TestClient back = await host.ConnectAsync(token, 0);
        ErrorMessage error = await back.ExpectAsync<ErrorMessage>();
        await back.JoinAsync("arena", "alice");

        Assert.True(back.Welcome!.Resumed);
        Assert.Equal(ErrorCode.ResumeFailed, error.Code);
        Assert.Equal(back.Welcome.PlayerId, back.Accepted!.PlayerId);
    }

    [Fact]
    public async Task Disconnect_GraceExpires_SeatReleasedWithLeftDisconnected()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ReconnectGrace = TimeSpan.FromMilliseconds(300));
        TestClient alice = await host.JoinAsync("arena", "alice");
        await using TestClient bob = await host.JoinAsync("arena", "bob");
        int aliceId = alice.Welcome!.PlayerId;

        await alice.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "tab closed", CancellationToken.None);
        await alice.DisposeAsync();

        LeftMessage left = await bob.ExpectAsync<LeftMessage>();
        Assert.Equal(aliceId, left.PlayerId);
        Assert.Equal("disconnected", left.Reason);
    }
}
