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

public class WriteCoalescingStreamFrameTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    [InlineData(65536)]
    public async Task TryAppendBinaryFrame_AnyLength_ClientWebSocketReadsTheSamePayload(int length)
    {
        // The frames a server writes by hand must be what a real WebSocket client accepts.
        var pipe = new System.IO.Pipelines.Pipe();
        await using var server = new WriteCoalescingStream(pipe.Writer.AsStream()) { Batching = true };
        using var client = System.Net.WebSockets.WebSocket.CreateFromStream(new DuplexStream(pipe.Reader.AsStream(), Stream.Null), new System.Net.WebSockets.WebSocketCreationOptions { IsServer = false });
        byte[] payload = new byte[length];
        new Random(length).NextBytes(payload);

        bool appended = server.TryAppendBinaryFrame(payload);
        if (!appended)
        {
            Assert.True(length + 10 > WriteCoalescingStream.BufferSize);
            return;
        }

        await server.FlushBatchAsync();
        byte[] received = new byte[length + 1];
        int total = 0;
        System.Net.WebSockets.ValueWebSocketReceiveResult result;
        do
        {
            result = await client.ReceiveAsync(received.AsMemory(total), CancellationToken.None);
            total += result.Count;
        }
        while (!result.EndOfMessage);

        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, result.MessageType);
        Assert.Equal(payload, received.AsSpan(0, total).ToArray());
    }

    [Fact]
    public async Task TryAppendBinaryFrame_NotBatching_RefusedSoTheCallerUsesTheWebSocket()
    {
        await using var stream = new WriteCoalescingStream(new MemoryStream());

        Assert.False(stream.TryAppendBinaryFrame([1, 2, 3]));
    }

    /// <summary>Reads from one stream, writes to another: the client end of a one-way test pipe.</summary>
    private sealed class DuplexStream(Stream read, Stream write) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => read.ReadAsync(buffer, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => read.Read(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => write.WriteAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => write.Write(buffer, offset, count);

        public override void Flush() => write.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
