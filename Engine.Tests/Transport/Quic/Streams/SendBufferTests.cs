using Engine.Transport.Quic.Streams;

namespace Engine.Tests.Transport.Quic.Streams;

public class SendBufferTests
{
    private static byte[] Pattern(int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(i * 7 + 1);
        }

        return data;
    }

    [Fact]
    public void Write_MoreThanCapacity_AcceptsUpToCapacityAndIgnoresFin()
    {
        var buffer = new SendBuffer(1000);

        Assert.Equal(1000, buffer.Write(new byte[1500], fin: true));
        Assert.False(buffer.FinWritten);
        Assert.Equal(0, buffer.FreeSpace);
        Assert.Equal(0, buffer.Write(new byte[1], fin: false));
    }

    [Fact]
    public void OnAcked_InOrderPrefix_FreesSpace()
    {
        var buffer = new SendBuffer(1000);
        buffer.Write(new byte[1000], fin: false);
        Assert.True(buffer.TryPeekUnsent(600, out ulong offset, out ReadOnlySpan<byte> data, out bool fin));
        Assert.Equal((0UL, 600, false), (offset, data.Length, fin));
        buffer.OnSent(600, false);

        Assert.False(buffer.OnAcked(300, 300, false)); // a hole at 0..300: nothing freed yet
        Assert.Equal(0, buffer.FreeSpace);
        Assert.True(buffer.OnAcked(0, 300, false));
        Assert.Equal(600, buffer.FreeSpace);
        Assert.Equal(600UL, buffer.AckedOffset);
    }

    [Fact]
    public void OnLost_PartlyAcknowledgedRange_RetransmitsOnlyUnackedBytes()
    {
        var buffer = new SendBuffer(4096);
        byte[] payload = Pattern(1000);
        buffer.Write(payload, fin: true);
        buffer.TryPeekUnsent(1000, out _, out ReadOnlySpan<byte> all, out bool fin);
        Assert.True(fin);
        buffer.OnSent(all.Length, fin);

        buffer.OnAcked(200, 100, false);
        buffer.OnLost(0, 1000, true);

        var resent = new List<(ulong Offset, int Length, bool Fin)>();
        while (buffer.TryPeekLost(10_000, out ulong offset, out ReadOnlySpan<byte> data, out bool lostFin))
        {
            Assert.Equal(payload.AsSpan((int)offset, data.Length).ToArray(), data.ToArray());
            resent.Add((offset, data.Length, lostFin));
            buffer.OnRetransmitted(offset, data.Length, lostFin);
        }

        Assert.Equal([(0UL, 200, false), (300UL, 700, true)], resent);
        Assert.False(buffer.HasLost);
    }

    [Fact]
    public void OnLost_EmptyFinFrame_RetransmitsFinAlone()
    {
        var buffer = new SendBuffer(100);
        buffer.Write(new byte[10], fin: false);
        buffer.TryPeekUnsent(100, out _, out ReadOnlySpan<byte> data, out _);
        buffer.OnSent(data.Length, false);
        buffer.Write([], fin: true);
        Assert.True(buffer.TryPeekUnsent(100, out ulong offset, out data, out bool fin));
        Assert.Equal((10UL, 0, true), (offset, data.Length, fin));
        buffer.OnSent(0, true);

        buffer.OnAcked(0, 10, false);
        buffer.OnLost(10, 0, true);

        Assert.True(buffer.TryPeekLost(100, out offset, out data, out fin));
        Assert.Equal((10UL, 0, true), (offset, data.Length, fin));
        buffer.OnRetransmitted(offset, 0, true);
        Assert.False(buffer.HasLost);
        buffer.OnAcked(10, 0, true);
        Assert.True(buffer.IsAllAcked);
    }

    [Fact]
    public void OnAcked_AfterSpuriousLoss_CancelsRetransmission()
    {
        var buffer = new SendBuffer(100);
        buffer.Write(new byte[50], fin: false);
        buffer.OnSent(50, false);
        buffer.OnLost(0, 50, false);
        Assert.True(buffer.HasLost);

        buffer.OnAcked(0, 50, false);

        Assert.False(buffer.HasLost);
        Assert.False(buffer.TryPeekLost(100, out _, out _, out _));
    }

    [Fact]
    public void TryPeekUnsent_AcrossRingWrap_ReturnsContiguousPiecesInOrder()
    {
        var buffer = new SendBuffer(5000);
        byte[] payload = Pattern(20_000);
        var sent = new List<byte>();
        int written = 0;
        while (sent.Count < payload.Length)
        {
            written += buffer.Write(payload.AsSpan(written), fin: written == payload.Length);
            while (buffer.TryPeekUnsent(1500, out ulong offset, out ReadOnlySpan<byte> data, out bool fin) && data.Length > 0)
            {
                Assert.Equal((ulong)sent.Count, offset);
                sent.AddRange(data.ToArray());
                buffer.OnSent(data.Length, fin);
                buffer.OnAcked(offset, data.Length, fin);
            }
        }

        Assert.Equal(payload, sent.ToArray());
    }
}
