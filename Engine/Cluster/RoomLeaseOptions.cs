namespace Engine.Cluster;

/// <summary>
/// Timing and bounds of <see cref="NatsRoomLeases"/>. A lease lives <see cref="LeaseTime"/> after its
/// last write; the owner rewrites it every <see cref="RenewInterval"/>, so a dead owner is replaced
/// after about <see cref="LeaseTime"/> and a live one survives <c>LeaseTime / RenewInterval − 1</c>
/// failed renewals in a row.
/// </summary>
public sealed record RoomLeaseOptions
{
    /// <summary>The default <see cref="LeaseTime"/>: 6 s.</summary>
    public static readonly TimeSpan DefaultLeaseTime = TimeSpan.FromSeconds(6);

    /// <summary>The configuration section: <c>Engine:Nats:Leases</c> (e.g. <c>--Engine:Nats:Leases:LeaseTime=00:00:30</c>).</summary>
    public const string SectionName = "Engine:Nats:Leases";

    /// <summary>The default <see cref="OperationTimeout"/>: 2 s.</summary>
    public static readonly TimeSpan DefaultOperationTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The default <see cref="MaxHeldLeases"/>: 10,000 (ten times the default <c>Engine:MaxRooms</c>).</summary>
    public const int DefaultMaxHeldLeases = 10_000;

    private readonly TimeSpan? _renewInterval;

    /// <summary>
    /// How long a lease lives without renewal: the bucket's max age (each write of a key lives this
    /// long), and how long the owner keeps a lease it cannot renew before it gives it up
    /// (<see cref="IRoomLeases.LeaseLost"/>). 1 s–10 min; default 6 s.
    /// </summary>
    public TimeSpan LeaseTime { get; init; } = DefaultLeaseTime;

    /// <summary>How often the owner rewrites each lease it holds. Shorter than <see cref="LeaseTime"/>; default <c>LeaseTime / 3</c>.</summary>
    public TimeSpan RenewInterval
    {
        get => _renewInterval ?? LeaseTime / 3;
        init => _renewInterval = value;
    }

    /// <summary>
    /// How long one acquire or release may wait for NATS before it gives up
    /// (<see cref="ClusterUnavailableException"/> for an acquire). 100 ms–1 min; default 2 s.
    /// </summary>
    public TimeSpan OperationTimeout { get; init; } = DefaultOperationTimeout;

    /// <summary>
    /// The most leases one instance holds at once; claiming one more throws <see cref="InvalidOperationException"/>
    /// (the host caps its rooms far lower, so reaching it means leases leak). At least 1; default 10,000.
    /// </summary>
    public int MaxHeldLeases { get; init; } = DefaultMaxHeldLeases;

    /// <summary>Checks every value and throws one exception listing every problem.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (LeaseTime < TimeSpan.FromSeconds(1) || LeaseTime > TimeSpan.FromMinutes(10))
        {
            problems.Add($"LeaseTime must be 1 s–10 min (got {LeaseTime}).");
        }

        if (RenewInterval < TimeSpan.FromMilliseconds(50) || RenewInterval >= LeaseTime)
        {
            problems.Add($"RenewInterval must be at least 50 ms and shorter than LeaseTime {LeaseTime} (got {RenewInterval}).");
        }

        if (OperationTimeout < TimeSpan.FromMilliseconds(100) || OperationTimeout > TimeSpan.FromMinutes(1))
        {
            problems.Add($"OperationTimeout must be 100 ms–1 min (got {OperationTimeout}).");
        }

        if (MaxHeldLeases < 1)
        {
            problems.Add($"MaxHeldLeases must be at least 1 (got {MaxHeldLeases}).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid room lease options: " + string.Join(" ", problems));
        }
    }
}
