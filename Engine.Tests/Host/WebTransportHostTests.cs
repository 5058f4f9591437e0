using System.Buffers;
using System.Buffers.Binary;
using Engine.Demo;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Transport.WebTransport;

namespace Engine.Tests.Host;

/// <summary>The game host over WebTransport from the .NET client, beside WebSocket players: one room never learns the transport.</summary>
public class WebTransportHostTests
{
    [Fact]
    public async Task Room_WebTransportAndWebSocketPlayers_ShareRoomSnapshotsAsDatagramsInputsAsDatagrams()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TickRate = 30);
        await using WebTransportTestClient alice = await WebTransportTestClient.ConnectAsync(host);
        await alice.JoinAsync("mixed", "alice");
        await using TestClient bob = await host.JoinAsync("mixed", "bob");
        await alice.ExpectAsync<JoinedMessage>(m => m.Name == "bob");
        int aliceId = alice.Welcome!.PlayerId;

        // Alice holds "right" by datagram inputs; Bob (WebSocket) sees her dot move right in his snapshots.
        await bob.ExpectEntitiesAsync((_, view) => view.Current.IndexOf((uint)aliceId) >= 0);
        float startX = bob.Entity<ArenaDot>((uint)aliceId)!.X;
        uint sequence = 0;
        using var holding = new CancellationTokenSource();
        Task hold = Task.Run(async () =>
        {
            while (!holding.IsCancellationRequested)
            {
                alice.SendDatagram(new InputMessage { Sequence = ++sequence, ClientTick = 0, Data = [8] });
                await Task.Delay(30);
            }
        });
        await bob.ExpectEntitiesAsync((_, _) => bob.Entity<ArenaDot>((uint)aliceId)!.X > startX + 30, TimeSpan.FromSeconds(20));
        await holding.CancelAsync();
        await hold;

        // Snapshots reached Alice as datagrams; chat travels both ways on the reliable paths.
        await alice.ExpectAsync<EntitySnapshotMessage>();
        Assert.True(alice.DatagramMessages > 0);
        await bob.SendAsync(new ChatMessage { Text = "hi from websocket" });
        await alice.ExpectAsync<ChatPostedMessage>(m => m.Text == "hi from websocket");
        await alice.SendAsync(new ChatMessage { Text = "hi from webtransport" });
        await bob.ExpectAsync<ChatPostedMessage>(m => m.Text == "hi from webtransport");
    }

    [Fact]
    public async Task InputBatch_ThirtyPercentOfDatagramsDropped_EveryInputAppliedOnceInOrder()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync<InputRecordingRoom>(o => o.TickRate = 60);
        await using WebTransportTestClient alice = await WebTransportTestClient.ConnectAsync(host);
        await alice.JoinAsync("redundant", "alice");
        const int total = 60;
        var recent = new List<InputEntry>();
        for (uint sequence = 1; sequence <= total; sequence++)
        {
            recent.Add(new InputEntry { Sequence = sequence, ClientTick = 0, Data = BitConverter.GetBytes(sequence) });
            if (recent.Count > 3)
            {
                recent.RemoveAt(0);
            }

            // 3 of every 10 datagrams are dropped, never 3 in a row: with 3 inputs per batch none is lost.
            if (sequence % 10 is 1 or 4 or 7)
            {
                continue;
            }

            alice.SendDatagram(new InputBatchMessage { AckTick = 0, Inputs = [.. recent] });
            await Task.Delay(5);
        }

        // The last batch travels by datagram too; the stream carries a copy so the test cannot lose it.
        await alice.SendAsync(new InputBatchMessage { Inputs = [.. recent] });
        InputRecordingRoom room = InputRecordingRoom.Instances.Single(r => r.Context.Name == "redundant");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (room.Applied.Count < total)
        {
            await Task.Delay(20, timeout.Token);
        }

        Assert.Equal(Enumerable.Range(1, total).Select(i => (uint)i), room.Applied);
    }

    [Fact]
    public async Task Snapshot_LargerThanOneDatagram_ArrivesInFragmentsReassembled()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync<WideStateRoom>(o => o.TickRate = 20);
        await using WebTransportTestClient alice = await WebTransportTestClient.ConnectAsync(host);
        await alice.JoinAsync("wide", "alice");
        SnapshotMessage snapshot = await alice.ExpectAsync<SnapshotMessage>(s => s.State.Length == WideStateRoom.StateBytes);
        Assert.Equal(WideStateRoom.Pattern(), snapshot.State);
        Assert.True(alice.ReassembledMessages > 0);
    }

    [Fact]
    public Task Resume_WebTransportDropped_ResumesOverWebSocketWithEventsExactlyOnce() =>
        ResumeAcrossTransportsAsync(
            async host => await WebTransportTestClient.ConnectAsync(host),
            client => ((WebTransportTestClient)client).AbortAsync(),
            async (host, token, seen) => await host.ConnectAsync(token, seen));

    [Fact]
    public Task Resume_WebSocketDropped_ResumesOverWebTransportWithEventsExactlyOnce() =>
        ResumeAcrossTransportsAsync(
            async host => await host.ConnectAsync(),
            client =>
            {
                ((TestClient)client).Abort();
                return Task.CompletedTask;
            },
            async (host, token, seen) => await WebTransportTestClient.ConnectAsync(host, token, seen));

    [Fact]
    public async Task Connect_OriginNotAllowed_403AndAllowedOriginPlays()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.AllowedOrigins = ["https://game.example"]);
        WebTransportConnectException refused = await Assert.ThrowsAsync<WebTransportConnectException>(() => WebTransportTestClient.OpenAsync(host, origin: "https://evil.example"));
        Assert.Equal(403, refused.Status);
        await using WebTransportTestClient allowed = await WebTransportTestClient.OpenAsync(host, origin: "https://game.example");
        await allowed.HelloAsync();
        await allowed.JoinAsync("ok", "alice");
    }

    [Fact]
    public async Task Join_SecretConfigured_SameTokenRulesAsWebSocketAndOthersPlayOn()
    {
        const string secret = "a-join-token-secret-for-tests";
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TokenSecret = secret);
        var tokens = new Engine.Security.JoinTokens(secret);
        await using WebTransportTestClient good = await WebTransportTestClient.ConnectAsync(host);
        await good.JoinAsync("vip", "alice", tokens.Issue("vip", "alice", DateTimeOffset.UtcNow.AddMinutes(5)));

        await using WebTransportTestClient bad = await WebTransportTestClient.ConnectAsync(host);
        await bad.SendAsync(new JoinMessage { Room = "vip", Name = "mallory", Token = tokens.Issue("vip", "alice", DateTimeOffset.UtcNow.AddMinutes(5)) });
        Assert.Equal(ErrorCode.Unauthorized, (await bad.ExpectAsync<ErrorMessage>()).Code);
        await bad.SendAsync(new JoinMessage { Room = "vip", Name = "mallory", Token = "garbage.token" });
        Assert.Equal(ErrorCode.Unauthorized, (await bad.ExpectAsync<ErrorMessage>()).Code);

        await good.SendAsync(new ChatMessage { Text = "still playing" });
        await good.ExpectAsync<ChatPostedMessage>(m => m.Text == "still playing");
    }

    [Fact]
    public async Task Connect_AtConnectionLimit_503()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.MaxConnections = 1);
        await using WebTransportTestClient first = await WebTransportTestClient.ConnectAsync(host);
        WebTransportConnectException refused = await Assert.ThrowsAsync<WebTransportConnectException>(() => WebTransportTestClient.OpenAsync(host));
        Assert.Equal(503, refused.Status);
        await first.JoinAsync("still", "alice"); // the first keeps playing
    }

    [Fact]
    public async Task MessageStream_ZeroLength_Closes1002AndOthersPlayOn()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using WebTransportTestClient bad = await WebTransportTestClient.ConnectAsync(host);
        await using WebTransportTestClient good = await WebTransportTestClient.ConnectAsync(host);
        await good.JoinAsync("on", "good");
        await bad.SendFramedAsync([0, 0, 0, 0]);
        int? code = await bad.WaitClosedCodeAsync();
        Assert.True(code == 1002, $"closed with {code}: {bad.CloseDescription}");
        await good.SendAsync(new ChatMessage { Text = "still here" });
        await good.ExpectAsync<ChatPostedMessage>(m => m.Text == "still here");
    }

    [Fact]
    public async Task MessageStream_Oversize_Closes1009()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.MaxMessageBytes = 1024);
        await using WebTransportTestClient bad = await WebTransportTestClient.ConnectAsync(host);
        byte[] header = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 4096);
        await bad.SendFramedAsync(header);
        Assert.Equal(1009, await bad.WaitClosedCodeAsync());
    }

    [Fact]
    public async Task Metrics_WebTransportSession_CountedByTransport()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TickRate = 30);
        await using WebTransportTestClient alice = await WebTransportTestClient.ConnectAsync(host);
        await alice.JoinAsync("metrics", "alice");
        await alice.ExpectAsync<EntitySnapshotMessage>();
        alice.SendDatagram(new InputMessage { Sequence = 1, ClientTick = 0, Data = [1] });
        using HttpClient http = host.CreateHttpClient();
        string metrics = "";
        for (int i = 0; i < 100 && !metrics.Contains("engine_datagrams_received_total{transport=\"webtransport\"}", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
            metrics = await http.GetStringAsync("/metrics");
        }

        Assert.Contains("engine_connections{transport=\"webtransport\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("engine_datagrams_sent_total{transport=\"webtransport\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("engine_datagrams_received_total{transport=\"webtransport\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("engine_bytes_sent_total{transport=\"webtransport\"}", metrics, StringComparison.Ordinal);
    }

    /// <summary>
    /// Alice joins on one transport and drops without a close; Bob chats while she is away; she
    /// resumes on the other transport and gets the missed line exactly once, then the live feed.
    /// </summary>
    private static async Task ResumeAcrossTransportsAsync(
        Func<EngineTestHost, Task<ProtocolTestClient>> connect,
        Func<ProtocolTestClient, Task> drop,
        Func<EngineTestHost, string, long, Task<ProtocolTestClient>> resume)
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ChatRatePerSecond = 100);
        ProtocolTestClient alice = await connect(host);
        await alice.JoinAsync("hop", "alice");
        await using TestClient bob = await host.JoinAsync("hop", "bob");
        await alice.ExpectAsync<JoinedMessage>(m => m.Name == "bob");
        long seen = bob.Accepted!.Sequence + 1;
        string token = alice.Welcome!.ResumeToken;
        int aliceId = alice.Welcome.PlayerId;

        await drop(alice);
        await bob.ExpectAsync<PresenceMessage>(p => p.Members.Any(m => m.PlayerId == aliceId && !m.Online));
        await bob.SendAsync(new ChatMessage { Text = "while you hopped" });
        await bob.ExpectAsync<ChatPostedMessage>(m => m.Text == "while you hopped");

        await using ProtocolTestClient back = await resume(host, token, seen);
        Assert.True(back.Welcome!.Resumed);
        Assert.Equal(aliceId, back.Welcome.PlayerId);
        Assert.True((await back.ExpectAsync<JoinAcceptedMessage>()).Recovered);
        await back.ExpectAsync<ChatPostedMessage>(m => m.Text == "while you hopped");
        await bob.SendAsync(new ChatMessage { Text = "live" });
        await back.ExpectAsync<ChatPostedMessage>(m => m.Text == "live");
        Assert.DoesNotContain(back.Drain(), m => m.Type == MessageType.ChatPosted && MessageCodec.Read<ChatPostedMessage>(m.Bytes).Text == "while you hopped");
        await alice.DisposeAsync();
    }
}

/// <summary>A room whose state (4 KB) never fits one datagram.</summary>
public sealed class WideStateRoom : Room
{
    public const int StateBytes = 4096;

    public static byte[] Pattern() => Enumerable.Range(0, StateBytes).Select(i => (byte)(i * 7)).ToArray();

    public override void OnTick(TickInfo tick)
    {
    }

    public override void WriteState(IBufferWriter<byte> writer) => writer.Write(Pattern());
}

/// <summary>A room that records the inputs it was given, in order (applied sequences, checked against the payload).</summary>
public sealed class InputRecordingRoom : Room
{
    public static System.Collections.Concurrent.ConcurrentBag<InputRecordingRoom> Instances { get; } = [];

    private readonly List<uint> _applied = [];

    public InputRecordingRoom() => Instances.Add(this);

    public IReadOnlyList<uint> Applied
    {
        get
        {
            lock (_applied)
            {
                return [.. _applied];
            }
        }
    }

    public override void OnInput(Player player, PlayerInput input)
    {
        Assert.Equal(input.Sequence, BitConverter.ToUInt32(input.Data));
        lock (_applied)
        {
            _applied.Add(input.Sequence);
        }
    }

    public override void OnTick(TickInfo tick)
    {
    }

    public override void WriteState(IBufferWriter<byte> writer)
    {
    }
}
