using Engine.Tests.Transport.Quic.Wire.Frames;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire;

public class WireFuzzTests
{
    private const int Iterations = 100_000;

    [Fact]
    public void FrameParser_RandomPayloads_NeverThrows()
    {
        var random = new Random(9000);
        var buffer = new byte[256];
        QuicPacketType[] types = [QuicPacketType.Initial, QuicPacketType.ZeroRtt, QuicPacketType.Handshake, QuicPacketType.OneRtt];
        int accepted = 0;
        for (int i = 0; i < Iterations; i++)
        {
            Span<byte> payload = buffer.AsSpan(0, random.Next(0, buffer.Length));
            random.NextBytes(payload);

            // Bias half the inputs towards defined frame types so the parsers themselves get exercised.
            if (!payload.IsEmpty && (i & 1) == 0)
            {
                payload[0] = (byte)random.Next(0, 0x32);
            }

            var visitor = new RecordingVisitor();
            if (QuicFrameParser.Parse(payload, types[i & 3], ref visitor, out _) == QuicTransportErrorCode.NoError)
            {
                accepted++;
            }
        }

        Assert.InRange(accepted, 1, Iterations);
    }

    [Fact]
    public void HeaderParser_RandomDatagrams_NeverThrows()
    {
        var random = new Random(9001);
        var buffer = new byte[1500];
        int valid = 0;
        for (int i = 0; i < Iterations; i++)
        {
            Span<byte> datagram = buffer.AsSpan(0, random.Next(0, 300));
            random.NextBytes(datagram);
            if (!datagram.IsEmpty && (i & 1) == 0)
            {
                // Half the inputs look like v1 long headers, so the deeper checks run too.
                datagram[0] |= 0xC0;
                if (datagram.Length >= 5)
                {
                    datagram[1] = datagram[2] = datagram[3] = 0;
                    datagram[4] = 1;
                }
            }

            ReadOnlySpan<byte> rest = datagram;
            while (!rest.IsEmpty
                && QuicPacketHeaderParser.TrySplitFirst(rest, random.Next(0, 21), out _, out _, out rest) == QuicHeaderStatus.Valid)
            {
                valid++;
            }
        }

        Assert.InRange(valid, 1, int.MaxValue);
    }
}
