using CsCheck;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic;

public class CryptoStreamBufferTests
{
    [Fact]
    public void Add_InOrder_YieldsContiguousBytes()
    {
        var buffer = new CryptoStreamBuffer();
        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Add(0, [1, 2, 3], out int fresh));
        Assert.Equal(3, fresh);
        buffer.Add(3, [4, 5], out _);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, buffer.Contiguous.ToArray());
    }

    [Fact]
    public void Add_GapThenFill_YieldsOnlyAfterTheGapCloses()
    {
        var buffer = new CryptoStreamBuffer();
        buffer.Add(3, [4, 5], out _);
        Assert.True(buffer.Contiguous.IsEmpty);
        buffer.Add(0, [1, 2, 3], out _);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, buffer.Contiguous.ToArray());
    }

    [Fact]
    public void Add_Duplicate_CountsNoNewBytes()
    {
        var buffer = new CryptoStreamBuffer();
        buffer.Add(0, [1, 2, 3, 4], out _);
        buffer.Add(1, [2, 3], out int fresh);
        Assert.Equal(0, fresh);
        Assert.Equal(4UL, buffer.BytesReceived);
    }

    [Fact]
    public void Add_Overlap_KeepsFirstCopyAndCountsOnlyTheNewPart()
    {
        var buffer = new CryptoStreamBuffer();
        buffer.Add(2, [3, 4], out _);
        buffer.Add(0, [1, 2, 99, 99, 5, 6], out int fresh);
        Assert.Equal(4, fresh);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, buffer.Contiguous.ToArray());
    }

    [Fact]
    public void Add_BeyondCapacity_ReturnsCryptoBufferExceeded()
    {
        var buffer = new CryptoStreamBuffer(16);
        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Add(10, new byte[6], out _));
        Assert.Equal(QuicTransportErrorCode.CryptoBufferExceeded, buffer.Add(10, new byte[7], out _));
        Assert.Equal(QuicTransportErrorCode.CryptoBufferExceeded, buffer.Add(1UL << 40, [1], out _));
    }

    [Fact]
    public void Consume_FrontBytes_MovesTheWindowAndIgnoresOldData()
    {
        var buffer = new CryptoStreamBuffer(8);
        buffer.Add(0, [1, 2, 3, 4, 5, 6], out _);
        buffer.Add(7, [8], out _);
        buffer.Consume(4);
        Assert.Equal(4UL, buffer.ReadOffset);
        Assert.Equal(new byte[] { 5, 6 }, buffer.Contiguous.ToArray());
        buffer.Add(0, [1, 2, 3, 4, 5], out int fresh);
        Assert.Equal(0, fresh);
        buffer.Add(6, [7], out fresh);
        Assert.Equal(1, fresh);
        Assert.Equal(new byte[] { 5, 6, 7, 8 }, buffer.Contiguous.ToArray());
        Assert.Equal(QuicTransportErrorCode.NoError, buffer.Add(8, new byte[4], out _)); // window now ends at 12
    }

    [Fact]
    public void Add_RandomSplitsShuffledAndRepeated_ReassemblesTheStream()
    {
        Gen.Select(Gen.Byte.Array[1, 3000], Gen.Int[1, 200], Gen.Int).Sample((stream, chunk, seed) =>
        {
            var random = new Random(seed);
            var pieces = new List<(int Offset, int Length)>();
            for (int at = 0; at < stream.Length;)
            {
                int length = Math.Min(random.Next(1, chunk + 1), stream.Length - at);
                pieces.Add((at, length));
                if (random.Next(4) == 0)
                {
                    int start = random.Next(0, at + 1);
                    pieces.Add((start, Math.Min(stream.Length - start, length + random.Next(0, 50)))); // overlap
                }

                at += length;
            }

            var buffer = new CryptoStreamBuffer();
            int total = 0;
            foreach ((int offset, int length) in pieces.OrderBy(_ => random.Next()))
            {
                Assert.Equal(QuicTransportErrorCode.NoError, buffer.Add((ulong)offset, stream.AsSpan(offset, length), out int fresh));
                total += fresh;
            }

            Assert.Equal(stream.Length, total);
            Assert.Equal(stream, buffer.Contiguous.ToArray());
        });
    }
}
