using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace Engine.Bench.Load;

/// <summary>
/// <c>Engine.Bench load-ws</c> / <c>load-wt</c>: N real clients (WebSocket or WebTransport) join one
/// room of a separate server process (Engine, or a baseline) and report delivered messages/s,
/// tick-to-receive latency percentiles, snapshot loss and the server's CPU. <c>--compare</c> runs a
/// second target with the same load, then prints a ratio table.
/// </summary>
internal static class FanOutLoad
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs <paramref name="own"/> (or <c>--baseline</c>), or with <c>--compare</c> it and then the other target.</summary>
    public static async Task<int> RunAsync(LoadArguments args, LoadTarget own)
    {
        if (!args.Compare)
        {
            LoadTarget only = args.Baseline is null ? own : LoadTarget.For(args.Baseline);
            Report(args, await MeasureAsync(args, only));
            return 0;
        }

        LoadTarget other = LoadTarget.For(args.Baseline ?? (own == LoadTarget.EngineWebSocket ? LoadArguments.NodeWsBaseline : LoadTarget.EngineWebSocketKey));
        LoadResult first = await MeasureAsync(args, own);
        Report(args, first);
        Console.WriteLine();
        await Task.Delay(TimeSpan.FromSeconds(1)); // let the first server's sockets and threads wind down
        LoadResult second = await MeasureAsync(args, other);
        Report(args, second);
        Console.WriteLine();
        ReportComparison(args, first, second);
        return 0;
    }

    private static async Task<LoadResult> MeasureAsync(LoadArguments args, LoadTarget target)
    {
        if (args.WaitQuietSeconds > 0)
        {
            double busy = await MachineCpu.WaitForQuietAsync(args.WaitQuietSeconds);
            Console.WriteLine(string.Create(Inv, $"(machine before starting {target.Name}: {busy:F0} % of one core busy in the last second)"));
        }

        using ServerUnderTest server = target.Start(args);
        var clients = new LoadClient[args.Clients];
        try
        {
            Func<int, Task<LoadClient>> connect = await target.PrepareClientsAsync(server);
            for (int i = 0; i < clients.Length; i++)
            {
                clients[i] = await connect(i);
            }

            string transport = await target.DescribeTransportAsync(server, clients[0]);
            await Task.Delay(TimeSpan.FromSeconds(args.WarmupSeconds));
            foreach (LoadClient c in clients)
            {
                c.Measuring = true;
            }

            Uri? metrics = server.Name == "Engine" ? new Uri($"https://{server.WebSocketUri.Authority}/metrics") : null;
            Dictionary<string, double> countersBefore = await ServerCounters.ReadAsync(metrics);
            CpuWindow cpu = CpuWindow.Start(server.Process);
            long startedAt = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(args.Seconds));
            foreach (LoadClient c in clients)
            {
                c.Measuring = false;
            }

            double elapsed = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
            (double serverCpu, double clientCpu, double otherCpu) = cpu.Stop();
            Dictionary<string, double> countersAfter = await ServerCounters.ReadAsync(metrics);

            var snapshotLatency = new LongHistogram(TimeStamp.Seconds(10), 3);
            var eventLatency = new LongHistogram(TimeStamp.Seconds(10), 3);
            foreach (LoadClient c in clients)
            {
                snapshotLatency.Add(c.SnapshotLatency);
                eventLatency.Add(c.EventLatency);
            }

            var latency = new LongHistogram(TimeStamp.Seconds(10), 3);
            latency.Add(snapshotLatency);
            latency.Add(eventLatency);
            return new LoadResult
            {
                Target = target.Name,
                Software = server.Software,
                Carrier = target.Carrier,
                Transport = transport,
                Seconds = elapsed,
                Snapshots = clients.Sum(c => c.Snapshots),
                Events = clients.Sum(c => c.Events),
                Bytes = clients.Sum(c => c.Bytes),
                StaleSnapshots = clients.Sum(c => c.StaleSnapshots),
                TicksSpanned = clients.Sum(c => c.TicksSpanned),
                Latency = latency,
                SnapshotLatency = snapshotLatency,
                EventLatency = eventLatency,
                Datagrams = target.IsWebTransport ? DatagramCounts.Sum(clients.Select(c => c.Datagrams!)) : null,
                ServerCounters = metrics is null ? null : ServerCounters.Difference(countersBefore, countersAfter),
                ServerCpuSeconds = serverCpu,
                ClientCpuSeconds = clientCpu,
                OtherCpuSeconds = otherCpu,
                SnapshotMessageBytes = clients.Max(c => c.SnapshotMessageBytes),
                EventMessageBytes = clients.Max(c => c.EventMessageBytes),
                WireError = clients.Select(c => c.WireError).FirstOrDefault(e => e is not null),
            };
        }
        finally
        {
            foreach (LoadClient? c in clients)
            {
                if (c is not null)
                {
                    await c.DisposeAsync();
                }
            }
        }
    }

    private static void Report(LoadArguments args, LoadResult r)
    {
        bool wt = r.Datagrams is not null;
        Console.WriteLine(string.Create(Inv, $"{r.Target} {r.Carrier} fan-out: {args.Clients} clients, one room, {args.Rate} Hz, {args.Entities} entities, {args.EventsPerTick} events/tick of {args.EventBytes} B, {r.Seconds:F1} s measured"));
        Console.WriteLine(string.Create(Inv, $"  server          {r.Software}, {r.Transport}"));
        Console.WriteLine(string.Create(Inv, $"  delivered       {r.MessagesPerSecond,12:N0} msgs/s  (snapshots {r.Snapshots / r.Seconds:N0}/s, events {r.Events / r.Seconds:N0}/s), {r.Bytes / r.Seconds / 1e6:F1} MB/s"));
        Console.WriteLine(string.Create(Inv, $"  expected        {args.Clients * args.Rate * (1 + args.EventsPerTick),12:N0} msgs/s  (clients × rate × (1 + events/tick))"));
        Console.WriteLine(string.Create(Inv, $"  snapshots       {r.Snapshots:N0} received of {r.TicksSpanned:N0} sent (by tick number): {r.SnapshotLoss * 100:F2} % lost{(wt ? " (datagram loss)" : " (skipped by the latest-wins slot)")}, {r.StaleSnapshots:N0} stale (reordered); ticks reached clients at {r.TicksSpanned / r.Seconds / args.Clients:F1}/s of {args.Rate}"));
        if (r.Datagrams is { } d)
        {
            Console.WriteLine(string.Create(Inv, $"  datagrams       {d.Whole:N0} whole, {d.Reassembled:N0} reassembled from fragments, {d.Incomplete:N0} fragmented given up incomplete, {d.QueueDropped:N0} dropped by the clients' receive queues; max payload {d.MaxDatagramSize} B"));
        }

        if (r.ServerCounters is not null)
        {
            Console.WriteLine($"  server counters {r.ServerCounters}  (its /metrics over the window)");
        }

        Console.WriteLine(string.Create(Inv, $"  tick→receive    {Percentiles(r.Latency)}"));
        if (args.EventsPerTick > 0)
        {
            Console.WriteLine(string.Create(Inv, $"    snapshots     {Percentiles(r.SnapshotLatency)}{(wt ? "  (datagrams)" : "")}"));
            Console.WriteLine(string.Create(Inv, $"    events        {Percentiles(r.EventLatency)}{(wt ? "  (message stream)" : "")}"));
        }

        Console.WriteLine(string.Create(Inv, $"  server CPU      {r.ServerCpuSeconds / r.Seconds * 100:F1} % of one core  ({r.ServerCpuSeconds:F2} s CPU in {r.Seconds:F1} s, {r.ServerCpuMsPer100k:F0} ms per 100k msgs; the machine has {Environment.ProcessorCount} cores)"));
        Console.WriteLine(string.Create(Inv, $"  load client CPU {r.ClientCpuSeconds / r.Seconds * 100:F1} % of one core  (this process: {args.Clients} clients receiving)"));
        Console.WriteLine(string.Create(Inv, $"  other processes {r.OtherCpuSeconds / r.Seconds * 100:F1} % of one core  (the rest of the machine during the window, from /proc/stat; keep it near 0)"));
        Console.WriteLine(string.Create(Inv, $"  wire            snapshot {Size(r.SnapshotMessageBytes)}, game event {Size(r.EventMessageBytes)} per message; Engine's codec decodes them: {r.WireError ?? "yes"}"));
    }

    private static string Percentiles(LongHistogram h) =>
        string.Create(Inv, $"p50 {LoadResult.LatencyMs(h, 50):F3} ms   p99 {LoadResult.LatencyMs(h, 99):F3} ms   p99.9 {LoadResult.LatencyMs(h, 99.9):F3} ms   max {LoadResult.LatencyMs(h, 100):F3} ms  ({h.TotalCount:N0} samples)");

    private static string Size(int bytes) => bytes == 0 ? "none seen" : bytes.ToString(Inv) + " B";

    private static void ReportComparison(LoadArguments args, LoadResult a, LoadResult b)
    {
        string ratioName = a.Target + "/" + b.Target;
        Console.WriteLine(string.Create(Inv, $"{a.Target} vs {b.Target} ({b.Software}): same {args.Clients} clients, {args.Rate} Hz, {args.EventsPerTick} events/tick, {args.Seconds} s each, run one after the other"));
        Console.WriteLine(string.Create(Inv, $"  {a.Target} transport: {a.Transport}"));
        Console.WriteLine(string.Create(Inv, $"  {b.Target} transport: {b.Transport}"));
        if (a.Carrier == b.Carrier && a.Transport.StartsWith("wss", StringComparison.Ordinal) != b.Transport.StartsWith("wss", StringComparison.Ordinal))
        {
            Console.WriteLine("  NOT like for like: only one side pays for TLS, and its CPU figures include it.");
        }

        Console.WriteLine(string.Create(Inv, $"  {"",-28}{a.Target,12}{b.Target,12}{ratioName,22}  better"));
        Row("delivered msgs/s", a.MessagesPerSecond, b.MessagesPerSecond, "N0", "higher");
        Row("snapshots lost %", a.SnapshotLoss * 100, b.SnapshotLoss * 100, "F2", "lower");
        if (a.Datagrams is not null || b.Datagrams is not null)
        {
            Row("reassembled from fragments", a.Datagrams?.Reassembled ?? 0, b.Datagrams?.Reassembled ?? 0, "N0", "(context)");
        }

        Row("latency p50 ms", a.LatencyMs(50), b.LatencyMs(50), "F3", "lower");
        Row("latency p99 ms", a.LatencyMs(99), b.LatencyMs(99), "F3", "lower");
        Row("latency p99.9 ms", a.LatencyMs(99.9), b.LatencyMs(99.9), "F3", "lower");
        Row("latency max ms", a.MaxLatencyMs, b.MaxLatencyMs, "F3", "lower");
        if (args.EventsPerTick > 0)
        {
            foreach (double p in (double[])[50, 99, 99.9])
            {
                Row(string.Create(Inv, $"  snapshots p{p} ms"), LoadResult.LatencyMs(a.SnapshotLatency, p), LoadResult.LatencyMs(b.SnapshotLatency, p), "F3", "lower");
            }

            foreach (double p in (double[])[50, 99, 99.9])
            {
                Row(string.Create(Inv, $"  events p{p} ms"), LoadResult.LatencyMs(a.EventLatency, p), LoadResult.LatencyMs(b.EventLatency, p), "F3", "lower");
            }
        }

        Row("server CPU ms / 100k msgs", a.ServerCpuMsPer100k, b.ServerCpuMsPer100k, "F0", "lower");
        Row("server CPU % of one core", a.ServerCpuSeconds / a.Seconds * 100, b.ServerCpuSeconds / b.Seconds * 100, "F1", "(context)");
        Row("load client CPU %", a.ClientCpuSeconds / a.Seconds * 100, b.ClientCpuSeconds / b.Seconds * 100, "F1", "(context)");
        Row("other processes CPU %", a.OtherCpuSeconds / a.Seconds * 100, b.OtherCpuSeconds / b.Seconds * 100, "F1", "(noise)");

        static void Row(string name, double first, double second, string format, string better)
        {
            string x = first.ToString(format, Inv);
            string y = second.ToString(format, Inv);
            string ratio = second == 0 || double.IsNaN(second) ? "n/a" : (first / second).ToString("F2", Inv);
            Console.WriteLine($"  {name,-28}{x,12}{y,12}{ratio,22}  {better}");
        }
    }
}
