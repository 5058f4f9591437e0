namespace Engine.Transport.Http3;

/// <summary>
/// Limits of <see cref="Http3ClientConnection"/>. Responses are held in memory, so these bound
/// what one response may make us buffer; a response over a limit fails with H3_EXCESSIVE_LOAD
/// as soon as the frame header announcing it arrives.
/// </summary>
internal sealed record Http3ClientOptions
{
    /// <summary>The largest field section accepted, both encoded (a HEADERS frame's payload) and decoded; advertised as SETTINGS_MAX_FIELD_SECTION_SIZE.</summary>
    public int MaxFieldSectionSize { get; init; } = 64 * 1024;

    /// <summary>The largest response body held in memory (the sum of its DATA frame payloads).</summary>
    public long MaxBodyBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (MaxFieldSectionSize is < 64 or > 16 * 1024 * 1024)
        {
            throw new ArgumentException("MaxFieldSectionSize must be between 64 bytes and 16 MiB.", nameof(MaxFieldSectionSize));
        }

        if (MaxBodyBytes < 0 || MaxBodyBytes > Array.MaxLength)
        {
            throw new ArgumentException($"MaxBodyBytes must be between 0 and {Array.MaxLength} bytes (one in-memory buffer).", nameof(MaxBodyBytes));
        }
    }
}
