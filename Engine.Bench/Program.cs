using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

// Micro benchmarks: dotnet run -c Release --project Engine.Bench -- --filter '*'
// (BenchmarkDotNet's switches apply: --filter, --job short, --list flat, ...).
IConfig config = DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
BenchmarkSwitcher.FromAssembly(typeof(Engine.Bench.Micro.HlcBenchmarks).Assembly).Run(args, config);
