using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace Engine.Bench.Load;

/// <summary>
/// <c>Engine.Bench datagram-echo [--stack udp|quic|wt] [--compare]</c>: datagram round trips
/// between this process and an echo server in its own process (<see cref="DatagramEchoServer"/>),
/// over raw UDP (the machine's floor), Engine's QUIC API, or a WebTransport session. Reports RTT
/// percentiles for the first seconds after the connection opened and for a later measured window,
/// round trips/s, server and client CPU per round trip, and the rest of the machine's CPU;
/// <c>--compare</c> runs all three stacks with the same parameters and prints ratios against udp.
/// </summary>
internal static class DatagramEcho
{
    private const string ServeCommand = "datagram-echo-serve";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A ping with no echo after this long is counted lost and sent again (new sequence number).</summary>
    private static readonly TimeSpan LossTimeout = TimeSpan.FromSeconds(1);

    /// <summary>No echo at all for this long fails the stack.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(15);

    public static Task<int> ServeAsync(string[] args) => DatagramEchoServer.RunAsync(args);

    public static async Task<int> RunAsync(DatagramEchoArguments args)
    {
        (string? serverCpus, string pinning) = Pin(args);
        var results = new List<EchoResult>();
        foreach (string stack in args.StacksToRun)
        {
            if (results.Count > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1)); // let the previous server's sockets and threads wind down
            }

            if (args.WaitQuietSeconds > 0)
            {
                double busy = await MachineCpu.WaitForQuietAsync(args.WaitQuietSeconds);
                Console.WriteLine(string.Create(Inv, $"(machine before starting {stack}: {busy:F0} % of one core busy in the last second)"));
            }

            EchoResult result = await MeasureAsync(args, stack, serverCpus, pinning);
            Report(args, result);
            Console.WriteLine();
            results.Add(result);
        }

        if (results.Count > 1)
        {
            ReportComparison(args, results);
        }

        return 0;
    }

    /// <summary>With <c>--pin</c>: the server on CPU 0 (started under taskset), this process's threads on CPU 1.</summary>
    private static (string? ServerCpus, string Pinning) Pin(DatagramEchoArguments args)
    {
        if (!args.Pin)
        {
            return (null, "not pinned");
        }

        string? taskset = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "taskset")).FirstOrDefault(File.Exists);
        if (taskset is null || Environment.ProcessorCount < 2)
        {
            return (null, taskset is null ? "not pinned: no taskset on PATH" : "not pinned: one CPU");
        }

        using Process self = Process.Start(new ProcessStartInfo(taskset, ["-a", "-p", "-c", "1", Environment.ProcessId.ToString(Inv)]) { RedirectStandardOutput = true })!;
        self.WaitForExit();
        return ("0", "pinned with taskset: server -c 0, client -a -p -c 1");
    }

    private static async Task<EchoResult> MeasureAsync(DatagramEchoArguments args, string stack, string? serverCpus, string pinning)
    {
        using var server = new ServerUnderTest(stack, $".NET {Environment.Version}", ServerUnderTest.StartBench([ServeCommand, "--stack", stack], serverCpus), new Uri("about:blank"));
        string[] listening = ServerUnderTest.ReadListeningLine(server.Process, $"the {stack} echo server").Split(' ');
        var address = new Uri(listening[1]);
        byte[]? hash = listening.Length > 2 ? Convert.FromHexString(listening[2]) : null;

        long connecting = Stopwatch.GetTimestamp();
        await using DatagramEchoChannel channel = await DatagramEchoChannel.ConnectAsync(stack, address, hash);
        double connectMs = Stopwatch.GetElapsedTime(connecting).TotalMilliseconds;
        var pinger = new Pinger(args, channel, server.Process);
        await Task.Factory.StartNew(pinger.RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        return new EchoResult(
            stack,
            channel.Description,
            server.Process.Id,
            string.Create(Inv, $"{pinning}; server CPUs {AllowedCpus(server.Process.Id)}, client CPUs {AllowedCpus(Environment.ProcessId)}"),
            connectMs,
            pinger.First,
            pinger.Measured!,
            pinger.Lost,
            pinger.MeasuredStartSeconds,
            pinger.MeasuredStartRoundTrips);
    }

    private static string AllowedCpus(int pid)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            return line?["Cpus_allowed_list:".Length..].Trim() ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>What one window saw: RTTs in Stopwatch ticks, how long it lasted, and the CPU spent in it.</summary>
    internal sealed record Window(LongHistogram Rtt, long RoundTrips, double Seconds, double ServerCpu, double ClientCpu, double OtherCpu)
    {
        public double RoundTripsPerSecond => RoundTrips / Seconds;

        public double ServerCpuMicrosPerRoundTrip => ServerCpu * 1e6 / RoundTrips;

        public double ClientCpuMicrosPerRoundTrip => ClientCpu * 1e6 / RoundTrips;

        public double OtherCpuPercent => OtherCpu / Seconds * 100;

        public double Micros(double percentile) => Rtt.TotalCount == 0 ? double.NaN : Rtt.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency;
    }

    /// <summary>One stack's run: what carried it, where the processes ran, the two windows, and pings resent.</summary>
    internal sealed record EchoResult(
        string Stack, string Description, int ServerPid, string Placement, double ConnectMs,
        Window? First, Window Measured, long Lost, double StartedAfterSeconds, long StartedAfterRoundTrips);

    /// <summary>
    /// Keeps <c>--concurrency</c> pings outstanding, each in a slot: a ping carries its send time,
    /// slot and sequence number; its echo is timed and the slot's next ping sent at once. The
    /// first window is every round trip that completed in the first <c>--first-seconds</c> after
    /// the connection opened; the measured one the <c>--count</c> after both it and
    /// <c>--warmup</c> round trips. A timer resends a slot's ping after <see cref="LossTimeout"/>.
    /// </summary>
    private sealed class Pinger(DatagramEchoArguments args, DatagramEchoChannel channel, Process server)
    {
        private readonly Lock _gate = new();
        private readonly byte[][] _payloads = [.. Enumerable.Range(0, args.Concurrency).Select(_ => new byte[args.Size])];
        private readonly long[] _sentAt = new long[args.Concurrency];
        private readonly int[] _sequence = new int[args.Concurrency];
        private readonly CancellationTokenSource _stalled = new();
        private long _lastEcho;

        public Window? First { get; private set; }

        public Window? Measured { get; private set; }

        public long Lost { get; private set; }

        public double MeasuredStartSeconds { get; private set; }

        public long MeasuredStartRoundTrips { get; private set; }

        public async Task RunAsync()
        {
            byte[] received = new byte[65536];
            long firstEnds = Stopwatch.GetTimestamp() + (long)(args.FirstSeconds * (double)Stopwatch.Frequency);
            long opened = Stopwatch.GetTimestamp();
            var first = new LongHistogram(TimeStamp.Seconds(10), 3);
            var measured = new LongHistogram(TimeStamp.Seconds(10), 3);
            CpuWindow cpu = CpuWindow.Start(server);
            bool inFirst = args.FirstSeconds > 0;
            bool inMeasured = false;
            long total = 0;
            long windowStart = opened;
            _lastEcho = opened;
            using var watchdog = new Timer(_ => ResendStale(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
            for (int slot = 0; slot < args.Concurrency; slot++)
            {
                SendNext(slot);
            }

            while (true)
            {
                int length = await channel.ReceiveAsync(received, _stalled.Token);
                long now = Stopwatch.GetTimestamp();
                if (length != args.Size)
                {
                    if (length >= 0)
                    {
                        throw new InvalidOperationException($"echo of {length} bytes, expected {args.Size}");
                    }

                    continue; // udp receive timeout: the watchdog decides what is lost
                }

                long stamp = BinaryPrimitives.ReadInt64LittleEndian(received);
                int slot = BinaryPrimitives.ReadInt32LittleEndian(received.AsSpan(8));
                int sequence = BinaryPrimitives.ReadInt32LittleEndian(received.AsSpan(12));
                if ((uint)slot >= (uint)args.Concurrency || !IsCurrent(slot, sequence))
                {
                    continue; // the late echo of a ping already counted lost
                }

                Volatile.Write(ref _lastEcho, now);
                total++;
                long rtt = now - stamp;
                if (inFirst)
                {
                    if (now < firstEnds)
                    {
                        first.RecordValue(rtt);
                    }
                    else
                    {
                        (double s, double c, double o) = cpu.Stop();
                        First = new Window(first, first.TotalCount, Seconds(opened, now), s, c, o);
                        inFirst = false;
                    }
                }

                if (inMeasured)
                {
                    measured.RecordValue(rtt);
                    if (measured.TotalCount == args.Count)
                    {
                        (double s, double c, double o) = cpu.Stop();
                        Measured = new Window(measured, measured.TotalCount, Seconds(windowStart, Stopwatch.GetTimestamp()), s, c, o);
                        return;
                    }
                }
                else if (!inFirst && total >= args.Warmup)
                {
                    // Between this echo and the next ping: the accounting is in no round trip.
                    inMeasured = true;
                    MeasuredStartSeconds = Seconds(opened, now);
                    MeasuredStartRoundTrips = total;
                    cpu = CpuWindow.Start(server);
                    windowStart = Stopwatch.GetTimestamp();
                }

                SendNext(slot);
            }
        }

        private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

        private bool IsCurrent(int slot, int sequence)
        {
            lock (_gate)
            {
                return _sequence[slot] == sequence;
            }
        }

        private void SendNext(int slot)
        {
            lock (_gate)
            {
                byte[] payload = _payloads[slot];
                int sequence = ++_sequence[slot];
                BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(8), slot);
                BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(12), sequence);
                long now = Stopwatch.GetTimestamp();
                BinaryPrimitives.WriteInt64LittleEndian(payload, now);
                _sentAt[slot] = now;
                channel.Send(payload);
            }
        }

        /// <summary>Timer thread: resends every ping older than <see cref="LossTimeout"/>; cancels the receive when nothing came back for <see cref="StallTimeout"/>.</summary>
        private void ResendStale()
        {
            long now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(Volatile.Read(ref _lastEcho), now) > StallTimeout)
            {
                _stalled.Cancel();
                return;
            }

            for (int slot = 0; slot < args.Concurrency; slot++)
            {
                bool stale;
                lock (_gate)
                {
                    stale = Stopwatch.GetElapsedTime(_sentAt[slot], now) > LossTimeout;
                    if (stale)
                    {
                        Lost++;
                    }
                }

                if (stale)
                {
                    SendNext(slot);
                }
            }
        }
    }

    private static void Report(DatagramEchoArguments args, EchoResult r)
    {
        Console.WriteLine(string.Create(Inv, $"{r.Stack} datagram echo: {args.Size} B datagrams, {args.Concurrency} outstanding, 127.0.0.1, server in its own process (pid {r.ServerPid}), connected in {r.ConnectMs:F1} ms"));
        Console.WriteLine($"  stack           {r.Description}");
        Console.WriteLine($"  placement       {r.Placement}; the machine has {Environment.ProcessorCount} CPUs");
        if (r.First is { } f)
        {
            Console.WriteLine(string.Create(Inv, $"  {"first " + args.FirstSeconds.ToString(Inv) + " s",-16}{Percentiles(f)}  (from the first ping, {f.RoundTrips:N0} round trips, {f.RoundTripsPerSecond:N0}/s)"));
            Console.WriteLine(string.Create(Inv, $"                  server CPU {f.ServerCpuMicrosPerRoundTrip:F1} µs/rt, client CPU {f.ClientCpuMicrosPerRoundTrip:F1} µs/rt, other processes {f.OtherCpuPercent:F1} % of one core"));
        }

        Window m = r.Measured;
        Console.WriteLine(string.Create(Inv, $"  measured        {Percentiles(m)}  ({m.RoundTrips:N0} round trips after {r.StartedAfterRoundTrips:N0} and {r.StartedAfterSeconds:F1} s, {m.Seconds:F2} s)"));
        Console.WriteLine(string.Create(Inv, $"  round trips/s   {m.RoundTripsPerSecond:N0}"));
        Console.WriteLine(string.Create(Inv, $"  server CPU      {m.ServerCpuMicrosPerRoundTrip:F1} µs per round trip  ({m.ServerCpu / m.Seconds * 100:F1} % of one core; Process.TotalProcessorTime of the server process)"));
        Console.WriteLine(string.Create(Inv, $"  client CPU      {m.ClientCpuMicrosPerRoundTrip:F1} µs per round trip  ({m.ClientCpu / m.Seconds * 100:F1} % of one core; this process)"));
        Console.WriteLine(string.Create(Inv, $"  other processes {m.OtherCpuPercent:F1} % of one core  (the rest of the machine in the window, from /proc/stat; keep it near 0)"));
        Console.WriteLine(string.Create(Inv, $"  lost            {r.Lost:N0} pings without an echo within {LossTimeout.TotalSeconds:F0} s (resent)"));
    }

    private static string Percentiles(Window w) =>
        string.Create(Inv, $"p50 {w.Micros(50),7:F1} µs  p99 {w.Micros(99),7:F1} µs  p99.9 {w.Micros(99.9),8:F1} µs  max {w.Micros(100),8:F1} µs");

    private static void ReportComparison(DatagramEchoArguments args, List<EchoResult> results)
    {
        EchoResult floor = results[0];
        List<EchoResult> others = results.Skip(1).ToList();
        Console.WriteLine(string.Create(Inv,
            $"datagram-echo --compare: {args.Size} B, {args.Concurrency} outstanding, first {args.FirstSeconds} s, then {args.Count:N0} measured round trips after {args.Warmup:N0}; {floor.Placement}"));
        string header = $"  {"",-30}" + string.Concat(results.Select(r => $"{r.Stack,10}")) + string.Concat(others.Select(o => $"{o.Stack + "/" + floor.Stack,14}"));
        Console.WriteLine(header);
        Row("RTT p50 µs", r => r.Measured.Micros(50), "F1");
        Row("RTT p99 µs", r => r.Measured.Micros(99), "F1");
        Row("RTT p99.9 µs", r => r.Measured.Micros(99.9), "F1");
        Row("RTT max µs", r => r.Measured.Micros(100), "F1");
        Row("round trips/s", r => r.Measured.RoundTripsPerSecond, "N0");
        Row("server CPU µs/rt", r => r.Measured.ServerCpuMicrosPerRoundTrip, "F1");
        Row("client CPU µs/rt", r => r.Measured.ClientCpuMicrosPerRoundTrip, "F1");
        Row("other processes CPU %", r => r.Measured.OtherCpuPercent, "F1", ratio: false);
        if (args.FirstSeconds > 0)
        {
            string first = string.Create(Inv, $"first {args.FirstSeconds} s ");
            Row(first + "p50 µs", r => r.First?.Micros(50) ?? double.NaN, "F1");
            Row(first + "p99 µs", r => r.First?.Micros(99) ?? double.NaN, "F1");
            Row(first + "p99.9 µs", r => r.First?.Micros(99.9) ?? double.NaN, "F1");
            Row(first + "server CPU µs/rt", r => r.First?.ServerCpuMicrosPerRoundTrip ?? double.NaN, "F1");
            Row(first + "other CPU %", r => r.First?.OtherCpuPercent ?? double.NaN, "F1", ratio: false);
        }

        Row("lost pings", r => r.Lost, "N0", ratio: false);

        void Row(string name, Func<EchoResult, double> value, string format, bool ratio = true)
        {
            double baseline = value(floor);
            string cells = string.Concat(results.Select(r => $"{value(r).ToString(format, Inv),10}"));
            string ratios = string.Concat(others.Select(o => $"{(ratio && baseline > 0 ? (value(o) / baseline).ToString("F2", Inv) : ""),14}"));
            Console.WriteLine($"  {name,-30}{cells}{ratios}");
        }
    }
}
