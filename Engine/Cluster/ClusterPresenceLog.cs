using Microsoft.Extensions.Logging;

namespace Engine.Cluster;

/// <summary>Cluster presence's log lines (source-generated; event ids 1370–1379).</summary>
internal static partial class ClusterPresenceLog
{
    [LoggerMessage(EventId = 1370, Level = LogLevel.Warning,
        Message = "Presence: dropped a message from instance {Sender}: {Reason} ({NotLogged} more dropped since the last such line)")]
    public static partial void MessageDropped(ILogger logger, string sender, string reason, long notLogged);

    [LoggerMessage(EventId = 1371, Level = LogLevel.Information,
        Message = "Presence: instance {Instance} silent for {Ttl}; its {Entries} members leave the view")]
    public static partial void PeerExpired(ILogger logger, string instance, TimeSpan ttl, int entries);

    [LoggerMessage(EventId = 1372, Level = LogLevel.Warning,
        Message = "Presence: the bus refused a {Kind} with {Records} records (over its payload limit); the next full state repairs it")]
    public static partial void PublishRefused(ILogger logger, ClusterPresenceKind kind, int records);

    [LoggerMessage(EventId = 1373, Level = LogLevel.Error,
        Message = "Presence: a report failed; the next one carries on")]
    public static partial void ReportFailed(ILogger logger, Exception exception);
}
