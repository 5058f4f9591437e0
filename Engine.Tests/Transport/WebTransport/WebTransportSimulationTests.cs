using System.Text;
using Engine.Tests.Transport.Http3;
using Engine.Tests.Transport.Quic.Simulation;
using Engine.Transport.Http3;
using Engine.Transport.Quic;
using Engine.Transport.WebTransport.Protocol;

namespace Engine.Tests.Transport.WebTransport;

/// <summary>
/// WebTransport sessions between Engine's client and server protocol cores on a simulated network
/// (virtual clock): loss, bad capsules, streams and datagrams for sessions that do not exist, a
/// session flood, the drain at shutdown. Deterministic for a seed.
/// </summary>
public class WebTransportSimulationTests
{
    private static readonly NetworkConditions TwentyPercentLoss = new() { Loss = 0.2, Delay = TimeSpan.FromMilliseconds(15) };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Session_TwentyPercentLoss_StreamsIntactDatagramsAtMostOnce(int seed)
    {
        using var sim = new WebTransportSimHarness(seed, TwentyPercentLoss);
        RecordingSink client = sim.Establish();
        RecordingSink server = sim.ServerSessions[0];

        byte[] payload = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 31)).ToArray();
        Assert.True(client.Session.TryOpenStream(bidirectional: true, out long streamId));
        WriteAll(sim, sim.Pair.Client!, streamId, payload);
        Assert.True(sim.RunUntil(() => server.Finished.Contains(streamId)), "the stream did not arrive whole");
        Assert.Equal(payload, server.Received[streamId].ToArray());

        const int sent = 300;
        for (int i = 0; i < sent; i++)
        {
            Assert.True(client.Session.TrySendDatagram(BitConverter.GetBytes(i)));
            sim.RunFor(TimeSpan.FromMilliseconds(2));
        }

        sim.RunFor(TimeSpan.FromSeconds(1));
        int[] received = [.. server.Datagrams.Select(d => BitConverter.ToInt32(d))];
        Assert.Equal(received.Length, received.Distinct().Count()); // at most once
        Assert.All(received, value => Assert.InRange(value, 0, sent - 1));
        Assert.InRange(received.Length, sent / 2, sent - 1); // some lost (20 %), most arrived
    }

    [Fact]
    public void ConnectStream_GreaseAndUnknownCapsules_SkippedAndSessionLives()
    {
        using var sim = new WebTransportSimHarness();
        RecordingSink client = sim.Establish();
        RecordingSink server = sim.ServerSessions[0];
        WriteAll(sim, sim.Pair.Client!, client.Session.SessionId, WebTransportCapsules.CapsuleFrame(0x29UL * 7 + 0x17, new byte[300]), fin: false);
        WriteAll(sim, sim.Pair.Client!, client.Session.SessionId, WebTransportCapsules.CapsuleFrame(0x4242, "unknown"u8), fin: false);
        sim.RunFor(TimeSpan.FromMilliseconds(200));
        Assert.Null(server.Closed);
        Assert.Equal(0, sim.Extension.State.Counters.SessionsClosed);

        client.Session.Close(4001, "unauthorized: bad token");
        Assert.True(sim.RunUntil(() => server.Closed is not null));
        Assert.Equal(new WebTransportCloseRecord(4001, "unauthorized: bad token", ByPeer: true), server.Closed);
    }

    [Fact]
    public void ConnectStream_MalformedCapsule_ClosesOnlyThatSession()
    {
        using var sim = new WebTransportSimHarness();
        RecordingSink first = sim.Establish();
        long second = OpenRawSession(sim);
        Assert.True(sim.RunUntil(() => sim.ServerSessions.Count == 2));

        // A CLOSE_WEBTRANSPORT_SESSION capsule two bytes long (it needs at least the 4-byte code).
        WriteAll(sim, sim.Pair.Client!, second, WebTransportCapsules.CapsuleFrame(WebTransportCapsules.CloseSession, [1, 2]), fin: false);
        Assert.True(sim.RunUntil(() => sim.ServerSessions[1].Closed is not null));
        Assert.False(sim.ServerSessions[1].Closed!.Value.ByPeer);
        Assert.Equal(1, sim.Extension.State.Counters.MalformedCapsules);

        // The first session and the connection carry on.
        Assert.True(first.Session.TrySendDatagram("still alive"u8));
        Assert.True(sim.RunUntil(() => sim.ServerSessions[0].Datagrams.Count > 0));
        Assert.Null(sim.ServerSessions[0].Closed);
        Assert.False(sim.Pair.Server!.IsClosing);
    }

    [Fact]
    public void Stream_UnknownSession_RefusedAfterBufferLifetimeConnectionLives()
    {
        using var sim = new WebTransportSimHarness(limits: new WebTransportLimits { BufferedLifetime = TimeSpan.FromMilliseconds(500) });
        RecordingSink client = sim.Establish();
        QuicConnectionCore quic = sim.Pair.Client!;
        TimeSpan start = sim.Now;
        Assert.True(quic.TryOpenStream(bidirectional: true, out long stray));
        quic.WriteStream(stray, [.. WebTransportStreamSignal.BidirectionalHeader(400), .. "lost"u8], fin: false);
        sim.RunFor(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, sim.Extension.State.Counters.StreamsBuffered);
        Assert.True(sim.RunUntil(() => DrainClientEvents(sim).Any(e => e.StreamId == stray && e.Kind == QuicConnectionEventKind.StreamPeerReset && e.ErrorCode == WebTransportErrorCodes.BufferedStreamRejected)));
        Assert.True(sim.Now - start >= TimeSpan.FromMilliseconds(500), "refused only after the buffer lifetime");
        Assert.True(client.Session.TrySendDatagram("ok"u8));
        Assert.True(sim.RunUntil(() => sim.ServerSessions[0].Datagrams.Count > 0));
    }

    [Fact]
    public void StreamAndDatagram_ClosedSession_RefusedAndDropped()
    {
        using var sim = new WebTransportSimHarness();
        RecordingSink client = sim.Establish();
        long sessionId = client.Session.SessionId;
        client.Session.Close(1000, "done");
        Assert.True(sim.RunUntil(() => sim.ServerSessions[0].Closed is not null));

        QuicConnectionCore quic = sim.Pair.Client!;
        long droppedBefore = sim.Extension.State.Counters.DatagramsDropped;
        byte[] datagram = new byte[WebTransportDatagram.PrefixLength(sessionId) + 3];
        WebTransportDatagram.WritePrefix(datagram, sessionId);
        Assert.True(quic.TrySendDatagram(datagram));
        Assert.True(quic.TryOpenStream(bidirectional: false, out long late));
        quic.WriteStream(late, [.. WebTransportStreamSignal.UnidirectionalHeader(sessionId), 1, 2, 3], fin: false);
        Assert.True(sim.RunUntil(() => sim.Extension.State.Counters.DatagramsDropped > droppedBefore
            && DrainClientEvents(sim).Any(e => e.StreamId == late && e.Kind == QuicConnectionEventKind.StreamPeerStopSending && e.ErrorCode == WebTransportErrorCodes.SessionGone)));
        Assert.False(sim.Pair.Server!.IsClosing);
    }

    [Fact]
    public void Connect_SessionFloodFromOneConnection_BeyondLimitGets429()
    {
        using var sim = new WebTransportSimHarness(limits: new WebTransportLimits { MaxSessionsPerConnection = 3 });
        sim.Establish();
        long[] more = [.. Enumerable.Range(0, 5).Select(_ => OpenRawSession(sim))];
        Assert.True(sim.RunUntil(() => sim.Extension.Refusals.GetValueOrDefault(429) == 3));
        Assert.Equal(3, sim.ServerSessions.Count);
        Assert.False(sim.Pair.Server!.IsClosing);
    }

    [Fact]
    public void EarlyStreamAndDatagram_BeforeTheirConnect_DeliveredOnceEstablished()
    {
        using var sim = new WebTransportSimHarness();
        sim.Establish();
        QuicConnectionCore quic = sim.Pair.Client!;
        Assert.True(quic.TryOpenStream(bidirectional: true, out long future)); // this ID becomes the session
        Assert.True(quic.TryOpenStream(bidirectional: true, out long early));
        quic.WriteStream(early, [.. WebTransportStreamSignal.BidirectionalHeader(future), .. "early bird"u8], fin: true);
        byte[] datagram = new byte[WebTransportDatagram.PrefixLength(future) + 2];
        WebTransportDatagram.WritePrefix(datagram, future);
        quic.TrySendDatagram(datagram);
        sim.RunFor(TimeSpan.FromMilliseconds(100));
        Assert.Single(sim.ServerSessions);

        WriteAll(sim, quic, future, ConnectHeaders(), fin: false);
        Assert.True(sim.RunUntil(() => sim.ServerSessions.Count == 2 && sim.ServerSessions[1].Finished.Contains(early)));
        Assert.Equal("early bird", Encoding.UTF8.GetString(sim.ServerSessions[1].Received[early].ToArray()));
        Assert.Single(sim.ServerSessions[1].Datagrams);
    }

    [Fact]
    public void BeginShutdown_OpenSession_ClientSeesDrain()
    {
        using var sim = new WebTransportSimHarness();
        RecordingSink client = sim.Establish();
        sim.Server.BeginShutdown(sim.Now);
        Assert.True(sim.RunUntil(() => client.Draining));
        Assert.Null(client.Closed);
    }

    [Fact]
    public void Close_FromServer_StreamsResetWithConnectError()
    {
        using var sim = new WebTransportSimHarness();
        RecordingSink client = sim.Establish();
        Assert.True(client.Session.TryOpenStream(bidirectional: true, out long streamId));
        sim.Pair.Client!.WriteStream(streamId, "open"u8, fin: false);
        Assert.True(sim.RunUntil(() => sim.ServerSessions[0].Incoming.Contains(streamId)));
        sim.ServerSessions[0].Session.Close(4002, "room full");
        Assert.True(sim.RunUntil(() => client.Closed is not null));
        Assert.Equal(new WebTransportCloseRecord(4002, "room full", ByPeer: true), client.Closed);
        Assert.True(sim.RunUntil(() => DrainClientEventsSeen(sim).Any(e => e.StreamId == streamId && e.Kind == QuicConnectionEventKind.StreamPeerReset && e.ErrorCode == (ulong)Http3ErrorCode.ConnectError)));
    }

    [Fact]
    public void Session_IdleForAMinuteAgainstChromiumsThirtySecondTimeout_StaysOpen()
    {
        // The client behaves like Chromium: a 30 s idle timeout and no keep-alive of its own.
        using var sim = new WebTransportSimHarness(clientTransport: new QuicTransportOptions { IdleTimeout = TimeSpan.FromSeconds(30), KeepAliveInterval = null });
        RecordingSink client = sim.Establish();
        sim.RunFor(TimeSpan.FromSeconds(65));
        Assert.False(sim.Pair.Client!.IsClosing, $"closed: {sim.Pair.Client.CloseInfo}");
        Assert.Null(client.Closed);
        Assert.True(client.Session.TrySendDatagram("after a quiet minute"u8));
        Assert.True(sim.RunUntil(() => sim.ServerSessions[0].Datagrams.Count > 0));
    }

    /// <summary>Opens a session with a raw CONNECT on a new client stream (beside the protocol client's).</summary>
    private static long OpenRawSession(WebTransportSimHarness sim)
    {
        Assert.True(sim.Pair.Client!.TryOpenStream(bidirectional: true, out long id));
        WriteAll(sim, sim.Pair.Client!, id, ConnectHeaders(), fin: false);
        return id;
    }

    private static byte[] ConnectHeaders() => Http3ServerHarness.Headers(
        (":method", "CONNECT"), (":protocol", "webtransport"), (":scheme", "https"), (":authority", "localhost"), (":path", "/wt"), ("origin", "https://game.example"));

    private static void WriteAll(WebTransportSimHarness sim, QuicConnectionCore connection, long streamId, byte[] data, bool fin = true)
    {
        int offset = 0;
        Assert.True(sim.RunUntil(() =>
        {
            offset += connection.WriteStream(streamId, data.AsSpan(offset), fin);
            return offset == data.Length;
        }));
    }

    /// <summary>Client-side stream events the protocol client did not own (raw streams), as the client saw them.</summary>
    private static List<QuicConnectionEvent> DrainClientEvents(WebTransportSimHarness sim) => DrainClientEventsSeen(sim);

    private static List<QuicConnectionEvent> DrainClientEventsSeen(WebTransportSimHarness sim) => sim.ClientEventsSeen;
}
