using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using Engine.Bench.Load;

// Load scenarios: dotnet run -c Release --project Engine.Bench -- load-ws [--clients 100] [--rate 30] [--compare] ... (Load/README.md)
//                 dotnet run -c Release --project Engine.Bench -- load-wt [--clients 100] [--rate 30] [--compare ws] ...
//                 ... --mode entities|opaque --first-seconds 10 --udp-floor --json results.json
// Across two instances over NATS: dotnet run -c Release --project Engine.Bench -- cluster-fanout [--clients 100] [--rate 30] [--events-per-tick 2] ... (Load/README.md)
// Chart of --json results: dotnet run -c Release --project Engine.Bench -- chart results.json docs/benchmarks-latency.png
// Datagram round trips vs raw UDP: dotnet run -c Release --project Engine.Bench -- datagram-echo [--stack udp|quic|wt] [--compare] [--pin] ...
// HTTP/3 bulk vs ngtcp2: dotnet run -c Release --project Engine.Bench -- h3-bulk [--megabytes 100] [--runs 3]
// Micro benchmarks: dotnet run -c Release --project Engine.Bench -- --filter '*'
switch (args.FirstOrDefault())
{
    case "load-ws":
        LoadArguments ws = LoadArguments.Parse(args[1..]);
        return await FanOutLoad.RunAsync(ws with { Mode = ws.Mode ?? "opaque" }, LoadTarget.EngineWebSocket);
    case "load-wt":
        LoadArguments wt = LoadArguments.Parse(args[1..]);
        return await FanOutLoad.RunAsync(wt with { Mode = wt.Mode ?? "entities" }, LoadTarget.EngineWebTransport);
    case "cluster-fanout":
        LoadArguments cluster = LoadArguments.Parse(args[1..]);
        cluster = args.Contains("--events-per-tick") ? cluster : cluster with { EventsPerTick = 2 };
        return await ClusterFanOut.RunAsync(args.Contains("--warmup") ? cluster : cluster with { WarmupSeconds = 10 }); // two fresh processes JIT at once
    case "nats-publish":
        return await NatsRawLoad.PublishAsync(LoadArguments.Parse(args[1..]));
    case "chart":
        return LoadChart.Run(args[1..]);
    case "h3-bulk":
        return Http3Bulk.Run(args[1..]);
    case "datagram-echo":
        return await DatagramEcho.RunAsync(DatagramEchoArguments.Parse(args[1..]));
    case "datagram-echo-serve":
        return await DatagramEcho.ServeAsync(args[1..]);
    case "serve":
        return await BenchServer.RunAsync(LoadArguments.Parse(args[1..]));
    default:
        IConfig config = DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
        BenchmarkSwitcher.FromAssembly(typeof(Engine.Bench.Micro.HlcBenchmarks).Assembly).Run(args, config);
        return 0;
}
