namespace Engine.Telemetry;

/// <summary>Synchronous <c>Gauge&lt;T&gt;</c>: the last value recorded per series, kept until the instrument goes away.</summary>
internal sealed class LastValueAggregator(string name, string? help, int maxSeries)
    : MetricAggregator<LastValueAggregator.Series>(name, help, "gauge", maxSeries)
{
    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Record((double)value, tags);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        Volatile.Write(ref GetSeries(tags).Value, value);

    public override void Write(TextWriter writer)
    {
        List<(string Labels, Series Series)> series = SnapshotSeries();
        if (series.Count == 0)
        {
            return;
        }

        WriteHeader(writer);
        foreach ((string labels, Series last) in series)
        {
            WriteSample(writer, Name, labels, PrometheusText.FormatDouble(Volatile.Read(ref last.Value)));
        }
    }

    protected override Series CreateSeries() => new();

    internal sealed class Series
    {
        public double Value;
    }
}
