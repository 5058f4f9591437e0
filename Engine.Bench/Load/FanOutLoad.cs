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

    /// <summary>Runs <paramref name="own"/> (or <c>--baseline</c>), or with <c>--compare</c> it and then the other target; with <c>--udp-floor</c> the raw-UDP floor last.</summary>
    public static async Task<int> RunAsync(LoadArguments args, LoadTarget own)
    {
        LoadClient.AckIntervalTicks = args.AckMilliseconds * System.Diagnostics.Stopwatch.Frequency / 1000;
        var targets = new List<LoadTarget> { !args.Compare && args.Baseline is not null ? LoadTarget.For(args.Baseline) : own };
        if (args.Compare)
        {
            targets.Add(LoadTarget.For(args.Baseline ?? (own == LoadTarget.EngineWebSocket ? LoadArguments.NodeWsBaseline : LoadTarget.EngineWebSocketKey)));
        }

        var results = new List<LoadResult>();
        foreach (LoadTarget target in targets)
        {
            if (results.Count > 0)
            {
                Console.WriteLine();
                await Task.Delay(TimeSpan.FromSeconds(1)); // let the previous server's sockets and threads wind down
            }

            LoadResult result = await MeasureAsync(args, target);
            Report(args, result);
            results.Add(result);
        }

        if (args.UdpFloor)
        {
            // The floor sends what Engine's first run delivered per snapshot (mean message bytes), unless --udp-bytes says otherwise.
            int bytes = args.UdpBytes > 0 ? args.UdpBytes : Math.Max(12, (int)Math.Round(results[0].MeanSnapshotBytes));
            Console.WriteLine();
            await Task.Delay(TimeSpan.FromSeconds(1));
            LoadResult floor = await MeasureAsync(args with { UdpFloorBytes = bytes }, LoadTarget.UdpFloor);
            Report(args, floor);
            results.Add(floor);
        }

        if (results.Count > 1)
        {
            Console.WriteLine();
            ReportComparison(args, results);
        }

        if (args.JsonPath is not null)
        {
            LoadJson.Append(args, results);
            Console.WriteLine($"(results appended to {args.JsonPath})");
        }

        return 0;
    }

    /// <summary>Starts <paramref name="target"/>'s server, connects the clients, and measures the windows (also used by <see cref="ClusterFanOut"/>).</summary>
    internal static async Task<LoadResult> MeasureAsync(LoadArguments args, LoadTarget target)
    {
        if (args.WaitQuietSeconds > 0)
        {
            double busy = await MachineCpu.WaitForQuietAsync(args.WaitQuietSeconds);
            Console.WriteLine(string.Create(Inv, $"(machine before starting {target.Name}: {busy:F0} % of one core busy in the last second)"));
        }

        long launched = Stopwatch.GetTimestamp();
        using ServerUnderTest server = target.Start(args);
        var clients = new LoadClient[args.Clients];
        try
        {
            Func<int, Task<LoadClient>> connect = await target.PrepareClientsAsync(server);
            using (var gate = new SemaphoreSlim(Math.Max(1, args.ConnectParallel)))
            {
                await Task.WhenAll(Enumerable.Range(0, clients.Length).Select(async i =>
                {
                    await gate.WaitAsync();
                    try
                    {
                        clients[i] = await connect(i);
                    }
                    catch (Exception ex)
                    {
                        throw new InvalidOperationException($"{target.Name}: client {i + 1} of {clients.Length} could not connect ({ex.GetType().Name}: {ex.Message}).", ex);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }

            double connectSeconds = Stopwatch.GetElapsedTime(launched).TotalSeconds;
            string transport = await target.DescribeTransportAsync(server, clients[0]);
            Uri? metrics = server.Name == "Engine" && target != LoadTarget.UdpFloor ? new Uri($"https://{server.WebSocketUri.Authority}/metrics") : null;
            Func<Task<Dictionary<string, double>>>? readCounters = server.ReadCounters ?? (metrics is null ? null : () => ServerCounters.ReadAsync(metrics));
            LoadResult? first = null;
            if (args.FirstSeconds > 0)
            {
                first = await WindowAsync(args.FirstSeconds);
            }

            await Task.Delay(TimeSpan.FromSeconds(args.WarmupSeconds));
            return (await WindowAsync(args.Seconds)) with { FirstWindow = first, ConnectSeconds = connectSeconds };

            async Task<LoadResult> WindowAsync(int seconds)
            {
                foreach (LoadClient c in clients)
                {
                    c.BeginWindow();
                }

                Dictionary<string, double> countersBefore = readCounters is null ? [] : await readCounters();
                CpuWindow cpu = CpuWindow.Start(server.Process, server.Companions);
                long startedAt = Stopwatch.GetTimestamp();
                await Task.Delay(TimeSpan.FromSeconds(seconds));
                ClientWindow[] windows = [.. clients.Select(c => c.EndWindow())];
                double elapsed = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
                (double serverCpu, double clientCpu, double otherCpu) = cpu.Stop();
                double mainCpu = serverCpu - cpu.CompanionSeconds.Where((_, i) => server.Companions[i].Serving).Sum();
                server.Process.Refresh();
                long serverMemory = server.Process.WorkingSet64;
                DatagramCounts? datagrams = target.IsWebTransport ? DatagramCounts.Sum(clients.Select(c => c.Datagrams!)) : null;
                Dictionary<string, double> countersAfter = readCounters is null ? [] : await readCounters();
                await Task.Delay(20); // a receive path that picked up a window just before it closed finishes with it

                var snapshotLatency = new LongHistogram(TimeStamp.Seconds(10), 3);
                var eventLatency = new LongHistogram(TimeStamp.Seconds(10), 3);
                foreach (ClientWindow w in windows)
                {
                    snapshotLatency.Add(w.SnapshotLatency);
                    eventLatency.Add(w.EventLatency);
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
                    Snapshots = windows.Sum(w => w.Snapshots),
                    Events = windows.Sum(w => w.Events),
                    EventsMissed = windows.Sum(w => w.EventsMissed),
                    EventsReordered = windows.Sum(w => w.EventsReordered),
                    EventsMissedSinceJoin = clients.Sum(c => c.EventsMissed),
                    Bytes = windows.Sum(w => w.Bytes),
                    StaleSnapshots = windows.Sum(w => w.StaleSnapshots),
                    TicksSpanned = windows.Sum(w => w.TicksSpanned),
                    Latency = latency,
                    SnapshotLatency = snapshotLatency,
                    EventLatency = eventLatency,
                    Datagrams = datagrams,
                    ServerCounters = readCounters is null ? null : ServerCounters.Difference(countersBefore, countersAfter, server.ShowCounter),
                    CountersBefore = countersBefore,
                    CountersAfter = countersAfter,
                    ProcessCpu = server.Companions.Count == 0 ? [] : [(server.ProcessLabel, mainCpu), .. server.Companions.Select((c, i) => (c.Label, cpu.CompanionSeconds[i]))],
                    ServerCpuSeconds = serverCpu,
                    ClientCpuSeconds = clientCpu,
                    OtherCpuSeconds = otherCpu,
                    SnapshotMessageBytes = clients.Max(c => c.SnapshotMessageBytes),
                    EventMessageBytes = clients.Max(c => c.EventMessageBytes),
                    WireError = clients.Select(c => c.WireError).FirstOrDefault(e => e is not null),
                    FullSnapshots = windows.Sum(w => w.FullSnapshots),
                    FullBytes = windows.Sum(w => w.FullBytes),
                    DeltaSnapshots = windows.Sum(w => w.DeltaSnapshots),
                    DeltaBytes = windows.Sum(w => w.DeltaBytes),
                    Refused = windows.Sum(w => w.Refused),
                    StampMissing = windows.Sum(w => w.StampMissing),
                    Acks = windows.Sum(w => w.Acks),
                    ServerMemoryBytes = serverMemory,
                    JoinFullBytes = clients.Any(c => c.FirstFullBytes > 0) ? clients.Where(c => c.FirstFullBytes > 0).Average(c => c.FirstFullBytes) : double.NaN,
                };
            }
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

    internal static void Report(LoadArguments args, LoadResult r)
    {
        bool wt = r.Datagrams is not null;
        bool floor = r.Carrier == "UDP";
        string room = floor ? "no room" : args.EntityMode ? $"entity room ({args.Entities} entities + stamp, 10 % moving per tick)" : $"one room, {args.Entities} entities";
        Console.WriteLine(string.Create(Inv, $"{r.Target} {r.Carrier} fan-out: {args.Clients} clients, {room}, {args.Rate} Hz, {args.EventsPerTick} events/tick of {args.EventBytes} B, {r.Seconds:F1} s measured"));
        Console.WriteLine(string.Create(Inv, $"  server          {r.Software}, {r.Transport}; {r.ConnectSeconds:F1} s from process start to the last client joined"));
        if (r.FirstWindow is { } f)
        {
            Console.WriteLine(string.Create(Inv, $"  first {f.Seconds:F0} s       (the window right after the last client joined: the warm start)"));
            ReportWindow(args, f, wt, floor, "    ");
            Console.WriteLine(string.Create(Inv, $"  then {r.Seconds:F0} s        (after {args.WarmupSeconds} s more)"));
        }

        ReportWindow(args, r, wt, floor, f: r.FirstWindow is null ? "  " : "    ");
    }

    private static void ReportWindow(LoadArguments args, LoadResult r, bool wt, bool floor, string f)
    {
        Console.WriteLine(string.Create(Inv, $"{f}delivered       {r.MessagesPerSecond,12:N0} msgs/s  (snapshots {r.Snapshots / r.Seconds:N0}/s, events {r.Events / r.Seconds:N0}/s), {r.Bytes / r.Seconds / 1e6:F1} MB/s"));
        Console.WriteLine(string.Create(Inv, $"{f}expected        {args.Clients * args.Rate * (1 + args.EventsPerTick),12:N0} msgs/s  (clients × rate × (1 + events/tick))"));
        string lossKind = wt || floor ? " (datagram loss)" : " (skipped by the latest-wins slot)";
        Console.WriteLine(string.Create(Inv, $"{f}snapshots       {r.Snapshots:N0} received of {r.TicksSpanned:N0} sent (by tick number): {r.SnapshotLoss * 100:F2} % lost{lossKind}, {r.StaleSnapshots:N0} stale (reordered); ticks reached clients at {r.TicksSpanned / r.Seconds / args.Clients:F1}/s of {args.Rate}"));
        if (r.Events > 0)
        {
            Console.WriteLine(string.Create(Inv, $"{f}events          {r.Events:N0} received; {r.EventsMissed:N0} missing by sequence number ({r.EventsMissedSinceJoin:N0} since the clients' first events), {r.EventsReordered:N0} out of order"));
        }

        if (r.EntitySnapshots > 0)
        {
            Console.WriteLine(string.Create(Inv, $"{f}entity snaps    full {r.FullSnapshots:N0} ({r.FullFraction * 100:F2} %, mean {r.MeanFullBytes:F0} B), delta {r.DeltaSnapshots:N0} (mean {r.MeanDeltaBytes:F0} B) per message; the full one after joining {r.JoinFullBytes:F0} B; {r.Refused:N0} refused by the decoder, {r.StampMissing:N0} applied without their tick's stamp, {r.Acks:N0} acks sent"));
        }

        if (r.Datagrams is { } d)
        {
            Console.WriteLine(string.Create(Inv, $"{f}datagrams       {d.Whole:N0} whole, {d.Reassembled:N0} reassembled from fragments, {d.Incomplete:N0} fragmented given up incomplete, {d.QueueDropped:N0} dropped by the clients' receive queues, {d.AcksNotSent:N0} acks not sent; max payload {d.MaxDatagramSize} B"));
        }

        if (r.ServerCounters is not null)
        {
            Console.WriteLine($"{f}server counters {r.ServerCounters}  (its /metrics over the window)");
        }

        string what = floor ? "stamp→receive" : r.EntitySnapshots > 0 ? "tick→apply  " : "tick→receive";
        Console.WriteLine(string.Create(Inv, $"{f}{what}    {Percentiles(r.Latency)}"));
        if (args.EventsPerTick > 0 && !floor)
        {
            Console.WriteLine(string.Create(Inv, $"{f}  snapshots     {Percentiles(r.SnapshotLatency)}{(wt ? "  (datagrams)" : "")}"));
            Console.WriteLine(string.Create(Inv, $"{f}  events        {Percentiles(r.EventLatency)}{(wt ? "  (message stream)" : "")}"));
        }

        Console.WriteLine(string.Create(Inv, $"{f}server CPU      {r.ServerCpuSeconds / r.Seconds * 100:F1} % of one core  ({r.ServerCpuSeconds:F2} s CPU in {r.Seconds:F1} s, {r.ServerCpuUsPerMessage:F2} µs per delivered message; the machine has {Environment.ProcessorCount} cores)"));
        if (r.ProcessCpu.Count > 0)
        {
            Console.WriteLine(string.Create(Inv, $"{f}  by process    {string.Join(", ", r.ProcessCpu.Select(p => $"{p.Label} {p.Seconds / r.Seconds * 100:F1} %"))} of one core"));
        }

        Console.WriteLine(string.Create(Inv, $"{f}server memory   {r.ServerMemoryBytes / 1048576.0:N0} MiB resident at the end of the window ({r.ServerMemoryBytes / 1024.0 / Math.Max(1, args.Clients):N0} KiB per client)"));
        Console.WriteLine(string.Create(Inv, $"{f}load client CPU {r.ClientCpuSeconds / r.Seconds * 100:F1} % of one core  (this process: {args.Clients} clients receiving)"));
        Console.WriteLine(string.Create(Inv, $"{f}other processes {r.OtherCpuSeconds / r.Seconds * 100:F1} % of one core  (the rest of the machine during the window, from /proc/stat; keep it near 0)"));
        string snapshotSize = r.EntitySnapshots > 0 ? $"entity snapshot {r.MeanSnapshotBytes:F0} B mean" : $"snapshot {Size(r.SnapshotMessageBytes)}";
        Console.WriteLine(string.Create(Inv, $"{f}wire            {(floor ? $"datagram {Size(r.SnapshotMessageBytes)}" : $"{snapshotSize}, game event {Size(r.EventMessageBytes)} per message; Engine's codec decodes them: {r.WireError ?? "yes"}")}"));
    }

    internal static string Percentiles(LongHistogram h) =>
        string.Create(Inv, $"p50 {LoadResult.LatencyMs(h, 50):F3} ms   p99 {LoadResult.LatencyMs(h, 99):F3} ms   p99.9 {LoadResult.LatencyMs(h, 99.9):F3} ms   max {LoadResult.LatencyMs(h, 100):F3} ms  ({h.TotalCount:N0} samples)");

    private static string Size(int bytes) => bytes == 0 ? "none seen" : bytes.ToString(Inv) + " B";

    /// <summary>One column per run, then a ratio column per pair (earlier ÷ later: Engine WT/Engine WS, Engine WT/raw UDP, …).</summary>
    private static void ReportComparison(LoadArguments args, List<LoadResult> runs)
    {
        var pairs = new List<(int A, int B)>();
        for (int i = 0; i < runs.Count; i++)
        {
            for (int j = i + 1; j < runs.Count; j++)
            {
                pairs.Add((i, j));
            }
        }

        string names = string.Join(" vs ", runs.Select(r => r.Target));
        Console.WriteLine(string.Create(Inv, $"{names}: same {args.Clients} receivers, {args.Rate} Hz (a tick is {args.PeriodMs:F2} ms), {args.EventsPerTick} events/tick, {args.Seconds} s each{(args.FirstSeconds > 0 ? $" after a first window of {args.FirstSeconds} s" : "")}, run one after the other, each server a fresh process"));
        foreach (LoadResult r in runs)
        {
            Console.WriteLine(string.Create(Inv, $"  {r.Target} transport: {r.Transport}"));
        }

        if (runs.Count == 2 && runs[0].Carrier == runs[1].Carrier && runs[0].Transport.StartsWith("wss", StringComparison.Ordinal) != runs[1].Transport.StartsWith("wss", StringComparison.Ordinal))
        {
            Console.WriteLine("  NOT like for like: only one side pays for TLS, and its CPU figures include it.");
        }

        string header = string.Concat(runs.Select(r => $"{r.Target,12}")) + string.Concat(pairs.Select(p => $"{runs[p.A].Target + "/" + runs[p.B].Target,24}"));
        Console.WriteLine($"  {"",-30}{header}  better");
        bool entity = runs.Any(r => r.EntitySnapshots > 0);
        Row("delivered msgs/s", r => r.MessagesPerSecond, "N0", "higher");
        Row("snapshots lost %", r => r.SnapshotLoss * 100, "F2", "lower");
        if (runs.Any(r => r.Datagrams is not null))
        {
            Row("reassembled from fragments", r => r.Datagrams?.Reassembled ?? 0, "N0", "(context)");
        }

        if (entity)
        {
            Row("bytes per snapshot (mean)", r => r.MeanSnapshotBytes, "F0", "(context)");
            Row("  full snapshots %", r => r.EntitySnapshots > 0 ? r.FullFraction * 100 : double.NaN, "F2", "(context)");
            Row("  full mean bytes (window)", r => r.MeanFullBytes, "F0", "(context)");
            Row("  full bytes after join", r => r.JoinFullBytes, "F0", "(context)");
            Row("  delta mean bytes", r => r.MeanDeltaBytes, "F0", "(context)");
        }

        Row("latency p50 ms", r => r.LatencyMs(50), "F3", "lower");
        Row("latency p99 ms", r => r.LatencyMs(99), "F3", "lower");
        Row("latency p99.9 ms", r => r.LatencyMs(99.9), "F3", "lower");
        Row("latency max ms", r => r.MaxLatencyMs, "F3", "lower");
        if (args.EventsPerTick > 0)
        {
            foreach (double p in (double[])[50, 99, 99.9])
            {
                Row(string.Create(Inv, $"  snapshots p{p} ms"), r => LoadResult.LatencyMs(r.SnapshotLatency, p), "F3", "lower");
            }

            foreach (double p in (double[])[50, 99, 99.9])
            {
                Row(string.Create(Inv, $"  events p{p} ms"), r => LoadResult.LatencyMs(r.EventLatency, p), "F3", "lower");
            }
        }

        Row("server CPU µs / delivered msg", r => r.ServerCpuUsPerMessage, "F2", "lower");
        Row("server CPU % of one core", r => r.ServerCpuSeconds / r.Seconds * 100, "F1", "(context)");
        Row("server memory MiB", r => r.ServerMemoryBytes / 1048576.0, "F0", "lower");
        Row("load client CPU %", r => r.ClientCpuSeconds / r.Seconds * 100, "F1", "(context)");
        Row("other processes CPU %", r => r.OtherCpuSeconds / r.Seconds * 100, "F1", "(noise)");
        if (runs.All(r => r.FirstWindow is not null))
        {
            Row($"first {args.FirstSeconds} s p50 ms", r => r.FirstWindow!.LatencyMs(50), "F3", "lower");
            Row($"first {args.FirstSeconds} s p99 ms", r => r.FirstWindow!.LatencyMs(99), "F3", "lower");
            Row($"first {args.FirstSeconds} s p99.9 ms", r => r.FirstWindow!.LatencyMs(99.9), "F3", "lower");
            Row($"first {args.FirstSeconds} s lost %", r => r.FirstWindow!.SnapshotLoss * 100, "F2", "lower");
            Row($"first {args.FirstSeconds} s server µs/msg", r => r.FirstWindow!.ServerCpuUsPerMessage, "F2", "lower");
            Row($"first {args.FirstSeconds} s other CPU %", r => r.FirstWindow!.OtherCpuSeconds / r.FirstWindow.Seconds * 100, "F1", "(noise)");
        }

        Row("p99 within one tick", r => r.LatencyMs(99) <= args.PeriodMs ? 1 : 0, "F0", "1 = yes");

        void Row(string name, Func<LoadResult, double> value, string format, string better)
        {
            double[] v = [.. runs.Select(value)];
            string cells = string.Concat(v.Select(x => $"{x.ToString(format, Inv),12}"));
            string ratios = string.Concat(pairs.Select(p => $"{(v[p.B] == 0 || double.IsNaN(v[p.B]) || double.IsNaN(v[p.A]) ? "n/a" : (v[p.A] / v[p.B]).ToString("F2", Inv)),24}"));
            Console.WriteLine($"  {name,-30}{cells}{ratios}  {better}");
        }
    }
}
