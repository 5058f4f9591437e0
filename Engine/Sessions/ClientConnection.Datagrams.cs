using Engine.Protocol;
using Engine.Rooms;
using Engine.Telemetry;
using Engine.Transport.Abstractions;

namespace Engine.Sessions;

/// <summary>
/// Inputs that arrive as datagrams (WebTransport) are handled on the transport's I/O thread as
/// they arrive, straight into the player's input queue: no thread hop, no wake-up per datagram.
/// Everything else a datagram might carry is dropped and counted.
/// </summary>
internal sealed partial class ClientConnection
{
    private readonly Lock _inputGate = new(); // the rate bucket and drop count are shared with the reliable path
    private InputMessage? _datagramInput;
    private InputBatchMessage? _inputBatch;
    private InputBatchMessage? _datagramInputBatch;
    private SnapshotAckMessage? _snapshotAck;
    private SnapshotAckMessage? _datagramSnapshotAck;
    private uint _lastQueuedBatchSequence;

    /// <summary>Takes unreliable messages on the I/O thread when the transport offers it.</summary>
    private void AttachUnreliableHandler()
    {
        if (_transport is IUnreliableMessageSource source)
        {
            source.SetUnreliableHandler(OnUnreliableMessage);
        }
    }

    /// <summary>On the transport's I/O thread: must not block or throw.</summary>
    private void OnUnreliableMessage(ReadOnlySpan<byte> message)
    {
        EngineMetrics metrics = _services.Metrics;
        var transportTag = new KeyValuePair<string, object?>("transport", _transport.TransportName);
        metrics.MessagesIn.Add(1, transportTag);
        metrics.BytesIn.Add(message.Length, transportTag);
        if (TryRelayUnreliable(message))
        {
            return;
        }

        MessageType type = message.IsEmpty ? default : (MessageType)message[0];
        if (type is not (MessageType.Input or MessageType.InputBatch or MessageType.SnapshotAck))
        {
            metrics.Drops.Add(1, new KeyValuePair<string, object?>("reason", "unreliable_not_input"), transportTag);
            return;
        }

        SessionState? session = Volatile.Read(ref _session);
        Player? player = session?.Player;
        if (type == MessageType.Input && (player is null || session!.Room is null))
        {
            return; // before joining, or racing a leave: harmless, no error per input
        }

        if (player is not null)
        {
            RoomHost.Touch(player, _services.Time.GetTimestamp());
        }

        try
        {
            // Each message instance is used only by this (the I/O) thread.
            switch (type)
            {
                case MessageType.InputBatch:
                    MessageCodec.ReadBody(message, ref _datagramInputBatch);
                    OnInputBatch(_datagramInputBatch!, fromIo: true);
                    break;
                case MessageType.SnapshotAck:
                    MessageCodec.ReadBody(message, ref _datagramSnapshotAck);
                    OnSnapshotAck(_datagramSnapshotAck!.Tick);
                    break;
                default:
                    MessageCodec.ReadBody(message, ref _datagramInput);
                    OnInput(_datagramInput!, fromIo: true);
                    break;
            }
        }
        catch (ProtocolException exception)
        {
            Log.MalformedMessage(_logger, _transport.Id, exception.Message);
            _ = _transport.CloseAsync(SessionCloseCode.ProtocolError, Truncate(exception.Message), CancellationToken.None).AsTask();
        }
    }

    /// <summary>
    /// Queues the inputs of a batch the connection has not queued yet (a batch repeats the previous
    /// ones), each counted against the input rate; runs on the receive loop or the I/O thread.
    /// </summary>
    private void OnInputBatch(InputBatchMessage batch, bool fromIo)
    {
        if (batch.Inputs.Length > InputBatchMessage.MaxInputs)
        {
            throw new ProtocolException($"An input batch holds {batch.Inputs.Length} inputs; the limit is {InputBatchMessage.MaxInputs}.");
        }

        foreach (InputEntry entry in batch.Inputs)
        {
            if (entry.Data.Length > Player.MaxInputBytes)
            {
                throw new ProtocolException($"Input data is {entry.Data.Length} bytes; the limit is {Player.MaxInputBytes}.");
            }
        }

        if (Volatile.Read(ref _session) is not { } session || session.Player is not { } player || session.Room is not { } room)
        {
            return; // before joining, or racing a leave: harmless
        }

        if (batch.AckTick != 0)
        {
            player.ObserveSnapshotAck(batch.AckTick); // the ack counts even when the inputs are over the rate
        }

        string? exhausted = null;
        lock (_inputGate)
        {
            foreach (InputEntry entry in batch.Inputs)
            {
                if (entry.Sequence <= _lastQueuedBatchSequence)
                {
                    continue; // sent again for redundancy; the player's queue would skip it anyway
                }

                if (!_inputs.TryTake())
                {
                    exhausted = CountDropLocked("input_rate");
                    break;
                }

                _lastQueuedBatchSequence = entry.Sequence;
                room.Input(player, entry.Sequence, entry.ClientTick, entry.Data);
            }
        }

        CloseIfExhausted(exhausted, fromIo);
    }

    /// <summary>
    /// The client applied entity snapshot <paramref name="tick"/>: later deltas may use it as their
    /// baseline. Acks are not rate-limited: they cost one compare, and a bogus one (a tick never sent)
    /// only makes this client's own snapshots full.
    /// </summary>
    private void OnSnapshotAck(uint tick) => Volatile.Read(ref _session)?.Player?.ObserveSnapshotAck(tick);

    /// <summary>The abuse allowance ran out: on the I/O thread close now; on the receive loop, after this message.</summary>
    private void CloseIfExhausted(string? exhausted, bool fromIo)
    {
        if (exhausted is null)
        {
            return;
        }

        if (fromIo)
        {
            _ = _transport.CloseAsync(SessionCloseCode.PolicyViolation, exhausted, CancellationToken.None).AsTask();
        }
        else
        {
            RequestClose(SessionCloseCode.PolicyViolation, exhausted);
        }
    }
}
