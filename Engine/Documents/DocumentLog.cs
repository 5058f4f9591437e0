using Engine.State.Clock;
using Microsoft.Extensions.Logging;

namespace Engine.Documents;

/// <summary>Room documents' log lines (source-generated; event ids 1760–1779).</summary>
internal static partial class DocumentLog
{
    [LoggerMessage(EventId = 1760, Level = LogLevel.Debug,
        Message = "Room {Room}: {Count} tombstones pruned below the agreed horizon {Horizon}")]
    public static partial void TombstonesPruned(ILogger logger, string room, int count, HlcTimestamp horizon);
}
