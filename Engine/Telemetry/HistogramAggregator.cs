using System.Globalization;

namespace Engine.Telemetry;

/// <summary>
/// Histogram: per series, a count per bucket (non-cumulative while recording, summed into the
/// cumulative <c>le</c> series when written) and the sum. <c>_count</c> is the +Inf bucket, so the
/// two always agree even while recordings race a scrape. Until the first recording the family is
/// written as one series without labels with every bucket, <c>_sum</c> and <c>_count</c> at 0.
/// </summary>
internal sealed class HistogramAggregator : MetricAggregator<HistogramAggregator.Series>
{
    private readonly double[] _bounds;
    private readonly string[] _boundLabels;
    private readonly Series _empty; // never recorded into: written while no series exists

    // bounds: finite, strictly ascending upper bounds; +Inf is implicit.
    public HistogramAggregator(string name, string? help, double[] bounds, int maxSeries)
        : base(name, help, "histogram", maxSeries)
    {
        _bounds = bounds;
        _boundLabels = [.. bounds.Select(PrometheusText.FormatDouble), "+Inf"];
        _empty = new Series(bounds.Length + 1);
    }

    public IReadOnlyList<double> Bounds => _bounds;

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Record((double)value, tags);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        // Upper bounds are inclusive (le): an exact hit lands in that bucket, else the next larger.
        int bucket = Array.BinarySearch(_bounds, value);
        if (bucket < 0)
        {
            bucket = ~bucket;
        }

        Series series = GetSeries(tags);
        Interlocked.Increment(ref series.BucketCounts[bucket]);
        AtomicDouble.Add(ref series.Sum, value);
    }

    public override void Write(TextWriter writer)
    {
        List<(string Labels, Series Series)> series = SnapshotSeries();
        if (series.Count == 0)
        {
            // Nothing recorded yet: one series without labels with zero observations.
            series.Add(("", _empty));
        }

        WriteHeader(writer);
        string bucketName = Name + "_bucket";
        foreach ((string labels, Series histogram) in series)
        {
            string labelPrefix = labels.Length == 0 ? "le=\"" : labels + ",le=\"";
            long cumulative = 0;
            for (int i = 0; i < histogram.BucketCounts.Length; i++)
            {
                cumulative += Interlocked.Read(ref histogram.BucketCounts[i]);
                WriteSample(writer, bucketName, labelPrefix + _boundLabels[i] + "\"", cumulative.ToString(CultureInfo.InvariantCulture));
            }

            WriteSample(writer, Name + "_sum", labels, PrometheusText.FormatDouble(Volatile.Read(ref histogram.Sum)));
            WriteSample(writer, Name + "_count", labels, cumulative.ToString(CultureInfo.InvariantCulture));
        }
    }

    protected override Series CreateSeries() => new(_bounds.Length + 1);

    internal sealed class Series(int bucketCount)
    {
        public readonly long[] BucketCounts = new long[bucketCount];
        public double Sum;
    }
}
