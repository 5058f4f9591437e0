namespace Engine.Transport.WebTransport;

/// <summary>Limits and timeouts of one <see cref="WebTransportTransportSession"/>. Invalid values fail when set.</summary>
public sealed record WebTransportSessionOptions
{
    /// <summary>The defaults: 16 KiB messages in, 1 MiB out, 256 queued reliable messages, 64 received, 2 s close, 10 s for the message stream.</summary>
    public static WebTransportSessionOptions Default { get; } = new();

    /// <summary>Largest message the peer may send; more closes with 1009.</summary>
    public int MaxMessageBytes
    {
        get;
        init => field = Require(value, 1, 16 * 1024 * 1024, nameof(MaxMessageBytes));
    } = 16 * 1024;

    /// <summary>Largest message this side may send (a larger one is a caller error).</summary>
    public int MaxSendMessageBytes
    {
        get;
        init => field = Require(value, 1, 16 * 1024 * 1024, nameof(MaxSendMessageBytes));
    } = 1024 * 1024;

    /// <summary>Reliable messages waiting to be written; a send that finds it full closes the session with 4000 (slow consumer).</summary>
    public int SendQueueCapacity
    {
        get;
        init => field = Require(value, 1, 65_536, nameof(SendQueueCapacity));
    } = 256;

    /// <summary>Received messages waiting for <see cref="WebTransportTransportSession.ReceiveAsync"/>: the stream then waits (QUIC flow control); datagrams are dropped.</summary>
    public int ReceiveQueueCapacity
    {
        get;
        init => field = Require(value, 1, 65_536, nameof(ReceiveQueueCapacity));
    } = 64;

    /// <summary>How long a close may spend flushing queued reliable messages before the session closes anyway.</summary>
    public TimeSpan CloseTimeout
    {
        get;
        init => field = value > TimeSpan.Zero && value <= TimeSpan.FromMinutes(5) ? value : throw new ArgumentOutOfRangeException(nameof(CloseTimeout), value, "CloseTimeout must be above 0 and at most 5 minutes.");
    } = TimeSpan.FromSeconds(2);

    /// <summary>How long the client has to open its message stream after the session is established; then 1002.</summary>
    public TimeSpan MessageStreamTimeout
    {
        get;
        init => field = value > TimeSpan.Zero && value <= TimeSpan.FromMinutes(5) ? value : throw new ArgumentOutOfRangeException(nameof(MessageStreamTimeout), value, "MessageStreamTimeout must be above 0 and at most 5 minutes.");
    } = TimeSpan.FromSeconds(10);

    private static int Require(int value, int min, int max, string name) =>
        value >= min && value <= max ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be {min}–{max}.");
}
