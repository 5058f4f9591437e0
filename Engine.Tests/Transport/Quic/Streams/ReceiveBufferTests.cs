using Engine.Transport.Quic.Streams;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic.Streams;

public class ReceiveBufferTests
{
    private static byte[] Pattern(int length, int seed = 0)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)((i * 31) + seed);
        }

        return data;
    }

    private static byte[] ReadAll(ReceiveBuffer buffer)
    {
        var result = new List<byte>();
        var chunk = new byte[7];
        int n;
        while ((n = buffer.Read(chunk)) > 0)
        {
            result.AddRange(chunk.AsSpan(0, n).ToArray());
        }

        return [.. result];
    }

    [Fact]
    public void Receive_OutOfOrder_ReadsOnlyContiguousPrefixThenAll()
    {
        var buffer = new ReceiveBuffer(1024);
        byte[] data = Pattern(300);

        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive(200, data.AsSpan(200, 100), fin: true));
        Assert.Equal(0UL, buffer.ReadableLength);
        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive(100, data.AsSpan(100, 100), fin: false));
        Assert.Equal(0UL, buffer.ReadableLength);
        Assert.False(buffer.IsComplete);
        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive(0, data.AsSpan(0, 100), fin: false));

        Assert.True(buffer.IsComplete);
        Assert.Equal(300UL, buffer.ReadableLength);
        Assert.Equal(data, ReadAll(buffer));
        Assert.True(buffer.IsFinished);
    }

    [Fact]
    public void Receive_OverlapsAndDuplicates_DeliversEachByteOnce()
    {
        var buffer = new ReceiveBuffer(1024);
        byte[] data = Pattern(500, seed: 3);

        buffer.Receive(50, data.AsSpan(50, 100), fin: false);
        buffer.Receive(0, data.AsSpan(0, 80), fin: false);
        buffer.Receive(120, data.AsSpan(120, 200), fin: false);
        buffer.Receive(0, data.AsSpan(0, 80), fin: false);
        byte[] first = new byte[200];
        Assert.Equal(200, buffer.Read(first));
        buffer.Receive(0, data.AsSpan(0, 400), fin: false);   // mostly already read
        buffer.Receive(390, data.AsSpan(390, 110), fin: true);

        byte[] rest = ReadAll(buffer);
        byte[] all = [.. first, .. rest];
        Assert.Equal(data, all);
        Assert.True(buffer.IsFinished);
    }

    [Fact]
    public void Receive_ManyWindowsThroughSmallRing_PreservesBytes()
    {
        var buffer = new ReceiveBuffer(5000);
        byte[] data = Pattern(100_000, seed: 9);
        var output = new List<byte>();
        var chunk = new byte[1777];
        for (int offset = 0; offset < data.Length; offset += 1000)
        {
            int length = Math.Min(1000, data.Length - offset);

            // Second half first, then the first half, to exercise holes across the wrap.
            int half = length / 2;
            Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive((ulong)(offset + half), data.AsSpan(offset + half, length - half), offset + length == data.Length));
            Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive((ulong)offset, data.AsSpan(offset, half), fin: false));
            int n = buffer.Read(chunk);
            output.AddRange(chunk.AsSpan(0, n).ToArray());
        }

        output.AddRange(ReadAll(buffer));
        Assert.Equal(data, output.ToArray());
    }

    [Fact]
    public void Receive_BeyondCapacity_ReturnsFlowControlErrorAndKeepsState()
    {
        var buffer = new ReceiveBuffer(100);

        Assert.Equal(QuicTransportErrorCode.FlowControlError, buffer.Receive(50, new byte[51], fin: false));
        Assert.Equal(0UL, buffer.HighestReceived);
        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive(0, new byte[100], fin: false));
        Assert.Equal(60, buffer.Read(new byte[60]));
        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive(100, new byte[60], fin: false));
        Assert.Equal(QuicTransportErrorCode.FlowControlError, buffer.Receive(160, new byte[1], fin: false));
    }

    [Fact]
    public void Receive_DataBeyondFinalSize_ReturnsFinalSizeError()
    {
        var buffer = new ReceiveBuffer(1000);
        buffer.Receive(0, new byte[10], fin: true);

        Assert.Equal(QuicTransportErrorCode.FinalSizeError, buffer.Receive(5, new byte[6], fin: false));
        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive(5, new byte[5], fin: false));
    }

    [Fact]
    public void Receive_ChangedFinalSize_ReturnsFinalSizeError()
    {
        var buffer = new ReceiveBuffer(1000);
        buffer.Receive(0, new byte[10], fin: true);

        Assert.Equal(QuicTransportErrorCode.FinalSizeError, buffer.Receive(0, new byte[9], fin: true));
        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive(10, [], fin: true));
    }

    [Fact]
    public void Receive_FinBelowReceivedData_ReturnsFinalSizeError()
    {
        var buffer = new ReceiveBuffer(1000);
        buffer.Receive(100, new byte[10], fin: false);

        Assert.Equal(QuicTransportErrorCode.FinalSizeError, buffer.Receive(0, new byte[50], fin: true));
        Assert.Null(buffer.FinalSize);
    }

    [Fact]
    public void Receive_EmptyFin_CompletesStream()
    {
        var buffer = new ReceiveBuffer(1000);
        buffer.Receive(0, new byte[10], fin: false);
        Assert.Equal(10, buffer.Read(new byte[20]));
        Assert.False(buffer.IsFinished);

        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Receive(10, [], fin: true));
        Assert.True(buffer.IsComplete);
        Assert.True(buffer.IsFinished);
    }

    [Fact]
    public void Reset_AfterPartialRead_ReturnsUnreadCredit()
    {
        var buffer = new ReceiveBuffer(1000);
        buffer.Receive(0, new byte[100], fin: false);
        buffer.Read(new byte[40]);

        Assert.Equal(160UL, buffer.Reset(200));
        Assert.Equal(200UL, buffer.FinalSize);
        Assert.Equal(0UL, buffer.ReadableLength);
    }
}
