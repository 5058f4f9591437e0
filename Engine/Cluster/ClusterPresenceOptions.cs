namespace Engine.Cluster;

/// <summary>
/// Timing and bounds of <see cref="ClusterPresence"/>, bound from <c>Engine:Nats:Presence</c>
/// (e.g. <c>--Engine:Nats:Presence:Interval=00:00:02</c>). Every <see cref="Interval"/> an instance
/// reports what changed in its rooms' member lists (an empty report is its heartbeat); every
/// <see cref="FullStateInterval"/> it sends its whole part; a peer not heard from for
/// <see cref="Ttl"/> is taken for gone and everything it reported disappears.
/// </summary>
public sealed record ClusterPresenceOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Engine:Nats:Presence";

    /// <summary>The default <see cref="Interval"/>: 1 s.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    /// <summary>The default <see cref="FullStateInterval"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultFullStateInterval = TimeSpan.FromSeconds(10);

    /// <summary>How many heartbeats a peer may miss in a row, less one, before it expires by default.</summary>
    public const int DefaultTtlIntervals = 6;

    /// <summary>
    /// Conservative bytes of one record on the wire: a 64-character room name, a 32-character player
    /// name of 3-byte characters, the id, flags, timestamp and MemoryPack headers (measured ≈ 220).
    /// </summary>
    internal const int MaxRecordBytes = 320;

    private readonly TimeSpan? _ttl;

    /// <summary>How often the local rooms are reported (and the heartbeat sent). 100 ms–1 min; default 1 s.</summary>
    public TimeSpan Interval { get; init; } = DefaultInterval;

    /// <summary>How often the whole local part is sent even when nothing asked for it. At least <see cref="Interval"/>, at most 10 min; default 10 s.</summary>
    public TimeSpan FullStateInterval { get; init; } = DefaultFullStateInterval;

    /// <summary>
    /// How long a silent peer's entries stay in the view. At least 2 × <see cref="Interval"/>, at most
    /// 10 min; default 6 × <see cref="Interval"/> (6 s): the default room lease time, so a vanished
    /// instance's members disappear about when its rooms become free to move, and five heartbeats in a
    /// row must be lost (a stall, a full queue) before a live peer is wrongly dropped.
    /// </summary>
    public TimeSpan Ttl
    {
        get => _ttl ?? Interval * DefaultTtlIntervals;
        init => _ttl = value;
    }

    /// <summary>Most records in one message; a larger report is split. A received message with more is refused. 1–10,000; default 1,000.</summary>
    public int MaxRecordsPerMessage { get; init; } = 1_000;

    /// <summary>Largest message accepted, in bytes; a larger one is refused before decoding. Default 512 KiB; at least <see cref="MaxRecordsPerMessage"/> records' worth.</summary>
    public int MaxMessageBytes { get; init; } = 512 * 1024;

    /// <summary>Most peer instances tracked; a message from one more is refused until another expires. 1–10,000; default 256.</summary>
    public int MaxPeers { get; init; } = 256;

    /// <summary>Most entries (tombstones included) one peer may have in the view; a message that could pass it is refused. Default 100,000.</summary>
    public int MaxEntriesPerPeer { get; init; } = 100_000;

    /// <summary>Most rooms <c>GET /presence</c> lists (by name, then <c>truncated: true</c>). 1–100,000; default 1,000.</summary>
    public int MaxRoomsListed { get; init; } = 1_000;

    /// <summary>Checks every value and throws one exception listing every problem.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        void Check(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }

        Check(Interval >= TimeSpan.FromMilliseconds(100) && Interval <= TimeSpan.FromMinutes(1), $"Interval must be 100 ms–1 min (got {Interval}).");
        Check(FullStateInterval >= Interval && FullStateInterval <= TimeSpan.FromMinutes(10), $"FullStateInterval must be at least Interval {Interval} and at most 10 min (got {FullStateInterval}).");
        Check(Ttl >= Interval * 2 && Ttl <= TimeSpan.FromMinutes(10), $"Ttl must be at least 2 × Interval ({Interval * 2}) and at most 10 min (got {Ttl}).");
        Check(MaxRecordsPerMessage is >= 1 and <= 10_000, $"MaxRecordsPerMessage must be 1–10,000 (got {MaxRecordsPerMessage}).");
        Check((long)MaxRecordsPerMessage * MaxRecordBytes <= MaxMessageBytes && MaxMessageBytes <= 64 * 1024 * 1024,
            $"MaxMessageBytes must hold MaxRecordsPerMessage records ({(long)MaxRecordsPerMessage * MaxRecordBytes} bytes) and be at most 64 MiB (got {MaxMessageBytes}).");
        Check(MaxPeers is >= 1 and <= 10_000, $"MaxPeers must be 1–10,000 (got {MaxPeers}).");
        Check(MaxEntriesPerPeer >= MaxRecordsPerMessage && MaxEntriesPerPeer <= 10_000_000, $"MaxEntriesPerPeer must be MaxRecordsPerMessage–10,000,000 (got {MaxEntriesPerPeer}).");
        Check(MaxRoomsListed is >= 1 and <= 100_000, $"MaxRoomsListed must be 1–100,000 (got {MaxRoomsListed}).");
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid Engine:Nats:Presence configuration: " + string.Join(" ", problems));
        }
    }
}
