namespace Engine.Telemetry;

/// <summary>
/// Observable instruments (ObservableCounter as a counter; ObservableGauge and
/// ObservableUpDownCounter as gauges): the values their callbacks report at each scrape.
/// </summary>
/// <remarks>
/// Callbacks run only inside the exporter's scrape, on the scraping thread, so the series need no
/// atomics. Each scrape is a new generation: a series the callbacks did not report this time is
/// dropped (a room that closed disappears, and frees its place under the cap). Values reported
/// for the same series within one scrape add up, which is how the overflow series sums the tag
/// sets folded into it.
/// </remarks>
internal sealed class ObservedValueAggregator(string name, string? help, bool monotonic, int maxSeries)
    : MetricAggregator<ObservedValueAggregator.Series>(name, help, monotonic ? "counter" : "gauge", maxSeries)
{
    private long _generation;

    public override void BeginCollection() => _generation++;

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Record((double)value, tags);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Series series = GetSeries(tags);
        if (series.Generation == _generation)
        {
            series.Value += value;
        }
        else
        {
            series.Value = value;
            series.Generation = _generation;
        }
    }

    public override void Write(TextWriter writer)
    {
        long generation = _generation;
        RemoveSeries(series => series.Generation != generation);
        List<(string Labels, Series Series)> series = SnapshotSeries();
        if (series.Count == 0)
        {
            return;
        }

        WriteHeader(writer);
        foreach ((string labels, Series observed) in series)
        {
            WriteSample(writer, Name, labels, PrometheusText.FormatDouble(observed.Value));
        }
    }

    protected override Series CreateSeries() => new() { Generation = -1 };

    internal sealed class Series
    {
        public double Value;
        public long Generation;
    }
}
