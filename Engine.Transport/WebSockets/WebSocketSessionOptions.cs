namespace Engine.Transport.WebSockets;

/// <summary>
/// Limits and timeouts for one <see cref="WebSocketTransportSession"/>. Immutable; every property
/// is validated when it is set (including in <c>with</c> expressions), so an invalid value fails
/// at configuration time with an <see cref="ArgumentOutOfRangeException"/> naming the property.
/// </summary>
public sealed record WebSocketSessionOptions
{
    /// <summary>The largest <see cref="MaxMessageBytes"/> accepted: 16 MiB.</summary>
    public const int MaxMessageBytesLimit = 16 * 1024 * 1024;

    /// <summary>The largest <see cref="SendQueueCapacity"/> accepted.</summary>
    public const int SendQueueCapacityLimit = 65_536;

    /// <summary>The largest <see cref="UnreliableChannels"/> accepted.</summary>
    public const int UnreliableChannelsLimit = 64;

    /// <summary>The longest <see cref="CloseTimeout"/> accepted.</summary>
    public static readonly TimeSpan CloseTimeoutLimit = TimeSpan.FromMinutes(5);

    /// <summary>The defaults: 16 KiB messages, 256 queued reliable messages, 4 channels, 2 s close.</summary>
    public static WebSocketSessionOptions Default { get; } = new();

    /// <summary>
    /// The largest message, in bytes, the peer may send. A received message above it closes the
    /// session with <c>MessageTooBig</c> (1009). The session keeps one receive buffer of this size.
    /// </summary>
    public int MaxMessageBytes
    {
        get;
        init => field = RequireInRange(value, 1, MaxMessageBytesLimit, nameof(MaxMessageBytes), "bytes");
    } = 16 * 1024;

    /// <summary>
    /// The largest message, in bytes, this side may send (server state and events are usually
    /// larger than what clients send). Sending more is a caller error (<see cref="ArgumentException"/>),
    /// which bounds the send queue's memory at <see cref="SendQueueCapacity"/> × this. Default 1 MiB.
    /// </summary>
    public int MaxSendMessageBytes
    {
        get;
        init => field = RequireInRange(value, 1, MaxMessageBytesLimit, nameof(MaxSendMessageBytes), "bytes");
    } = 1024 * 1024;

    /// <summary>
    /// How many reliable messages may wait to be written. When a send finds the queue full, the
    /// session closes with <c>SlowConsumer</c> (4000).
    /// </summary>
    public int SendQueueCapacity
    {
        get;
        init => field = RequireInRange(value, 1, SendQueueCapacityLimit, nameof(SendQueueCapacity), "messages");
    } = 256;

    /// <summary>Unreliable channels offered, numbered 0 to this minus one; each holds one datagram.</summary>
    public int UnreliableChannels
    {
        get;
        init => field = RequireInRange(value, 0, UnreliableChannelsLimit, nameof(UnreliableChannels), "channels");
    } = 4;

    /// <summary>
    /// How long a close may take per phase: flushing queued messages, then waiting for the peer to
    /// answer the close frame. When a phase runs out, the connection is aborted.
    /// </summary>
    public TimeSpan CloseTimeout
    {
        get;
        init
        {
            if (value <= TimeSpan.Zero || value > CloseTimeoutLimit)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(CloseTimeout),
                    $"{nameof(CloseTimeout)} must be greater than zero and at most {CloseTimeoutLimit.TotalMinutes:0} minutes (got {value}).");
            }

            field = value;
        }
    } = TimeSpan.FromSeconds(2);

    private static int RequireInRange(int value, int min, int max, string name, string unit)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} must be between {min} and {max} {unit} (got {value}).");
        }

        return value;
    }
}
