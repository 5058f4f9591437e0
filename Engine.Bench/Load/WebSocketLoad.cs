using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Engine.Protocol;
using HdrHistogram;

namespace Engine.Bench.Load;

/// <summary>
/// <c>Engine.Bench load-ws</c>: N real WebSocket clients join one room of a separate Engine server
/// process; reports delivered messages/s, tick-to-receive latency percentiles and the server's CPU.
/// </summary>
internal static class WebSocketLoad
{
    // Snapshot: type, header, tick u32, lastInput u32, serverTime i64, state length i32 → state at 22.
    // GameEvent: type, header, sequence i64, playerId i32, kind i32, data length i32 → data at 22.
    private const int StampOffset = 22;

    public static async Task<int> RunAsync(LoadArguments args)
    {
        using Process server = StartServer(args, out Uri baseAddress);
        try
        {
            var uri = new Uri($"wss://{baseAddress.Authority}/ws");
            var clients = new LoadClient[args.Clients];
            for (int i = 0; i < clients.Length; i++)
            {
                clients[i] = await LoadClient.ConnectAsync(uri, i);
            }

            await Task.Delay(TimeSpan.FromSeconds(args.WarmupSeconds));
            foreach (LoadClient c in clients)
            {
                c.Measuring = true;
            }

            server.Refresh();
            TimeSpan cpuStart = server.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(args.Seconds));
            foreach (LoadClient c in clients)
            {
                c.Measuring = false;
            }

            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            server.Refresh();
            double cpu = (server.TotalProcessorTime - cpuStart).TotalSeconds;
            Report(args, clients, elapsed, cpu);
            foreach (LoadClient c in clients)
            {
                await c.DisposeAsync();
            }

            return 0;
        }
        finally
        {
            server.StandardInput.Close();
            if (!server.WaitForExit(5_000))
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    private static Process StartServer(LoadArguments args, out Uri baseAddress)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (!Environment.ProcessPath!.EndsWith("Engine.Bench", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(WebSocketLoad).Assembly.Location); // running under `dotnet Engine.Bench.dll`
        }

        start.ArgumentList.Add("serve");
        foreach (string a in args.ToServerArgs())
        {
            start.ArgumentList.Add(a);
        }

        Process server = Process.Start(start) ?? throw new InvalidOperationException("could not start the bench server");
        string? line;
        while ((line = server.StandardOutput.ReadLine()) is not null && !line.StartsWith("listening ", StringComparison.Ordinal))
        {
        }

        baseAddress = new Uri(line?["listening ".Length..] ?? throw new InvalidOperationException("the bench server exited before listening"));
        return server;
    }

    private static void Report(LoadArguments args, LoadClient[] clients, double seconds, double cpuSeconds)
    {
        var histogram = new LongHistogram(TimeStamp.Seconds(10), 3);
        long snapshots = 0, events = 0, bytes = 0;
        foreach (LoadClient c in clients)
        {
            histogram.Add(c.Latency);
            snapshots += c.Snapshots;
            events += c.Events;
            bytes += c.Bytes;
        }

        double ms(double percentile) => histogram.GetValueAtPercentile(percentile) / OutputScalingFactor.TimeStampToMilliseconds;
        CultureInfo inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"Engine WebSocket fan-out: {args.Clients} clients, one room, {args.Rate} Hz, {args.Entities} entities, {args.EventsPerTick} events/tick of {args.EventBytes} B, {seconds:F1} s measured"));
        Console.WriteLine(string.Create(inv, $"  delivered       {(snapshots + events) / seconds,12:N0} msgs/s  (snapshots {snapshots / seconds:N0}/s, events {events / seconds:N0}/s), {bytes / seconds / 1e6:F1} MB/s"));
        Console.WriteLine(string.Create(inv, $"  expected        {args.Clients * args.Rate * (1 + args.EventsPerTick),12:N0} msgs/s  (clients × rate × (1 + events/tick))"));
        Console.WriteLine(string.Create(inv, $"  tick→receive    p50 {ms(50):F3} ms   p99 {ms(99):F3} ms   p99.9 {ms(99.9):F3} ms   max {histogram.GetMaxValue() / OutputScalingFactor.TimeStampToMilliseconds:F3} ms  ({histogram.TotalCount:N0} samples)"));
        Console.WriteLine(string.Create(inv, $"  server CPU      {cpuSeconds / seconds * 100:F1} % of one core  ({cpuSeconds:F2} s CPU in {seconds:F1} s; the machine has {Environment.ProcessorCount} cores)"));
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
                    }

                    if (Stopwatch.GetElapsedTime(lastPing, now) > TimeSpan.FromSeconds(5))
                    {
                        lastPing = now;
                        await _socket.SendAsync(ping, WebSocketMessageType.Binary, true, _stop.Token); // presence heartbeat
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
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
