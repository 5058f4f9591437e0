using System.Buffers;
using System.Buffers.Binary;
using Engine.Transport.Abstractions;
using Engine.Transport.Common;
using Engine.Transport.Net;

namespace Engine.Transport.WebTransport;

/// <summary>Sending: a bounded queue the writer loop drains onto the message stream; datagrams at once.</summary>
public sealed partial class WebTransportTransportSession
{
    private const int WriteBatchBytes = 64 * 1024;
    private int _nextMessageId;

    public bool TrySendReliable(ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty || message.Length > _options.MaxSendMessageBytes)
        {
            throw new ArgumentException($"A reliable message is 1–{_options.MaxSendMessageBytes} bytes (got {message.Length}).", nameof(message));
        }

        bool full;
        lock (_gate)
        {
            if (CloseInfo is not null || _closing is not null)
            {
                return false;
            }

            byte[] buffer = ArrayPool<byte>.Shared.Rent(message.Length);
            message.CopyTo(buffer);
            full = !_sendQueue.TryEnqueue(buffer, message.Length);
            if (full)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (full)
        {
            _ = CloseAsync(SessionCloseCode.SlowConsumer, "send queue full").AsTask();
            return false;
        }

        _sendSignal.Set();
        return true;
    }

    public bool SendUnreliable(int channel, ReadOnlySpan<byte> datagram)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        if (CloseInfo is not null)
        {
            return false;
        }

        try
        {
            // Message ids are only needed for fragmented messages; one per call keeps them unique.
            ushort id = (ushort)(Interlocked.Increment(ref _nextMessageId) - 1);
            MessageSendResult result = _session.SendMessageDatagrams(datagram, id);
            if (result.TooLarge)
            {
                Interlocked.Increment(ref _datagramsDropped); // more than MaxFragments datagrams, or the peer takes none
                _meter?.Dropped(DatagramDropReason.TooLarge);
                return true;
            }

            Interlocked.Add(ref _datagramsSent, result.Sent);
            Interlocked.Add(ref _bytesSent, result.Bytes);
            bool fragmented = result.Datagrams > 1;
            if (fragmented)
            {
                Interlocked.Add(ref _fragmentsSent, result.Sent);
            }

            if (result.Sent > 0)
            {
                _meter?.Sent(result.Sent, fragmented);
            }

            if (result.Datagrams > result.Sent)
            {
                Interlocked.Add(ref _datagramsDropped, result.Datagrams - result.Sent);
                _meter?.Dropped(DatagramDropReason.Refused, result.Datagrams - result.Sent);
            }

            return true;
        }
        catch (QuicException)
        {
            return false; // the session or its connection is gone
        }
    }

    /// <summary>Drains the queue onto the message stream in batches (length prefix + message each).</summary>
    private async Task WriteLoopAsync(QuicStream stream)
    {
        byte[] batch = new byte[WriteBatchBytes];
        try
        {
            while (true)
            {
                int filled = 0;
                PooledMessage message;
                bool any;
                lock (_gate)
                {
                    any = _sendQueue.TryDequeue(out message);
                }

                if (!any)
                {
                    if (CloseInfo is not null || (_closing is not null && _sendQueue.Count == 0))
                    {
                        return;
                    }

                    await _sendSignal.WaitAsync().ConfigureAwait(false);
                    continue;
                }

                while (any)
                {
                    int needed = 4 + message.Length;
                    if (filled > 0 && filled + needed > batch.Length)
                    {
                        await stream.WriteAsync(batch.AsMemory(0, filled)).ConfigureAwait(false);
                        Interlocked.Add(ref _bytesSent, filled);
                        filled = 0;
                    }

                    if (needed > batch.Length)
                    {
                        byte[] prefix = new byte[4];
                        BinaryPrimitives.WriteUInt32LittleEndian(prefix, (uint)message.Length);
                        await stream.WriteAsync(prefix).ConfigureAwait(false);
                        await stream.WriteAsync(message.Memory).ConfigureAwait(false);
                        Interlocked.Add(ref _bytesSent, needed);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(batch.AsSpan(filled), (uint)message.Length);
                        message.Memory.Span.CopyTo(batch.AsSpan(filled + 4));
                        filled += needed;
                    }

                    ArrayPool<byte>.Shared.Return(message.Buffer);
                    lock (_gate)
                    {
                        any = _sendQueue.TryDequeue(out message);
                    }
                }

                if (filled > 0)
                {
                    await stream.WriteAsync(batch.AsMemory(0, filled)).ConfigureAwait(false);
                    Interlocked.Add(ref _bytesSent, filled);
                }
            }
        }
        catch (Exception exception) when (exception is QuicException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The stream or session ended; the close watch records why.
        }
        finally
        {
            _writerDone.TrySetResult();
        }
    }
}
