using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Engine.Cluster;

/// <summary>
/// The room-event store on NATS JetStream: one stream per cluster, <c>&lt;cluster&gt;-events</c>, with one
/// subject per room, <c>&lt;cluster&gt;.events.&lt;room&gt;</c>. Each event is one message, its payload the
/// event's wire bytes, with the headers <c>Nats-Msg-Id: &lt;room&gt;:&lt;sequence&gt;</c> (JetStream drops a
/// repeat within <see cref="RoomEventStoreOptions.DuplicateWindow"/>) and <c>Engine-Sequence: &lt;sequence&gt;</c>.
/// The stream keeps events for <see cref="RoomEventStoreOptions.MaxAge"/>, at most
/// <see cref="RoomEventStoreOptions.MaxMessagesPerRoom"/> per room and <see cref="RoomEventStoreOptions.MaxBytes"/>
/// in all (oldest removed first), on file storage with <see cref="RoomEventStoreOptions.Replicas"/> copies.
/// </summary>
/// <remarks>
/// The store uses a connection it does not own (disposing the store leaves it open). Every call retries
/// transient failures (disconnected, no responders while JetStream recovers, a lost reply) until its
/// timeout, then throws <see cref="ClusterUnavailableException"/>; an error JetStream answers with (a
/// message over the size limit, a stream configuration it refuses) fails at once with the same exception.
/// Appends of one room are expected in sequence order (the room's owner appends each event before the
/// next); reads stay correct otherwise, but may report <c>Complete = false</c> and make the reader resync.
/// </remarks>
public sealed partial class JetStreamRoomEventStore : IRoomEventStore
{
    /// <summary>The header carrying the event's room sequence (decimal).</summary>
    public const string SequenceHeader = "Engine-Sequence";

    /// <summary>Longest time one request may wait for its reply before the call retries it.</summary>
    private static readonly TimeSpan MaxAttemptTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>JetStream's error code for "stream not found".</summary>
    private const int StreamNotFoundErrorCode = 10059;

    private readonly string _cluster;
    private readonly string _subjectPrefix;
    private readonly RoomEventStoreOptions _options;
    private readonly ILogger _logger;
    private readonly INatsConnection _connection;
    private readonly NatsJSContext _appendJs;
    private readonly NatsJSContext _readJs;
    private volatile bool _streamReady;
    private int _disposed;

    /// <summary>Creates the store on <paramref name="connection"/>; no I/O until <see cref="StartAsync"/> or the first call.</summary>
    /// <param name="connection">An existing NATS connection (connected or still connecting); not owned by the store.</param>
    /// <param name="clusterName">The cluster's name (<see cref="ClusterOptions.ClusterName"/>): the stream is <c>&lt;clusterName&gt;-events</c>.</param>
    /// <param name="loggerFactory">For the store's logs.</param>
    /// <param name="options">Retention and timeouts; null for the defaults.</param>
    /// <exception cref="ArgumentException">The cluster name or an option is invalid.</exception>
    public JetStreamRoomEventStore(INatsConnection connection, string clusterName, ILoggerFactory loggerFactory, RoomEventStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        if (!ClusterOptions.IsValidClusterName(clusterName))
        {
            throw new ArgumentException($"Invalid cluster name \"{clusterName}\": 1–64 letters, digits, '-' or '_'.", nameof(clusterName));
        }

        options ??= new RoomEventStoreOptions();
        options.Validate();
        _options = options;
        _cluster = clusterName;
        _subjectPrefix = clusterName + ".events.";
        StreamName = clusterName + "-events";
        _logger = loggerFactory.CreateLogger<JetStreamRoomEventStore>();
        _connection = connection;
        _appendJs = new NatsJSContext(connection, new NatsJSOpts(connection.Opts, requestTimeout: AttemptTimeout(options.AppendTimeout)));
        _readJs = new NatsJSContext(connection, new NatsJSOpts(connection.Opts, requestTimeout: AttemptTimeout(options.ReadTimeout)));
    }

    /// <summary>Always true: events outlive the instance.</summary>
    public bool IsDurable => true;

    /// <summary>The JetStream stream: <c>&lt;cluster&gt;-events</c>.</summary>
    public string StreamName { get; }

    /// <summary>The options in force.</summary>
    public RoomEventStoreOptions Options => _options;

    /// <summary>The subject that holds <paramref name="room"/>'s events: <c>&lt;cluster&gt;.events.&lt;room&gt;</c>.</summary>
    /// <exception cref="ArgumentException">The room name is not 1–64 of A-Z, a-z, 0-9, '_' and '-'.</exception>
    public string SubjectOf(string room)
    {
        ThrowIfInvalidRoom(room);
        return _subjectPrefix + room;
    }

    /// <summary>
    /// Creates the stream, or updates it to the options in force (idempotent; JetStream keeps the events).
    /// Calls made before it (or after JetStream lost the stream) do this themselves first.
    /// </summary>
    /// <exception cref="ClusterUnavailableException">JetStream could not be reached within <see cref="RoomEventStoreOptions.ReadTimeout"/>, or refused the configuration (e.g. replicas on a single server).</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default) =>
        await RunAsync("set up the stream for", "*", _options.ReadTimeout, async token =>
        {
            await EnsureStreamAsync(token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">Invalid room name, a sequence below 1 or an empty message.</exception>
    /// <exception cref="ClusterUnavailableException">No acknowledgement within <see cref="RoomEventStoreOptions.AppendTimeout"/>, or JetStream refused the message.</exception>
    public async ValueTask AppendAsync(string room, long sequence, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ThrowIfInvalidRoom(room);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        if (message.IsEmpty)
        {
            throw new ArgumentException("A room event is a whole wire message (type byte first); it cannot be empty.", nameof(message));
        }

        string subject = _subjectPrefix + room;
        string sequenceText = sequence.ToString(CultureInfo.InvariantCulture);
        var publishOptions = new NatsJSPubOpts
        {
            // The dedupe key: an append retried (here or by the caller) within the duplicate window is stored once.
            MsgId = room + ":" + sequenceText,

            // This class retries itself, within AppendTimeout.
            RetryAttempts = 1,
        };

        await RunAsync("append to", room, _options.AppendTimeout, async token =>
        {
            var headers = new NatsHeaders { [SequenceHeader] = sequenceText };
            PubAckResponse ack = await _appendJs.PublishAsync(subject, message, NatsRawSerializer<ReadOnlyMemory<byte>>.Default, publishOptions, headers, token).ConfigureAwait(false);
            if (ack.Error is { } error)
            {
                throw new NatsJSApiException(error);
            }

            if (ack.Duplicate)
            {
                EventStoreLog.DuplicateAppend(_logger, _cluster, sequence, room);
                await ThrowIfNotOursAsync(room, sequence, ack.Seq, message, token).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A duplicate acknowledgement means an event with this room and number is stored: our own earlier
    /// attempt (the same bytes), or another instance's event under the same number (a room that moved
    /// while an append was in flight). The second would be an event lost while reported stored, so it
    /// is refused: one request, only for duplicates, which are rare.
    /// </summary>
    private async Task ThrowIfNotOursAsync(string room, long sequence, ulong streamSequence, ReadOnlyMemory<byte> message, CancellationToken token)
    {
        StreamMsgGetResponse stored = await _readJs.JSRequestResponseAsync<StreamMsgGetRequest, StreamMsgGetResponse>(
            $"{_readJs.Opts.Prefix}.STREAM.MSG.GET.{StreamName}", new StreamMsgGetRequest { Seq = streamSequence }, token).ConfigureAwait(false);
        if (!stored.Message.Data.Span.SequenceEqual(message.Span))
        {
            throw new RoomEventConflictException(
                $"Event {sequence} of room \"{room}\" is already stored with other content (stream sequence {streamSequence}): another instance numbered the room's events meanwhile.");
        }
    }

    /// <inheritdoc />
    /// <remarks>One "get last message for subject" request to the stream leader (never a possibly stale replica).</remarks>
    /// <exception cref="ArgumentException">Invalid room name.</exception>
    /// <exception cref="ClusterUnavailableException">No answer within <see cref="RoomEventStoreOptions.ReadTimeout"/>.</exception>
    public async ValueTask<long> LastSequenceAsync(string room, CancellationToken cancellationToken = default)
    {
        ThrowIfInvalidRoom(room);
        string subject = _subjectPrefix + room;
        return await RunAsync("read the last sequence of", room, _options.ReadTimeout, async token =>
        {
            Probe? last = await GetMessageAsync(new StreamMsgGetRequest { LastBySubj = subject }, token).ConfigureAwait(false);
            return last?.RoomSequence ?? 0L;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the store disposed; the connection stays open (the store does not own it).</summary>
    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        return ValueTask.CompletedTask;
    }

    /// <summary>True when <paramref name="room"/> is 1–64 of A-Z, a-z, 0-9, '_' and '-' (one subject token).</summary>
    internal static bool IsValidRoom(string? room)
    {
        if (string.IsNullOrEmpty(room) || room.Length > 64)
        {
            return false;
        }

        foreach (char c in room)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Half the call's budget, so a lost reply leaves time for a retry; at most 2 s, at least 250 ms (or the budget).</summary>
    private static TimeSpan AttemptTimeout(TimeSpan budget)
    {
        TimeSpan floor = budget < TimeSpan.FromMilliseconds(250) ? budget : TimeSpan.FromMilliseconds(250);
        TimeSpan half = budget / 2;
        return half < floor ? floor : half > MaxAttemptTimeout ? MaxAttemptTimeout : half;
    }

    private static void ThrowIfInvalidRoom(string room)
    {
        if (!IsValidRoom(room))
        {
            throw new ArgumentException($"Invalid room name \"{room}\": 1–64 of A-Z, a-z, 0-9, '_' and '-'.", nameof(room));
        }
    }

    /// <summary>
    /// Failures worth another attempt: the link, JetStream not (yet) answering (no responders, 503 while
    /// it recovers or elects a leader), a lost reply (408, a timeout), the stream missing. Other API
    /// errors (400 bad request, 500 such as "replicas &gt; 1 not supported in non-clustered mode") are final.
    /// </summary>
    private static bool IsTransient(Exception exception) => exception switch
    {
        NatsJSApiException api => api.Error.Code is 503 or 408 || IsStreamNotFound(api),
        NatsPayloadTooLargeException => false,
        NatsException or TimeoutException or OperationCanceledException or IOException or SocketException => true,
        _ => false,
    };

    /// <summary>Failures after which the stream may be missing (deleted, or never created): ensure it before the next attempt.</summary>
    private static bool MayMeanNoStream(Exception exception) =>
        exception is NatsJSPublishNoResponseException or NatsNoRespondersException || (exception is NatsJSApiException api && IsStreamNotFound(api));

    private static bool IsStreamNotFound(NatsJSApiException exception) => exception.Error is { Code: 404, ErrCode: StreamNotFoundErrorCode };

    private async Task EnsureStreamAsync(CancellationToken cancellationToken)
    {
        var config = new StreamConfig(StreamName, [_subjectPrefix + ">"])
        {
            Description = $"Engine room events of cluster {_cluster}: one subject per room, Engine-Sequence header, Nats-Msg-Id <room>:<sequence>",
            Retention = StreamConfigRetention.Limits,
            Storage = StreamConfigStorage.File,
            Discard = StreamConfigDiscard.Old,
            MaxAge = _options.MaxAge,
            MaxMsgsPerSubject = _options.MaxMessagesPerRoom,
            MaxBytes = _options.MaxBytes,
            DuplicateWindow = _options.DuplicateWindow,
            NumReplicas = _options.Replicas,
        };
        await _readJs.CreateOrUpdateStreamAsync(config, cancellationToken).ConfigureAwait(false);
        if (!_streamReady)
        {
            _streamReady = true;
            EventStoreLog.StreamReady(_logger, _cluster, StreamName, _subjectPrefix + ">", _options.Replicas, _options.MaxAge, _options.MaxMessagesPerRoom, _options.MaxBytes);
        }
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, retrying transient failures with a growing pause,
    /// for at most <paramref name="budget"/>; then throws <see cref="ClusterUnavailableException"/>. Each
    /// attempt is abandoned when the budget runs out, even one that ignores cancellation, so a call never
    /// hangs on a dead connection. The caller's own cancellation is passed through as it is.
    /// </summary>
    private async ValueTask<T> RunAsync<T>(string operation, string room, TimeSpan budget, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(budget);
        Exception? lastError = null;
        TimeSpan pause = FirstRetryDelay;
        int attempts = 0;
        while (true)
        {
            attempts++;
            try
            {
                if (!_streamReady)
                {
                    await AwaitWithinAsync(EnsureStreamAsync(deadline.Token), deadline.Token).ConfigureAwait(false);
                }

                return await AwaitWithinAsync(attempt(deadline.Token), deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception exception) when (IsTransient(exception))
            {
                lastError = exception;
                if (MayMeanNoStream(exception))
                {
                    _streamReady = false;
                }
            }
            catch (NatsPayloadTooLargeException exception)
            {
                EventStoreLog.OperationRefused(_logger, _cluster, operation, room, exception.Message);
                throw new ClusterUnavailableException($"Could not {operation} room {room}: {exception.Message}.", exception);
            }
            catch (NatsJSApiException exception)
            {
                EventStoreLog.OperationRefused(_logger, _cluster, operation, room, exception.Error.ToString());
                throw new ClusterUnavailableException(
                    $"JetStream refused to {operation} room {room} (stream {StreamName}): {exception.Error.Description} (code {exception.Error.Code}, error code {exception.Error.ErrCode}).", exception);
            }

            if (!deadline.IsCancellationRequested)
            {
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    string error = lastError.GetType().Name + ": " + lastError.Message;
                    EventStoreLog.OperationRetry(_logger, _cluster, operation, room, attempts, error);
                }

                try
                {
                    await Task.Delay(pause, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The budget ran out during the pause.
                }

                pause = pause * 2 < MaxRetryDelay ? pause * 2 : MaxRetryDelay;
            }

            if (deadline.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                EventStoreLog.OperationFailed(_logger, lastError, _cluster, operation, room, attempts, budget);
                string why = lastError is OperationCanceledException ? "no reply in time" : lastError.Message;
                throw new ClusterUnavailableException(
                    $"The room-event store (JetStream stream {StreamName}) could not {operation} room {room} within {budget.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s " +
                    $"({attempts} attempt(s); NATS connection {_connection.ConnectionState}): {why}",
                    lastError);
            }
        }
    }

    /// <summary>Awaits <paramref name="task"/> but gives up when <paramref name="cancellationToken"/> fires; a task left behind has its failure observed.</summary>
    private static async Task<T> AwaitWithinAsync<T>(Task<T> task, CancellationToken cancellationToken)
    {
        try
        {
            return await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!task.IsCompleted)
        {
            Observe(task);
            throw;
        }
    }

    private static async Task AwaitWithinAsync(Task task, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!task.IsCompleted)
        {
            Observe(task);
            throw;
        }
    }

    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
