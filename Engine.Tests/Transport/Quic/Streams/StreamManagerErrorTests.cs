using Engine.Transport.Coding;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Streams;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic.Streams;

public class StreamManagerErrorTests
{
    // Client-initiated bidi: 0, 4, 8 ...; server-initiated bidi: 1, 5 ...; client uni: 2, 6 ...; server uni: 3, 7 ...
    private const ulong ClientBidi0 = 0;
    private const ulong ServerBidi0 = 1;
    private const ulong ClientUni0 = 2;
    private const ulong ServerUni0 = 3;

    private static StreamManager NewServer(StreamManagerOptions? options = null)
    {
        options ??= new StreamManagerOptions();
        var server = new StreamManager(isServer: true, options);
        server.ApplyPeerTransportParameters(StreamPair.ToTransportParameters(new StreamManagerOptions()));
        return server;
    }

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
    public void OnStreamFrame_OurSendOnlyStream_ReturnsStreamStateError()
    {
        StreamManager server = NewServer();
        Assert.True(server.TryOpenStream(bidirectional: false, out long id));
        Assert.Equal((long)ServerUni0, id);

        Assert.Equal(QuicTransportErrorCode.StreamStateError, server.OnStreamFrame(ServerUni0, 0, [1], fin: false));
        Assert.Equal(QuicTransportErrorCode.StreamStateError, server.OnResetStream(ServerUni0, 0, 0));
        Assert.Equal(QuicTransportErrorCode.StreamStateError, server.OnStreamDataBlocked(ServerUni0, 0));
    }

    [Fact]
    public void OnStreamFrame_OurStreamNeverOpened_ReturnsStreamStateError()
    {
        StreamManager server = NewServer();

        Assert.Equal(QuicTransportErrorCode.StreamStateError, server.OnStreamFrame(ServerBidi0, 0, [1], fin: false));
        Assert.Equal(QuicTransportErrorCode.StreamStateError, server.OnMaxStreamData(ServerBidi0, 100));
        Assert.Equal(QuicTransportErrorCode.StreamStateError, server.OnStopSending(ServerBidi0, 1));
        Assert.True(server.TryOpenStream(true, out _));
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(ServerBidi0, 0, [1], fin: false));
    }

    [Fact]
    public void OnMaxStreamData_ReceiveOnlyStream_ReturnsStreamStateError()
    {
        StreamManager server = NewServer();

        Assert.Equal(QuicTransportErrorCode.StreamStateError, server.OnMaxStreamData(ClientUni0, 1000));
    }

    [Fact]
    public void OnStopSending_ReceiveOnlyStream_ReturnsStreamStateError()
    {
        StreamManager server = NewServer();

        Assert.Equal(QuicTransportErrorCode.StreamStateError, server.OnStopSending(ClientUni0, 1));
    }

    [Fact]
    public void OnStreamFrame_BeyondOurMaxStreams_ReturnsStreamLimitError()
    {
        StreamManager server = NewServer(new StreamManagerOptions { MaxStreamsBidi = 100, MaxStreamsUni = 3 });

        Assert.Equal(QuicTransportErrorCode.StreamLimitError, server.OnStreamFrame(100 * 4 + ClientBidi0, 0, [1], fin: false));
        Assert.Equal(QuicTransportErrorCode.StreamLimitError, server.OnStreamFrame(3 * 4 + ClientUni0, 0, [1], fin: false));
        Assert.Equal(QuicTransportErrorCode.StreamLimitError, server.OnMaxStreamData(100 * 4 + ClientBidi0, 1));
        Assert.Equal(0, server.OpenStreamCount);
    }

    [Fact]
    public void OnStreamFrame_HighPeerStream_OpensLowerStreamsWithEvents()
    {
        StreamManager server = NewServer();

        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(99 * 4 + ClientBidi0, 0, [1], fin: false));

        List<StreamEvent> events = Events(server);
        Assert.Equal(100, server.OpenStreamCount);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i * 4), events.Where(e => e.Kind == StreamEventKind.Opened).Select(e => e.StreamId));
        Assert.Equal([new StreamEvent(StreamEventKind.Readable, 99 * 4, 0)], events.Where(e => e.Kind == StreamEventKind.Readable));
    }

    [Fact]
    public void OnMaxStreams_AboveTwoToThe60_ReturnsFrameEncodingError()
    {
        StreamManager server = NewServer();

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, server.OnMaxStreams(true, (1UL << 60) + 1));
        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, server.OnStreamsBlocked(false, (1UL << 60) + 1));
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnMaxStreams(true, 1UL << 60));
    }

    [Fact]
    public void OnStreamFrame_BeyondStreamWindow_ReturnsFlowControlError()
    {
        StreamManager server = NewServer(new StreamManagerOptions { InitialMaxStreamDataBidiRemote = 1000 });

        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(ClientBidi0, 0, new byte[1000], fin: false));
        Assert.Equal(QuicTransportErrorCode.FlowControlError, server.OnStreamFrame(ClientBidi0, 1000, [1], fin: false));
        Assert.Equal(QuicTransportErrorCode.FlowControlError, server.OnStreamFrame(ClientBidi0, 1001, [], fin: false));
    }

    [Fact]
    public void OnStreamFrame_SumBeyondConnectionWindow_ReturnsFlowControlError()
    {
        StreamManager server = NewServer(new StreamManagerOptions { InitialMaxData = 1000, InitialMaxStreamDataBidiRemote = 800 });

        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(ClientBidi0, 0, new byte[600], fin: false));
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(ClientBidi0, 0, new byte[600], fin: false)); // duplicate: no new credit used
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(4, 0, new byte[400], fin: false));
        Assert.Equal(QuicTransportErrorCode.FlowControlError, server.OnStreamFrame(4, 400, new byte[1], fin: false));
    }

    [Fact]
    public void OnResetStream_FinalSizeCountsTowardConnectionWindow()
    {
        StreamManager server = NewServer(new StreamManagerOptions { InitialMaxData = 1000, InitialMaxStreamDataBidiRemote = 800 });

        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(ClientBidi0, 0, new byte[700], fin: false)); // unread
        Assert.Equal(QuicTransportErrorCode.FlowControlError, server.OnResetStream(4, 5, 301));
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnResetStream(4, 5, 300));
        Assert.Equal(QuicTransportErrorCode.FlowControlError, server.OnResetStream(8, 5, 801));
    }

    [Fact]
    public void OnStreamFrame_DataBeyondFinalSize_ReturnsFinalSizeError()
    {
        StreamManager server = NewServer();
        server.OnStreamFrame(ClientBidi0, 0, new byte[10], fin: true);

        Assert.Equal(QuicTransportErrorCode.FinalSizeError, server.OnStreamFrame(ClientBidi0, 10, [1], fin: false));
        Assert.Equal(QuicTransportErrorCode.FinalSizeError, server.OnStreamFrame(ClientBidi0, 0, new byte[11], fin: true));
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnStreamFrame(ClientBidi0, 0, new byte[10], fin: true));
    }

    [Fact]
    public void OnResetStream_DifferentFinalSize_ReturnsFinalSizeError()
    {
        StreamManager server = NewServer();
        server.OnStreamFrame(ClientBidi0, 0, new byte[5], fin: true);
        server.OnStreamFrame(4, 0, new byte[50], fin: false);
        server.OnResetStream(8, 1, 20);

        Assert.Equal(QuicTransportErrorCode.FinalSizeError, server.OnResetStream(ClientBidi0, 1, 6));
        Assert.Equal(QuicTransportErrorCode.FinalSizeError, server.OnResetStream(4, 1, 49));
        Assert.Equal(QuicTransportErrorCode.FinalSizeError, server.OnResetStream(8, 1, 21));
        Assert.Equal(QuicTransportErrorCode.FinalSizeError, server.OnStreamFrame(8, 20, [1], fin: false));
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnResetStream(8, 1, 20));
    }

    [Fact]
    public void Write_ReceiveOnlyStream_Throws()
    {
        StreamManager server = NewServer();
        server.OnStreamFrame(ClientUni0, 0, [1], fin: false);

        Assert.Throws<InvalidOperationException>(() => server.Write((long)ClientUni0, [1], fin: false));
        Assert.Throws<InvalidOperationException>(() => server.ResetStream((long)ClientUni0, 1));
    }

    [Fact]
    public void Read_SendOnlyStream_Throws()
    {
        StreamManager server = NewServer();
        Assert.True(server.TryOpenStream(false, out long id));

        Assert.Throws<InvalidOperationException>(() => server.Read(id, new byte[1], out _));
        Assert.Throws<InvalidOperationException>(() => server.StopSending(id, 1));
    }

    [Fact]
    public void Write_UnknownStream_ThrowsArgumentException()
    {
        StreamManager server = NewServer();

        Assert.Throws<ArgumentException>(() => server.Write(4, [1], fin: false));
        Assert.Throws<ArgumentException>(() => server.Read(-1, new byte[1], out _));
    }

    [Fact]
    public void Write_AfterFin_Throws()
    {
        StreamManager server = NewServer();
        Assert.True(server.TryOpenStream(true, out long id));
        server.Write(id, [1, 2], fin: true);

        Assert.Throws<InvalidOperationException>(() => server.Write(id, [3], fin: false));
    }

    [Fact]
    public void TryOpenStream_PeerLimitReached_ReturnsFalseAndQueuesStreamsBlocked()
    {
        var server = new StreamManager(isServer: true, new StreamManagerOptions());
        server.ApplyPeerTransportParameters(StreamPair.ToTransportParameters(new StreamManagerOptions { MaxStreamsBidi = 2 }));
        Assert.True(server.TryOpenStream(true, out long first));
        Assert.True(server.TryOpenStream(true, out long second));
        Assert.Equal((1L, 5L), (first, second));
        Assert.False(server.HasDataToSend);

        Assert.False(server.TryOpenStream(true, out long none));
        Assert.False(server.TryOpenStream(true, out _));

        Assert.Equal(-1, none);
        var frames = new List<SentFrame>();
        var buffer = new byte[100];
        var writer = new SpanWriter(buffer);
        server.WriteFrames(ref writer, frames);
        Assert.Equal([SentFrame.WithValue(SentFrameKind.StreamsBlockedBidi, 2)], frames);
        Assert.Equal(QuicTransportErrorCode.NoError, server.OnMaxStreams(true, 3));
        Assert.True(server.TryOpenStream(true, out long third));
        Assert.Equal(9L, third);
    }

    [Fact]
    public void OnFrameLost_MaxDataSuperseded_NotResent()
    {
        // Policy: a new limit (consumed + window) is announced once it gains at least half a window.
        StreamManager server = NewServer(new StreamManagerOptions { InitialMaxData = 1000, InitialMaxStreamDataBidiRemote = 2000 });
        var buffer = new byte[1200];
        server.OnStreamFrame(ClientBidi0, 0, new byte[1000], fin: false);
        server.Read((long)ClientBidi0, new byte[400], out _);
        Assert.False(server.HasDataToSend);   // 400 < half a window
        server.Read((long)ClientBidi0, new byte[200], out _);
        List<SentFrame> first = WriteAll(server, buffer);
        Assert.Equal([SentFrame.WithValue(SentFrameKind.MaxData, 1600)], first);
        Assert.Equal(QuicTransportErrorCode.FlowControlError, server.OnStreamFrame(ClientBidi0, 1000, new byte[601], fin: false));
        server.OnStreamFrame(ClientBidi0, 1000, new byte[600], fin: false);
        server.Read((long)ClientBidi0, new byte[1000], out _);
        List<SentFrame> second = WriteAll(server, buffer);
        Assert.Contains(SentFrame.WithValue(SentFrameKind.MaxData, 2600), second);
        Assert.Contains(new SentFrame(SentFrameKind.MaxStreamData, ClientBidi0, 3600, 0, false), second);

        server.OnFrameLost(SentFrame.WithValue(SentFrameKind.MaxData, 1600));
        Assert.False(server.HasDataToSend);
        server.OnFrameLost(SentFrame.WithValue(SentFrameKind.MaxData, 2600));
        Assert.True(server.HasDataToSend);
        Assert.Equal([SentFrame.WithValue(SentFrameKind.MaxData, 2600)], WriteAll(server, buffer));
    }

    [Fact]
    public void WriteFrames_TinyRoom_WritesNothingThatDoesNotFit()
    {
        var pair = new StreamPair();
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.Write(id, new byte[100], fin: true);

        var frames = new List<SentFrame>();
        var buffer = new byte[2];
        var writer = new SpanWriter(buffer);
        pair.Client.WriteFrames(ref writer, frames);
        Assert.Empty(frames);
        Assert.Equal(0, writer.Position);

        buffer = new byte[10];
        writer = new SpanWriter(buffer);
        pair.Client.WriteFrames(ref writer, frames);
        Assert.Equal([new SentFrame(SentFrameKind.Stream, (ulong)id, 0, 7, false)], frames);
        Assert.Equal(10, writer.Position);
    }

    private static List<SentFrame> WriteAll(StreamManager manager, byte[] buffer)
    {
        var frames = new List<SentFrame>();
        var writer = new SpanWriter(buffer);
        manager.WriteFrames(ref writer, frames);
        return frames;
    }
}
