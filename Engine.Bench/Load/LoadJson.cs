using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Bench.Load;

/// <summary>
/// <c>--json FILE</c>: appends one run (its parameters and, per target, the measured window and the
/// first window) to FILE, a JSON array, so several runs can be charted together (<c>chart</c>).
/// </summary>
internal static class LoadJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Append(LoadArguments args, IReadOnlyList<LoadResult> results)
    {
        JsonArray runs = File.Exists(args.JsonPath) && JsonNode.Parse(File.ReadAllText(args.JsonPath!)) is JsonArray existing ? existing : [];
        var rows = new JsonArray();
        foreach (LoadResult r in results)
        {
            rows.Add(Window(args, r, "main"));
            if (r.FirstWindow is { } first)
            {
                rows.Add(Window(args, first with { Target = r.Target, Carrier = r.Carrier }, "first"));
            }
        }

        runs.Add(new JsonObject
        {
            ["label"] = args.Label ?? $"{args.Clients} clients, {args.Rate} Hz",
            ["utc"] = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["command"] = "dotnet run -c Release --project Engine.Bench -- " + string.Join(' ', Environment.GetCommandLineArgs()[1..].SkipWhile(a => a.EndsWith(".dll", StringComparison.Ordinal))),
            ["cores"] = Environment.ProcessorCount,
            ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            ["runtime"] = Environment.Version.ToString(),
            ["clients"] = args.Clients,
            ["rate"] = args.Rate,
            ["periodMs"] = args.PeriodMs,
            ["mode"] = args.EntityMode ? "entities" : "opaque",
            ["entities"] = args.Entities,
            ["ackMs"] = args.AckMilliseconds,
            ["results"] = rows,
        });
        File.WriteAllText(args.JsonPath!, runs.ToJsonString(Indented));
    }

    private static JsonObject Window(LoadArguments args, LoadResult r, string window) => new()
    {
        ["target"] = r.Target,
        ["carrier"] = r.Carrier,
        ["window"] = window,
        ["seconds"] = N(r.Seconds),
        ["deliveredPerSecond"] = N(r.MessagesPerSecond),
        ["expectedPerSecond"] = args.Clients * args.Rate * (1 + args.EventsPerTick),
        ["lossPercent"] = N(r.SnapshotLoss * 100),
        ["eventsMissed"] = r.EventsMissed,
        ["eventsMissedSinceJoin"] = r.EventsMissedSinceJoin,
        ["samples"] = r.Latency.TotalCount,
        ["p50Ms"] = N(r.LatencyMs(50)),
        ["p99Ms"] = N(r.LatencyMs(99)),
        ["p999Ms"] = N(r.LatencyMs(99.9)),
        ["maxMs"] = N(r.MaxLatencyMs),
        ["serverCpuPercent"] = N(r.ServerCpuSeconds / r.Seconds * 100),
        ["serverCpuUsPerMessage"] = N(r.ServerCpuUsPerMessage),
        ["serverMemoryMiB"] = N(r.ServerMemoryBytes / 1048576.0),
        ["clientCpuPercent"] = N(r.ClientCpuSeconds / r.Seconds * 100),
        ["otherCpuPercent"] = N(r.OtherCpuSeconds / r.Seconds * 100),
        ["meanSnapshotBytes"] = N(r.MeanSnapshotBytes),
        ["fullFraction"] = N(r.FullFraction),
        ["meanFullBytes"] = N(r.MeanFullBytes),
        ["meanDeltaBytes"] = N(r.MeanDeltaBytes),
        ["joinFullBytes"] = N(r.JoinFullBytes),
        ["refused"] = r.Refused,
        ["stampMissing"] = r.StampMissing,
        ["serverCounters"] = r.ServerCounters,
        ["processCpuPercent"] = r.ProcessCpu.Count == 0 ? null : new JsonObject(r.ProcessCpu.Select(p => KeyValuePair.Create(p.Label, (JsonNode?)N(p.Seconds / r.Seconds * 100)))),
    };

    private static double? N(double value) => double.IsFinite(value) ? Math.Round(value, 4) : null;
}
