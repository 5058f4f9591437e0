using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Engine.Telemetry;

/// <summary>
/// Aggregates the instruments of the named <see cref="Meter"/>s and renders them in the
/// Prometheus text exposition format 0.0.4 on demand (the <c>GET /metrics</c> body).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Counter → counter (<c>_total</c>); UpDownCounter, Gauge, ObservableGauge,
/// ObservableUpDownCounter → gauge; ObservableCounter → counter; Histogram → histogram.</item>
/// <item>Names: characters Prometheus does not allow become <c>_</c> (<c>engine.connections</c> →
/// <c>engine_connections</c>); tags become labels; the description becomes <c># HELP</c>.</item>
/// <item>Recording is thread-safe and allocation-free once a series exists (see
/// <see cref="MetricAggregator{TSeries}"/>). Observable instruments are polled during each scrape.</item>
/// <item>Instruments of the same kind that map to the same name (e.g. two <see cref="Meter"/>
/// instances both called "Engine") share one family; one of another kind (or with other histogram
/// buckets) under a taken name is ignored with a warning, because one name cannot have two types.</item>
/// <item>Counters, up-down counters and histograms are written from the moment they are published:
/// until their first measurement as one series without labels at zero (a histogram with every
/// bucket, <c>_sum</c> and <c>_count</c> at 0), so an idle server's scrape lists every family.
/// Gauges with no recorded value and observable instruments whose callbacks report nothing are not
/// written, because no value is known.</item>
/// <item>A family disappears when all its instruments are disposed (their meter was disposed).</item>
/// </list>
/// </remarks>
public sealed partial class PrometheusMetricsExporter : IDisposable
{
    /// <summary>The HTTP content type of <see cref="Write"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly HashSet<string> _meterNames;
    private readonly object? _meterScope;
    private readonly int _maxSeries;
    private readonly double[] _defaultBuckets;
    private readonly Dictionary<string, double[]> _bucketsByInstrument;
    private readonly bool _appendUnitSuffix;
    private readonly ILogger _logger;
    private readonly MeterListener _listener;
    private readonly Lock _registryLock = new();
    private readonly Dictionary<string, Registration> _families = new(StringComparer.Ordinal);
    private readonly Lock _scrapeLock = new();
    private bool _disposed;

    /// <param name="meterNames">Exact names of the meters to export, e.g. "Engine"; others are ignored.</param>
    /// <param name="options">Caps, buckets and naming; defaults when null.</param>
    /// <param name="logger">Told about instruments ignored for a name clash.</param>
    /// <exception cref="ArgumentException">A bucket list is not finite and strictly ascending, or the series cap is below 1.</exception>
    public PrometheusMetricsExporter(
        IEnumerable<string> meterNames,
        PrometheusExporterOptions? options = null,
        ILogger<PrometheusMetricsExporter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(meterNames);
        options ??= new PrometheusExporterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSeriesPerInstrument, 1, nameof(options));

        _meterNames = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _meterScope = options.MeterScope;
        _maxSeries = options.MaxSeriesPerInstrument;
        _defaultBuckets = ValidateBuckets(options.HistogramBuckets, "HistogramBuckets");
        _bucketsByInstrument = options.HistogramBucketsByInstrument.ToDictionary(
            entry => entry.Key,
            entry => ValidateBuckets(entry.Value, $"HistogramBucketsByInstrument[{entry.Key}]"),
            StringComparer.Ordinal);
        _appendUnitSuffix = options.AppendUnitSuffix;
        _logger = (ILogger?)logger ?? NullLogger.Instance;

        _listener = new MeterListener
        {
            InstrumentPublished = OnInstrumentPublished,
            MeasurementsCompleted = OnMeasurementsCompleted,
        };
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((MetricAggregator)state!).Record((double)value, tags));
        _listener.Start();
    }

    /// <summary>
    /// Polls the observable instruments, then writes every family sorted by name (counters,
    /// up-down counters and histograms without measurements as one zero series), each line ending
    /// in <c>\n</c>. Scrapes are serialised.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The exporter was disposed.</exception>
    public void Write(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_scrapeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            MetricAggregator[] families;
            lock (_registryLock)
            {
                families = [.. _families.Values.Select(registration => registration.Aggregator)];
            }

            Array.Sort(families, static (left, right) => string.CompareOrdinal(left.Name, right.Name));
            foreach (MetricAggregator family in families)
            {
                family.BeginCollection();
            }

            _listener.RecordObservableInstruments();
            foreach (MetricAggregator family in families)
            {
                family.Write(writer);
            }
        }
    }

    /// <summary>The same text as <see cref="Write"/>, as a string.</summary>
    public string Render()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(writer);
        return writer.ToString();
    }

    public void Dispose()
    {
        lock (_scrapeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _listener.Dispose();
        }
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!_meterNames.Contains(instrument.Meter.Name) || (_meterScope is not null && !ReferenceEquals(instrument.Meter.Scope, _meterScope)))
        {
            return;
        }

        MetricAggregator? created = CreateAggregator(instrument);
        if (created is null)
        {
            return; // not an instrument kind this exporter knows
        }

        MetricAggregator aggregator;
        lock (_registryLock)
        {
            if (_families.TryGetValue(created.Name, out Registration? existing))
            {
                if (!IsCompatible(existing.Aggregator, created))
                {
                    LogNameClash(_logger, instrument.Name, instrument.Meter.Name, created.Name, created.Type, existing.Aggregator.Type);
                    return;
                }

                existing.InstrumentCount++;
                aggregator = existing.Aggregator;
            }
            else
            {
                _families.Add(created.Name, new Registration(created));
                aggregator = created;
            }
        }

        listener.EnableMeasurementEvents(instrument, aggregator);
    }

    private void OnMeasurementsCompleted(Instrument instrument, object? state)
    {
        if (state is not MetricAggregator aggregator)
        {
            return;
        }

        lock (_registryLock)
        {
            if (_families.TryGetValue(aggregator.Name, out Registration? registration)
                && ReferenceEquals(registration.Aggregator, aggregator)
                && --registration.InstrumentCount == 0)
            {
                _families.Remove(aggregator.Name);
            }
        }
    }

    private MetricAggregator? CreateAggregator(Instrument instrument)
    {
        Type? definition = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : null;
        string name = PrometheusText.SanitizeMetricName(instrument.Name);
        if (_appendUnitSuffix && PrometheusText.UnitSuffix(instrument.Unit) is { } unit && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }

        string counterName = name.EndsWith("_total", StringComparison.Ordinal) ? name : name + "_total";
        string? help = instrument.Description;

        if (definition == typeof(Counter<>))
        {
            return new SumAggregator(counterName, help, monotonic: true, _maxSeries);
        }

        if (definition == typeof(UpDownCounter<>))
        {
            return new SumAggregator(name, help, monotonic: false, _maxSeries);
        }

        if (definition == typeof(Gauge<>))
        {
            return new LastValueAggregator(name, help, _maxSeries);
        }

        if (definition == typeof(ObservableCounter<>))
        {
            return new ObservedValueAggregator(counterName, help, monotonic: true, _maxSeries);
        }

        if (definition == typeof(ObservableGauge<>) || definition == typeof(ObservableUpDownCounter<>))
        {
            return new ObservedValueAggregator(name, help, monotonic: false, _maxSeries);
        }

        if (definition == typeof(Histogram<>))
        {
            double[] bounds = _bucketsByInstrument.GetValueOrDefault(instrument.Name)
                ?? AdvisedBuckets(instrument)
                ?? _defaultBuckets;
            return new HistogramAggregator(name, help, bounds, _maxSeries);
        }

        return null;
    }

    private static bool IsCompatible(MetricAggregator existing, MetricAggregator candidate) =>
        existing.GetType() == candidate.GetType()
        && existing.Type == candidate.Type
        && (existing is not HistogramAggregator histogram
            || histogram.Bounds.SequenceEqual(((HistogramAggregator)candidate).Bounds));

    /// <summary>Bucket boundaries the instrument's creator advised (<see cref="InstrumentAdvice{T}"/>), if valid.</summary>
    private static double[]? AdvisedBuckets(Instrument instrument)
    {
        IEnumerable<double>? advised = instrument switch
        {
            Histogram<double> histogram => histogram.Advice?.HistogramBucketBoundaries,
            Histogram<float> histogram => histogram.Advice?.HistogramBucketBoundaries?.Select(bound => (double)bound),
            Histogram<long> histogram => histogram.Advice?.HistogramBucketBoundaries?.Select(bound => (double)bound),
            Histogram<int> histogram => histogram.Advice?.HistogramBucketBoundaries?.Select(bound => (double)bound),
            Histogram<short> histogram => histogram.Advice?.HistogramBucketBoundaries?.Select(bound => (double)bound),
            Histogram<byte> histogram => histogram.Advice?.HistogramBucketBoundaries?.Select(bound => (double)bound),
            Histogram<decimal> histogram => histogram.Advice?.HistogramBucketBoundaries?.Select(bound => (double)bound),
            _ => null,
        };
        if (advised is null)
        {
            return null;
        }

        double[] bounds = [.. advised];
        return bounds.Length > 0 && IsStrictlyAscendingAndFinite(bounds) ? bounds : null;
    }

    private static double[] ValidateBuckets(IReadOnlyList<double> buckets, string setting)
    {
        ArgumentNullException.ThrowIfNull(buckets, setting);
        // +Inf is always added, so a trailing one given explicitly is dropped rather than doubled.
        double[] bounds = [.. buckets.Where(bound => !double.IsPositiveInfinity(bound))];
        if (!IsStrictlyAscendingAndFinite(bounds))
        {
            throw new ArgumentException($"{setting} must be finite and strictly ascending: [{string.Join(", ", buckets)}].", setting);
        }

        return bounds;
    }

    private static bool IsStrictlyAscendingAndFinite(double[] bounds)
    {
        for (int i = 0; i < bounds.Length; i++)
        {
            if (!double.IsFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
            {
                return false;
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning,
        Message = "Instrument {InstrumentName} of meter {MeterName} is not exported: its metric name {MetricName} ({MetricType}) is already taken by a {ExistingType} with other settings")]
    private static partial void LogNameClash(ILogger logger, string instrumentName, string meterName, string metricName, string metricType, string existingType);

    private sealed class Registration(MetricAggregator aggregator)
    {
        public MetricAggregator Aggregator { get; } = aggregator;

        public int InstrumentCount { get; set; } = 1;
    }
}
