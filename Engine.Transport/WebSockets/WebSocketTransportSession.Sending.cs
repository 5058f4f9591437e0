using Engine.Transport.Common;
using System.Buffers;
using System.Net.WebSockets;
using Engine.Transport.Abstractions;

namespace Engine.Transport.WebSockets;

public sealed partial class WebSocketTransportSession
{
    // Guarded by _gate.
    private WriterMode _writerMode;
    private int _nextDatagramChannel;

    private enum WriterMode
    {
        /// <summary>Sending datagrams and reliable messages as they come.</summary>
        Running,

        /// <summary>Closing gracefully: write the queued reliable messages, then stop.</summary>
        Drain,

        /// <summary>Stop after the send in flight.</summary>
        Stop,
    }

    private enum WriterStep
    {
        Idle,
        Datagram,
        Reliable,
        Exit,
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The message is larger than <see cref="WebSocketSessionOptions.MaxSendMessageBytes"/>.</exception>
    public bool TrySendReliable(ReadOnlySpan<byte> message)
    {
        RequireWithinLimit(message.Length, nameof(message));
        if (Volatile.Read(ref _closeInfo) is not null)
        {
            return false;
        }

        // Copy outside the lock so a large message does not hold up the writer.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(message.Length, 1));
        message.CopyTo(buffer);

        bool queued = false;
        bool queueFull = false;
        lock (_gate)
        {
            if (_closeInfo is null)
            {
                queued = _reliableQueue.TryEnqueue(buffer, message.Length);
                queueFull = !queued;
            }
        }

        if (queued)
        {
            _writerSignal.Set();
            return true;
        }

        ArrayPool<byte>.Shared.Return(buffer);
        if (queueFull)
        {
            CloseAsSlowConsumer();
        }

        return false;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The datagram is larger than <see cref="WebSocketSessionOptions.MaxSendMessageBytes"/>.</exception>
    public bool SendUnreliable(int channel, ReadOnlySpan<byte> datagram)
    {
        if ((uint)channel >= (uint)_datagramSlots.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(channel),
                $"This session offers unreliable channels 0 to {_datagramSlots.Length - 1} ({_datagramSlots.Length} channels); got {channel}.");
        }

        RequireWithinLimit(datagram.Length, nameof(datagram));
        lock (_gate)
        {
            if (_closeInfo is not null)
            {
                return false;
            }

            if (_datagramSlots[channel].Store(datagram))
            {
                Interlocked.Increment(ref _unreliableDropped);
            }
        }

        _writerSignal.Set();
        return true;
    }

    private void RequireWithinLimit(int length, string parameterName)
    {
        if (length > _options.MaxSendMessageBytes)
        {
            throw new ArgumentException(
                $"The message is {length} bytes; this session's send limit (MaxSendMessageBytes) is {_options.MaxSendMessageBytes} bytes.",
                parameterName);
        }
    }

    private void CloseAsSlowConsumer()
    {
        int capacity = _reliableQueue.Capacity;
        var info = new SessionCloseInfo(
            SessionCloseCode.SlowConsumer,
            $"send queue full ({capacity} messages): client is not reading fast enough",
            ByPeer: false);
        TryBeginClose(info, CloseKind.DiscardThenClose);
    }

    /// <summary>The only code that writes messages to the socket.</summary>
    private async Task RunWriterAsync()
    {
        try
        {
            while (true)
            {
                WriterStep step = TakeNextSend(out ReadOnlyMemory<byte> payload, out byte[]? pooledBuffer);
                if (_coalescer is not null)
                {
                    // Sends copy into the batch and complete at once; the batch goes out when the
                    // queue runs dry (or fills the batch buffer), as one write.
                    _coalescer.Batching = step is WriterStep.Datagram or WriterStep.Reliable;
                }

                switch (step)
                {
                    case WriterStep.Datagram:
                        // The buffer belongs to the datagram slot and stays valid until this loop takes
                        // from the same slot again.
                        if (_coalescer?.TryAppendBinaryFrame(payload.Span) != true)
                        {
                            await _socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, _abortToken);
                        }

                        Interlocked.Increment(ref _unreliableDatagramsSent);
                        Interlocked.Add(ref _bytesSent, payload.Length);
                        break;

                    case WriterStep.Reliable:
                        try
                        {
                            // Batched frames skip the WebSocket's per-send machinery; anything that
                            // does not fit the batch goes through it as before.
                            if (_coalescer?.TryAppendBinaryFrame(payload.Span) != true)
                            {
                                await _socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, _abortToken);
                            }
                        }
                        finally
                        {
                            // The socket copies the payload into its own frame buffer before its first
                            // await, so once SendAsync has finished (either way) the buffer is free.
                            ArrayPool<byte>.Shared.Return(pooledBuffer!);
                        }

                        Interlocked.Increment(ref _reliableMessagesSent);
                        Interlocked.Add(ref _bytesSent, payload.Length);
                        break;

                    case WriterStep.Idle:
                        if (_coalescer is { HasPending: true })
                        {
                            await _coalescer.FlushBatchAsync(_abortToken);
                            break; // look again: more may have been queued during the write
                        }

                        await _writerSignal.WaitAsync();
                        break;

                    default:
                        return;
                }
            }
        }
        catch (Exception exception)
        {
            // After a close has begun, failures are the expected result of aborting the connection.
            if (CloseInfo is null)
            {
                LogFailure(exception, "sending");
                TryBeginClose(ConnectionLost("sending"), CloseKind.Abort);
            }
        }
        finally
        {
            lock (_gate)
            {
                _writerExited = true;
                _reliableQueue.Clear();
            }

            ReleaseResourcesIfUnused();
        }
    }

    /// <summary>
    /// Picks the writer's next send. Each datagram channel gets at most one send between two
    /// reliable messages, so neither kind of traffic can starve the other.
    /// </summary>
    private WriterStep TakeNextSend(out ReadOnlyMemory<byte> payload, out byte[]? pooledBuffer)
    {
        pooledBuffer = null;
        lock (_gate)
        {
            if (_writerMode == WriterMode.Stop)
            {
                payload = default;
                return WriterStep.Exit;
            }

            if (_writerMode == WriterMode.Running && TryTakeDatagramInRound(out payload))
            {
                return WriterStep.Datagram;
            }

            if (_reliableQueue.TryDequeue(out PooledMessage message))
            {
                _nextDatagramChannel = 0;
                pooledBuffer = message.Buffer;
                payload = message.Memory;
                return WriterStep.Reliable;
            }

            if (_writerMode == WriterMode.Drain)
            {
                payload = default;
                return WriterStep.Exit;
            }

            // No reliable traffic: start the next round of datagrams straight away, and when there
            // is nothing at all, make sure the round after waking starts from the first channel.
            _nextDatagramChannel = 0;
            if (TryTakeDatagramInRound(out payload))
            {
                return WriterStep.Datagram;
            }

            _nextDatagramChannel = 0;
            return WriterStep.Idle;
        }
    }

    private bool TryTakeDatagramInRound(out ReadOnlyMemory<byte> payload)
    {
        for (int channel = _nextDatagramChannel; channel < _datagramSlots.Length; channel++)
        {
            if (_datagramSlots[channel].HasPending)
            {
                _nextDatagramChannel = channel + 1;
                payload = _datagramSlots[channel].TakePending();
                return true;
            }
        }

        _nextDatagramChannel = _datagramSlots.Length;
        payload = default;
        return false;
    }
}
