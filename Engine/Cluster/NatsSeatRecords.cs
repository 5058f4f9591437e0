using System.Net.Sockets;
using System.Text;
using MemoryPack;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Engine.Cluster;

/// <summary>
/// <see cref="ISeatRecords"/> in a JetStream key-value bucket, <c>&lt;ClusterName&gt;-seats</c>
/// (history 1, max age <see cref="MaxAge"/>). Two kinds of key:
/// <list type="bullet">
/// <item><c>r.&lt;room&gt;</c>: the room's seats, a MemoryPack <see cref="SeatList"/>, rewritten by the room's owner on every join and leave (deleted when the room is empty);</item>
/// <item><c>t.&lt;token hash&gt;</c>: the name of the room the session is seated in (UTF-8), written on join, deleted on leave.</item>
/// </list>
/// A lookup by token reads both and trusts the room's list: a <c>t.</c> key left behind by an owner
/// that died before deleting it finds no seat. Every key the owner still stands behind is rewritten each
/// <see cref="RefreshInterval"/>, so only what nobody owns any more ages out.
/// </summary>
/// <remarks>
/// Writes run on one background loop per instance. Per room only the latest list waits (a burst of joins
/// costs one write); rooms waiting are at most the rooms running here. While NATS cannot be reached the
/// loop retries every <see cref="RetryInterval"/>; a seat not recorded yet when its owner dies cannot be
/// resumed elsewhere (the player gets ResumeFailed and joins again).
/// </remarks>
public sealed partial class NatsSeatRecords : ISeatRecords
{
    /// <summary>The bucket's name after the cluster's name.</summary>
    public const string BucketSuffix = "-seats";

    /// <summary>How long a record nobody rewrites lives.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

    /// <summary>How often the owner rewrites the records of its rooms (well inside <see cref="MaxAge"/>).</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromHours(6);

    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(3);
    private static readonly NatsRawSerializer<byte[]> Bytes = NatsRawSerializer<byte[]>.Default;

    private readonly NatsKVContext _kv;
    private readonly NatsConnection _connection;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _storeGate = new(1, 1);
    private readonly Lock _gate = new();

    /// <summary>Rooms whose latest seat list waits to be written. Guarded by <see cref="_gate"/>.</summary>
    private readonly Dictionary<string, SeatRecord[]> _pending = new(StringComparer.Ordinal);

    /// <summary>Per room, the token hashes written last (what a later list must delete). Only the writer loop touches it.</summary>
    private readonly Dictionary<string, HashSet<string>> _written = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _writer;
    private volatile INatsKVStore? _store;
    private long _writes;
    private long _failures;
    private int _disposed;

    public NatsSeatRecords(NatsConnection connection, string clusterName, TimeProvider time, ILoggerFactory loggers)
    {
        _connection = connection;
        _kv = new NatsKVContext(new NatsJSContext(connection));
        Bucket = clusterName + BucketSuffix;
        _time = time;
        _logger = loggers.CreateLogger("Engine.Cluster.Seats");
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The bucket's name.</summary>
    public string Bucket { get; }

    public bool IsDurable => true;

    /// <summary>Room lists written so far (a diagnostic).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Writes that failed and were retried (a diagnostic).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>True when no room list waits to be written.</summary>
    public bool IsIdle
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count == 0 && _inFlight == 0;
            }
        }
    }

    private int _inFlight;

    public async ValueTask<SeatLookup?> FindAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        return await RunAsync("find a seat", async token =>
        {
            INatsKVStore store = await GetStoreAsync(token).ConfigureAwait(false);
            NatsResult<NatsKVEntry<byte[]>> room = await store.TryGetEntryAsync(TokenKey(tokenHash), serializer: Bytes, cancellationToken: token).ConfigureAwait(false);
            if (!room.Success || room.Value.Value is not { Length: > 0 } name)
            {
                return (SeatLookup?)null;
            }

            string roomName = Encoding.UTF8.GetString(name);
            foreach (SeatRecord seat in await ReadRoomAsync(store, roomName, token).ConfigureAwait(false))
            {
                if (seat.TokenHash == tokenHash)
                {
                    return new SeatLookup(roomName, seat);
                }
            }

            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<SeatRecord>> ReadRoomAsync(string room, CancellationToken cancellationToken = default) =>
        await RunAsync("read a room's seats", async token => await ReadRoomAsync(await GetStoreAsync(token).ConfigureAwait(false), room, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public void Update(string room, SeatRecord[] seats)
    {
        lock (_gate)
        {
            _pending[room] = seats;
        }

        Wake();
    }

    public void Forget(string room)
    {
        lock (_gate)
        {
            _pending.Remove(room);
            _forgotten.Add(room);
        }

        Wake();
    }

    /// <summary>Rooms the loop must stop remembering (it owns <see cref="_written"/>). Guarded by <see cref="_gate"/>.</summary>
    private readonly HashSet<string> _forgotten = new(StringComparer.Ordinal);

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake-pending: the loop takes everything waiting.
        }
    }

    /// <summary>Stops the loop after a last attempt (within one operation timeout) at what waits. Records stay: players resume elsewhere.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await _writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        using var timeout = new CancellationTokenSource(OperationTimeout, _time);
        try
        {
            await WritePendingAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsUnreachable(exception))
        {
            SeatLog.WriteFailed(_logger, "(shutdown)", exception.Message);
        }

        _closing.Dispose();
    }

    private static string TokenKey(string tokenHash) => "t." + tokenHash;

    private static string RoomKey(string room) => "r." + room;

    private static bool IsUnreachable(Exception exception) =>
        exception is OperationCanceledException or NatsException or TimeoutException or IOException or SocketException or ObjectDisposedException;

    private static async Task<SeatRecord[]> ReadRoomAsync(INatsKVStore store, string room, CancellationToken token)
    {
        NatsResult<NatsKVEntry<byte[]>> read = await store.TryGetEntryAsync(RoomKey(room), serializer: Bytes, cancellationToken: token).ConfigureAwait(false);
        if (!read.Success || read.Value.Value is not { Length: > 0 } bytes)
        {
            return [];
        }

        try
        {
            return MemoryPackSerializer.Deserialize<SeatList>(bytes)?.Seats ?? [];
        }
        catch (MemoryPackSerializationException)
        {
            return []; // not ours; the owner's next write replaces it
        }
    }

    /// <summary>Runs one read with the operation timeout; unreachable NATS becomes <see cref="ClusterUnavailableException"/>.</summary>
    private async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(OperationTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await operation(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception) when (IsUnreachable(exception))
        {
            string reason = exception is OperationCanceledException ? $"no answer within {OperationTimeout.TotalSeconds:0} s" : exception.Message;
            throw new ClusterUnavailableException($"Seat records: cannot {what} in bucket {Bucket} ({reason}; NATS connection {_connection.ConnectionState}).", exception);
        }
    }

    private async ValueTask<INatsKVStore> GetStoreAsync(CancellationToken token)
    {
        if (_store is { } known)
        {
            return known;
        }

        await _storeGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (_store is { } again)
            {
                return again;
            }

            var config = new NatsKVConfig(Bucket)
            {
                Description = "Engine seats: r.<room> = the room's seats; t.<token hash> = the room a session is seated in.",
                History = 1,
                MaxAge = MaxAge,
                Storage = NatsKVStorageType.File,
            };
            try
            {
                _store = await _kv.CreateStoreAsync(config, token).ConfigureAwait(false);
            }
            catch (NatsJSApiException exception) when (exception.Error.ErrCode == 10058)
            {
                _store = await _kv.GetStoreAsync(Bucket, token).ConfigureAwait(false); // made by another version: take it as found
            }

            return _store;
        }
        finally
        {
            _storeGate.Release();
        }
    }
}
