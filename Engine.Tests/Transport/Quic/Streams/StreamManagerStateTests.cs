using Engine.Transport.Coding;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Streams;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic.Streams;

public class StreamManagerStateTests
{
    private static List<StreamEvent> Events(StreamManager manager)
    {
        var events = new List<StreamEvent>();
        while (manager.TryDequeueEvent(out StreamEvent e))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public void ResetStream_ByClient_ServerGetsPeerResetAndBothRelease()
    {
        var pair = new StreamPair(seed: 5, lossRate: 0.3);
        Assert.True(pair.Client.TryOpenStream(false, out long id));
        pair.Client.Write(id, new byte[3000], fin: false);
        pair.Pump();

        pair.Client.ResetStream(id, errorCode: 42);
        Assert.Equal(0, pair.Client.Write(id, [1], fin: false));
        pair.PumpUntilQuiet();

        List<StreamEvent> events = Events(pair.Server);
        Assert.Contains(new StreamEvent(StreamEventKind.PeerReset, id, 42), events);
        Assert.True(pair.ServerReceived.GetValueOrDefault("RESET_STREAM") >= 1);
        Assert.Equal(0, pair.Server.OpenStreamCount);
        Assert.Equal(0, pair.Client.OpenStreamCount);
    }

    [Fact]
    public void StopSending_ByServer_ClientResetsWithSameCode()
    {
        var pair = new StreamPair(seed: 9, lossRate: 0.2);
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.Write(id, new byte[5000], fin: false);
        pair.PumpUntilQuiet();
        Assert.Contains(new StreamEvent(StreamEventKind.Opened, id, 0), Events(pair.Server));

        pair.Server.StopSending(id, errorCode: 7);
        pair.Server.Write(id, "bye"u8, fin: true);
        pair.PumpUntilQuiet();

        Assert.Contains(new StreamEvent(StreamEventKind.PeerStopSending, id, 7), Events(pair.Client));
        Assert.Contains(new StreamEvent(StreamEventKind.PeerReset, id, 7), Events(pair.Server));
        var buffer = new byte[10];
        Assert.Equal(3, pair.Client.Read(id, buffer, out bool finished));
        Assert.True(finished);
        pair.PumpUntilQuiet();
        Assert.Equal(0, pair.Client.OpenStreamCount);
        Assert.Equal(0, pair.Server.OpenStreamCount);
    }

    [Fact]
    public void OnStopSending_SendingStream_QueuesResetWithSameCodeAndFinalSize()
    {
        var server = new StreamManager(isServer: true, new StreamManagerOptions());
        server.ApplyPeerTransportParameters(StreamPair.ToTransportParameters(new StreamManagerOptions()));
        Assert.True(server.TryOpenStream(false, out long id));
        server.Write(id, new byte[100], fin: false);
        var buffer = new byte[1200];
        var frames = new List<SentFrame>();
        var writer = new SpanWriter(buffer);
        server.WriteFrames(ref writer, frames);
        server.Write(id, new byte[100], fin: false);

        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStopSending((ulong)id, 99));

        Assert.Equal([new StreamEvent(StreamEventKind.PeerStopSending, id, 99)], Events(server));
        frames.Clear();
        writer = new SpanWriter(buffer);
        server.WriteFrames(ref writer, frames);
        Assert.Equal([new SentFrame(SentFrameKind.ResetStream, (ulong)id, 100, 0, false)], frames);

        // Lost reset: sent again; lost data of a reset stream: not.
        server.OnFrameLost(new SentFrame(SentFrameKind.Stream, (ulong)id, 0, 100, false));
        Assert.False(server.HasDataToSend);
        server.OnFrameLost(frames[0]);
        Assert.True(server.HasDataToSend);
        server.OnFrameAcked(frames[0]);
        Assert.False(server.HasDataToSend);
        Assert.Equal(0, server.OpenStreamCount);
    }

    [Fact]
    public void Write_EmptyWithFin_SendsFinOnlyFrameAndFinishes()
    {
        var pair = new StreamPair();
        Assert.True(pair.Client.TryOpenStream(false, out long id));

        Assert.Equal(0, pair.Client.Write(id, [], fin: true));
        Assert.True(pair.Client.HasDataToSend);
        pair.PumpUntilQuiet();

        Assert.Equal(
            [new StreamEvent(StreamEventKind.Opened, id, 0), new StreamEvent(StreamEventKind.Readable, id, 0)],
            Events(pair.Server));
        Assert.Equal(0, pair.Server.Read(id, new byte[1], out bool finished));
        Assert.True(finished);
        Assert.Equal([new StreamEvent(StreamEventKind.Finished, id, 0)], Events(pair.Client));
        Assert.Equal(0, pair.Client.OpenStreamCount);
        Assert.Equal(0, pair.Server.OpenStreamCount);
    }

    [Fact]
    public void OnStreamFrame_SeveralFramesBeforeRead_OneReadableEvent()
    {
        var server = new StreamManager(isServer: true, new StreamManagerOptions());
        server.OnStreamFrame(0, 0, [1, 2], fin: false);
        server.OnStreamFrame(0, 2, [3], fin: false);
        server.OnStreamFrame(0, 10, [9], fin: false);

        Assert.Equal(
            [new StreamEvent(StreamEventKind.Opened, 0, 0), new StreamEvent(StreamEventKind.Readable, 0, 0)],
            Events(server));
        server.OnStreamFrame(0, 3, [4], fin: false);
        Assert.Equal([new StreamEvent(StreamEventKind.Readable, 0, 0)], Events(server));
    }

    [Fact]
    public void TryDequeueEvent_ReadableAlreadyConsumed_IsDropped()
    {
        var server = new StreamManager(isServer: true, new StreamManagerOptions());
        server.OnStreamFrame(0, 0, [1, 2], fin: false);
        Assert.Equal(2, server.Read(0, new byte[10], out bool finished));
        Assert.False(finished);

        Assert.Equal([new StreamEvent(StreamEventKind.Opened, 0, 0)], Events(server));
    }

    [Fact]
    public void OnStreamFrame_OutOfOrderWithGap_ReadableOnlyWhenContiguous()
    {
        var server = new StreamManager(isServer: true, new StreamManagerOptions());
        server.OnStreamFrame(2, 5, [6, 7, 8], fin: true);
        Assert.Equal([new StreamEvent(StreamEventKind.Opened, 2, 0)], Events(server));

        server.OnStreamFrame(2, 0, [1, 2, 3, 4, 5], fin: false);

        Assert.Equal([new StreamEvent(StreamEventKind.Readable, 2, 0)], Events(server));
        var buffer = new byte[10];
        Assert.Equal(8, server.Read(2, buffer, out bool finished));
        Assert.True(finished);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, buffer[..8]);
        Assert.Equal(0, server.OpenStreamCount);   // receive-only stream, fully read: released
    }

    [Fact]
    public void OnStreamFrame_ReleasedStream_IsIgnored()
    {
        var server = new StreamManager(isServer: true, new StreamManagerOptions());
        server.OnStreamFrame(2, 0, [1], fin: true);
        server.Read(2, new byte[1], out _);
        Assert.Equal(0, server.OpenStreamCount);

        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(2, 0, [1], fin: true));
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnResetStream(2, 0, 1));
        Assert.Equal(0, server.OpenStreamCount);
    }

    [Fact]
    public void Release_PeerStream_QueuesMaxStreamsWithRaisedLimit()
    {
        var server = new StreamManager(isServer: true, new StreamManagerOptions { MaxStreamsUni = 2 });
        server.OnStreamFrame(2, 0, [1], fin: true);
        server.OnStreamFrame(6, 0, [1], fin: true);
        Assert.Equal(QuicTransportErrorCode.StreamLimitError, server.OnStreamFrame(10, 0, [1], fin: true));
        Assert.False(server.HasDataToSend);

        server.Read(2, new byte[1], out _);

        var frames = new List<SentFrame>();
        var buffer = new byte[100];
        var writer = new SpanWriter(buffer);
        server.WriteFrames(ref writer, frames);
        Assert.Equal([SentFrame.WithValue(SentFrameKind.MaxStreamsUni, 3)], frames);
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(10, 0, [1], fin: true));
    }
}
