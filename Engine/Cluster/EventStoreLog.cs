using Microsoft.Extensions.Logging;

namespace Engine.Cluster;

/// <summary>The JetStream room-event store's log lines (source-generated; event ids 1600–1619).</summary>
internal static partial class EventStoreLog
{
    [LoggerMessage(EventId = 1600, Level = LogLevel.Information,
        Message = "Cluster {Cluster}: room-event stream {Stream} ready (subjects {Subjects}, {Replicas} replica(s), max age {MaxAge}, {MaxPerRoom} events per room, {MaxBytes} bytes)")]
    public static partial void StreamReady(ILogger logger, string cluster, string stream, string subjects, int replicas, TimeSpan maxAge, long maxPerRoom, long maxBytes);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: could not {Operation} room {Room} in the event store after {Attempts} attempt(s) within {Timeout}")]
    public static partial void OperationFailed(ILogger logger, Exception? exception, string cluster, string operation, string room, int attempts, TimeSpan timeout);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Debug,
        Message = "Cluster {Cluster}: {Operation} of room {Room} failed on attempt {Attempt} ({Error}); retrying")]
    public static partial void OperationRetry(ILogger logger, string cluster, string operation, string room, int attempt, string error);

    [LoggerMessage(EventId = 1603, Level = LogLevel.Debug,
        Message = "Cluster {Cluster}: event {Sequence} of room {Room} was already stored (duplicate append)")]
    public static partial void DuplicateAppend(ILogger logger, string cluster, long sequence, string room);

    [LoggerMessage(EventId = 1604, Level = LogLevel.Information,
        Message = "Cluster {Cluster}: room {Room} was read after event {After}, but the store no longer holds event {Missing} (oldest kept: {FirstKept}); the reader must resync")]
    public static partial void EventsMissing(ILogger logger, string cluster, string room, long after, long missing, long firstKept);

    [LoggerMessage(EventId = 1605, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: message {StreamSequence} on {Subject} has no valid Engine-Sequence header and is ignored (not written by Engine)")]
    public static partial void ForeignMessage(ILogger logger, string cluster, ulong streamSequence, string subject);

    [LoggerMessage(EventId = 1606, Level = LogLevel.Debug,
        Message = "Cluster {Cluster}: could not delete read consumer {Consumer} ({Error}); the server removes it when inactive")]
    public static partial void ConsumerDeleteFailed(ILogger logger, string cluster, string consumer, string error);

    [LoggerMessage(EventId = 1607, Level = LogLevel.Error,
        Message = "Cluster {Cluster}: JetStream refused to {Operation} room {Room}: {Error}")]
    public static partial void OperationRefused(ILogger logger, string cluster, string operation, string room, string error);

    [LoggerMessage(EventId = 1608, Level = LogLevel.Warning,
        Message = "SSE for room {Room}: the stored events after {After} could not be read ({Error}); the feed resyncs")]
    public static partial void SpectatorReplayFailed(ILogger logger, string room, long after, string error);
}
