namespace Engine.Transport.WebTransport.Protocol;

/// <summary>
/// The bounds one QUIC connection's WebTransport state keeps, whatever the peer sends. Each has a
/// stated policy when reached (docs/protocol.md, "WebTransport limits").
/// </summary>
internal sealed record WebTransportLimits
{
    /// <summary>Sessions open at once on one connection; a CONNECT beyond it gets 429.</summary>
    public int MaxSessionsPerConnection { get; init; } = 4;

    /// <summary>Peer-opened streams a session holds at once; a stream beyond it is refused with H3_EXCESSIVE_LOAD.</summary>
    public int MaxIncomingStreamsPerSession { get; init; } = 64;

    /// <summary>Streams naming a session not established yet, held per connection; more are refused with WEBTRANSPORT_BUFFERED_STREAM_REJECTED.</summary>
    public int MaxBufferedStreams { get; init; } = 16;

    /// <summary>Datagrams for a session not established yet, held per connection; more drop the oldest.</summary>
    public int MaxBufferedDatagrams { get; init; } = 32;

    /// <summary>Bytes held for buffered streams' first data and buffered datagrams together; beyond it the newcomer is refused or dropped.</summary>
    public int MaxBufferedBytes { get; init; } = 64 * 1024;

    /// <summary>How long a buffered stream or datagram waits for its session before it is refused or dropped.</summary>
    public TimeSpan BufferedLifetime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Received datagrams queued per session for the application; a full queue drops the oldest.</summary>
    public int DatagramReceiveQueue { get; init; } = 128;

    /// <summary>Largest datagram payload accepted from the peer (application bytes after the prefix); larger ones are dropped.</summary>
    public int MaxDatagramPayload { get; init; } = 65_535;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid bound.</summary>
    public void Validate()
    {
        Require(MaxSessionsPerConnection, 1, 1024, nameof(MaxSessionsPerConnection));
        Require(MaxIncomingStreamsPerSession, 1, 65_536, nameof(MaxIncomingStreamsPerSession));
        Require(MaxBufferedStreams, 0, 4096, nameof(MaxBufferedStreams));
        Require(MaxBufferedDatagrams, 0, 4096, nameof(MaxBufferedDatagrams));
        Require(MaxBufferedBytes, 0, 64 * 1024 * 1024, nameof(MaxBufferedBytes));
        Require(DatagramReceiveQueue, 1, 65_536, nameof(DatagramReceiveQueue));
        Require(MaxDatagramPayload, 1, 65_535, nameof(MaxDatagramPayload));
        if (BufferedLifetime <= TimeSpan.Zero || BufferedLifetime > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"BufferedLifetime must be above 0 and at most 1 minute (got {BufferedLifetime}).", nameof(BufferedLifetime));
        }
    }

    private static void Require(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"{name} must be {min}–{max} (got {value}).", name);
        }
    }
}
