using Microsoft.Extensions.Logging;

namespace Engine.Cluster;

/// <summary>The seat records' log lines (source-generated; event ids 1380–1389).</summary>
internal static partial class SeatLog
{
    [LoggerMessage(EventId = 1380, Level = LogLevel.Warning,
        Message = "Seat records: writing room {Room} failed ({Error}); retrying")]
    public static partial void WriteFailed(ILogger logger, string room, string error);

    [LoggerMessage(EventId = 1381, Level = LogLevel.Information,
        Message = "Room {Room}: {Count} seats restored from the seat records, held for their players to resume (events after {Sequence})")]
    public static partial void Restored(ILogger logger, string room, int count, long sequence);

    [LoggerMessage(EventId = 1382, Level = LogLevel.Warning,
        Message = "Room {Room}: the seat records could not be read ({Error}); the room opens without the seats of its earlier life")]
    public static partial void RestoreFailed(ILogger logger, string room, string error);

    [LoggerMessage(EventId = 1383, Level = LogLevel.Debug,
        Message = "Session {Session}: resume token not known here; its seat is in room {Room} (found in the seat records)")]
    public static partial void Found(ILogger logger, string session, string room);
}
