namespace Engine.State.Clock;

/// <summary>
/// A hybrid logical clock (Kulkarni et al., 2014). Timestamps it issues never go backwards, even
/// when the physical clock does, and stay close to physical time. Safe to call from any thread.
/// </summary>
/// <remarks>
/// The state is one packed 64-bit word (see <see cref="HlcTimestamp.Packed"/>) updated by
/// compare-and-swap. Because the logical counter sits in the low bits, "counter + 1" on a full
/// counter carries into the physical part: the clock borrows one millisecond from the future
/// rather than wrapping, so monotonicity holds through overflow.
/// </remarks>
public sealed class HybridLogicalClock
{
    private readonly TimeProvider _timeProvider;
    private readonly long _maxForwardDriftMs;
    private ulong _last;

    /// <summary>Creates a clock for one node.</summary>
    /// <param name="nodeId">This node's id, the final tie-break between equal times.</param>
    /// <param name="timeProvider">The physical clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="maxForwardDrift">
    /// How far ahead of local physical time a received timestamp may be; further is rejected.
    /// Defaults to <see cref="DefaultMaxForwardDrift"/>.
    /// </param>
    public HybridLogicalClock(uint nodeId, TimeProvider? timeProvider = null, TimeSpan? maxForwardDrift = null)
    {
        TimeSpan drift = maxForwardDrift ?? DefaultMaxForwardDrift;
        if (drift < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(maxForwardDrift), drift, "The maximum forward drift cannot be negative.");
        }

        NodeId = nodeId;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _maxForwardDriftMs = (long)drift.TotalMilliseconds;
        MaxForwardDrift = drift;
    }

    /// <summary>The default bound on how far ahead a remote timestamp may be: 10 seconds.</summary>
    public static TimeSpan DefaultMaxForwardDrift { get; } = TimeSpan.FromSeconds(10);

    /// <summary>The node id stamped on every timestamp this clock issues.</summary>
    public uint NodeId { get; }

    /// <summary>The bound on a received timestamp's lead over local physical time.</summary>
    public TimeSpan MaxForwardDrift { get; }

    /// <summary>The last timestamp issued, without advancing the clock.</summary>
    public HlcTimestamp Current => new(Volatile.Read(ref _last), NodeId);

    /// <summary>Issues a timestamp for a local or send event: greater than every earlier one.</summary>
    /// <exception cref="InvalidOperationException">The clock ran past the 48-bit physical range.</exception>
    public HlcTimestamp Now()
    {
        ulong physicalWord = PhysicalWord();
        while (true)
        {
            ulong last = Volatile.Read(ref _last);
            ulong next = Advance(last, physicalWord);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return new HlcTimestamp(next, NodeId);
            }
        }
    }

    /// <summary>
    /// Records the receipt of a remote timestamp and issues the receive event's timestamp,
    /// greater than <paramref name="remote"/> and than every timestamp this clock issued before.
    /// </summary>
    /// <exception cref="HlcDriftException">
    /// The remote timestamp is further ahead of local physical time than <see cref="MaxForwardDrift"/>;
    /// the clock is left unchanged.
    /// </exception>
    public HlcTimestamp Receive(HlcTimestamp remote)
    {
        ulong physicalWord = PhysicalWord();
        long localMs = (long)(physicalWord >> HlcTimestamp.LogicalBits);
        long lead = remote.PhysicalMilliseconds - localMs;
        if (lead > _maxForwardDriftMs)
        {
            throw new HlcDriftException(remote, localMs, MaxForwardDrift);
        }

        while (true)
        {
            ulong last = Volatile.Read(ref _last);
            ulong next = Advance(Math.Max(last, remote.Packed), physicalWord);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return new HlcTimestamp(next, NodeId);
            }
        }
    }

    // HLC's update rules collapse to this on the packed word: if physical time has moved past the
    // highest time seen, take it with logical 0; otherwise the highest time seen plus one tick.
    private static ulong Advance(ulong highestSeen, ulong physicalWord)
    {
        if (physicalWord > highestSeen)
        {
            return physicalWord;
        }

        if (highestSeen == ulong.MaxValue)
        {
            throw new InvalidOperationException("The hybrid logical clock has exhausted its 48-bit physical range.");
        }

        return highestSeen + 1;
    }

    private ulong PhysicalWord()
    {
        long ms = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        ms = Math.Clamp(ms, 0, HlcTimestamp.MaxPhysicalMilliseconds);
        return (ulong)ms << HlcTimestamp.LogicalBits;
    }
}
