using System.Buffers;
using System.Buffers.Binary;
using Engine.Transport.Abstractions;
using Engine.Transport.Common;
using Engine.Transport.Net;

namespace Engine.Transport.WebTransport;

/// <summary>Receiving: the message stream (length-prefixed), whole-message datagrams, and the close.</summary>
public sealed partial class WebTransportTransportSession
{
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask<TransportReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (_lastReceived is { } previous)
        {
            _lastReceived = null;
            ArrayPool<byte>.Shared.Return(previous);
        }

        try
        {
            ReceivedMessage message = await _received.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _lastReceived = message.Buffer;
            return TransportReceiveResult.Message(message.Buffer.AsMemory(0, message.Length), message.IsReliable);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return TransportReceiveResult.Closed;
        }
    }

    public ValueTask CloseAsync(SessionCloseCode code, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Task closing;
        lock (_gate)
        {
            _closing ??= CloseCoreAsync(code, reason);
            closing = _closing;
        }

        return new ValueTask(closing.WaitAsync(cancellationToken));
    }

    /// <summary>Flushes queued reliable messages (until they are acknowledged or the close timeout), then closes the session with the code.</summary>
    private async Task CloseCoreAsync(SessionCloseCode code, string reason)
    {
        await Task.Yield();
        _sendSignal.Set();
        try
        {
            if (CloseInfo is null && _messageStream is { } stream)
            {
                using var timeout = new CancellationTokenSource(_options.CloseTimeout);
                await _writerDone.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
                stream.CompleteWrites();
                await stream.WritesClosed.WaitAsync(timeout.Token).ConfigureAwait(false); // acknowledged: the close cannot overtake them
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or QuicException or TimeoutException)
        {
            // Out of time, or the session already ended: close now.
        }

        SetClosed(new SessionCloseInfo(code, reason, ByPeer: false));
        try
        {
            await _session.CloseAsync((uint)code, reason).ConfigureAwait(false);
        }
        catch (QuicException)
        {
            // The connection is gone.
        }
    }

    /// <summary>Takes the client's first bidirectional stream as the message stream; refuses any later one; closes 1002 if none comes in time.</summary>
    private async Task AcceptMessageStreamAsync()
    {
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_session.Closed))
            {
                timeout.CancelAfter(_options.MessageStreamTimeout);
                try
                {
                    _messageStream = await _session.AcceptBidirectionalStreamAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_session.Closed.IsCancellationRequested)
                {
                    await CloseAsync(SessionCloseCode.ProtocolError, "no message stream was opened").ConfigureAwait(false);
                    return;
                }
            }

            _ = Task.Run(() => WriteLoopAsync(_messageStream));
            _ = Task.Run(() => ReadLoopAsync(_messageStream));
            while (true)
            {
                QuicStream extra = await _session.AcceptBidirectionalStreamAsync(_session.Closed).ConfigureAwait(false);
                extra.Abort(QuicAbortDirection.Both, 0); // one message stream per session (docs/protocol.md)
                await extra.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is QuicException or OperationCanceledException or ObjectDisposedException)
        {
            // The session ended.
        }
    }

    private async Task ReadLoopAsync(QuicStream stream)
    {
        byte[] buffer = new byte[Math.Min(64 * 1024, _options.MaxMessageBytes + 4)];
        int filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, _options.MaxMessageBytes + 4));
                }

                int read = await stream.ReadAsync(buffer.AsMemory(filled)).ConfigureAwait(false);
                if (read == 0)
                {
                    if (CloseInfo is null && _closing is null)
                    {
                        await CloseAsync(filled == 0 ? SessionCloseCode.Normal : SessionCloseCode.ProtocolError,
                            filled == 0 ? "the client ended its message stream" : "the message stream ended inside a message").ConfigureAwait(false);
                    }

                    return;
                }

                filled += read;
                Interlocked.Add(ref _bytesReceived, read);
                int offset = 0;
                while (filled - offset >= 4)
                {
                    uint length = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
                    if (length == 0 || length > (uint)_options.MaxMessageBytes)
                    {
                        SessionCloseCode code = length == 0 ? SessionCloseCode.ProtocolError : SessionCloseCode.MessageTooBig;
                        WebTransportSessionLog.BadMessageLength(_logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Id, length, (int)code);
                        await CloseAsync(code, length == 0 ? "empty message" : $"message larger than {_options.MaxMessageBytes} bytes").ConfigureAwait(false);
                        return;
                    }

                    if (filled - offset - 4 < length)
                    {
                        break;
                    }

                    byte[] copy = ArrayPool<byte>.Shared.Rent((int)length);
                    buffer.AsSpan(offset + 4, (int)length).CopyTo(copy);
                    offset += 4 + (int)length;
                    await _received.Writer.WriteAsync(new ReceivedMessage(copy, (int)length, IsReliable: true)).ConfigureAwait(false);
                }

                buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                filled -= offset;
            }
        }
        catch (Exception exception) when (exception is QuicException or IOException or ObjectDisposedException or System.Threading.Channels.ChannelClosedException or InvalidOperationException)
        {
            // The session ended (its close is recorded by the close watch).
        }
    }

    /// <summary>Whole-message datagrams become unreliable messages; fragments from a client and malformed datagrams are dropped.</summary>
    private async Task ReceiveDatagramsAsync()
    {
        byte[] buffer = new byte[65_536];
        try
        {
            while (true)
            {
                int length = await _session.ReceiveDatagramAsync(buffer).ConfigureAwait(false);
                if (!TryAcceptDatagram(buffer.AsSpan(0, length), out ReadOnlySpan<byte> message))
                {
                    continue;
                }

                byte[] copy = ArrayPool<byte>.Shared.Rent(message.Length);
                message.CopyTo(copy);
                if (!_received.Writer.TryWrite(new ReceivedMessage(copy, message.Length, IsReliable: false)))
                {
                    ArrayPool<byte>.Shared.Return(copy);
                    Interlocked.Increment(ref _datagramsDropped); // the application is behind: drop, never wait
                    _meter?.Dropped(DatagramDropReason.ReceiveQueueFull);
                }
            }
        }
        catch (Exception exception) when (exception is QuicException or ObjectDisposedException)
        {
            // The session ended.
        }
    }

    /// <summary>A received message in a pooled buffer, and whether it came on the stream or as a datagram.</summary>
    private readonly record struct ReceivedMessage(byte[] Buffer, int Length, bool IsReliable);
}
