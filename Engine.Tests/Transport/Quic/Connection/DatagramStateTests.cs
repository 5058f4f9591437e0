using Engine.Transport.Coding;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Connection;

public sealed class DatagramStateTests
{
    [Fact]
    public void MaxPayloadSize_PeerRefusesDatagrams_IsZero()
    {
        var state = new DatagramState(localMaxFrameSize: 1200, receiveQueueCapacity: 4, sendQueueCapacity: 4);

        Assert.Equal(0, state.MaxPayloadSize(1200, 8));
    }

    [Fact]
    public void MaxPayloadSize_IsTheSmallerOfPacketRoomAndPeerFrameLimit()
    {
        var state = new DatagramState(1200, 4, 4) { PeerMaxFrameSize = 65535 };

        // 1200 - (1 flags + 8 DCID + 4 packet number) - 16 tag - (1 type + 2 length)
        Assert.Equal(1200 - 13 - 16 - 3, state.MaxPayloadSize(1200, 8));

        state.PeerMaxFrameSize = 100;
        Assert.Equal(97, state.MaxPayloadSize(1200, 8));

        state.PeerMaxFrameSize = 2;
        Assert.Equal(0, state.MaxPayloadSize(1200, 8));
    }

    [Fact]
    public void OnFrame_DatagramsNotAllowedOrTooLarge_IsProtocolViolation()
    {
        var refusing = new DatagramState(0, 4, 4);
        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, refusing.OnFrame(new DatagramFrame([1, 2, 3]), out _, out bool raised));
        Assert.False(raised);

        var small = new DatagramState(8, 4, 4);
        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, small.OnFrame(new DatagramFrame(new byte[8]), out _, out _));
        Assert.Equal(0, small.PendingReceiveCount);
    }

    [Fact]
    public void OnFrame_RaisesOneEventPerBatchUntilTheEventIsTaken()
    {
        var state = new DatagramState(1200, 4, 4);

        Assert.Equal(QuicTransportErrorCode.NoError, state.OnFrame(new DatagramFrame([1]), out _, out bool first));
        state.OnFrame(new DatagramFrame([2]), out _, out bool second);
        state.OnEventTaken();
        state.OnFrame(new DatagramFrame([3]), out _, out bool third);

        Assert.True(first);
        Assert.False(second);
        Assert.True(third);
        Assert.Equal(3, state.PendingReceiveCount);
    }

    [Fact]
    public void OnFrame_FullQueue_DropsTheOldestAndSaysSo()
    {
        var state = new DatagramState(1200, receiveQueueCapacity: 2, sendQueueCapacity: 2);
        state.OnFrame(new DatagramFrame([1]), out bool dropped1, out _);
        state.OnFrame(new DatagramFrame([2]), out bool dropped2, out _);
        state.OnFrame(new DatagramFrame([3]), out bool dropped3, out _);

        Assert.False(dropped1);
        Assert.False(dropped2);
        Assert.True(dropped3);
        byte[] destination = new byte[16];
        Assert.True(state.TryReceive(destination, out int length));
        Assert.Equal(new byte[] { 2 }, destination[..length]);
    }

    [Fact]
    public void WriteFrames_WritesWhatFitsAndKeepsTheRestForTheNextPacket()
    {
        var state = new DatagramState(1200, 4, 4);
        state.Enqueue(new byte[10]);
        state.Enqueue(new byte[10]);
        var frames = new List<SentFrame>();
        byte[] packet = new byte[20]; // one 12-byte frame (type, 1-byte length, 10 bytes) fits, the second does not
        var writer = new SpanWriter(packet);

        state.WriteFrames(ref writer, frames, maxPayloadSize: 1000);

        Assert.Equal(12, writer.Position);
        Assert.Single(frames);
        Assert.Equal(SentFrameKind.Datagram, frames[0].Kind);
        Assert.Equal(1, state.PendingSendCount);
    }

    [Fact]
    public void WriteFrames_DatagramThatCanNeverFit_IsDroppedNotSplit()
    {
        var state = new DatagramState(1200, 4, 4);
        state.Enqueue(new byte[50]);
        state.Enqueue(new byte[5]);
        var frames = new List<SentFrame>();
        byte[] packet = new byte[30];
        var writer = new SpanWriter(packet);

        state.WriteFrames(ref writer, frames, maxPayloadSize: 20);

        Assert.Single(frames); // the 5-byte one
        Assert.Equal(5, frames[0].Length);
        Assert.Equal(0, state.PendingSendCount);
    }
}
