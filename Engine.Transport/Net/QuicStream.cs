using Engine.Transport.Common;

namespace Engine.Transport.Net;

/// <summary>Which way a stream carries data.</summary>
public enum QuicStreamType
{
    Unidirectional,
    Bidirectional,
}

/// <summary>Which side of a stream <see cref="QuicStream.Abort"/> abandons.</summary>
[Flags]
public enum QuicAbortDirection
{
    /// <summary>Stop reading: the peer is asked to stop sending (STOP_SENDING).</summary>
    Read = 1,

    /// <summary>Stop writing: unsent data is dropped and the peer sees RESET_STREAM.</summary>
    Write = 2,

    Both = Read | Write,
}

/// <summary>
/// One QUIC stream as a <see cref="Stream"/>. Reads return 0 at the peer's FIN; writes wait while
/// the stream's send buffer (256 KiB) is full, so a slow peer slows the writer. One read and one
/// write may be outstanding at a time. A peer reset makes reads throw <see cref="QuicException"/>
/// (<see cref="QuicError.StreamAborted"/> with its code); a peer STOP_SENDING does the same to writes.
/// </summary>
public sealed class QuicStream : Stream
{
    private readonly IQuicStreamOwner _owner;
    private readonly AsyncAutoResetSignal _readable = new();
    private readonly AsyncAutoResetSignal _writable = new();
    private readonly TaskCompletionSource _readsClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _writesClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _canRead;
    private readonly bool _canWrite;

    // Touched only under the driver's lock.
    private bool _readDone;
    private long? _peerResetCode;
    private bool _readAbortedLocally;
    private bool _finWritten;
    private bool _writeDone;
    private long? _peerStopSendingCode;
    private bool _writeAbortedLocally;
    private bool _connectionClosed;
    private MemoryStream? _tail;
    private bool _tailFinished;

    internal QuicStream(IQuicStreamOwner owner, long id, bool canRead, bool canWrite)
        : this(owner, id, canRead, canWrite, [], prefetchedFin: false)
    {
    }

    /// <summary>A stream whose first bytes were already read by the layer that routed it (a WebTransport stream header's leftovers).</summary>
    internal QuicStream(IQuicStreamOwner owner, long id, bool canRead, bool canWrite, ReadOnlySpan<byte> prefetched, bool prefetchedFin)
    {
        _owner = owner;
        Id = id;
        _canRead = canRead;
        _canWrite = canWrite;
        Type = (id & 0x2) == 0 ? QuicStreamType.Bidirectional : QuicStreamType.Unidirectional;
        if (!canRead)
        {
            _readDone = true;
            _readsClosed.TrySetResult();
        }
        else if (!prefetched.IsEmpty || prefetchedFin)
        {
            _tail = new MemoryStream(prefetched.ToArray(), writable: false);
            _tailFinished = prefetchedFin;
        }

        if (!canWrite)
        {
            _writeDone = true;
            _writesClosed.TrySetResult();
        }
    }

    public long Id { get; }

    public QuicStreamType Type { get; }

    /// <summary>Completes when the read side ends: at the FIN, or faulted on a reset, abort or connection close.</summary>
    public Task ReadsClosed => _readsClosed.Task;

    /// <summary>Completes when everything written (FIN included) was acknowledged, or faulted on a reset, abort or connection close.</summary>
    public Task WritesClosed => _writesClosed.Task;

    public override bool CanRead => _canRead;

    public override bool CanWrite => _canWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_canRead)
        {
            throw new InvalidOperationException($"Stream {Id} is our unidirectional stream: it cannot be read.");
        }

        using CancellationTokenRegistration wake = cancellationToken.UnsafeRegister(static s => ((AsyncAutoResetSignal)s!).Set(), _readable);
        while (true)
        {
            int read = _owner.Invoke(_ => ReadCore(buffer.Span));
            if (read >= 0)
            {
                return read;
            }

            cancellationToken.ThrowIfCancellationRequested();
            await _readable.WaitAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_canWrite)
        {
            throw new InvalidOperationException($"Stream {Id} is the peer's unidirectional stream: it cannot be written.");
        }

        using CancellationTokenRegistration wake = cancellationToken.UnsafeRegister(static s => ((AsyncAutoResetSignal)s!).Set(), _writable);
        while (!buffer.IsEmpty)
        {
            ReadOnlyMemory<byte> pending = buffer;
            int accepted = _owner.Invoke(_ => WriteCore(pending.Span, fin: false));
            buffer = buffer[accepted..];
            if (!buffer.IsEmpty)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await _writable.WaitAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Ends our side of the stream (FIN) after what was written.</summary>
    public void CompleteWrites()
    {
        if (!_canWrite)
        {
            return;
        }

        _owner.Invoke(_ => _finWritten || _writeAbortedLocally || _peerStopSendingCode is not null || _connectionClosed ? 0 : WriteCore([], fin: true));
    }

    /// <summary>Abandons one or both directions with an application error code the peer will see.</summary>
    public void Abort(QuicAbortDirection direction, long errorCode)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(errorCode);
        _owner.Invoke(_ =>
        {
            if (_connectionClosed)
            {
                return 0;
            }

            if ((direction & QuicAbortDirection.Read) != 0 && _canRead && !_readDone)
            {
                _owner.Core.StopSending(Id, _owner.ToWireErrorCode(errorCode));
                _readDone = true;
                _readAbortedLocally = true;
                _readsClosed.TrySetException(new QuicException(QuicError.OperationAborted, $"Reading stream {Id} was aborted locally.", errorCode));
                _readable.Set();
            }

            if ((direction & QuicAbortDirection.Write) != 0 && _canWrite && !_writeDone)
            {
                _owner.Core.ResetStream(Id, _owner.ToWireErrorCode(errorCode));
                _writeDone = true;
                _writeAbortedLocally = true;
                _writesClosed.TrySetException(new QuicException(QuicError.OperationAborted, $"Writing stream {Id} was aborted locally.", errorCode));
                _writable.Set();
            }

            ForgetIfDone();
            return 0;
        });
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    internal void OnReadable() => _readable.Set();

    internal void OnWritable() => _writable.Set();

    internal void OnPeerReset(long code)
    {
        _peerResetCode = code;
        _readDone = true;
        _readsClosed.TrySetException(new QuicException(QuicError.StreamAborted, $"The peer reset stream {Id} with code 0x{code:x}.", code));
        _readable.Set();
        ForgetIfDone();
    }

    internal void OnPeerStopSending(long code)
    {
        _peerStopSendingCode = code;
        _writeDone = true; // QUIC already answered with RESET_STREAM
        _writesClosed.TrySetException(new QuicException(QuicError.StreamAborted, $"The peer stopped reading stream {Id} with code 0x{code:x}.", code));
        _writable.Set();
        ForgetIfDone();
    }

    internal void OnWritesFinished()
    {
        _writeDone = true;
        _writesClosed.TrySetResult();
        ForgetIfDone();
    }

    /// <summary>
    /// The owner closed. A QUIC connection keeps what already arrived (a response whose FIN came
    /// before the close stays readable); a WebTransport session that ended releases it.
    /// </summary>
    internal void OnConnectionClosed(bool keepReceivedBytes = true)
    {
        _connectionClosed = true;
        if (keepReceivedBytes)
        {
            KeepReceivedBytes();
        }
        else
        {
            _tail = null;
            _tailFinished = false;
        }

        QuicException closed = _owner.CloseException!;
        if (!_tailFinished)
        {
            _readsClosed.TrySetException(closed);
        }

        _writesClosed.TrySetException(closed);
        _ = _readsClosed.Task.Exception;
        _ = _writesClosed.Task.Exception;
        _readable.Set();
        _writable.Set();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                CompleteWrites();
                if (_canRead && !_readDone)
                {
                    Abort(QuicAbortDirection.Read, 0);
                }
            }
            catch (QuicException)
            {
                // The connection is gone; nothing is left to release.
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Under the driver's lock: bytes read, 0 at the FIN, -1 when the caller must wait.</summary>
    private int ReadCore(Span<byte> destination)
    {
        if (_peerResetCode is { } code)
        {
            throw new QuicException(QuicError.StreamAborted, $"The peer reset stream {Id} with code 0x{code:x}.", code);
        }

        if (_readAbortedLocally)
        {
            throw new QuicException(QuicError.OperationAborted, $"Reading stream {Id} was aborted locally.");
        }

        if (_readDone)
        {
            return 0;
        }

        if (_tail is not null)
        {
            int fromTail = _tail.Read(destination);
            if (fromTail > 0 || destination.IsEmpty)
            {
                return fromTail;
            }

            if (_tailFinished)
            {
                _readDone = true;
                _readsClosed.TrySetResult();
                ForgetIfDone();
                return 0;
            }

            if (_connectionClosed)
            {
                _owner.ThrowIfClosed();
            }
        }

        _owner.ThrowIfClosed();
        int read = _owner.Core.ReadStream(Id, destination, out bool finished);
        if (finished)
        {
            _readDone = true;
            _readsClosed.TrySetResult();
            ForgetIfDone();
        }

        return read > 0 || finished ? read : -1;
    }

    /// <summary>
    /// The connection is closing: keep what already arrived (bounded by the stream's flow-control
    /// window) so a response whose FIN came before the peer's close can still be read whole.
    /// </summary>
    private void KeepReceivedBytes()
    {
        if (!_canRead || _readDone || _tailFinished)
        {
            return;
        }

        byte[] unread = _tail is null ? [] : _tail.ToArray()[(int)_tail.Position..];
        _tail = new MemoryStream();
        _tail.Write(unread);
        byte[] chunk = new byte[16 * 1024];
        while (true)
        {
            int read = _owner.Core.ReadStream(Id, chunk, out bool finished);
            _tail.Write(chunk, 0, read);
            if (finished)
            {
                _tailFinished = true;
                break;
            }

            if (read == 0)
            {
                break;
            }
        }

        _tail.Position = 0;
        if (_tailFinished)
        {
            _readsClosed.TrySetResult();
        }
    }

    private int WriteCore(ReadOnlySpan<byte> data, bool fin)
    {
        if (_peerStopSendingCode is { } code)
        {
            throw new QuicException(QuicError.StreamAborted, $"The peer stopped reading stream {Id} with code 0x{code:x}.", code);
        }

        if (_writeAbortedLocally)
        {
            throw new QuicException(QuicError.OperationAborted, $"Writing stream {Id} was aborted locally.");
        }

        if (_finWritten)
        {
            throw new InvalidOperationException($"Stream {Id}: writes were completed; nothing more can be written.");
        }

        _owner.ThrowIfClosed();
        int accepted = _owner.Core.WriteStream(Id, data, fin);
        _finWritten = fin && accepted == data.Length;
        return accepted;
    }

    /// <summary>The connection stops tracking a stream once both directions are over (QUIC then releases it).</summary>
    private void ForgetIfDone()
    {
        if (_readDone && _writeDone)
        {
            _owner.Forget(Id);
        }
    }
}
