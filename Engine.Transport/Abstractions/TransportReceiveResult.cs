namespace Engine.Transport.Abstractions;

/// <summary>A message received on a session, or the news that it closed.</summary>
public readonly struct TransportReceiveResult
{
    private TransportReceiveResult(ReadOnlyMemory<byte> payload, bool isReliable, bool isClosed)
    {
        Payload = payload;
        IsReliable = isReliable;
        IsClosed = isClosed;
    }

    /// <summary>The message bytes; valid until the next receive on the same session.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Whether it arrived on the reliable channel (always true on WebSocket).</summary>
    public bool IsReliable { get; }

    /// <summary>The session has closed; there is no payload.</summary>
    public bool IsClosed { get; }

    public static TransportReceiveResult Closed => new(default, false, true);

    public static TransportReceiveResult Message(ReadOnlyMemory<byte> payload, bool isReliable) => new(payload, isReliable, false);
}
