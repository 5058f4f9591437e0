using System.Diagnostics.Metrics;
using System.Globalization;
using Engine.Telemetry;

namespace Engine.Tests.Telemetry;

public sealed class PrometheusMetricsExporterConcurrencyTests : IDisposable
{
    private const int Threads = 4;
    private const int AddsPerThread = 50_000;
    private readonly Meter _meter = new($"Engine.Tests.{Guid.NewGuid():N}");

    public void Dispose() => _meter.Dispose();

    [Fact]
    public async Task Write_RecordingFromSeveralThreadsWhileScraping_SumsExactly()
    {
        using var exporter = new PrometheusMetricsExporter([_meter.Name], new PrometheusExporterOptions { HistogramBuckets = [1] });
        Counter<long> messages = _meter.CreateCounter<long>("engine.messages");
        Counter<double> work = _meter.CreateCounter<double>("engine.work");
        Histogram<int> sizes = _meter.CreateHistogram<int>("engine.sizes");
        string[] rooms = ["a", "b", "c"];
        using var stopScraping = new CancellationTokenSource();
        Task scraper = Task.Factory.StartNew(
            () =>
            {
                while (!stopScraping.IsCancellationRequested)
                {
                    exporter.Render();
                }
            },
            TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(thread => Task.Factory.StartNew(
            () =>
            {
                for (int i = 0; i < AddsPerThread; i++)
                {
                    // New series appear mid-run too: each thread adds its own room besides the shared ones.
                    var room = new KeyValuePair<string, object?>("room", i % 2 == 0 ? rooms[i % rooms.Length] : $"t{thread}");
                    messages.Add(1, room);
                    work.Add(0.5, room);
                    sizes.Record(i % 2, room);
                }
            },
            TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        await stopScraping.CancelAsync();
        await scraper;

        string text = exporter.Render();

        const double Total = (double)Threads * AddsPerThread;
        Assert.Equal(Total, SumOf(text, "engine_messages_total"));
        Assert.Equal(Total * 0.5, SumOf(text, "engine_work_total"));
        Assert.Equal(Total, SumOf(text, "engine_sizes_count"));
        Assert.Equal(Total, SumOf(text, "engine_sizes_bucket", "le=\"+Inf\""));
        Assert.Equal(Total / 2, SumOf(text, "engine_sizes_sum"));
        Assert.Equal(rooms.Length + Threads, text.Split('\n').Count(line => line.StartsWith("engine_messages_total{", StringComparison.Ordinal)));
    }

    [Fact]
    public void Record_ExistingSeries_DoesNotAllocate()
    {
        using var exporter = new PrometheusMetricsExporter([_meter.Name]);
        Counter<long> messages = _meter.CreateCounter<long>("engine.messages");
        Counter<double> work = _meter.CreateCounter<double>("engine.work");
        Histogram<double> latency = _meter.CreateHistogram<double>("engine.latency");
        var room = new KeyValuePair<string, object?>("room", "lobby");
        var transport = new KeyValuePair<string, object?>("transport", "ws");
        void RecordAll(int count)
        {
            for (int i = 0; i < count; i++)
            {
                messages.Add(1, room, transport);
                work.Add(1.5, transport, room);
                latency.Record(i, room);
            }
        }

        RecordAll(1_000); // creates the series and gets everything compiled
        long before = GC.GetAllocatedBytesForCurrentThread();
        RecordAll(10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Contains("engine_messages_total{room=\"lobby\",transport=\"ws\"} 11000", exporter.Render(), StringComparison.Ordinal);
    }

    private static double SumOf(string text, string name, string? labelFilter = null) =>
        text.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labelFilter is null || line.Contains(labelFilter, StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
