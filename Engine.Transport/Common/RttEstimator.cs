namespace Engine.Transport.Common;

/// <summary>
/// Smoothed round-trip time and its variation as in RFC 6298 §2: the first sample R sets
/// SRTT = R and RTTVAR = R/2; later samples update RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| (with the
/// old SRTT), then SRTT = 7/8 SRTT + 1/8 R. Thread-safe; shared by every transport.
/// </summary>
public sealed class RttEstimator
{
    private const long NoSample = -1;

    private readonly Lock _gate = new();
    private long _smoothedTicks = NoSample;
    private long _variationTicks;

    /// <summary>The smoothed RTT (SRTT); null until the first sample.</summary>
    public TimeSpan? Smoothed
    {
        get
        {
            long ticks = Volatile.Read(ref _smoothedTicks);
            return ticks == NoSample ? null : TimeSpan.FromTicks(ticks);
        }
    }

    /// <summary>The RTT variation (RTTVAR); null until the first sample.</summary>
    public TimeSpan? Variation
    {
        get
        {
            lock (_gate)
            {
                return _smoothedTicks == NoSample ? null : TimeSpan.FromTicks(_variationTicks);
            }
        }
    }

    /// <summary>Folds one measured round trip into the estimate.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The sample is negative.</exception>
    public void Observe(TimeSpan sample)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sample, TimeSpan.Zero);
        long sampleTicks = sample.Ticks;

        lock (_gate)
        {
            if (_smoothedTicks == NoSample)
            {
                _variationTicks = sampleTicks / 2;
                Volatile.Write(ref _smoothedTicks, sampleTicks);
                return;
            }

            // Written as "x + (y - x) / n" so that no intermediate product can overflow.
            long deviation = Math.Abs(_smoothedTicks - sampleTicks);
            _variationTicks += (deviation - _variationTicks) / 4;
            Volatile.Write(ref _smoothedTicks, _smoothedTicks + ((sampleTicks - _smoothedTicks) / 8));
        }
    }
}
