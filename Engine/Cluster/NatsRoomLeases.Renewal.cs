using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace Engine.Cluster;

/// <summary>The renewal loop: one task for every held lease.</summary>
public sealed partial class NatsRoomLeases
{
    /// <summary>Renewals in flight at once (each is one JetStream request).</summary>
    private const int RenewParallelism = 16;

    /// <summary>The shortest sleep of the loop (no busy loop on a deadline that is due now).</summary>
    private static readonly TimeSpan MinimumSleep = TimeSpan.FromMilliseconds(10);

    /// <summary>True while the loop skips renewals because NATS is disconnected (logs once per outage). Loop only.</summary>
    private bool _renewalsPaused;

    /// <summary>
    /// Until disposed: gives up leases past their deadline, renews the ones that are due, then sleeps
    /// until the next renewal or deadline (never longer than <see cref="RenewInterval"/>, so a lease
    /// added meanwhile is renewed in time).
    /// </summary>
    private async Task RenewLoopAsync()
    {
        CancellationToken closing = _closing.Token;
        while (!closing.IsCancellationRequested)
        {
            TimeSpan sleep;
            try
            {
                sleep = await RenewDueAsync(closing).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                LeaseLog.RenewLoopFailed(_logger, exception);
                sleep = RenewInterval / 4;
            }

            try
            {
                await Task.Delay(sleep, _time, closing).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass of the loop; returns how long to sleep.</summary>
    private async Task<TimeSpan> RenewDueAsync(CancellationToken closing)
    {
        long leaseTicks = ToTimestampTicks(LeaseTime);
        long now = _time.GetTimestamp();
        var due = new List<KeyValuePair<string, HeldLease>>();
        List<(string Room, TimeSpan Age)>? expired = null;
        lock (_heldGate)
        {
            foreach (KeyValuePair<string, HeldLease> pair in _held)
            {
                if (now - pair.Value.RenewedAt >= leaseTicks)
                {
                    (expired ??= []).Add((pair.Key, _time.GetElapsedTime(pair.Value.RenewedAt, now)));
                }
                else if (now >= pair.Value.NextAttemptAt)
                {
                    due.Add(pair);
                }
            }

            foreach ((string room, _) in expired ?? [])
            {
                _held.Remove(room);
            }
        }

        foreach ((string room, TimeSpan age) in expired ?? [])
        {
            RaiseLost(room, PastDeadline(age));
        }

        if (due.Count > 0)
        {
            if (_store is { } store && _connection.ConnectionState == NatsConnectionState.Open)
            {
                _renewalsPaused = false;
                await Parallel.ForEachAsync(
                    due,
                    new ParallelOptions { MaxDegreeOfParallelism = RenewParallelism, CancellationToken = closing },
                    (pair, token) => new ValueTask(RenewAsync(store, pair.Key, pair.Value, token))).ConfigureAwait(false);
            }
            else
            {
                // Requests would only wait for the reconnect: count the attempt as failed and check the deadline again soon.
                if (!_renewalsPaused)
                {
                    _renewalsPaused = true;
                    LeaseLog.RenewalsPaused(_logger, due.Count, _connection.ConnectionState.ToString());
                }

                foreach ((string room, HeldLease lease) in due)
                {
                    RenewalFailed(room, lease, error: null);
                }
            }
        }

        return NextSleep(leaseTicks);
    }

    /// <summary>Until the earliest next attempt or deadline, within [<see cref="MinimumSleep"/>, <see cref="RenewInterval"/>].</summary>
    private TimeSpan NextSleep(long leaseTicks)
    {
        long now = _time.GetTimestamp();
        long wake = now + ToTimestampTicks(RenewInterval);
        lock (_heldGate)
        {
            foreach (HeldLease lease in _held.Values)
            {
                wake = Math.Min(wake, Math.Min(lease.NextAttemptAt, lease.RenewedAt + leaseTicks));
            }
        }

        TimeSpan sleep = _time.GetElapsedTime(now, Math.Max(now, wake));
        return sleep < MinimumSleep ? MinimumSleep : sleep;
    }

    /// <summary>Rewrites one lease with a compare-and-set on the revision this instance last wrote.</summary>
    private async Task RenewAsync(INatsKVStore store, string room, HeldLease lease, CancellationToken closing)
    {
        // Bounded: never past the lease's deadline, so the loop checks it on time.
        TimeSpan left = LeaseTime - _time.GetElapsedTime(lease.RenewedAt);
        TimeSpan limit = Min(Min(_options.OperationTimeout, RenewInterval), left);
        if (limit <= TimeSpan.Zero)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(limit, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(closing, timeout.Token);
        string? lostReason = null;
        try
        {
            using RoomGates.Entry gate = await _roomGates.EnterAsync(room, linked.Token).ConfigureAwait(false);
            if (!IsHeld(room, lease))
            {
                return; // released meanwhile
            }

            long started = _time.GetTimestamp();
            NatsResult<ulong> updated = await store.TryUpdateAsync(room, _instanceIdBytes, lease.Revision, Bytes, linked.Token).ConfigureAwait(false);
            if (updated.Success)
            {
                lease.Revision = updated.Value;
                Volatile.Write(ref lease.RenewedAt, started);
                lease.NextAttemptAt = started + ToTimestampTicks(RenewInterval);
                if (lease.Failing)
                {
                    lease.Failing = false;
                    LeaseLog.RenewRecovered(_logger, room);
                }

                return;
            }

            if (updated.Error is not NatsKVWrongLastRevisionException)
            {
                RenewalFailed(room, lease, updated.Error.Message);
                return;
            }

            // The key moved on from our revision: whose is it now?
            NatsResult<NatsKVEntry<byte[]>> read = await store.TryGetEntryAsync(room, serializer: Bytes, cancellationToken: linked.Token).ConfigureAwait(false);
            if (read.Success && string.Equals(Decode(read.Value.Value), InstanceId, StringComparison.Ordinal))
            {
                // Our own write whose answer we missed (a timed-out renewal that did land): carry on from it.
                lease.Revision = read.Value.Revision;
                lease.NextAttemptAt = _time.GetTimestamp();
                return;
            }

            lostReason = read.Success ? $"instance {Decode(read.Value.Value)} holds it now (revision {read.Value.Revision})"
                : read.Error is NatsKVKeyDeletedException ? "its key was deleted or purged by someone else"
                : read.Error is NatsKVKeyNotFoundException ? "its key expired in the bucket"
                : null;
            if (lostReason is null)
            {
                RenewalFailed(room, lease, read.Error.Message);
                return;
            }

            if (!TryDrop(room, lease))
            {
                lostReason = null; // released meanwhile
            }
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            RenewalFailed(room, lease, $"no answer within {limit.TotalSeconds:0.###} s");
        }
        catch (Exception exception) when (IsUnreachable(exception))
        {
            RenewalFailed(room, lease, exception.Message);
        }

        if (lostReason is not null)
        {
            RaiseLost(room, lostReason);
        }
    }

    /// <summary>Retries soon; logs the first failure of a streak (<paramref name="error"/> null: already logged for all, NATS is disconnected).</summary>
    private void RenewalFailed(string room, HeldLease lease, string? error)
    {
        lease.NextAttemptAt = _time.GetTimestamp() + ToTimestampTicks(RenewInterval / 4);
        if (!lease.Failing)
        {
            lease.Failing = true;
            if (error is not null)
            {
                LeaseLog.RenewFailed(_logger, room, error);
            }
        }
    }

    private bool IsHeld(string room, HeldLease lease)
    {
        lock (_heldGate)
        {
            return _held.TryGetValue(room, out HeldLease? current) && ReferenceEquals(current, lease);
        }
    }

    /// <summary>Removes <paramref name="lease"/> if it is still the one held for <paramref name="room"/>.</summary>
    private bool TryDrop(string room, HeldLease lease)
    {
        lock (_heldGate)
        {
            return _held.TryGetValue(room, out HeldLease? current) && ReferenceEquals(current, lease) && _held.Remove(room);
        }
    }

    /// <summary>Logs the loss and raises <see cref="LeaseLost"/> on a thread-pool thread (a slow handler cannot delay renewals).</summary>
    private void RaiseLost(string room, string reason)
    {
        LeaseLog.Lost(_logger, InstanceId, room, reason);
        if (LeaseLost is not { } handlers)
        {
            return;
        }

        ThreadPool.QueueUserWorkItem(
            state =>
            {
                foreach (Action<string> handler in state.Handlers.GetInvocationList().Cast<Action<string>>())
                {
                    try
                    {
                        handler(state.Room);
                    }
                    catch (Exception exception) when (exception is not OutOfMemoryException)
                    {
                        LeaseLog.LostHandlerFailed(_logger, exception, state.Room);
                    }
                }
            },
            (Handlers: handlers, Room: room),
            preferLocal: false);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private string PastDeadline(TimeSpan age) =>
        $"not renewed for {age.TotalSeconds:0.0} s, the lease time is {LeaseTime.TotalSeconds:0.###} s (NATS unreachable?); another instance may own it now";
}
