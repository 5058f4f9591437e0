using System.Buffers;

namespace Engine.Transport.WebSockets;

/// <summary>
/// Wraps the upgraded connection stream under a WebSocket so that the session's writer can send
/// a burst of messages (a tick's snapshot and events) as one write: one TLS pass, one socket
/// write, instead of one per message. While <see cref="Batching"/> is set, writes are copied into
/// a pooled buffer; <see cref="FlushBatchAsync"/> writes it out. Writes made while not batching
/// (the WebSocket's own pongs and close frame) go straight through, after anything pending, so
/// frame order is kept.
/// </summary>
/// <remarks>
/// Bounded: the buffer is <see cref="BufferSize"/> bytes, rented only while a batch is pending;
/// a write that does not fit flushes the batch first. Inner writes are serialised by a
/// semaphore, so a pass-through write never interleaves with a batch flush.
/// </remarks>
public sealed class WriteCoalescingStream : Stream
{
    /// <summary>The most bytes one batch holds before it is written out.</summary>
    public const int BufferSize = 32 * 1024;

    private readonly Stream _inner;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _bufferLock = new();
    private byte[]? _buffer;
    private int _count;
    private bool _disposed;

    public WriteCoalescingStream(Stream inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <summary>Set by the session's writer around a burst of sends; see the class remarks.</summary>
    public bool Batching { get; set; }

    /// <summary>Whether buffered bytes wait for <see cref="FlushBatchAsync"/>.</summary>
    public bool HasPending
    {
        get
        {
            lock (_bufferLock)
            {
                return _count > 0;
            }
        }
    }

    /// <summary>Batches written as one inner write (for metrics and tests).</summary>
    public long BatchesWritten { get; private set; }

    public override bool CanRead => _inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => _inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Batching && TryAppend(buffer.Span))
        {
            return ValueTask.CompletedTask;
        }

        return WriteThroughAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>While batching, the batch's end flushes; a per-frame flush would undo the batching.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        Batching ? Task.CompletedTask : FlushBatchAsync(cancellationToken).AsTask();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Writes out the pending batch (if any) as one write and flushes the inner stream.</summary>
    public async ValueTask FlushBatchAsync(CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WritePendingAsync(cancellationToken).ConfigureAwait(false);
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_bufferLock)
            {
                _disposed = true;
                if (_buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = null;
                    _count = 0;
                }
            }

            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Appends one whole unmasked binary frame (RFC 6455 §5.2: FIN, opcode 2, no mask, as a server
    /// sends) carrying <paramref name="payload"/> to the batch, without going through the
    /// WebSocket's own send path. Only while batching and only if it fits; false otherwise, and the
    /// caller sends through the WebSocket instead. Frames are appended atomically, so they never
    /// interleave with the WebSocket's own control frames.
    /// </summary>
    public bool TryAppendBinaryFrame(ReadOnlySpan<byte> payload)
    {
        int headerLength = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        lock (_bufferLock)
        {
            if (!Batching || _disposed || _count + headerLength + payload.Length > BufferSize)
            {
                return false;
            }

            _buffer ??= ArrayPool<byte>.Shared.Rent(BufferSize);
            Span<byte> frame = _buffer.AsSpan(_count, headerLength + payload.Length);
            frame[0] = 0x82; // FIN + binary
            if (headerLength == 2)
            {
                frame[1] = (byte)payload.Length;
            }
            else if (headerLength == 4)
            {
                frame[1] = 126;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)payload.Length);
            }
            else
            {
                frame[1] = 127;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(frame[2..], (ulong)payload.Length);
            }

            payload.CopyTo(frame[headerLength..]);
            _count += frame.Length;
            return true;
        }
    }

    private bool TryAppend(ReadOnlySpan<byte> data)
    {
        lock (_bufferLock)
        {
            if (_disposed || _count + data.Length > BufferSize)
            {
                return false;
            }

            _buffer ??= ArrayPool<byte>.Shared.Rent(BufferSize);
            data.CopyTo(_buffer.AsSpan(_count));
            _count += data.Length;
            return true;
        }
    }

    private async ValueTask WriteThroughAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WritePendingAsync(cancellationToken).ConfigureAwait(false);
            await _inner.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            if (!Batching)
            {
                await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // Called with the write lock held: takes the batch buffer out from under the append lock, so
    // appends during the inner write start a new batch instead of racing this one.
    private async ValueTask WritePendingAsync(CancellationToken cancellationToken)
    {
        byte[]? batch;
        int length;
        lock (_bufferLock)
        {
            batch = _buffer;
            length = _count;
            _buffer = null;
            _count = 0;
        }

        if (batch is null)
        {
            return;
        }

        try
        {
            if (length > 0)
            {
                await _inner.WriteAsync(batch.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                BatchesWritten++;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
    }
}
