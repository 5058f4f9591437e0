using Microsoft.Extensions.Logging;

namespace Engine.Transport.WebTransport;

/// <summary>Log events of WebTransport transport sessions.</summary>
internal static partial class WebTransportSessionLog
{
    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "{Session}: a message of {Length} bytes on the message stream; closing with {Code}")]
    public static partial void BadMessageLength(ILogger logger, string session, uint length, int code);
}
