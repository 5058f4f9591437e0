namespace Engine.Cluster;

/// <summary>
/// Settings of the JetStream room-event store (<see cref="JetStreamRoomEventStore"/>): how long and how
/// much it keeps, and how long a call may wait for NATS. Bound from <see cref="SectionName"/>.
/// </summary>
public sealed record RoomEventStoreOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Engine:Nats:EventStore";

    /// <summary>How long an event is kept (JetStream <c>max_age</c>). 1 s–365 days; default 24 h.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The newest events kept per room (JetStream <c>max_msgs_per_subject</c>; older ones are removed first).
    /// 1–100,000,000; default 10,000.
    /// </summary>
    public long MaxMessagesPerRoom { get; init; } = 10_000;

    /// <summary>
    /// The whole stream's size limit in bytes, all rooms together (JetStream <c>max_bytes</c>; the oldest
    /// events of any room are removed first). 1 MiB–1 PiB; default 1 GiB.
    /// </summary>
    public long MaxBytes { get; init; } = 1L << 30;

    /// <summary>
    /// How long JetStream remembers a message id (<c>&lt;room&gt;:&lt;sequence&gt;</c>) to drop a repeated
    /// append (JetStream <c>duplicate_window</c>). At least <see cref="AppendTimeout"/> (a retried
    /// append must still be recognised) and at most <see cref="MaxAge"/>; default 2 min.
    /// </summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long <see cref="IRoomEventStore.AppendAsync"/> keeps trying (transient failures are retried)
    /// before it throws <see cref="ClusterUnavailableException"/>. 100 ms–5 min; default 5 s.
    /// </summary>
    public TimeSpan AppendTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a read (<see cref="IRoomEventStore.ReadAfterAsync"/>, <see cref="IRoomEventStore.LastSequenceAsync"/>)
    /// or the stream set-up keeps trying before it throws <see cref="ClusterUnavailableException"/>.
    /// 100 ms–5 min; default 10 s.
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Copies of the stream (JetStream <c>num_replicas</c>). 1 for a single nats-server; 3 in production,
    /// with a three-node NATS cluster (more than 1 needs a clustered NATS). 1–5; default 1.
    /// </summary>
    public int Replicas { get; init; } = 1;

    /// <summary>Checks every value and throws one exception listing every problem.</summary>
    /// <exception cref="ArgumentException">A value is invalid (the message names each key at fault).</exception>
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

        Check(MaxAge >= TimeSpan.FromSeconds(1) && MaxAge <= TimeSpan.FromDays(365), $"{SectionName}:MaxAge must be 1 s–365 days (got {MaxAge}).");
        Check(MaxMessagesPerRoom is >= 1 and <= 100_000_000, $"{SectionName}:MaxMessagesPerRoom must be 1–100,000,000 (got {MaxMessagesPerRoom}).");
        Check(MaxBytes is >= 1L << 20 and <= 1L << 50, $"{SectionName}:MaxBytes must be 1 MiB–1 PiB (got {MaxBytes}).");
        Check(AppendTimeout >= TimeSpan.FromMilliseconds(100) && AppendTimeout <= TimeSpan.FromMinutes(5), $"{SectionName}:AppendTimeout must be 100 ms–5 min (got {AppendTimeout}).");
        Check(ReadTimeout >= TimeSpan.FromMilliseconds(100) && ReadTimeout <= TimeSpan.FromMinutes(5), $"{SectionName}:ReadTimeout must be 100 ms–5 min (got {ReadTimeout}).");
        Check(DuplicateWindow >= AppendTimeout && DuplicateWindow >= TimeSpan.FromSeconds(1),
            $"{SectionName}:DuplicateWindow must be at least 1 s and at least AppendTimeout, so that a retried append is still deduplicated (got {DuplicateWindow}).");
        Check(DuplicateWindow <= MaxAge, $"{SectionName}:DuplicateWindow must not exceed MaxAge (got {DuplicateWindow} > {MaxAge}).");
        Check(Replicas is >= 1 and <= 5, $"{SectionName}:Replicas must be 1–5 (got {Replicas}).");
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid room-event store configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems));
        }
    }
}
