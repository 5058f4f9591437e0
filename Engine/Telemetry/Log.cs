using Engine.Transport.Abstractions;
using Microsoft.Extensions.Logging;

namespace Engine.Telemetry;

/// <summary>Engine's log lines (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Engine listening on {Urls} (tick rate {TickRate} Hz, content root {ContentRoot})")]
    public static partial void Listening(ILogger logger, string urls, int tickRate, string contentRoot);

    [LoggerMessage(2, LogLevel.Information, "Connection {SessionId} from {Remote} opened over {Transport}")]
    public static partial void ConnectionOpened(ILogger logger, string sessionId, string? remote, string transport);

    [LoggerMessage(3, LogLevel.Information, "Connection {SessionId} closed: {Code} {Reason} (by peer: {ByPeer})")]
    public static partial void ConnectionClosed(ILogger logger, string sessionId, SessionCloseCode code, string reason, bool byPeer);

    [LoggerMessage(4, LogLevel.Warning, "Connection {SessionId} sent a malformed message and is closed: {Error}")]
    public static partial void MalformedMessage(ILogger logger, string sessionId, string error);

    [LoggerMessage(5, LogLevel.Warning, "Connection {SessionId} closed for sustained rate-limit abuse ({Dropped} messages dropped)")]
    public static partial void RateAbuse(ILogger logger, string sessionId, long dropped);

    [LoggerMessage(6, LogLevel.Information, "Room {Room} created")]
    public static partial void RoomCreated(ILogger logger, string room);

    [LoggerMessage(7, LogLevel.Information, "Room {Room} removed after being idle")]
    public static partial void RoomRemoved(ILogger logger, string room);

    [LoggerMessage(8, LogLevel.Information, "Player {Player} joined room {Room}")]
    public static partial void PlayerJoined(ILogger logger, string player, string room);

    [LoggerMessage(9, LogLevel.Information, "Player {Player} left room {Room}: {Reason}")]
    public static partial void PlayerLeft(ILogger logger, string player, string room, string reason);

    [LoggerMessage(10, LogLevel.Information, "Player {Player} resumed in room {Room} from sequence {LastSequence}: recovered {Recovered}")]
    public static partial void PlayerResumed(ILogger logger, string player, string room, long lastSequence, bool recovered);

    [LoggerMessage(11, LogLevel.Error, "Room {Room} hook {Hook} threw; the room carries on")]
    public static partial void RoomHookFailed(ILogger logger, Exception exception, string room, string hook);

    [LoggerMessage(12, LogLevel.Warning, "Room {Room} fell {Behind} ticks behind; skipping ahead")]
    public static partial void TickOverrun(ILogger logger, string room, long behind);

    [LoggerMessage(13, LogLevel.Warning, "Rejected {Path} from {Remote}: {Reason}")]
    public static partial void Rejected(ILogger logger, string path, string? remote, string reason);

    [LoggerMessage(14, LogLevel.Information, "Join refused for {Name} in room {Room}: {Reason}")]
    public static partial void JoinRefused(ILogger logger, string name, string room, string reason);

    [LoggerMessage(15, LogLevel.Warning, "No join token secret is configured: anyone can join any room (set Engine:TokenSecret in production)")]
    public static partial void AnonymousJoins(ILogger logger);

    [LoggerMessage(16, LogLevel.Warning, "No allowed origins are configured: any web page may open WebSockets (set Engine:AllowedOrigins in production)")]
    public static partial void AnyOrigin(ILogger logger);

    [LoggerMessage(17, LogLevel.Warning, "Spectator of room {Room} fell behind and was disconnected")]
    public static partial void SpectatorOverflow(ILogger logger, string room);

    [LoggerMessage(18, LogLevel.Error, "Connection {SessionId} hit an internal error and is closed with 1011")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, string sessionId);

    [LoggerMessage(19, LogLevel.Error, "HTTP/3 request {Method} {Path} failed")]
    public static partial void Http3RequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(20, LogLevel.Information, "HTTP/3 listening on udp {Addresses} (Alt-Svc: {AltSvc})")]
    public static partial void Http3Listening(ILogger logger, string addresses, string altSvc);

    [LoggerMessage(21, LogLevel.Error, "HTTP/3 is off: {Reason}. HTTPS on TCP keeps serving.")]
    public static partial void Http3Disabled(ILogger logger, string reason);

    [LoggerMessage(30, LogLevel.Warning, "Room {Room}: a document message from instance {Instance} was dropped: {Reason}")]
    public static partial void DocumentRefused(ILogger logger, string room, string instance, string reason);

    [LoggerMessage(31, LogLevel.Information, "Cluster bus {State}: {Rooms} room documents re-synchronised")]
    public static partial void DocumentResync(ILogger logger, string state, int rooms);

    [LoggerMessage(32, LogLevel.Warning, "Room {Room}: event {Sequence} was not stored durably (the queue for the event store was full)")]
    public static partial void EventNotStored(ILogger logger, string room, long sequence);

    [LoggerMessage(33, LogLevel.Information, "Room {Room}: storing events {State}")]
    public static partial void EventsStoring(ILogger logger, string room, string state);

    [LoggerMessage(34, LogLevel.Warning, "Room {Room} lost its lease here: its players are sent to reconnect to the new owner")]
    public static partial void RoomMoved(ILogger logger, string room);

    [LoggerMessage(35, LogLevel.Error, "Room {Room}: storing events stopped: {Reason}; the room stops here and its players reconnect")]
    public static partial void EventStoreConflict(ILogger logger, string room, string reason);
}
