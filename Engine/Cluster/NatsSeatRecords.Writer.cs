using MemoryPack;
using NATS.Client.KeyValueStore;

namespace Engine.Cluster;

/// <summary>The background writer: the latest seat list of each room, written in order, retried.</summary>
public sealed partial class NatsSeatRecords
{
    private async Task WriteLoopAsync()
    {
        long refreshTicks = (long)(RefreshInterval.TotalSeconds * _time.TimestampFrequency);
        long lastRefresh = _time.GetTimestamp();
        CancellationToken closing = _closing.Token;
        while (!closing.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(RefreshInterval, closing).ConfigureAwait(false);
                if (_time.GetTimestamp() - lastRefresh >= refreshTicks)
                {
                    lastRefresh = _time.GetTimestamp();
                    QueueRefresh();
                }

                using var timeout = new CancellationTokenSource(OperationTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(closing, timeout.Token);
                await WritePendingAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (IsUnreachable(exception))
            {
                Interlocked.Increment(ref _failures);
                SeatLog.WriteFailed(_logger, "(pending)", exception.Message);
                Wake(); // what failed is pending again
                try
                {
                    await Task.Delay(RetryInterval, _time, closing).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Every room written from here is written again in full (its keys' age starts over).</summary>
    private void QueueRefresh()
    {
        lock (_gate)
        {
            foreach (string room in _written.Keys)
            {
                if (!_pending.ContainsKey(room))
                {
                    _pending[room] = Refresh;
                }
            }
        }
    }

    /// <summary>
    /// Marks a room to be written again as last written (a refresh). Compared by reference, so it must
    /// not be the shared empty array an empty seat list may be.
    /// </summary>
    private static readonly SeatRecord[] Refresh = [new SeatRecord { TokenHash = "(refresh)" }];

    /// <summary>Writes every waiting list; a room that fails goes back to wait unless a newer list came meanwhile.</summary>
    private async Task WritePendingAsync(CancellationToken token)
    {
        while (true)
        {
            string room;
            SeatRecord[] seats;
            lock (_gate)
            {
                foreach (string gone in _forgotten)
                {
                    _written.Remove(gone);
                }

                _forgotten.Clear();
                if (_pending.Count == 0)
                {
                    return;
                }

                (room, seats) = _pending.First();
                _pending.Remove(room);
                _inFlight++;
            }

            try
            {
                await WriteRoomAsync(room, seats, token).ConfigureAwait(false);
                Interlocked.Increment(ref _writes);
            }
            catch
            {
                lock (_gate)
                {
                    _pending.TryAdd(room, seats);
                }

                throw;
            }
            finally
            {
                lock (_gate)
                {
                    _inFlight--;
                }
            }
        }
    }

    private async Task WriteRoomAsync(string room, SeatRecord[] seats, CancellationToken token)
    {
        INatsKVStore store = await GetStoreAsync(token).ConfigureAwait(false);
        bool refresh = ReferenceEquals(seats, Refresh);
        HashSet<string> before = _written.GetValueOrDefault(room) ?? [];
        if (refresh)
        {
            seats = await ReadRoomAsync(store, room, token).ConfigureAwait(false);
            if (seats.Length == 0)
            {
                return; // another owner took the room and emptied it; nothing of ours to keep alive
            }
        }

        var now = new HashSet<string>(seats.Length, StringComparer.Ordinal);
        byte[] roomName = System.Text.Encoding.UTF8.GetBytes(room);
        foreach (SeatRecord seat in seats)
        {
            now.Add(seat.TokenHash);
            if (refresh || !before.Contains(seat.TokenHash))
            {
                await store.PutAsync(TokenKey(seat.TokenHash), roomName, Bytes, token).ConfigureAwait(false);
            }
        }

        if (seats.Length > 0)
        {
            await store.PutAsync(RoomKey(room), MemoryPackSerializer.Serialize(new SeatList { Seats = seats }), Bytes, token).ConfigureAwait(false);
        }
        else
        {
            await store.DeleteAsync(RoomKey(room), cancellationToken: token).ConfigureAwait(false);
        }

        foreach (string gone in before)
        {
            if (!now.Contains(gone))
            {
                await store.DeleteAsync(TokenKey(gone), cancellationToken: token).ConfigureAwait(false);
            }
        }

        if (now.Count > 0)
        {
            _written[room] = now;
        }
        else
        {
            _written.Remove(room);
        }
    }
}
