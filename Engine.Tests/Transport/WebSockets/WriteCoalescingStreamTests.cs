using Engine.Transport.WebSockets;

namespace Engine.Tests.Transport.WebSockets;

public class WriteCoalescingStreamTests
{
    [Fact]
    public async Task WriteAsync_WhileBatching_HeldUntilFlushThenOneWrite()
    {
        var inner = new RecordingStream();
        await using var stream = new WriteCoalescingStream(inner) { Batching = true };

        await stream.WriteAsync(new byte[] { 1, 2 });
        await stream.WriteAsync(new byte[] { 3 });
        await stream.FlushAsync(); // a per-frame flush while batching does nothing
        Assert.Empty(inner.Writes);

        await stream.FlushBatchAsync();

        Assert.Equal([new byte[] { 1, 2, 3 }], inner.Writes);
        Assert.Equal(1, inner.Flushes);
        Assert.False(stream.HasPending);
    }

    [Fact]
    public async Task WriteAsync_NotBatchingWithPending_WritesPendingFirstKeepingOrder()
    {
        var inner = new RecordingStream();
        await using var stream = new WriteCoalescingStream(inner) { Batching = true };
        await stream.WriteAsync(new byte[] { 1 });

        stream.Batching = false; // e.g. the WebSocket's own pong between batches
        await stream.WriteAsync(new byte[] { 9 });

        Assert.Equal([new byte[] { 1 }, new byte[] { 9 }], inner.Writes);
        Assert.Equal(1, inner.Flushes);
    }

    [Fact]
    public async Task WriteAsync_BatchWouldOverflow_FlushesBatchThenWritesThrough()
    {
        var inner = new RecordingStream();
        await using var stream = new WriteCoalescingStream(inner) { Batching = true };
        byte[] big = new byte[WriteCoalescingStream.BufferSize - 10];
        await stream.WriteAsync(big);

        await stream.WriteAsync(new byte[20]);

        Assert.Equal(2, inner.Writes.Count);
        Assert.Equal(big.Length, inner.Writes[0].Length);
        Assert.Equal(20, inner.Writes[1].Length);
    }

    private sealed class RecordingStream : Stream
    {
        public List<byte[]> Writes { get; } = [];

        public int Flushes { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => 0;

        public override long Position { get; set; }

        public override void Flush() => Flushes++;

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flushes++;
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => Writes.Add(buffer.AsSpan(offset, count).ToArray());

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => 0;

        public override void SetLength(long value)
        {
        }
    }
}
