using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Host;

public class LimitsTests
{
    private const string Secret = "a-test-secret-of-enough-length";

    [Fact]
    public async Task Join_SecretConfigured_TokenRequiredAndChecked()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TokenSecret = Secret);
        var tokens = new JoinTokens(Secret);
        DateTimeOffset later = DateTimeOffset.UtcNow.AddMinutes(5);

        async Task<ErrorCode?> TryJoin(string? token, string room = "vip", string name = "alice")
        {
            await using TestClient client = await host.ConnectAsync();
            await client.SendAsync(new JoinMessage { Room = room, Name = name, Token = token });
            (MessageType type, byte[] bytes) = await NextOf(client, MessageType.JoinAccepted, MessageType.Error);
            return type == MessageType.Error ? MessageCodec.Read<ErrorMessage>(bytes).Code : null;
        }

        Assert.Equal(ErrorCode.Unauthorized, await TryJoin(null));
        Assert.Equal(ErrorCode.Unauthorized, await TryJoin("garbage.token"));
        Assert.Equal(ErrorCode.Unauthorized, await TryJoin(tokens.Issue("other", "alice", later)));
        Assert.Equal(ErrorCode.Unauthorized, await TryJoin(tokens.Issue("vip", "mallory", later)));
        Assert.Equal(ErrorCode.Unauthorized, await TryJoin(tokens.Issue("vip", "alice", DateTimeOffset.UtcNow.AddSeconds(-1))));
        Assert.Equal(ErrorCode.Unauthorized, await TryJoin(new JoinTokens("another-secret-of-enough-length").Issue("vip", "alice", later)));
        Assert.Null(await TryJoin(tokens.Issue("vip", "alice", later)));
    }

    [Fact]
    public async Task Connect_OriginNotAllowed_Refused403()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.AllowedOrigins = ["https://game.example"]);

        WebSocketException refused = await Assert.ThrowsAnyAsync<WebSocketException>(() => host.ConnectRawAsync("https://evil.example"));
        using ClientWebSocket allowed = await host.ConnectRawAsync("https://game.example");

        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, allowed.State);
    }

    [Fact]
    public async Task Message_OverSizeLimit_ClosedWith1009()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.MaxMessageBytes = 16 * 1024);
        await using TestClient client = await host.JoinAsync("arena", "big");

        byte[] huge = MessageCodec.ToArray(new ChatMessage { Text = new string('x', 20_000) });
        await client.SendRawAsync(huge);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Message_Malformed_ClosesOnlyThatConnectionWith1002()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient bad = await host.JoinAsync("arena", "bad");
        await using TestClient good = await host.JoinAsync("arena", "good");

        await bad.SendRawAsync([(byte)MessageType.Chat, 0x01, 0xff, 0xff, 0xff, 0x7f]); // a string claiming 2 GiB
        WebSocketCloseStatus? status = await bad.WaitClosedAsync();
        good.Drain();
        await good.SendAsync(new ChatMessage { Text = "still here" });

        Assert.Equal(WebSocketCloseStatus.ProtocolError, status);
        Assert.Contains("Malformed ChatMessage", bad.CloseDescription, StringComparison.Ordinal);
        Assert.Equal("still here", (await good.ExpectAsync<ChatPostedMessage>()).Text);
        await good.ExpectAsync<EntitySnapshotMessage>();
    }

    [Theory]
    [InlineData(MessageType.Chat, "Text")]
    [InlineData(MessageType.Join, "Name")]
    public async Task Message_NullInNonNullableString_ClosedWith1002(MessageType type, string member)
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient client = type == MessageType.Join ? await host.ConnectAsync() : await host.JoinAsync("arena", "nully");

        // What a buggy or hostile client can put on the wire: MemoryPack writes null strings as length -1.
        byte[] payload = type == MessageType.Join
            ? MessageCodec.ToArray(new JoinMessage { Room = "arena", Name = null! })
            : MessageCodec.ToArray(new ChatMessage { Text = null! });
        await client.SendRawAsync(payload);

        Assert.Equal(WebSocketCloseStatus.ProtocolError, await client.WaitClosedAsync());
        Assert.Contains($"{member} is null", client.CloseDescription, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x55 })] // unknown type
    [InlineData(new byte[] { 0x81, 0x00 })] // a server-to-client type
    [InlineData(new byte[] { })] // empty
    [InlineData(new byte[] { 0x06, 0x03, 0x01, 0x00 })] // truncated input
    public async Task Message_BadBytes_ClosedWithProtocolError(byte[] payload)
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient client = await host.JoinAsync("arena", "bad");

        await client.SendRawAsync(payload);

        Assert.Equal(WebSocketCloseStatus.ProtocolError, await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Message_TextFrame_ClosedWith1003()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient client = await host.JoinAsync("arena", "texter");

        await client.SendRawAsync("hello"u8.ToArray(), WebSocketMessageType.Text);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Input_BriefBurstOverRate_ExcessDroppedConnectionStays()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o =>
        {
            o.InputRatePerSecond = 10;
            o.AbuseAllowance = 50;
        });
        await using TestClient client = await host.JoinAsync("arena", "bursty");

        for (uint i = 1; i <= 40; i++)
        {
            await client.SendAsync(new InputMessage { Sequence = i, Data = [0] });
        }

        await client.SendAsync(new PingMessage { ClientTime = 7 });
        Assert.Equal(7, (await client.ExpectAsync<PongMessage>()).ClientTime);
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }

    [Fact]
    public async Task Input_SustainedFlood_ClosedWith1008()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o =>
        {
            o.InputRatePerSecond = 10;
            o.AbuseAllowance = 20;
        });
        await using TestClient flooder = await host.JoinAsync("arena", "flooder");

        for (uint i = 1; i <= 500 && flooder.Socket.State == WebSocketState.Open; i++)
        {
            try
            {
                await flooder.SendAsync(new InputMessage { Sequence = i, Data = [0] });
            }
            catch (WebSocketException)
            {
                break;
            }
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await flooder.WaitClosedAsync());
        Assert.Contains("rate limit", flooder.CloseDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_AtConnectionCeiling_503WithRetryAfter()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.MaxConnections = 2);
        await using TestClient a = await host.ConnectAsync();
        await using TestClient b = await host.ConnectAsync();

        using var refused = new ClientWebSocket();
        refused.Options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        refused.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => refused.ConnectAsync(host.WebSocketUri, CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.HttpStatusCode);
        Assert.Equal("5", Assert.Single(refused.HttpResponseHeaders!["Retry-After"]));
    }

    [Fact]
    public async Task SlowConsumer_NeverReads_DisconnectedWhileOthersKeepTickRate()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync<BlastRoom>(o =>
        {
            o.TickRate = 60;
            o.SendQueueCapacity = 16;
            o.ReconnectGrace = TimeSpan.FromMilliseconds(200);
            o.HeartbeatInterval = TimeSpan.FromMinutes(5);
        });
        await using TestClient healthy = await host.JoinAsync("blast", "healthy");
        using ClientWebSocket stalled = await host.ConnectRawAsync();
        await stalled.SendAsync(MessageCodec.ToArray(new HelloMessage { ProtocolVersion = ProtocolInfo.Version }), WebSocketMessageType.Binary, true, CancellationToken.None);
        await stalled.SendAsync(MessageCodec.ToArray(new JoinMessage { Room = "blast", Name = "stalled" }), WebSocketMessageType.Binary, true, CancellationToken.None);

        // The stalled client never reads: the room's 12 KB events fill the socket buffers, then its
        // bounded queue, and the server drops it. The healthy client reads everything.
        LeftMessage left = await healthy.ExpectAsync<LeftMessage>(m => m.Reason is "disconnected" or "left", TimeSpan.FromSeconds(60));
        healthy.Drain();
        RoomHost room = host.Services.GetRequiredService<RoomManager>().Find("blast")!;
        SnapshotMessage a = await healthy.ExpectAsync<SnapshotMessage>();
        long overrunsBefore = room.Overruns;
        SnapshotMessage b = await healthy.ExpectAsync<SnapshotMessage>(s => s.ServerTime >= a.ServerTime + 1000, TimeSpan.FromSeconds(60));
        long skipped = room.Overruns - overrunsBefore;

        Assert.NotEqual(healthy.Welcome!.PlayerId, left.PlayerId);
        // The room kept ticking for the healthy client: a second of server time went by in
        // snapshots, and every period of it was ticked or counted as skipped (a busy machine
        // makes the loop skip, never stall silently; bounds as in RoomBehaviourTests).
        double periods = (b.ServerTime - a.ServerTime) / 1000.0 * 60;
        Assert.True(b.Tick > a.Tick);
        Assert.True(b.Tick - a.Tick + skipped >= (periods * 0.8) - 6, $"{b.Tick - a.Tick} ticks and {skipped} skipped in {periods:F1} periods");

        // The close frame cannot get through a full pipe (the session aborts after its close
        // timeout), so the reason is read from the server's own disconnect metric, which the
        // connection records as it ends (bounded wait: its seat may be released first).
        using HttpClient http = host.CreateHttpClient();
        string metrics = "";
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); waited.Elapsed < TestClient.Timeout; await Task.Delay(100))
        {
            metrics = await http.GetStringAsync("/metrics");
            if (metrics.Contains("engine_disconnects_total{reason=\"SlowConsumer\",transport=\"websocket\"}", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.Contains("engine_disconnects_total{reason=\"SlowConsumer\",transport=\"websocket\"} 1", metrics, StringComparison.Ordinal);
    }

    private static async Task<(MessageType, byte[])> NextOf(TestClient client, params MessageType[] types)
    {
        using var cts = new CancellationTokenSource(TestClient.Timeout);
        while (true)
        {
            foreach ((MessageType type, byte[] bytes) in client.Drain())
            {
                if (types.Contains(type))
                {
                    return (type, bytes);
                }
            }

            await Task.Delay(20, cts.Token);
        }
    }
}

/// <summary>A room that publishes a 12 KB reliable event every tick, to fill slow clients' queues.</summary>
public sealed class BlastRoom : Room
{
    private static readonly byte[] Payload = new byte[12 * 1024];

    public override void OnTick(TickInfo tick) => Context.PublishEvent(1, Payload);

    public override void WriteState(IBufferWriter<byte> writer) => writer.Write(BitConverter.GetBytes(Context.Tick));
}
