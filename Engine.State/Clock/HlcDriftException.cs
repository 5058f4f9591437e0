using System.Globalization;

namespace Engine.State.Clock;

/// <summary>
/// A remote timestamp was further ahead of local physical time than the clock's bound allows.
/// The clock did not move; the sender's clock (or the message) is suspect.
/// </summary>
public sealed class HlcDriftException : Exception
{
    public HlcDriftException(HlcTimestamp remote, long localPhysicalMilliseconds, TimeSpan maxForwardDrift)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Remote HLC timestamp {remote} from node {remote.NodeId} is {remote.PhysicalMilliseconds - localPhysicalMilliseconds} ms ahead of local physical time; the limit is {maxForwardDrift.TotalMilliseconds} ms. The clock was not advanced."))
    {
        Remote = remote;
        LocalPhysicalMilliseconds = localPhysicalMilliseconds;
        MaxForwardDrift = maxForwardDrift;
    }

    public HlcDriftException()
    {
    }

    public HlcDriftException(string message)
        : base(message)
    {
    }

    public HlcDriftException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The rejected timestamp.</summary>
    public HlcTimestamp Remote { get; }

    /// <summary>Local physical time when it was rejected, in Unix milliseconds.</summary>
    public long LocalPhysicalMilliseconds { get; }

    /// <summary>The bound that was exceeded.</summary>
    public TimeSpan MaxForwardDrift { get; }
}
