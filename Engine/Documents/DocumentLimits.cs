namespace Engine.Documents;

/// <summary>
/// How big a room document may grow. Local writes beyond a limit are refused with an error; a
/// replicated delta that would break one is dropped whole and counted (a peer with other limits,
/// or a forged message), so every replica stays within them.
/// </summary>
public sealed record DocumentLimits
{
    /// <summary>Keys in the map, tombstones included until pruned. Default 256.</summary>
    public int MaxEntries { get; init; } = 256;

    /// <summary>Longest key, in characters. Default 64.</summary>
    public int MaxKeyLength { get; init; } = 64;

    /// <summary>Longest value, in characters. Default 1,024.</summary>
    public int MaxValueLength { get; init; } = 1_024;

    /// <summary>Named counters. Default 256.</summary>
    public int MaxCounters { get; init; } = 256;

    /// <summary>Largest amount one increment may add or (negative) subtract. Default 1,000,000.</summary>
    public long MaxIncrement { get; init; } = 1_000_000;

    /// <summary>
    /// Largest magnitude a counter may reach: 2^53 − 1, so that JavaScript numbers hold every value
    /// exactly. An increment that would pass it is refused.
    /// </summary>
    public const long MaxCounterMagnitude = (1L << 53) - 1;

    /// <summary>Throws when a limit is not positive.</summary>
    public void Validate()
    {
        if (MaxEntries < 1 || MaxKeyLength < 1 || MaxValueLength < 0 || MaxCounters < 0 || MaxIncrement < 1 || MaxIncrement > MaxCounterMagnitude)
        {
            throw new ArgumentOutOfRangeException(nameof(DocumentLimits), this, "Document limits must be positive.");
        }
    }
}
