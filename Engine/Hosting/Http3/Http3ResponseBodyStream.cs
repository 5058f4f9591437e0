using Engine.Transport.Common;
using Engine.Transport.Http3;

namespace Engine.Hosting.Http3;

/// <summary>
/// The response body of one HTTP/3 request as a write-only <see cref="Stream"/>. Each write hands
/// bytes to the request stream on the driver's thread; what the stream's send buffer cannot take
/// yet waits for its Writable signal, so a slow client slows the writer (bounded by the QUIC
/// stream's send buffer) instead of growing a queue.
/// </summary>
internal sealed class Http3ResponseBodyStream(Http3RequestContext context) : Stream
{
    private readonly AsyncAutoResetSignal _writable = new();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Wakes a waiting writer (the stream took bytes, or the response was aborted).</summary>
    public void Signal() => _writable.Set();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await context.StartResponseAsync().ConfigureAwait(false);
        using CancellationTokenRegistration wake = cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static s => ((Http3ResponseBodyStream)s!).Signal(), this) : default;
        while (!buffer.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int taken = context.Invoke(request => request.IsAborted ? -1 : request.WriteBody(buffer.Span));
            if (taken < 0)
            {
                throw new IOException("The client aborted the HTTP/3 request (stream reset or connection closed).");
            }

            buffer = buffer[taken..];
            if (!buffer.IsEmpty)
            {
                await _writable.WaitAsync().ConfigureAwait(false);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => context.StartResponseAsync();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
