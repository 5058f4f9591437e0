using Microsoft.Extensions.Logging;

namespace Engine.Cluster;

/// <summary>The room leases' log lines (source-generated; event ids 1340–1359).</summary>
internal static partial class LeaseLog
{
    [LoggerMessage(EventId = 1340, Level = LogLevel.Information,
        Message = "Room leases: bucket {Bucket} ready (lease time {LeaseTime}, renewed every {RenewInterval}); instance {Instance}")]
    public static partial void BucketReady(ILogger logger, string bucket, TimeSpan leaseTime, TimeSpan renewInterval, string instance);

    [LoggerMessage(EventId = 1341, Level = LogLevel.Warning,
        Message = "Room leases: bucket {Bucket} already exists with max age {MaxAge}, not the configured lease time {Configured}; leases follow the bucket ({LeaseTime}, renewed every {RenewInterval})")]
    public static partial void BucketMaxAgeDiffers(ILogger logger, string bucket, TimeSpan maxAge, TimeSpan configured, TimeSpan leaseTime, TimeSpan renewInterval);

    [LoggerMessage(EventId = 1342, Level = LogLevel.Debug,
        Message = "Room leases: instance {Instance} holds room {Room} (revision {Revision})")]
    public static partial void Acquired(ILogger logger, string instance, string room, ulong revision);

    [LoggerMessage(EventId = 1343, Level = LogLevel.Debug,
        Message = "Room leases: instance {Instance} released room {Room}")]
    public static partial void Released(ILogger logger, string instance, string room);

    [LoggerMessage(EventId = 1344, Level = LogLevel.Warning,
        Message = "Room leases: instance {Instance} lost room {Room}: {Reason}")]
    public static partial void Lost(ILogger logger, string instance, string room, string reason);

    [LoggerMessage(EventId = 1345, Level = LogLevel.Warning,
        Message = "Room leases: renewing room {Room} failed ({Error}); retrying until its lease time runs out")]
    public static partial void RenewFailed(ILogger logger, string room, string error);

    [LoggerMessage(EventId = 1346, Level = LogLevel.Debug,
        Message = "Room leases: renewing room {Room} works again")]
    public static partial void RenewRecovered(ILogger logger, string room);

    [LoggerMessage(EventId = 1347, Level = LogLevel.Warning,
        Message = "Room leases: releasing room {Room} failed; the lease expires by itself")]
    public static partial void ReleaseFailed(ILogger logger, Exception exception, string room);

    [LoggerMessage(EventId = 1348, Level = LogLevel.Warning,
        Message = "Room leases: a LeaseLost handler threw for room {Room}")]
    public static partial void LostHandlerFailed(ILogger logger, Exception exception, string room);

    [LoggerMessage(EventId = 1349, Level = LogLevel.Error,
        Message = "Room leases: the renewal loop failed and carries on")]
    public static partial void RenewLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1350, Level = LogLevel.Debug,
        Message = "Room leases: acquiring room {Room} failed: {Reason}")]
    public static partial void AcquireFailed(ILogger logger, string room, string reason);

    [LoggerMessage(EventId = 1351, Level = LogLevel.Warning,
        Message = "Room leases: NATS connection {State}: renewals of {Count} leases wait for it; each lease is given up once its lease time passes without renewal")]
    public static partial void RenewalsPaused(ILogger logger, int count, string state);
}
