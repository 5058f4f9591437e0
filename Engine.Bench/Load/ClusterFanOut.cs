using System.Globalization;

namespace Engine.Bench.Load;

/// <summary>
/// <c>Engine.Bench cluster-fanout</c>: one room fanned out to N WebSocket clients across two Engine
/// instances joined by a real nats-server. Instance A owns the bench room; instance B owns nothing
/// (<c>serve --room-owner A</c>). Runs, one after the other and with fresh instances each time, the
/// same load <em>direct</em> (clients on A) and <em>relayed</em> (clients on B, relayed to A over NATS),
/// then <em>raw NATS</em>: the relay's exact traffic published by one NATS.Client.Core publisher
/// process and received by one subscriber here (<see cref="NatsRawLoad"/>), and, for the ceiling, the
/// same publisher flat out. Measuring is <see cref="FanOutLoad.MeasureAsync"/>'s; this adds the
/// processes and the comparison.
/// </summary>
internal static class ClusterFanOut
{
    private const string Owner = "A owner";
    private const string Edge = "B edge";
    private const string Publisher = "publisher";
    private const string Subscriber = "subscriber";
    private const string Nats = "nats-server";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Counters worth a line when they move: Engine's /metrics (ticks skipped, drops, disconnects) and the bus's and relay's losses.</summary>
    private static readonly string[] ProblemCounters =
    [
        "bus_outbound_dropped", "bus_inbound_dropped", "bus_publish_errors", "bus_handler_errors", "bus_refused", "relay_malformed", "slow_consumers", "dropped",
    ];

    public static async Task<int> RunAsync(LoadArguments args)
    {
        if (args.EntityMode)
        {
            throw new ArgumentException("cluster-fanout runs the opaque bench room (BenchRoom) only, like load-ws: leave out --mode entities.");
        }

        using NatsServer nats = await NatsServer.StartAsync(args.NatsServerPath);
        Console.WriteLine(string.Create(Inv, $"cluster-fanout: {nats.Version} on {nats.Url} (JetStream on, store in a temporary folder), cluster \"{nats.Cluster}\"; each run starts its own instances"));
        Console.WriteLine();
        var results = new List<LoadResult>();
        LoadTarget[] targets = [new ClusterTarget(nats, relayed: false), new ClusterTarget(nats, relayed: true), new RawNatsTarget(nats, flatOut: false)];
        foreach (LoadTarget target in targets)
        {
            if (results.Count > 0)
            {
                Console.WriteLine();
                await Task.Delay(TimeSpan.FromSeconds(1)); // let the previous processes' sockets and threads wind down
            }

            LoadResult result = await FanOutLoad.MeasureAsync(args, target);
            if (target is RawNatsTarget)
            {
                result = WithSubscriber(result);
            }

            FanOutLoad.Report(args, result);
            results.Add(result);
        }

        if (args.NatsMaxSeconds > 0)
        {
            Console.WriteLine();
            await Task.Delay(TimeSpan.FromSeconds(1));
            LoadArguments flat = args with { Seconds = args.NatsMaxSeconds, WarmupSeconds = 1, FirstSeconds = 0 };
            LoadResult max = WithSubscriber(await FanOutLoad.MeasureAsync(flat, new RawNatsTarget(nats, flatOut: true)));
            FanOutLoad.Report(flat, max);
            results.Add(max);
        }

        Console.WriteLine();
        ReportComparison(args, nats, results);
        if (args.JsonPath is not null)
        {
            LoadJson.Append(args, results);
            Console.WriteLine($"(results appended to {args.JsonPath})");
        }

        return 0;
    }

    /// <summary>Raw NATS: the subscriber is this process, and it is half of the delivery (as B is when relayed): its CPU counts as the server's.</summary>
    private static LoadResult WithSubscriber(LoadResult r) => r with
    {
        ServerCpuSeconds = r.ServerCpuSeconds + r.ClientCpuSeconds,
        ProcessCpu = [.. r.ProcessCpu, (Subscriber, r.ClientCpuSeconds)],
    };

    private static bool ShowCounter(string key) =>
        key.Contains(" engine_", StringComparison.Ordinal) || ProblemCounters.Any(p => key.EndsWith(" " + p, StringComparison.Ordinal));

    private static async Task<Dictionary<string, double>> ReadCountersAsync(NatsServer nats, params (string Prefix, Func<Task<Dictionary<string, double>>> Read)[] sources)
    {
        Task<Dictionary<string, double>>[] reads = [.. sources.Select(s => s.Read()), nats.VarzAsync()];
        await Task.WhenAll(reads);
        var all = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < reads.Length; i++)
        {
            string prefix = i < sources.Length ? sources[i].Prefix : "nats";
            foreach ((string key, double value) in reads[i].Result)
            {
                all[prefix + " " + key] = value;
            }
        }

        return all;
    }

    private static void ReportComparison(LoadArguments args, NatsServer nats, List<LoadResult> runs)
    {
        LoadResult direct = runs[0];
        LoadResult relayed = runs[1];
        LoadResult raw = runs[2];
        LoadResult? max = runs.Count > 3 ? runs[3] : null;
        Console.WriteLine(string.Create(Inv, $"cluster-fanout: {args.Clients} clients, one room, {args.Rate} Hz (a tick is {args.PeriodMs:F2} ms), {args.EventsPerTick} events/tick of {args.EventBytes} B, {args.Seconds} s each, run one after the other; {nats.Version}"));
        Console.WriteLine("  direct:   WebSocket clients on A, which owns the room");
        Console.WriteLine("  relayed:  WebSocket clients on B; B relays them to A over NATS (relay.in.A), A sends everything for them back (relay.out.B); B writes it to their sockets");
        Console.WriteLine("  raw NATS: one NATS.Client.Core publisher process → nats-server → one subscriber (this process): the relay's frames, sizes, header and count on A's tick schedule");
        if (max is not null)
        {
            Console.WriteLine(string.Create(Inv, $"  NATS max: the same publisher flat out (no tick schedule) for {args.NatsMaxSeconds} s: the ceiling of one publisher → one subscriber with these messages (its latency is queueing)"));
        }

        var columns = new List<LoadResult> { direct, relayed, raw };
        if (max is not null)
        {
            columns.Add(max);
        }

        string header = string.Concat(columns.Select(r => $"{r.Target,12}")) + $"{"relayed/direct",16}{"relayed-direct",16}{"relayed/raw",14}";
        Console.WriteLine($"  {"",-34}{header}");
        double expected = args.Clients * args.Rate * (1.0 + args.EventsPerTick);
        Row("delivered msgs/s", r => r.MessagesPerSecond, "N0", ratio: true, diff: false);
        Row("expected msgs/s", r => r.Target == max?.Target ? double.NaN : expected, "N0", ratio: false, diff: false);
        Row("snapshots lost %", r => r.SnapshotLoss * 100, "F2", ratio: false, diff: true);
        Row("events missing (by sequence)", r => r.EventsMissed, "N0", ratio: false, diff: true);
        Row("  since the clients joined", r => r.EventsMissedSinceJoin, "N0", ratio: false, diff: true);
        Row("latency p50 ms", r => r.LatencyMs(50), "F3", ratio: true, diff: true, skipMax: true);
        Row("latency p99 ms", r => r.LatencyMs(99), "F3", ratio: true, diff: true, skipMax: true);
        Row("latency p99.9 ms", r => r.LatencyMs(99.9), "F3", ratio: true, diff: true, skipMax: true);
        Row("latency max ms", r => r.MaxLatencyMs, "F3", ratio: true, diff: true, skipMax: true);
        if (args.EventsPerTick > 0)
        {
            Row("  snapshots p50 ms", r => LoadResult.LatencyMs(r.SnapshotLatency, 50), "F3", ratio: true, diff: true, skipMax: true);
            Row("  snapshots p99 ms", r => LoadResult.LatencyMs(r.SnapshotLatency, 99), "F3", ratio: true, diff: true, skipMax: true);
            Row("  events p50 ms", r => LoadResult.LatencyMs(r.EventLatency, 50), "F3", ratio: true, diff: true, skipMax: true);
            Row("  events p99 ms", r => LoadResult.LatencyMs(r.EventLatency, 99), "F3", ratio: true, diff: true, skipMax: true);
        }

        Row("server CPU µs / delivered msg", r => r.ServerCpuUsPerMessage, "F2", ratio: true, diff: true);
        Row("  A owner CPU % of one core", r => Percent(r, Owner), "F1", ratio: true, diff: true);
        Row("  B edge CPU %", r => Percent(r, Edge), "F1", ratio: false, diff: false);
        Row("  publisher CPU %", r => Percent(r, Publisher), "F1", ratio: false, diff: false);
        Row("  subscriber CPU %", r => Percent(r, Subscriber), "F1", ratio: false, diff: false);
        Row("nats-server CPU %", r => Percent(r, Nats), "F1", ratio: false, diff: false);
        Row("nats-server CPU µs / msg", r => r.ProcessCpuSeconds(Nats) * 1e6 / r.Messages, "F2", ratio: false, diff: false);
        Row("load clients CPU % (this process)", r => r.Carrier == "NATS" ? double.NaN : r.ClientCpuSeconds / r.Seconds * 100, "F1", ratio: false, diff: false);
        Row("other processes CPU %", r => r.OtherCpuSeconds / r.Seconds * 100, "F1", ratio: false, diff: false);
        Row("A allocated B / delivered msg", r => PerMessage(r, "A alloc_bytes"), "F0", ratio: true, diff: true);
        Row("B allocated B / delivered msg", r => PerMessage(r, "B alloc_bytes"), "F0", ratio: false, diff: false);
        Row("publisher allocated B / msg", r => PerMessage(r, "publisher alloc_bytes"), "F0", ratio: false, diff: false);
        Row("subscriber allocated B / msg", r => PerMessage(r, "subscriber alloc_bytes"), "F0", ratio: false, diff: false);
        Row("GCs A / B / publisher", r => Sum(r, "A gc0", "B gc0", "publisher gc0"), "F0", ratio: false, diff: false);
        Row("NATS msgs published/s (A or pub.)", r => PerSecond(r, r.Carrier == "NATS" ? "publisher published" : "A bus_published"), "N0", ratio: false, diff: false);
        Row("NATS msgs received/s (B or sub.)", r => PerSecond(r, r.Carrier == "NATS" ? "subscriber received" : "B bus_received"), "N0", ratio: false, diff: false);
        Row("nats-server msgs out/s", r => PerSecond(r, "nats out_msgs"), "N0", ratio: false, diff: false);

        Console.WriteLine();
        Console.WriteLine(string.Create(Inv, $"  added latency of a relayed player: p50 {Diff(50)}, p99 {Diff(99)}, p99.9 {Diff(99.9)}"));
        double fanOut = relayed.MessagesPerSecond / raw.MessagesPerSecond;
        Console.WriteLine(string.Create(Inv, $"  cross-instance fan-out, relayed ÷ raw NATS at the same offered load: {relayed.MessagesPerSecond:N0} ÷ {raw.MessagesPerSecond:N0} msgs/s = {fanOut:F2} (goal ≥ 0.8: {(fanOut >= 0.8 ? "met" : "NOT met")})"));
        if (max is not null)
        {
            Console.WriteLine(string.Create(Inv, $"  raw NATS flat out delivered {max.MessagesPerSecond:N0} msgs/s of these messages ({max.SnapshotLoss * 100:F1} % of snapshots lost): the relayed load is {relayed.MessagesPerSecond / max.MessagesPerSecond * 100:F1} % of that ceiling"));
        }

        Console.WriteLine(string.Create(Inv, $"  the relay's CPU: (A + B) relayed − A direct = {relayed.ServerCpuUsPerMessage - direct.ServerCpuUsPerMessage:F2} µs per delivered message; raw NATS publisher + subscriber: {raw.ServerCpuUsPerMessage:F2} µs"));
        Console.WriteLine(string.Create(Inv, $"  server counters (changes in the window): direct: {direct.ServerCounters}; relayed: {relayed.ServerCounters}; raw NATS: {raw.ServerCounters}"));

        string Diff(double p)
        {
            double r = relayed.LatencyMs(p);
            double d = direct.LatencyMs(p);
            return string.Create(Inv, $"{r - d:+0.000;-0.000} ms ({d:F3} → {r:F3}, ×{r / d:F2})");
        }

        void Row(string name, Func<LoadResult, double> value, string format, bool ratio, bool diff, bool skipMax = false)
        {
            double[] v = [.. columns.Select(r => skipMax && ReferenceEquals(r, max) ? double.NaN : value(r))];
            string cells = string.Concat(v.Select(x => $"{Cell(x, format),12}"));
            double d = v[0];
            double rel = v[1];
            double rw = v[2];
            string ratios = $"{(ratio ? Cell(rel / d, "F2") : ""),16}{(diff ? Cell(rel - d, format == "N0" ? "N0" : format) : ""),16}{(ratio ? Cell(rel / rw, "F2") : ""),14}";
            Console.WriteLine($"  {name,-34}{cells}{ratios}");
        }
    }

    private static string Cell(double value, string format) => double.IsFinite(value) ? value.ToString(format, Inv) : "-";

    private static double Percent(LoadResult r, string label) => r.ProcessCpuSeconds(label) / r.Seconds * 100;

    private static double PerMessage(LoadResult r, string counter) => r.CounterDelta(counter) / r.Messages;

    private static double PerSecond(LoadResult r, string counter) => r.CounterDelta(counter) / r.Seconds;

    private static double Sum(LoadResult r, params string[] counters) =>
        counters.Select(r.CounterDelta).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Sum();

    /// <summary>
    /// <c>direct</c> or <c>relayed</c>: fresh instances A (owns every room) and B (<c>--room-owner A</c>)
    /// on the command's NATS; the clients connect to A (direct) or B (relayed). The server CPU is A's
    /// (direct) or A's + B's (relayed); the other instance and nats-server are measured alongside.
    /// </summary>
    private sealed class ClusterTarget(NatsServer nats, bool relayed) : LoadTarget
    {
        public override string Name => relayed ? "relayed" : "direct";

        public override string Carrier => "WebSocket";

        public override ServerUnderTest Start(LoadArguments args)
        {
            string[] common = ["serve", .. args.ToServerArgs(), "--nats-url", nats.Url, "--cluster-name", nats.Cluster];
            BenchProcess a = BenchProcess.Start("A", common);
            BenchProcess b;
            try
            {
                b = BenchProcess.Start("B", [.. common, "--room-owner", a.InstanceId ?? throw new InvalidOperationException("instance A printed no instance id")]);
            }
            catch
            {
                a.Stop();
                throw;
            }

            BenchProcess clientsOn = relayed ? b : a;
            BenchProcess other = relayed ? a : b;
            return new ServerUnderTest("Engine", $"Engine (Kestrel, .NET {Environment.Version}) ×2 on {nats.Version}", clientsOn.Process, new Uri($"wss://{new Uri(clientsOn.Listening).Authority}/ws"), other.Stop)
            {
                ProcessLabel = relayed ? Edge : Owner,
                Companions = [new(relayed ? Owner : Edge, other.Process, Serving: relayed), new(Nats, nats.Process, Serving: false)],
                ReadCounters = () => ReadCountersAsync(
                    nats,
                    ("A", () => ServerCounters.ReadAsync(Metrics(a))),
                    ("B", () => ServerCounters.ReadAsync(Metrics(b))),
                    ("A", a.StatsAsync),
                    ("B", b.StatsAsync)),
                ShowCounter = ShowCounter,
            };
        }

        public override Task<Func<int, Task<LoadClient>>> PrepareClientsAsync(ServerUnderTest server) => EngineWebSocket.PrepareClientsAsync(server);

        public override async Task<string> DescribeTransportAsync(ServerUnderTest server, LoadClient first) =>
            await server.DescribeTransportAsync() + (relayed ? " to B, relayed over NATS to A" : " to A");

        private static Uri Metrics(BenchProcess instance) => new($"https://{new Uri(instance.Listening).Authority}/metrics");
    }

    /// <summary><c>raw NATS</c> (on the tick schedule) or <c>NATS max</c> (flat out): <c>nats-publish</c> → nats-server → <see cref="NatsRawSubscriber"/> here.</summary>
    private sealed class RawNatsTarget(NatsServer nats, bool flatOut) : LoadTarget
    {
        private NatsRawSubscriber? _subscriber;

        public override string Name => flatOut ? "NATS max" : "raw NATS";

        public override string Carrier => "NATS";

        public override ServerUnderTest Start(LoadArguments args)
        {
            _subscriber = null;
            BenchProcess publisher = BenchProcess.Start(Publisher, ["nats-publish", .. args.ToServerArgs(), "--nats-url", nats.Url, "--cluster-name", nats.Cluster, .. (string[])(flatOut ? ["--flat-out"] : [])]);
            return new ServerUnderTest(Name, $"NATS.Client.Core {typeof(NATS.Client.Core.NatsConnection).Assembly.GetName().Version} publisher and subscriber, {nats.Version}", publisher.Process, new Uri("about:blank"), DisposeSubscriber)
            {
                ProcessLabel = Publisher,
                Companions = [new(Nats, nats.Process, Serving: false)],
                ReadCounters = () => ReadCountersAsync(nats, (Publisher, publisher.StatsAsync), (Subscriber, SubscriberCounters)),
                ShowCounter = ShowCounter,
            };
        }

        public override async Task<Func<int, Task<LoadClient>>> PrepareClientsAsync(ServerUnderTest server)
        {
            NatsRawSubscriber subscriber = await NatsRawSubscriber.StartAsync(nats.Url, NatsRawLoad.Subject(nats.Cluster));
            _subscriber = subscriber;
            return i => Task.FromResult(subscriber.Client(i));
        }

        public override Task<string> DescribeTransportAsync(ServerUnderTest server, LoadClient first) =>
            Task.FromResult($"{nats.Url}, subject {NatsRawLoad.Subject(nats.Cluster)}: one publisher process ({(flatOut ? "flat out" : "on the tick schedule")}), one subscription in this process, plain TCP");

        private Task<Dictionary<string, double>> SubscriberCounters() =>
            Task.FromResult(_subscriber is { } s
                ? new Dictionary<string, double> { ["received"] = s.Received, ["dropped"] = s.Dropped, ["alloc_bytes"] = GC.GetTotalAllocatedBytes(precise: false) }
                : []);

        private void DisposeSubscriber() => _subscriber?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
