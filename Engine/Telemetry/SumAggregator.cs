using System.Globalization;

namespace Engine.Telemetry;

/// <summary>
/// Counter (monotonic, written as a Prometheus counter) and UpDownCounter (written as a gauge):
/// the running sum of every measurement per series. Integral instruments add exactly in a long.
/// Until the first measurement the family is written as one series without labels at 0.
/// </summary>
internal sealed class SumAggregator(string name, string? help, bool monotonic, int maxSeries)
    : MetricAggregator<SumAggregator.Series>(name, help, monotonic ? "counter" : "gauge", maxSeries)
{
    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // A counter that went down would read as a reset to Prometheus; such measurements are dropped.
        if (monotonic && value < 0)
        {
            return;
        }

        Interlocked.Add(ref GetSeries(tags).Integral, value);
    }

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (monotonic && !(value >= 0))
        {
            return;
        }

        AtomicDouble.Add(ref GetSeries(tags).Fractional, value);
    }

    public override void Write(TextWriter writer)
    {
        List<(string Labels, Series Series)> series = SnapshotSeries();
        WriteHeader(writer);
        if (series.Count == 0)
        {
            // Nothing added yet: the sum of no measurements is 0, and a family present from the
            // start lets rate() and increase() see the first increment.
            WriteSample(writer, Name, "", "0");
            return;
        }

        foreach ((string labels, Series sum) in series)
        {
            long integral = Interlocked.Read(ref sum.Integral);
            double fractional = Volatile.Read(ref sum.Fractional);
            string value = fractional == 0
                ? integral.ToString(CultureInfo.InvariantCulture)
                : PrometheusText.FormatDouble(integral + fractional);
            WriteSample(writer, Name, labels, value);
        }
    }

    protected override Series CreateSeries() => new();

    internal sealed class Series
    {
        // An instrument records either integral or floating-point values, so one of these stays zero.
        public long Integral;
        public double Fractional;
    }
}
