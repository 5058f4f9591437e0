using Engine.Transport.Coding;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Streams;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Streams;

public class StreamManagerAllocationTests
{
    [Fact]
    public void SteadyStateTransfer_AfterWarmUp_DoesNotAllocate()
    {
        var client = new StreamManager(isServer: false, new StreamManagerOptions());
        var server = new StreamManager(isServer: true, new StreamManagerOptions());
        client.ApplyPeerTransportParameters(StreamPair.ToTransportParameters(new StreamManagerOptions()));
        server.ApplyPeerTransportParameters(StreamPair.ToTransportParameters(new StreamManagerOptions()));
        Assert.True(client.TryOpenStream(true, out long id));
        var chunk = new byte[3000];
        var readBuffer = new byte[8192];
        var packet = new byte[StreamPair.PacketSize];
        var clientFrames = new List<SentFrame>(64);
        var serverFrames = new List<SentFrame>(64);
        var counts = new Dictionary<string, int>();
        counts["STREAM"] = 0;
        counts["MAX_DATA"] = 0;
        counts["MAX_STREAM_DATA"] = 0;

        void Round()
        {
            client.Write(id, chunk, fin: false);
            Send(client, server, packet, clientFrames, counts);
            while (server.TryDequeueEvent(out StreamEvent _))
            {
            }

            while (server.Read(id, readBuffer, out _) > 0)
            {
            }

            Send(server, client, packet, serverFrames, counts);
            while (client.TryDequeueEvent(out StreamEvent _))
            {
            }
        }

        for (int i = 0; i < 2000; i++)
        {
            Round();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Round();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(counts["MAX_STREAM_DATA"] > 10);
        Assert.Equal(0, allocated);
    }

    private static void Send(StreamManager sender, StreamManager receiver, byte[] packet, List<SentFrame> frames, Dictionary<string, int> counts)
    {
        while (sender.HasDataToSend)
        {
            frames.Clear();
            var writer = new SpanWriter(packet);
            sender.WriteFrames(ref writer, frames);
            var visitor = new DeliveringVisitor(receiver, counts);
            if (QuicFrameParser.Parse(packet.AsSpan(0, writer.Position), QuicPacketType.OneRtt, ref visitor, out _) != QuicTransportErrorCode.NoError)
            {
                throw new InvalidOperationException("The receiver rejected a packet.");
            }
            foreach (SentFrame frame in frames)
            {
                sender.OnFrameAcked(frame);
            }
        }
    }
}
