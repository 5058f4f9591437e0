namespace Engine.Transport.Quic.Streams;

/// <summary>
/// Limits this endpoint advertises for the peer's sending and stream opening (our transport
/// parameters carry the same values), plus our own per-stream send buffer size.
/// </summary>
internal sealed record StreamManagerOptions
{
    /// <summary>Largest flow-control window (stream or connection) accepted: keeps buffers indexable by int.</summary>
    public const ulong MaxWindow = 1UL << 30;

    /// <summary>Connection-level receive window (initial_max_data); MAX_DATA keeps it this far ahead of what was read.</summary>
    public ulong InitialMaxData { get; init; } = 1 << 20;

    /// <summary>Receive window for bidirectional streams we open.</summary>
    public ulong InitialMaxStreamDataBidiLocal { get; init; } = 256 * 1024;

    /// <summary>Receive window for bidirectional streams the peer opens.</summary>
    public ulong InitialMaxStreamDataBidiRemote { get; init; } = 256 * 1024;

    /// <summary>Receive window for unidirectional streams the peer opens.</summary>
    public ulong InitialMaxStreamDataUni { get; init; } = 256 * 1024;

    /// <summary>Concurrent peer-initiated bidirectional streams; the limit rises (MAX_STREAMS) as streams are released.</summary>
    public ulong MaxStreamsBidi { get; init; } = 100;

    /// <summary>Concurrent peer-initiated unidirectional streams.</summary>
    public ulong MaxStreamsUni { get; init; } = 100;

    /// <summary>Bytes each stream buffers from the application until acknowledged.</summary>
    public int SendBufferCapacity { get; init; } = 256 * 1024;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid value.</summary>
    public void Validate()
    {
        CheckWindow(InitialMaxData, nameof(InitialMaxData));
        CheckWindow(InitialMaxStreamDataBidiLocal, nameof(InitialMaxStreamDataBidiLocal));
        CheckWindow(InitialMaxStreamDataBidiRemote, nameof(InitialMaxStreamDataBidiRemote));
        CheckWindow(InitialMaxStreamDataUni, nameof(InitialMaxStreamDataUni));
        CheckStreams(MaxStreamsBidi, nameof(MaxStreamsBidi));
        CheckStreams(MaxStreamsUni, nameof(MaxStreamsUni));
        if (SendBufferCapacity <= 0 || (ulong)SendBufferCapacity > MaxWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(SendBufferCapacity), SendBufferCapacity, $"{nameof(SendBufferCapacity)} must be 1..2^30 bytes.");
        }
    }

    private static void CheckWindow(ulong value, string name)
    {
        if (value is 0 or > MaxWindow)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be 1..2^30 bytes.");
        }
    }

    private static void CheckStreams(ulong value, string name)
    {
        // Each peer stream holds state, so the count is kept to something a server can afford.
        if (value > 1UL << 20)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most 2^20.");
        }
    }
}
