using System.Net.Sockets;
using System.Text;
using Engine.Rooms;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Engine.Cluster;

/// <summary>
/// <see cref="IRoomLeases"/> over a NATS JetStream key-value bucket, <c>&lt;ClusterName&gt;-rooms</c>:
/// one key per room (the room name), whose value is the owner's instance id (UTF-8). The bucket keeps one
/// revision per key (history 1) and its max age is the lease time, so a key that nobody rewrites
/// disappears about <see cref="LeaseTime"/> after its last write.
/// </summary>
/// <remarks>
/// <para>
/// <b>Claiming.</b> <see cref="AcquireOrFindOwnerAsync"/> creates the key (a write that expects no
/// revision: it succeeds only when the key is absent, deleted, purged or expired). Exactly one of several
/// instances racing for the same room succeeds; the others read the key and answer the winner's id.
/// </para>
/// <para>
/// <b>Renewing.</b> One background loop renews every held lease each <see cref="RoomLeaseOptions.RenewInterval"/>
/// with a compare-and-set on the revision it last wrote. A renewal refused because the revision moved
/// (another instance holds the key now, or it was deleted or expired) loses the lease at once. A renewal
/// that cannot reach NATS is retried; when the last successful renewal <em>started</em> longer than
/// <see cref="LeaseTime"/> ago the lease is lost too: the server stamps a write no earlier than the
/// moment it was sent, so the key can expire there no earlier than this instance gives up.
/// <see cref="LeaseLost"/> is raised (on a thread-pool thread) for each lost lease.
/// </para>
/// <para>
/// <b>Expiry in NATS KV.</b> The bucket's max age applies to each stored message by its own timestamp,
/// and every write of a key (create, update, delete) is a new message that, with history 1, replaces the
/// previous one. So each revision has its own age: a key rewritten more often than the max age lives on
/// indefinitely, and one left alone is removed about max age after its last write (the tests prove both
/// against a real server; nats-server 2.9.10 removed a key 2.03–2.09 s after its last write with a 2 s max
/// age). Per-message TTLs (<c>LimitMarkerTTL</c>, nats-server 2.11+) are not needed and not used. A delete (<see cref="ReleaseAsync"/>) leaves a delete marker that also expires
/// after the max age; creating over a delete marker succeeds (it is a write that expects the marker's revision).
/// </para>
/// <para>
/// <b>Bounded state.</b> One entry per room this instance holds, added when a claim succeeds and removed on
/// <see cref="ReleaseAsync"/>, on loss, or at disposal; held leases plus claims in flight are at most
/// <see cref="RoomLeaseOptions.MaxHeldLeases"/> (a claim beyond that throws before it asks NATS).
/// Nothing is kept about rooms other instances own (each call for such a room asks NATS), and a per-room
/// gate that serializes this instance's own operations on one room exists only while one runs.
/// </para>
/// </remarks>
public sealed partial class NatsRoomLeases : IRoomLeases
{
    /// <summary>The bucket's name after the cluster's name.</summary>
    public const string BucketSuffix = "-rooms";

    private static readonly NatsRawSerializer<byte[]> Bytes = NatsRawSerializer<byte[]>.Default;

    private readonly NatsConnection _connection;
    private readonly NatsKVContext _kv;
    private readonly RoomLeaseOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly byte[] _instanceIdBytes;
    private readonly Lock _heldGate = new();

    /// <summary>The leases this instance holds, by room (see "Bounded state" above). Guarded by <see cref="_heldGate"/>.</summary>
    private readonly Dictionary<string, HeldLease> _held = new(StringComparer.Ordinal);
    private readonly RoomGates _roomGates = new();
    private readonly SemaphoreSlim _storeGate = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _renewLoop;
    /// <summary>The bucket's handle once found (its subjects; valid across reconnects and server restarts, so never dropped).</summary>
    private volatile INatsKVStore? _store;

    /// <summary>Set when an acquire failed (the bucket may be missing): the next acquire creates (or finds) it again.</summary>
    private volatile bool _bucketInDoubt;

    /// <summary>Claims in flight, counted against <see cref="RoomLeaseOptions.MaxHeldLeases"/> with <see cref="_held"/>. Guarded by <see cref="_heldGate"/>.</summary>
    private int _claiming;
    private long _leaseTimeTicks;
    private long _renewIntervalTicks;
    private int _disposed;

    /// <summary>Creates the leases and starts the renewal loop; the bucket is created (or found) by the first acquire.</summary>
    /// <param name="connection">An open (or reconnecting) NATS connection, e.g. the cluster bus's; not disposed here.</param>
    /// <param name="clusterName">The cluster's name (<see cref="ClusterOptions.ClusterName"/>); the bucket is <c>&lt;clusterName&gt;-rooms</c>.</param>
    /// <param name="instanceId">This instance's id, unique in the cluster: the value written into each lease it holds.</param>
    /// <param name="timeProvider">The clock for renewals and deadlines.</param>
    /// <param name="loggerFactory">For the leases' log.</param>
    /// <param name="options">Timing and bounds; null for the defaults.</param>
    /// <exception cref="ArgumentException">Invalid cluster name, empty instance id, or invalid options.</exception>
    public NatsRoomLeases(NatsConnection connection, string clusterName, string instanceId, TimeProvider timeProvider, ILoggerFactory loggerFactory, RoomLeaseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (!ClusterOptions.IsValidClusterName(clusterName))
        {
            throw new ArgumentException($"Invalid cluster name \"{clusterName}\": 1–64 letters, digits, '-' or '_'.", nameof(clusterName));
        }

        _options = options ?? new RoomLeaseOptions();
        _options.Validate();
        _connection = connection;
        _kv = new NatsKVContext(new NatsJSContext(connection));
        _time = timeProvider;
        _logger = loggerFactory.CreateLogger<NatsRoomLeases>();
        InstanceId = instanceId;
        _instanceIdBytes = Encoding.UTF8.GetBytes(instanceId);
        Bucket = clusterName + BucketSuffix;
        _leaseTimeTicks = _options.LeaseTime.Ticks;
        _renewIntervalTicks = _options.RenewInterval.Ticks;
        _renewLoop = Task.Run(RenewLoopAsync);
    }

    /// <summary>This instance's id: the value of every lease it holds.</summary>
    public string InstanceId { get; }

    /// <summary>The key-value bucket holding the leases, <c>&lt;ClusterName&gt;-rooms</c>.</summary>
    public string Bucket { get; }

    /// <inheritdoc />
    /// <remarks>
    /// The configured <see cref="RoomLeaseOptions.LeaseTime"/>, or, once the bucket has been found with a
    /// different max age (created by an instance configured differently), that max age: the bucket decides
    /// when keys expire, so this instance gives leases up by the same clock.
    /// </remarks>
    public TimeSpan LeaseTime => TimeSpan.FromTicks(Interlocked.Read(ref _leaseTimeTicks));

    /// <summary>How often held leases are renewed (<see cref="RoomLeaseOptions.RenewInterval"/>, shortened when the bucket's max age is shorter).</summary>
    public TimeSpan RenewInterval => TimeSpan.FromTicks(Interlocked.Read(ref _renewIntervalTicks));

    /// <summary>How many leases this instance holds now (including any past its deadline that the renewal loop is about to drop).</summary>
    public int HeldCount
    {
        get
        {
            lock (_heldGate)
            {
                return _held.Count;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Raised on a thread-pool thread; a handler that throws is logged and the others still run.</remarks>
    public event Action<string>? LeaseLost;

    /// <summary>
    /// True while this instance holds the lease of <paramref name="room"/> (no NATS round trip): held, and
    /// renewed less than <see cref="LeaseTime"/> ago, whether or not the renewal loop has noticed the deadline yet.
    /// </summary>
    public bool Holds(string room)
    {
        lock (_heldGate)
        {
            return _held.TryGetValue(room, out HeldLease? lease)
                && _time.GetTimestamp() - Volatile.Read(ref lease.RenewedAt) < ToTimestampTicks(LeaseTime);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// A room held here answers at once, without NATS. Otherwise at most <see cref="RoomLeaseOptions.OperationTimeout"/>
    /// (or until <paramref name="cancellationToken"/>). A key holding this instance's own id that is not held here
    /// (a claim whose answer was lost, or a lease given up during a partition that nobody took meanwhile)
    /// is taken back with a compare-and-set.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="room"/> is not a valid room name.</exception>
    /// <exception cref="InvalidOperationException">This instance already holds <see cref="RoomLeaseOptions.MaxHeldLeases"/> leases.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">Disposed.</exception>
    public async ValueTask<string> AcquireOrFindOwnerAsync(string room, CancellationToken cancellationToken = default)
    {
        ValidateRoom(room);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Holds(room))
        {
            return InstanceId;
        }

        using var timeout = new CancellationTokenSource(_options.OperationTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _closing.Token);
        try
        {
            using RoomGates.Entry gate = await _roomGates.EnterAsync(room, linked.Token).ConfigureAwait(false);
            if (Holds(room))
            {
                return InstanceId;
            }

            // Past its deadline but not dropped by the loop yet: signal the loss before claiming anew.
            DropIfPastDeadline(room);

            INatsKVStore store = await GetStoreAsync(linked.Token).ConfigureAwait(false);
            return await ClaimOrFindAsync(store, room, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(NatsRoomLeases));
        }
        catch (Exception exception) when (IsUnreachable(exception))
        {
            // The bucket may be what is missing (deleted, or a server that lost its store: requests then go
            // unanswered rather than refused). Making sure of it again is idempotent and costs two requests.
            _bucketInDoubt = true;
            string reason = exception is OperationCanceledException
                ? $"no answer within {_options.OperationTimeout.TotalSeconds:0.###} s"
                : exception.Message;
            LeaseLog.AcquireFailed(_logger, room, reason);
            throw new ClusterUnavailableException(
                $"Room leases: cannot claim or look up room \"{room}\" in bucket {Bucket} ({reason}; NATS connection {_connection.ConnectionState}).",
                exception);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The lease stops being held here at once (no renewal, no <see cref="LeaseLost"/>); then its key is
    /// deleted only if it still holds the revision this instance last wrote (a compare-and-set delete), so a
    /// lease someone else took meanwhile is left alone. When NATS cannot be reached within
    /// <see cref="RoomLeaseOptions.OperationTimeout"/> the failure is logged, not thrown: the key expires by itself
    /// after <see cref="LeaseTime"/>.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="room"/> is not a valid room name.</exception>
    public async ValueTask ReleaseAsync(string room, CancellationToken cancellationToken = default)
    {
        ValidateRoom(room);
        HeldLease? lease;
        lock (_heldGate)
        {
            if (!_held.Remove(room, out lease))
            {
                return;
            }
        }

        using var timeout = new CancellationTokenSource(_options.OperationTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        await DeleteAsync(room, lease, linked.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the renewal loop and releases every held lease (best effort, within one
    /// <see cref="RoomLeaseOptions.OperationTimeout"/>), so that other instances can take the rooms over at once.
    /// Raises no <see cref="LeaseLost"/>. The connection is not disposed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await _renewLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        KeyValuePair<string, HeldLease>[] held;
        lock (_heldGate)
        {
            held = [.. _held];
            _held.Clear();
        }

        using var timeout = new CancellationTokenSource(_options.OperationTimeout, _time);
        await Parallel.ForEachAsync(
            held,
            new ParallelOptions { MaxDegreeOfParallelism = RenewParallelism },
            async (pair, _) => await DeleteAsync(pair.Key, pair.Value, timeout.Token).ConfigureAwait(false)).ConfigureAwait(false);
        _closing.Dispose();
    }

    private static void ValidateRoom(string room)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (!RoomNames.IsValid(room))
        {
            throw new ArgumentException(RoomNames.Rule + $" (got \"{room}\")", nameof(room));
        }
    }

    /// <summary>Failures that mean "NATS or its JetStream cannot serve us now" (as opposed to a bug or bad input).</summary>
    private static bool IsUnreachable(Exception exception) =>
        exception is OperationCanceledException or NatsException or TimeoutException or IOException or SocketException or ObjectDisposedException;

    /// <summary>Refusals of a conditional write or read that mean "the key is not what we thought": look again.</summary>
    private static bool IsConflict(Exception exception) =>
        exception is NatsKVCreateException or NatsKVWrongLastRevisionException or NatsKVKeyNotFoundException or NatsKVKeyDeletedException;

    private static string Decode(byte[]? value) => value is null ? string.Empty : Encoding.UTF8.GetString(value);

    /// <summary>Creates the key, or finds its holder; loops when the key changes between the two steps.</summary>
    private async Task<string> ClaimOrFindAsync(INatsKVStore store, string room, CancellationToken token)
    {
        ReserveClaim();
        try
        {
            return await ClaimOrFindReservedAsync(store, room, token).ConfigureAwait(false);
        }
        finally
        {
            lock (_heldGate)
            {
                _claiming--;
            }
        }
    }

    private async Task<string> ClaimOrFindReservedAsync(INatsKVStore store, string room, CancellationToken token)
    {
        for (int attempt = 1; ; attempt++)
        {
            long started = _time.GetTimestamp();
            NatsResult<ulong> created = await store.TryCreateAsync(room, _instanceIdBytes, Bytes, token).ConfigureAwait(false);
            if (created.Success)
            {
                Hold(room, created.Value, started);
                return InstanceId;
            }

            if (!IsConflict(created.Error))
            {
                throw created.Error;
            }

            NatsResult<NatsKVEntry<byte[]>> read = await store.TryGetEntryAsync(room, serializer: Bytes, cancellationToken: token).ConfigureAwait(false);
            if (read.Success)
            {
                NatsKVEntry<byte[]> entry = read.Value;
                string holder = Decode(entry.Value);
                if (!string.Equals(holder, InstanceId, StringComparison.Ordinal))
                {
                    return holder;
                }

                // Our own id, not held here: take it back only if nobody writes it meanwhile.
                started = _time.GetTimestamp();
                NatsResult<ulong> retaken = await store.TryUpdateAsync(room, _instanceIdBytes, entry.Revision, Bytes, token).ConfigureAwait(false);
                if (retaken.Success)
                {
                    Hold(room, retaken.Value, started);
                    return InstanceId;
                }

                if (!IsConflict(retaken.Error))
                {
                    throw retaken.Error;
                }
            }
            else if (!IsConflict(read.Error))
            {
                throw read.Error;
            }

            // Released, expired or claimed between our two calls: look again (the timeout bounds the loop).
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5 * attempt, 100)), _time, token).ConfigureAwait(false);
        }
    }

    private void DropIfPastDeadline(string room)
    {
        TimeSpan age;
        lock (_heldGate)
        {
            if (!_held.TryGetValue(room, out HeldLease? lease))
            {
                return;
            }

            age = _time.GetElapsedTime(Volatile.Read(ref lease.RenewedAt));
            _held.Remove(room);
        }

        RaiseLost(room, PastDeadline(age));
    }

    /// <summary>Counts one claim in flight, or throws when held leases and claims in flight reach the bound.</summary>
    private void ReserveClaim()
    {
        lock (_heldGate)
        {
            if (_held.Count + _claiming >= _options.MaxHeldLeases)
            {
                throw new InvalidOperationException(
                    $"Room leases: this instance already holds {_held.Count} leases and claims {_claiming} more (RoomLeaseOptions.MaxHeldLeases is {_options.MaxHeldLeases}); release some first.");
            }

            _claiming++;
        }
    }

    private void Hold(string room, ulong revision, long writeStarted)
    {
        var lease = new HeldLease(revision, writeStarted, writeStarted + ToTimestampTicks(RenewInterval));
        lock (_heldGate)
        {
            _held[room] = lease;
        }

        LeaseLog.Acquired(_logger, InstanceId, room, revision);
    }

    /// <summary>Deletes the key if it still has <paramref name="lease"/>'s revision; logs failures. The lease is no longer in <see cref="_held"/>.</summary>
    private async Task DeleteAsync(string room, HeldLease lease, CancellationToken token)
    {
        try
        {
            // Waits for a renewal of this room in flight, so the revision below is the last one written.
            using RoomGates.Entry gate = await _roomGates.EnterAsync(room, token).ConfigureAwait(false);
            if (_store is { } store)
            {
                NatsResult deleted = await store.TryDeleteAsync(room, new NatsKVDeleteOpts { Revision = lease.Revision }, token).ConfigureAwait(false);
                if (!deleted.Success && deleted.Error is not NatsKVWrongLastRevisionException)
                {
                    throw deleted.Error;
                }
            }

            LeaseLog.Released(_logger, InstanceId, room);
        }
        catch (Exception exception) when (IsUnreachable(exception))
        {
            LeaseLog.ReleaseFailed(_logger, exception, room);
        }
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>One held lease. Its fields are written by the renewal of its room (under the room's gate) and by the renewal loop after that renewal ends.</summary>
    private sealed class HeldLease(ulong revision, long renewedAt, long nextAttemptAt)
    {
        /// <summary>The revision this instance last wrote.</summary>
        public ulong Revision = revision;

        /// <summary>When (<see cref="TimeProvider.GetTimestamp"/>) the last successful write was sent.</summary>
        public long RenewedAt = renewedAt;

        /// <summary>When the renewal loop next writes it.</summary>
        public long NextAttemptAt = nextAttemptAt;

        /// <summary>True from a failed renewal until the next successful one (logs once per streak).</summary>
        public bool Failing;
    }
}
