using System.Buffers;
using Engine.Protocol;
using Engine.Telemetry;
using Engine.Transport.Abstractions;

namespace Engine.Rooms;

internal sealed partial class RoomHost
{
    private readonly ArrayBufferWriter<byte> _stateWriter = new(1024);
    private readonly SnapshotMessage _snapshot = new();
    private uint _tick;

    public uint CurrentTick => _tick;

    /// <summary>Ticks skipped because the room fell behind.</summary>
    public long Overruns { get; private set; }

    private async Task RunTickLoopAsync(CancellationToken stop)
    {
        var schedule = new TickSchedule(Time.GetTimestamp(), Time.TimestampFrequency, TickRate);
        while (!stop.IsCancellationRequested)
        {
            long deadline = schedule.NextDeadline;
            long now = Time.GetTimestamp();
            if (deadline > now)
            {
                await Task.Delay(Time.GetElapsedTime(now, deadline), Time, stop).ConfigureAwait(false);
                now = Time.GetTimestamp();
            }

            long skipped = schedule.Advance(now);
            if (skipped > 0)
            {
                Overruns += skipped;
                _metrics.TickOverruns.Add(skipped);
                Log.TickOverrun(Logger, Name, skipped);
            }

            RunTick();
        }
    }

    /// <summary>Runs one tick: inputs, simulation, expiry sweeps, snapshot fan-out.</summary>
    internal void RunTick()
    {
        long began = Time.GetTimestamp();
        Documents.DocumentDelta? documentDelta;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _tick++;
            foreach (Player player in _players.Values)
            {
                try
                {
                    player.DrainInputs(_room);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Log.RoomHookFailed(Logger, ex, Name, "OnInput");
                }
            }

            var info = new TickInfo(_tick, TimeSpan.FromSeconds(1.0 / TickRate), UnixMs());
            Guard("OnTick", () => _room.OnTick(info));
            ApplyPendingKicks();
            SweepLocked(began);
            FlushPresenceLocked(began);
            FanOutSnapshotLocked(info);
            documentDelta = FlushDocumentLocked();
        }

        if (documentDelta is not null)
        {
            _replicator!.PublishDelta(Name, documentDelta); // outside the lock: an in-process bus delivers synchronously
        }

        _metrics.TickDuration.Record(Time.GetElapsedTime(began).TotalMilliseconds);
    }

    private void FanOutSnapshotLocked(TickInfo info)
    {
        if (_players.Count == 0)
        {
            return;
        }

        _outbox.Clear();
        _sendGroups.Clear();
        _outboxBytes.ResetWrittenCount();
        if (_usesEntities)
        {
            EncodeEntitySnapshotsLocked(info);
        }
        else
        {
            EncodeStateSnapshotsLocked(info);
        }

        SendOutboxLocked();
    }

    /// <summary>Opaque state: the room's state once, framed per player (only <c>lastProcessedInput</c> differs).</summary>
    private void EncodeStateSnapshotsLocked(TickInfo info)
    {
        _stateWriter.ResetWrittenCount();
        Guard("WriteState", () => _room.WriteState(_stateWriter));
        ReadOnlySpan<byte> state = _stateWriter.WrittenSpan;

        // The state array is reused while its size holds (fixed-size states allocate nothing per tick).
        if (_snapshot.State.Length != state.Length)
        {
            _snapshot.State = new byte[state.Length];
        }

        state.CopyTo(_snapshot.State);
        _snapshot.Tick = info.Number;
        _snapshot.ServerTime = info.ServerTime;
        foreach (Player player in _players.Values)
        {
            if (player.Session is not { } session)
            {
                continue;
            }

            _snapshot.LastProcessedInput = player.LastProcessedInput;
            int offset = _outboxBytes.WrittenCount;
            MessageCodec.Write(_outboxBytes, _snapshot);
            AddToOutbox(session, offset, _outboxBytes.WrittenCount - offset, OutboxKind.State, 0);
        }
    }

    // Presence (silent players), typing indicators, and held seats all expire here, once a tick.
    private void SweepLocked(long now)
    {
        long silentFor = (long)((_options.HeartbeatInterval + _options.HeartbeatTimeout).TotalSeconds * Time.TimestampFrequency);
        List<Player>? expired = null;
        foreach (Player player in _players.Values)
        {
            if (player.TypingUntil != 0 && now >= player.TypingUntil)
            {
                player.TypingUntil = 0;
                SendToAll(MessageCodec.ToArray(new TypingChangedMessage { PlayerId = player.Id, IsTyping = false }));
            }

            bool silent = player.IsOnline && now - player.LastSeen > silentFor;
            bool abandoned = !player.IsOnline && now >= player.HeldUntil;
            if (silent || abandoned)
            {
                (expired ??= []).Add(player);
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (Player player in expired)
        {
            ITransportSession? session = player.Session;
            RemoveLocked(player, session is null ? "disconnected" : "timeout");
            if (session is not null)
            {
                _ = CloseQuietlyAsync(session, SessionCloseCode.HeartbeatTimeout, "no heartbeat within the presence timeout");
            }
        }
    }
}
