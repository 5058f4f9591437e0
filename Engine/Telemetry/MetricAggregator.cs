using System.Collections.Concurrent;

namespace Engine.Telemetry;

/// <summary>One Prometheus metric family: the series of one instrument kind under one name.</summary>
internal abstract class MetricAggregator(string name, string? help, string type)
{
    /// <summary>The family name as written in <c># TYPE</c> (with <c>_total</c> for counters).</summary>
    public string Name { get; } = name;

    /// <summary>The Prometheus type word: counter, gauge or histogram.</summary>
    public string Type { get; } = type;

    /// <summary>Records a measurement of an integral instrument (byte, short, int, long).</summary>
    public abstract void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    /// <summary>Records a measurement of a floating-point instrument (float, double, decimal).</summary>
    public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    /// <summary>Called at the start of every scrape, before observable instruments are polled.</summary>
    public virtual void BeginCollection()
    {
    }

    /// <summary>
    /// Writes the family. While it has no series, counters, up-down counters and histograms write
    /// one series without labels at zero; last-value and observed families write nothing.
    /// </summary>
    public abstract void Write(TextWriter writer);

    protected void WriteHeader(TextWriter writer)
    {
        if (!string.IsNullOrEmpty(help))
        {
            writer.Write("# HELP ");
            writer.Write(Name);
            writer.Write(' ');
            writer.Write(PrometheusText.EscapeHelp(help));
            writer.Write('\n');
        }

        writer.Write("# TYPE ");
        writer.Write(Name);
        writer.Write(' ');
        writer.Write(Type);
        writer.Write('\n');
    }

    protected static void WriteSample(TextWriter writer, string sampleName, string labels, string value)
    {
        writer.Write(sampleName);
        if (labels.Length > 0)
        {
            writer.Write('{');
            writer.Write(labels);
            writer.Write('}');
        }

        writer.Write(' ');
        writer.Write(value);
        writer.Write('\n');
    }
}

/// <summary>
/// Keeps the series of one family, found by the measurement's tags without allocating, and
/// bounded: beyond <c>maxSeries</c> distinct tag sets, measurements go to one shared series
/// labelled <c>overflow="true"</c>.
/// </summary>
/// <remarks>
/// Lookups go through a <see cref="ConcurrentDictionary{TKey, TValue}"/> alternate lookup keyed by
/// the tag span (lock-free reads). Only a tag set not seen before takes the lock, builds its
/// <see cref="TagSet"/> and counts against the cap. The series objects update themselves with
/// interlocked operations.
/// </remarks>
internal abstract class MetricAggregator<TSeries> : MetricAggregator
    where TSeries : class
{
    private readonly ConcurrentDictionary<TagSet, TSeries> _series = new(TagSetComparer.Instance);
    private readonly ConcurrentDictionary<TagSet, TSeries>.AlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>> _lookup;
    private readonly int _maxSeries;
    private readonly Lock _addLock = new();
    private volatile int _count;
    private volatile TSeries? _overflow;

    protected MetricAggregator(string name, string? help, string type, int maxSeries)
        : base(name, help, type)
    {
        _lookup = _series.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>>();
        _maxSeries = maxSeries;
    }

    protected abstract TSeries CreateSeries();

    protected TSeries GetSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_lookup.TryGetValue(tags, out TSeries? series))
        {
            return series;
        }

        TSeries? overflow = _overflow;
        return overflow is not null && _count >= _maxSeries ? overflow : AddSeries(tags);
    }

    /// <summary>All series sorted by labels, the overflow series last.</summary>
    protected List<(string Labels, TSeries Series)> SnapshotSeries()
    {
        var snapshot = new List<(string Labels, TSeries Series)>(_count + 1);
        foreach (KeyValuePair<TagSet, TSeries> entry in _series)
        {
            snapshot.Add((entry.Key.Labels, entry.Value));
        }

        snapshot.Sort(static (left, right) => string.CompareOrdinal(left.Labels, right.Labels));
        if (_overflow is { } overflow)
        {
            snapshot.Add((TagSet.Overflow.Labels, overflow));
        }

        return snapshot;
    }

    /// <summary>Drops the series <paramref name="isStale"/> picks, freeing their places under the cap.</summary>
    protected void RemoveSeries(Func<TSeries, bool> isStale)
    {
        lock (_addLock)
        {
            foreach (KeyValuePair<TagSet, TSeries> entry in _series)
            {
                if (isStale(entry.Value) && _series.TryRemove(entry.Key, out _))
                {
                    _count--;
                }
            }

            if (_overflow is { } overflow && isStale(overflow))
            {
                _overflow = null;
            }
        }
    }

    private TSeries AddSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_addLock)
        {
            if (_lookup.TryGetValue(tags, out TSeries? series))
            {
                return series;
            }

            if (_count >= _maxSeries)
            {
                return _overflow ??= CreateSeries();
            }

            series = CreateSeries();
            _series[TagSet.Create(tags)] = series;
            _count++;
            return series;
        }
    }
}

/// <summary>Lock-free arithmetic on doubles, which <see cref="Interlocked"/> lacks.</summary>
internal static class AtomicDouble
{
    public static void Add(ref double location, double value)
    {
        double current = Volatile.Read(ref location);
        while (true)
        {
            double observed = Interlocked.CompareExchange(ref location, current + value, current);
            // Bitwise, as the exchange compares: Equals would confuse 0.0 with -0.0.
            if (BitConverter.DoubleToInt64Bits(observed) == BitConverter.DoubleToInt64Bits(current))
            {
                return;
            }

            current = observed;
        }
    }
}
