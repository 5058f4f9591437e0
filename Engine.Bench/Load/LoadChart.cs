using System.Globalization;
using System.Text.Json.Nodes;
using ScottPlot;

namespace Engine.Bench.Load;

/// <summary>
/// <c>Engine.Bench chart RESULTS.json[,MORE.json…] OUT.png [--window main|first]</c>: renders the runs a load
/// command appended with <c>--json</c> as one chart (ScottPlot): a group per run (clients, rate),
/// a bar per target (Engine WT, Engine WS, raw UDP) up to its p99 tick→apply latency, a dot at
/// p50 and a dash at p99.9, a red dashed line at one tick period; logarithmic latency axis.
/// </summary>
internal static class LoadChart
{
    private static readonly Color[] Palette = [Colors.Blue, Colors.Orange, Colors.Green, Colors.Purple];

    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: chart RESULTS.json OUT.png [--window main|first]");
            return 2;
        }

        string window = args.Length >= 4 && args[2] == "--window" ? args[3] : "main";
        // RESULTS may name several files, comma-separated: their runs are charted together.
        JsonNode[] all = [.. args[0].Split(',').SelectMany(path =>
            (JsonNode.Parse(File.ReadAllText(path)) as JsonArray ?? throw new InvalidDataException($"{path} is not a JSON array.")).Select(r => r!))];

        // Runs grouped by what they compare, then by clients and rate; each target keeps one colour and slot.
        JsonNode[] runs = [.. all
            .OrderBy(r => string.Join(",", r["results"]!.AsArray().Select(x => (string)x!["target"]!).Distinct()), StringComparer.Ordinal)
            .ThenBy(r => (int)r["clients"]!).ThenBy(r => (int)r["rate"]!)];
        string[] known = ["Engine WT", "Engine WS", "raw UDP"];
        string[] seen = [.. runs.SelectMany(r => r["results"]!.AsArray()).Select(x => (string)x!["target"]!).Distinct()];
        string[] targets = [.. known.Where(seen.Contains), .. seen.Except(known)];
        var plot = new Plot();
        var ticks = new List<Tick>();
        double left = 0;
        foreach (JsonNode run in runs)
        {
            // Each run takes as many slots as it has targets (in the fixed target order), then a gap.
            JsonNode[] bars = [.. run["results"]!.AsArray().Select(r => r!)
                .Where(r => (string)r["window"]! == window && r["p99Ms"] is not null)
                .OrderBy(r => Array.IndexOf(targets, (string)r["target"]!))];
            if (bars.Length == 0)
            {
                continue;
            }

            ticks.Add(new Tick(left + (bars.Length - 1) / 2.0, ((string)run["label"]!).Replace(" (", "\n(", StringComparison.Ordinal)));
            double period = (double)run["periodMs"]!;
            HorizontalSegment(plot, left - 0.5, left + bars.Length - 0.5, Math.Log10(period), Colors.Red, dashed: true);
            for (int i = 0; i < bars.Length; i++)
            {
                JsonNode r = bars[i];
                int t = Array.IndexOf(targets, (string)r["target"]!);
                double x = left + i;
                var bar = new Bar
                {
                    Position = x,
                    ValueBase = Math.Log10(Floor),
                    Value = Log((double)r["p99Ms"]!),
                    FillColor = Palette[t % Palette.Length],
                    Size = 0.8,
                };
                plot.Add.Bars(new Bar[] { bar });
                plot.Add.Marker(x, Log((double)r["p50Ms"]!), MarkerShape.FilledCircle, 7, Colors.Black);
                if (r["p999Ms"] is JsonNode p999)
                {
                    HorizontalSegment(plot, x - 0.3, x + 0.3, Log((double)p999), Colors.Black, dashed: false);
                }
            }

            left += bars.Length + 1;
        }

        for (int t = 0; t < targets.Length; t++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = targets[t] + " p99 (bar)", FillColor = Palette[t % Palette.Length] });
        }

        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "p50 (dot), p99.9 (dash)", MarkerShape = MarkerShape.FilledCircle, MarkerFillColor = Colors.Black, MarkerLineColor = Colors.Black });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "one tick period", LineColor = Colors.Red, LinePattern = LinePattern.Dashed, LineWidth = 2 });
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("0.###", CultureInfo.InvariantCulture),
        };
        plot.Axes.Left.Label.Text = "latency, ms (log scale)";
        plot.Title(window == "main" ? "Tick → apply latency (entity snapshots) vs raw-UDP floor, loopback" : "Tick → apply latency, first window after connect (warm start)");
        plot.Axes.SetLimitsY(Math.Log10(Floor), Math.Log10(Math.Max(10, runs.SelectMany(r => r["results"]!.AsArray()).Where(x => (string)x!["window"]! == window).Max(x => (double?)x!["p999Ms"] ?? 1)) * 2));
        plot.Axes.SetLimitsX(-1, left - 1);
        plot.SavePng(args[1], (int)Math.Clamp(60 * left, 900, 1800), 600);
        Console.WriteLine($"wrote {args[1]} ({runs.Length} runs, {window} window)");
        return 0;
    }

    /// <summary>The chart's lowest latency (ms): bars start here.</summary>
    private const double Floor = 0.1;

    private static double Log(double ms) => Math.Log10(Math.Max(Floor, ms));

    private static void HorizontalSegment(Plot plot, double x1, double x2, double y, Color color, bool dashed)
    {
        var line = plot.Add.Line(x1, y, x2, y);
        line.LineColor = color;
        line.LineWidth = 2;
        line.LinePattern = dashed ? LinePattern.Dashed : LinePattern.Solid;
    }
}
