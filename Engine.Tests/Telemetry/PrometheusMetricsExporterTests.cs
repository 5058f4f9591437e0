using System.Diagnostics.Metrics;
using Engine.Telemetry;

namespace Engine.Tests.Telemetry;

/// <summary>
/// Rendering of each instrument kind. Every test owns a meter with a unique name, so exporters of
/// tests running in parallel never see each other's instruments.
/// </summary>
public sealed class PrometheusMetricsExporterTests : IDisposable
{
    private readonly Meter _meter = new($"Engine.Tests.{Guid.NewGuid():N}");

    public void Dispose() => _meter.Dispose();

    [Fact]
    public void Write_Counter_RendersTotalWithHelpAndType()
    {
        using PrometheusMetricsExporter exporter = Export();
        Counter<long> messages = _meter.CreateCounter<long>("engine.messages", description: "Messages received.");

        messages.Add(2, new KeyValuePair<string, object?>("room", "b"));
        messages.Add(1, new KeyValuePair<string, object?>("room", "a"));
        messages.Add(2, new KeyValuePair<string, object?>("room", "a"));

        AssertText(exporter, """
            # HELP engine_messages_total Messages received.
            # TYPE engine_messages_total counter
            engine_messages_total{room="a"} 3
            engine_messages_total{room="b"} 2
            """);
    }

    [Fact]
    public void Write_CounterWithoutTagsOrDescription_RendersBareSample()
    {
        using PrometheusMetricsExporter exporter = Export();
        Counter<int> ticks = _meter.CreateCounter<int>("engine.ticks");

        ticks.Add(7);

        AssertText(exporter, """
            # TYPE engine_ticks_total counter
            engine_ticks_total 7
            """);
    }

    [Fact]
    public void Write_DoubleCounter_SumsFractionsAndDropsNegativeAdds()
    {
        using PrometheusMetricsExporter exporter = Export();
        Counter<double> seconds = _meter.CreateCounter<double>("engine.busy_total");

        seconds.Add(0.5);
        seconds.Add(0.25);
        seconds.Add(-10);

        AssertText(exporter, """
            # TYPE engine_busy_total counter
            engine_busy_total 0.75
            """);
    }

    [Fact]
    public void Write_UpDownCounter_RendersGaugeOfRunningSum()
    {
        using PrometheusMetricsExporter exporter = Export();
        UpDownCounter<int> connections = _meter.CreateUpDownCounter<int>("engine.connections", description: "Open connections.");

        connections.Add(5, new KeyValuePair<string, object?>("transport", "ws"));
        connections.Add(-2, new KeyValuePair<string, object?>("transport", "ws"));

        AssertText(exporter, """
            # HELP engine_connections Open connections.
            # TYPE engine_connections gauge
            engine_connections{transport="ws"} 3
            """);
    }

    [Fact]
    public void Write_Gauge_RendersLastValue()
    {
        using PrometheusMetricsExporter exporter = Export();
        Gauge<double> load = _meter.CreateGauge<double>("engine.load");

        load.Record(0.9);
        load.Record(0.4);

        AssertText(exporter, """
            # TYPE engine_load gauge
            engine_load 0.4
            """);
    }

    [Fact]
    public void Write_ObservableGauge_PollsAtEachScrapeAndDropsUnreportedSeries()
    {
        using PrometheusMetricsExporter exporter = Export();
        var players = new Dictionary<string, int> { ["lobby"] = 3, ["arena"] = 8 };
        _meter.CreateObservableGauge("engine.room.players", () => players.Select(room =>
            new Measurement<int>(room.Value, new KeyValuePair<string, object?>("room", room.Key))));

        string first = exporter.Render();
        players.Remove("arena");
        players["lobby"] = 4;
        string second = exporter.Render();

        Assert.Equal(Lines("""
            # TYPE engine_room_players gauge
            engine_room_players{room="arena"} 8
            engine_room_players{room="lobby"} 3
            """), first);
        Assert.Equal(Lines("""
            # TYPE engine_room_players gauge
            engine_room_players{room="lobby"} 4
            """), second);
    }

    [Fact]
    public void Write_ObservableCounter_RendersReportedTotalAsCounter()
    {
        using PrometheusMetricsExporter exporter = Export();
        long bytes = 1024;
        _meter.CreateObservableCounter("engine.bytes.sent", () => bytes, description: "Bytes sent.");

        exporter.Render();
        bytes = 4096;

        AssertText(exporter, """
            # HELP engine_bytes_sent_total Bytes sent.
            # TYPE engine_bytes_sent_total counter
            engine_bytes_sent_total 4096
            """);
    }

    [Fact]
    public void Write_ObservableUpDownCounter_RendersGauge()
    {
        using PrometheusMetricsExporter exporter = Export();
        _meter.CreateObservableUpDownCounter("engine.queue.depth", () => -3);

        AssertText(exporter, """
            # TYPE engine_queue_depth gauge
            engine_queue_depth -3
            """);
    }

    [Fact]
    public void Write_HistogramWithOverriddenBuckets_RendersCumulativeBucketsSumAndCount()
    {
        var options = new PrometheusExporterOptions();
        options.HistogramBucketsByInstrument["engine.tick.duration"] = [1, 5, 10];
        using PrometheusMetricsExporter exporter = Export(options);
        Histogram<double> tick = _meter.CreateHistogram<double>("engine.tick.duration", "ms", "Tick duration.");

        foreach (double value in new[] { 0.5, 1, 3, 7, 20 })
        {
            tick.Record(value);
        }

        AssertText(exporter, """
            # HELP engine_tick_duration Tick duration.
            # TYPE engine_tick_duration histogram
            engine_tick_duration_bucket{le="1"} 2
            engine_tick_duration_bucket{le="5"} 3
            engine_tick_duration_bucket{le="10"} 4
            engine_tick_duration_bucket{le="+Inf"} 5
            engine_tick_duration_sum 31.5
            engine_tick_duration_count 5
            """);
    }

    [Fact]
    public void Write_HistogramDefaultBuckets_CumulativeAndCountEqualsRecordings()
    {
        using PrometheusMetricsExporter exporter = Export();
        Histogram<double> latency = _meter.CreateHistogram<double>("engine.latency");
        var random = new Random(42);
        double[] values = [.. Enumerable.Range(0, 500).Select(_ => random.NextDouble() * 2000)];
        foreach (double value in values)
        {
            latency.Record(value, new KeyValuePair<string, object?>("kind", "rtt"));
        }

        string text = exporter.Render();

        (string Le, long Count)[] buckets = [.. Samples(text, "engine_latency_bucket")
            .Select(sample => (Between(sample.Labels, "le=\"", "\""), (long)sample.Value))];
        string[] expectedBounds = [.. PrometheusExporterOptions.DefaultHistogramBuckets.Select(bound => bound.ToString(System.Globalization.CultureInfo.InvariantCulture)), "+Inf"];
        Assert.Equal(expectedBounds, buckets.Select(bucket => bucket.Le));
        for (int i = 0; i < buckets.Length; i++)
        {
            double bound = i < buckets.Length - 1 ? PrometheusExporterOptions.DefaultHistogramBuckets[i] : double.PositiveInfinity;
            Assert.Equal(values.Count(value => value <= bound), buckets[i].Count);
        }

        Assert.Equal(values.Length, Samples(text, "engine_latency_count").Single().Value);
        Assert.Equal(values.Sum(), Samples(text, "engine_latency_sum").Single().Value, 6);
    }

    [Fact]
    public void Write_HistogramWithBucketAdvice_UsesAdvisedBuckets()
    {
        using PrometheusMetricsExporter exporter = Export();
        Histogram<int> sizes = _meter.CreateHistogram<int>("engine.message.size", unit: "By", description: null, tags: null,
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [64, 1024] });

        sizes.Record(100);

        AssertText(exporter, """
            # TYPE engine_message_size histogram
            engine_message_size_bucket{le="64"} 0
            engine_message_size_bucket{le="1024"} 1
            engine_message_size_bucket{le="+Inf"} 1
            engine_message_size_sum 100
            engine_message_size_count 1
            """);
    }

    [Fact]
    public void Write_HistogramWithLabels_PutsLeAfterSeriesLabels()
    {
        var options = new PrometheusExporterOptions { HistogramBuckets = [10] };
        using PrometheusMetricsExporter exporter = Export(options);
        Histogram<long> latency = _meter.CreateHistogram<long>("engine.rtt");

        latency.Record(12, new KeyValuePair<string, object?>("transport", "ws"));

        AssertText(exporter, """
            # TYPE engine_rtt histogram
            engine_rtt_bucket{transport="ws",le="10"} 0
            engine_rtt_bucket{transport="ws",le="+Inf"} 1
            engine_rtt_sum{transport="ws"} 12
            engine_rtt_count{transport="ws"} 1
            """);
    }

    [Fact]
    public void Write_LabelValueWithBackslashQuoteNewline_Escaped()
    {
        using PrometheusMetricsExporter exporter = Export();
        Counter<int> errors = _meter.CreateCounter<int>("engine.errors", description: "Errors, by C:\\path\nand line.");

        errors.Add(1, new KeyValuePair<string, object?>("message", "a\\b\"c\nd"));

        AssertText(exporter, """
            # HELP engine_errors_total Errors, by C:\\path\nand line.
            # TYPE engine_errors_total counter
            engine_errors_total{message="a\\b\"c\nd"} 1
            """);
    }

    [Fact]
    public void Write_DottedAndDashedNames_BecomeUnderscores()
    {
        using PrometheusMetricsExporter exporter = Export();
        Counter<int> joins = _meter.CreateCounter<int>("engine.room-joins");

        joins.Add(1, new KeyValuePair<string, object?>("room.kind", "duel"), new KeyValuePair<string, object?>("2fa", true));

        AssertText(exporter, """
            # TYPE engine_room_joins_total counter
            engine_room_joins_total{_2fa="true",room_kind="duel"} 1
            """);
    }

    [Fact]
    public void Write_AppendUnitSuffix_AddsPrometheusUnitWord()
    {
        var options = new PrometheusExporterOptions { AppendUnitSuffix = true, HistogramBuckets = [1] };
        using PrometheusMetricsExporter exporter = Export(options);
        _meter.CreateHistogram<double>("engine.tick.duration", unit: "ms").Record(0.5);
        _meter.CreateCounter<long>("engine.sent", unit: "By").Add(10);
        _meter.CreateUpDownCounter<int>("engine.sessions", unit: "{session}").Add(1);

        string text = exporter.Render();

        Assert.Contains("# TYPE engine_tick_duration_milliseconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("\nengine_sent_bytes_total 10\n", text, StringComparison.Ordinal);
        Assert.Contains("\nengine_sessions 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_TagsInAnotherOrder_SameSeries()
    {
        using PrometheusMetricsExporter exporter = Export();
        Counter<int> hits = _meter.CreateCounter<int>("engine.hits");
        var room = new KeyValuePair<string, object?>("room", "a");
        var kind = new KeyValuePair<string, object?>("kind", "b");

        hits.Add(1, room, kind);
        hits.Add(1, kind, room);

        AssertText(exporter, """
            # TYPE engine_hits_total counter
            engine_hits_total{kind="b",room="a"} 2
            """);
    }

    [Fact]
    public void Write_MoreTagSetsThanCap_FoldsExcessIntoOverflowSeries()
    {
        using PrometheusMetricsExporter exporter = Export(new PrometheusExporterOptions { MaxSeriesPerInstrument = 2 });
        Counter<int> joins = _meter.CreateCounter<int>("engine.joins");

        for (int room = 0; room < 5; room++)
        {
            joins.Add(room + 1, new KeyValuePair<string, object?>("room", room));
        }

        joins.Add(100, new KeyValuePair<string, object?>("room", 0)); // an admitted series keeps counting

        AssertText(exporter, """
            # TYPE engine_joins_total counter
            engine_joins_total{room="0"} 101
            engine_joins_total{room="1"} 2
            engine_joins_total{overflow="true"} 12
            """);
    }

    [Fact]
    public void Write_MeterNotListed_Ignored()
    {
        using var other = new Meter($"Engine.Tests.Other.{Guid.NewGuid():N}");
        using PrometheusMetricsExporter exporter = Export();
        other.CreateCounter<int>("engine.elsewhere").Add(1);
        _meter.CreateCounter<int>("engine.here").Add(1);

        AssertText(exporter, """
            # TYPE engine_here_total counter
            engine_here_total 1
            """);
    }

    [Fact]
    public void Write_MeterScopeSet_OnlyMetersOfThatScopeExported()
    {
        string name = $"Engine.Tests.Scoped.{Guid.NewGuid():N}";
        object mine = new(), theirs = new();
        using var myMeter = new Meter(new MeterOptions(name) { Scope = mine });
        using var theirMeter = new Meter(new MeterOptions(name) { Scope = theirs });
        using var exporter = new PrometheusMetricsExporter([name], new PrometheusExporterOptions { MeterScope = mine });
        myMeter.CreateCounter<int>("engine.scoped").Add(1);
        theirMeter.CreateCounter<int>("engine.scoped").Add(5);

        AssertText(exporter, """
            # TYPE engine_scoped_total counter
            engine_scoped_total 1
            """);
    }

    [Fact]
    public void Write_CounterWithoutMeasurements_WritesZeroSeries()
    {
        using PrometheusMetricsExporter exporter = Export();
        _meter.CreateCounter<int>("engine.never", description: "Never counted.");

        AssertText(exporter, """
            # HELP engine_never_total Never counted.
            # TYPE engine_never_total counter
            engine_never_total 0
            """);
    }

    [Fact]
    public void Write_UpDownCounterWithoutMeasurements_WritesZeroGauge()
    {
        using PrometheusMetricsExporter exporter = Export();
        _meter.CreateUpDownCounter<long>("engine.open");

        AssertText(exporter, """
            # TYPE engine_open gauge
            engine_open 0
            """);
    }

    [Fact]
    public void Write_HistogramWithoutMeasurements_WritesZeroBucketsSumAndCount()
    {
        using PrometheusMetricsExporter exporter = Export(new PrometheusExporterOptions { HistogramBuckets = [1, 5] });
        _meter.CreateHistogram<double>("engine.idle", "ms", "Idle histogram.");

        AssertText(exporter, """
            # HELP engine_idle Idle histogram.
            # TYPE engine_idle histogram
            engine_idle_bucket{le="1"} 0
            engine_idle_bucket{le="5"} 0
            engine_idle_bucket{le="+Inf"} 0
            engine_idle_sum 0
            engine_idle_count 0
            """);
    }

    [Fact]
    public void Write_FirstLabelledMeasurement_ReplacesZeroSeriesWithoutLabels()
    {
        using PrometheusMetricsExporter exporter = Export();
        Counter<int> drops = _meter.CreateCounter<int>("engine.dropped");
        string before = exporter.Render();

        drops.Add(2, new KeyValuePair<string, object?>("reason", "rate"));

        Assert.Equal(Lines("""
            # TYPE engine_dropped_total counter
            engine_dropped_total 0
            """), before);
        AssertText(exporter, """
            # TYPE engine_dropped_total counter
            engine_dropped_total{reason="rate"} 2
            """);
    }

    [Fact]
    public void Write_FirstMeasurementWithoutLabels_ContinuesTheZeroSeries()
    {
        using PrometheusMetricsExporter exporter = Export();
        Counter<int> overruns = _meter.CreateCounter<int>("engine.overruns");
        string before = exporter.Render();

        overruns.Add(3);

        Assert.Equal(Lines("""
            # TYPE engine_overruns_total counter
            engine_overruns_total 0
            """), before);
        AssertText(exporter, """
            # TYPE engine_overruns_total counter
            engine_overruns_total 3
            """);
    }

    [Fact]
    public void Write_GaugeAndObservablesWithoutValues_WriteNothing()
    {
        using PrometheusMetricsExporter exporter = Export();
        _meter.CreateGauge<double>("engine.unset");
        _meter.CreateObservableGauge("engine.observed", () => Array.Empty<Measurement<int>>());
        _meter.CreateObservableCounter("engine.observed.count", () => Array.Empty<Measurement<long>>());

        Assert.Equal("", exporter.Render());
    }

    [Fact]
    public void Write_MeterDisposed_FamilyRemoved()
    {
        using var shortLived = new Meter(_meter.Name);
        using PrometheusMetricsExporter exporter = Export();
        shortLived.CreateCounter<int>("engine.transient").Add(1);
        string before = exporter.Render();

        shortLived.Dispose();

        Assert.Contains("engine_transient_total 1", before, StringComparison.Ordinal);
        Assert.Equal("", exporter.Render());
    }

    [Fact]
    public void Write_TwoMetersWithSameNameAndInstrument_ShareOneFamily()
    {
        using var twin = new Meter(_meter.Name);
        using PrometheusMetricsExporter exporter = Export();
        _meter.CreateCounter<long>("engine.frames").Add(2);
        twin.CreateCounter<long>("engine.frames").Add(3);

        AssertText(exporter, """
            # TYPE engine_frames_total counter
            engine_frames_total 5
            """);
    }

    [Fact]
    public void Write_NameTakenByOtherKind_LaterInstrumentIgnored()
    {
        using PrometheusMetricsExporter exporter = Export();
        _meter.CreateUpDownCounter<int>("engine.slots").Add(4);
        _meter.CreateGauge<int>("engine_slots").Record(9);

        AssertText(exporter, """
            # TYPE engine_slots gauge
            engine_slots 4
            """);
    }

    [Theory]
    [InlineData(new[] { 5.0, 1.0 })]
    [InlineData(new[] { 1.0, 1.0 })]
    [InlineData(new[] { double.NaN })]
    public void Constructor_InvalidBuckets_Throws(double[] buckets)
    {
        Assert.Throws<ArgumentException>(() => new PrometheusMetricsExporter([_meter.Name], new PrometheusExporterOptions { HistogramBuckets = buckets }));
    }

    [Fact]
    public void Write_AfterDispose_Throws()
    {
        PrometheusMetricsExporter exporter = Export();
        exporter.Dispose();

        Assert.Throws<ObjectDisposedException>(() => exporter.Render());
    }

    private PrometheusMetricsExporter Export(PrometheusExporterOptions? options = null) => new([_meter.Name], options);

    private static void AssertText(PrometheusMetricsExporter exporter, string expected) => Assert.Equal(Lines(expected), exporter.Render());

    private static string Lines(string text) => text.ReplaceLineEndings("\n") + "\n";

    private static IEnumerable<(string Labels, double Value)> Samples(string text, string name) =>
        text.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(line => (
                line.Contains('{', StringComparison.Ordinal) ? Between(line, "{", "}") : "",
                double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)));

    private static string Between(string text, string start, string end)
    {
        int from = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[from..text.IndexOf(end, from, StringComparison.Ordinal)];
    }
}
