using Microsoft.Extensions.Logging;

namespace Engine.Cluster;

/// <summary>The cluster bus's log lines (source-generated; event ids 1300–1399).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Information,
        Message = "Cluster {Cluster}: instance {Instance} connected to NATS at {Url}")]
    public static partial void NatsConnected(ILogger logger, string cluster, string instance, string url);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: NATS at {Url} is unreachable at start ({Error}); instance {Instance} runs disconnected and keeps trying in the background")]
    public static partial void NatsUnreachableAtStart(ILogger logger, string cluster, string url, string error, string instance);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: lost NATS; reconnecting (messages published meanwhile wait in a queue of {Capacity}, oldest dropped first)")]
    public static partial void NatsDisconnected(ILogger logger, string cluster, int capacity);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information,
        Message = "Cluster {Cluster}: NATS connection restored ({OutboundDropped} outbound messages dropped so far)")]
    public static partial void NatsReconnected(ILogger logger, string cluster, long outboundDropped);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: a handler of subscription {Subject} threw; the subscription carries on")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string cluster, string subject);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: publishing to {Subject} failed; the message is dropped")]
    public static partial void PublishFailed(ILogger logger, Exception exception, string cluster, string subject);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: subscription {Subject} failed and is retried")]
    public static partial void SubscriptionFailed(ILogger logger, Exception exception, string cluster, string subject);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: refused a {Bytes}-byte message for {Subject} (limit {Limit} bytes)")]
    public static partial void PayloadRefused(ILogger logger, string cluster, int bytes, string subject, int limit);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: a ConnectionChanged handler threw")]
    public static partial void ConnectionChangedHandlerFailed(ILogger logger, Exception exception, string cluster);

    [LoggerMessage(EventId = 1309, Level = LogLevel.Error,
        Message = "Cluster {Cluster}: the background connect to NATS stopped")]
    public static partial void BackgroundConnectFailed(ILogger logger, Exception exception, string cluster);
}
