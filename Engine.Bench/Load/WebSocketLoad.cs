using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Engine.Protocol;
using HdrHistogram;

namespace Engine.Bench.Load;

/// <summary>
/// <c>Engine.Bench load-ws</c>: N real WebSocket clients join one room of a separate server process
/// (Engine, or with <c>--baseline node-ws</c> a Node <c>ws</c> server; <c>--compare</c> runs both)
/// and report delivered messages/s, tick-to-receive latency percentiles and the server's CPU.
/// </summary>
internal static class WebSocketLoad
{
    // Snapshot: type, header, tick u32, lastInput u32, serverTime i64, state length i32 → state at 22.
    // GameEvent: type, header, sequence i64, playerId i32, kind i32, data length i32 → data at 22.
    private const int StampOffset = 22;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(LoadArguments args)
    {
        if (!args.Compare)
        {
            LoadResult only = args.Baseline is null
                ? await MeasureAsync(args, ServerUnderTest.StartEngine)
                : await MeasureAsync(args, NodeWsBaseline.Start);
            Report(args, only);
            return 0;
        }

        LoadResult engine = await MeasureAsync(args, ServerUnderTest.StartEngine);
        Report(args, engine);
        Console.WriteLine();
        await Task.Delay(TimeSpan.FromSeconds(1)); // let the first server's sockets and threads wind down
        LoadResult baseline = await MeasureAsync(args, NodeWsBaseline.Start);
        Report(args, baseline);
        Console.WriteLine();
        ReportComparison(args, engine, baseline);
        return 0;
    }

    private static async Task<LoadResult> MeasureAsync(LoadArguments args, Func<LoadArguments, ServerUnderTest> start)
    {
        using ServerUnderTest server = start(args);
        string transport = await server.DescribeTransportAsync();
        var clients = new LoadClient[args.Clients];
        try
        {
            for (int i = 0; i < clients.Length; i++)
            {
                clients[i] = await LoadClient.ConnectAsync(server.WebSocketUri, i);
            }

            await Task.Delay(TimeSpan.FromSeconds(args.WarmupSeconds));
            foreach (LoadClient c in clients)
            {
                c.Measuring = true;
            }

            using var self = Process.GetCurrentProcess();
            server.Process.Refresh();
            TimeSpan serverCpuStart = server.Process.TotalProcessorTime;
            TimeSpan clientCpuStart = self.TotalProcessorTime;
            double machineCpuStart = MachineCpu.BusySeconds();
            long startedAt = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(args.Seconds));
            foreach (LoadClient c in clients)
            {
                c.Measuring = false;
            }

            double elapsed = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
            server.Process.Refresh();
            self.Refresh();
            double serverCpu = (server.Process.TotalProcessorTime - serverCpuStart).TotalSeconds;
            double clientCpu = (self.TotalProcessorTime - clientCpuStart).TotalSeconds;
            double otherCpu = Math.Max(0, MachineCpu.BusySeconds() - machineCpuStart - serverCpu - clientCpu);

            var latency = new LongHistogram(TimeStamp.Seconds(10), 3);
            long snapshots = 0, events = 0, bytes = 0;
            foreach (LoadClient c in clients)
            {
                latency.Add(c.Latency);
                snapshots += c.Snapshots;
                events += c.Events;
                bytes += c.Bytes;
            }

            return new LoadResult
            {
                Target = server.Name,
                Software = server.Software,
                Transport = transport,
                Seconds = elapsed,
                Snapshots = snapshots,
                Events = events,
                Bytes = bytes,
                Latency = latency,
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
        Console.WriteLine(string.Create(Inv, $"{r.Target} WebSocket fan-out: {args.Clients} clients, one room, {args.Rate} Hz, {args.Entities} entities, {args.EventsPerTick} events/tick of {args.EventBytes} B, {r.Seconds:F1} s measured"));
        Console.WriteLine(string.Create(Inv, $"  server          {r.Software}, {r.Transport}"));
        Console.WriteLine(string.Create(Inv, $"  delivered       {r.MessagesPerSecond,12:N0} msgs/s  (snapshots {r.Snapshots / r.Seconds:N0}/s, events {r.Events / r.Seconds:N0}/s), {r.Bytes / r.Seconds / 1e6:F1} MB/s"));
        Console.WriteLine(string.Create(Inv, $"  expected        {args.Clients * args.Rate * (1 + args.EventsPerTick),12:N0} msgs/s  (clients × rate × (1 + events/tick))"));
        Console.WriteLine(string.Create(Inv, $"  tick→receive    p50 {r.LatencyMs(50):F3} ms   p99 {r.LatencyMs(99):F3} ms   p99.9 {r.LatencyMs(99.9):F3} ms   max {r.MaxLatencyMs:F3} ms  ({r.Latency.TotalCount:N0} samples)"));
        Console.WriteLine(string.Create(Inv, $"  server CPU      {r.ServerCpuSeconds / r.Seconds * 100:F1} % of one core  ({r.ServerCpuSeconds:F2} s CPU in {r.Seconds:F1} s, {r.ServerCpuMsPer100k:F0} ms per 100k msgs; the machine has {Environment.ProcessorCount} cores)"));
        Console.WriteLine(string.Create(Inv, $"  load client CPU {r.ClientCpuSeconds / r.Seconds * 100:F1} % of one core  (this process: {args.Clients} clients receiving)"));
        Console.WriteLine(string.Create(Inv, $"  other processes {r.OtherCpuSeconds / r.Seconds * 100:F1} % of one core  (the rest of the machine during the window, from /proc/stat; keep it near 0)"));
        Console.WriteLine(string.Create(Inv, $"  wire            snapshot {Size(r.SnapshotMessageBytes)}, game event {Size(r.EventMessageBytes)} per message; Engine's codec decodes them: {r.WireError ?? "yes"}"));
    }

    private static string Size(int bytes) => bytes == 0 ? "none seen" : bytes.ToString(Inv) + " B";

    private static void ReportComparison(LoadArguments args, LoadResult engine, LoadResult baseline)
    {
        string b = baseline.Target;
        Console.WriteLine(string.Create(Inv, $"Engine vs {b} ({baseline.Software}): same {args.Clients} clients, {args.Rate} Hz, {args.EventsPerTick} events/tick, {args.Seconds} s each, run one after the other"));
        Console.WriteLine(string.Create(Inv, $"  Engine transport:   {engine.Transport}"));
        Console.WriteLine(string.Create(Inv, $"  {b} transport: {baseline.Transport}"));
        if (engine.Transport.StartsWith("wss", StringComparison.Ordinal) != baseline.Transport.StartsWith("wss", StringComparison.Ordinal))
        {
            Console.WriteLine("  NOT like for like: only one side pays for TLS, and its CPU figures include it.");
        }

        Console.WriteLine(string.Create(Inv, $"  {"",-28}{"Engine",12}{b,12}{"Engine/" + b,16}  better"));
        Row("delivered msgs/s", engine.MessagesPerSecond, baseline.MessagesPerSecond, "N0", "higher");
        Row("latency p50 ms", engine.LatencyMs(50), baseline.LatencyMs(50), "F3", "lower");
        Row("latency p99 ms", engine.LatencyMs(99), baseline.LatencyMs(99), "F3", "lower");
        Row("latency p99.9 ms", engine.LatencyMs(99.9), baseline.LatencyMs(99.9), "F3", "lower");
        Row("server CPU ms / 100k msgs", engine.ServerCpuMsPer100k, baseline.ServerCpuMsPer100k, "F0", "lower");
        Row("server CPU % of one core", engine.ServerCpuSeconds / engine.Seconds * 100, baseline.ServerCpuSeconds / baseline.Seconds * 100, "F1", "(context)");
        Row("load client CPU %", engine.ClientCpuSeconds / engine.Seconds * 100, baseline.ClientCpuSeconds / baseline.Seconds * 100, "F1", "(context)");
        Row("other processes CPU %", engine.OtherCpuSeconds / engine.Seconds * 100, baseline.OtherCpuSeconds / baseline.Seconds * 100, "F1", "(noise)");

        static void Row(string name, double engine, double baseline, string format, string better)
        {
            string e = engine.ToString(format, Inv);
            string n = baseline.ToString(format, Inv);
            string ratio = baseline == 0 ? "n/a" : (engine / baseline).ToString("F2", Inv);
            Console.WriteLine($"  {name,-28}{e,12}{n,12}{ratio,16}  {better}");
        }
    }

    private sealed class LoadClient : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly Task _reader;
        private readonly CancellationTokenSource _stop = new();

        private LoadClient(ClientWebSocket socket)
        {
            _socket = socket;
            _reader = Task.Run(ReadAsync);
        }

        public volatile bool Measuring;

        public LongHistogram Latency { get; } = new(TimeStamp.Seconds(10), 3);

        public long Snapshots { get; private set; }

        public long Events { get; private set; }

        public long Bytes { get; private set; }

        public int SnapshotMessageBytes { get; private set; }

        public int EventMessageBytes { get; private set; }

        public string? WireError { get; private set; }

        public static async Task<LoadClient> ConnectAsync(Uri uri, int index)
        {
            var socket = new ClientWebSocket();
            socket.Options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
            await socket.ConnectAsync(uri, CancellationToken.None);
            await socket.SendAsync(MessageCodec.ToArray(new HelloMessage { ProtocolVersion = ProtocolInfo.Version }), WebSocketMessageType.Binary, true, CancellationToken.None);
            await socket.SendAsync(MessageCodec.ToArray(new JoinMessage { Room = "bench", Name = "c" + index.ToString(CultureInfo.InvariantCulture) }), WebSocketMessageType.Binary, true, CancellationToken.None);
            return new LoadClient(socket);
        }

        private async Task ReadAsync()
        {
            byte[] buffer = new byte[1 << 20];
            long lastPing = Stopwatch.GetTimestamp();
            byte[] ping = MessageCodec.ToArray(new PingMessage());
            try
            {
                while (true)
                {
                    int length = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await _socket.ReceiveAsync(buffer.AsMemory(length), _stop.Token);
                        length += result.Count;
                    }
                    while (!result.EndOfMessage);

                    long now = Stopwatch.GetTimestamp();
                    var type = (MessageType)buffer[0];
                    if ((type == MessageType.Snapshot || type == MessageType.GameEvent) && length >= StampOffset + 8)
                    {
                        if (Measuring)
                        {
                            long stamp = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(StampOffset));
                            Latency.RecordValue(Math.Max(0, now - stamp)); // Stopwatch ticks
                            if (type == MessageType.Snapshot)
                            {
                                Snapshots++;
                            }
                            else
                            {
                                Events++;
                            }

                            Bytes += length;
                        }

                        CheckWireFormat(type, buffer.AsSpan(0, length));
                    }

                    if (Stopwatch.GetElapsedTime(lastPing, now) > TimeSpan.FromSeconds(5))
                    {
                        lastPing = now;
                        await _socket.SendAsync(ping, WebSocketMessageType.Binary, true, _stop.Token); // presence heartbeat
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        // The first snapshot and the first event of each client go through Engine's own decoder,
        // so a baseline that drifts from the wire format fails loudly instead of measuring garbage.
        private void CheckWireFormat(MessageType type, ReadOnlySpan<byte> message)
        {
            if (type == MessageType.Snapshot ? SnapshotMessageBytes != 0 : EventMessageBytes != 0)
            {
                return;
            }

            try
            {
                if (type == MessageType.Snapshot)
                {
                    MessageCodec.Read<SnapshotMessage>(message);
                    SnapshotMessageBytes = message.Length;
                }
                else
                {
                    MessageCodec.Read<GameEventMessage>(message);
                    EventMessageBytes = message.Length;
                }
            }
            catch (ProtocolException ex)
            {
                WireError ??= "NO: " + ex.Message;
                if (type == MessageType.Snapshot)
                {
                    SnapshotMessageBytes = message.Length;
                }
                else
                {
                    EventMessageBytes = message.Length;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Abort();
            await _reader;
            _socket.Dispose();
            _stop.Dispose();
        }
    }
}
