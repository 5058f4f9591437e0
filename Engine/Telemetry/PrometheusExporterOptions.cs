namespace Engine.Telemetry;

/// <summary>Settings of a <see cref="PrometheusMetricsExporter"/>; read once, when it is created.</summary>
public sealed class PrometheusExporterOptions
{
    /// <summary>
    /// When set, only meters whose <see cref="System.Diagnostics.Metrics.Meter.Scope"/> is this
    /// object are exported: pass the host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>
    /// so several hosts in one process (tests, multi-tenant servers) do not see each other's meters.
    /// </summary>
    public object? MeterScope { get; set; }

    /// <summary>The default cap on series per instrument: 1,000.</summary>
    public const int DefaultMaxSeriesPerInstrument = 1_000;

    /// <summary>
    /// Default histogram upper bounds, suited to durations in milliseconds: 0.1 ms to 1 s
    /// (+Inf is always added).
    /// </summary>
    public static IReadOnlyList<double> DefaultHistogramBuckets { get; } =
        [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000];

    /// <summary>
    /// Distinct tag combinations kept per instrument; further combinations are folded into one
    /// series labelled <c>overflow="true"</c>.
    /// </summary>
    public int MaxSeriesPerInstrument { get; set; } = DefaultMaxSeriesPerInstrument;

    /// <summary>Histogram upper bounds for instruments with neither an override nor advice.</summary>
    public IReadOnlyList<double> HistogramBuckets { get; set; } = DefaultHistogramBuckets;

    /// <summary>
    /// Histogram upper bounds by instrument name (as created, e.g. <c>engine.tick.duration</c>),
    /// taking precedence over the instrument's own bucket advice and <see cref="HistogramBuckets"/>.
    /// </summary>
    public IDictionary<string, IReadOnlyList<double>> HistogramBucketsByInstrument { get; } =
        new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);

    /// <summary>
    /// Appends the instrument's unit to the metric name (<c>ms</c> → <c>_milliseconds</c>,
    /// <c>By</c> → <c>_bytes</c>; annotations like <c>{connection}</c> add nothing). Off by default.
    /// </summary>
    public bool AppendUnitSuffix { get; set; }
}
