using System.Globalization;

namespace Engine.Bench.Load;

/// <summary>
/// Engine's own counters for the window, from its Prometheus <c>/metrics</c>: ticks it skipped,
/// messages and datagrams it dropped (by reason), disconnects. Read before and after the window;
/// the report prints what changed, so a shortfall can be told apart from loss on the way.
/// </summary>
internal static class ServerCounters
{
    private static readonly string[] Watched =
    [
        "engine_tick_overruns_total", "engine_drops_total", "engine_datagrams_dropped_total", "engine_disconnects_total", "engine_datagrams_sent_total",
    ];

    private const string Unavailable = "(/metrics did not answer)";

    /// <summary>Every series of the watched counters (<c>name{labels}</c> → value); empty when the server has no /metrics.</summary>
    public static async Task<Dictionary<string, double>> ReadAsync(Uri? metrics)
    {
        var values = new Dictionary<string, double>();
        if (metrics is null)
        {
            return values;
        }

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = static (_, _, _, _) => true };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        string text;
        try
        {
            text = await http.GetStringAsync(metrics);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            values[Unavailable] = 1; // a saturated server may not answer within the timeout: report that, keep measuring
            return values;
        }

        foreach (string line in text.Split('\n'))
        {
            int space = line.LastIndexOf(' ');
            if (space > 0 && Watched.Any(w => line.StartsWith(w, StringComparison.Ordinal))
                && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                values[line[..space]] = value;
            }
        }

        return values;
    }

    /// <summary>The series that changed between two readings, as <c>name{labels} +N</c>, or "none".</summary>
    public static string Difference(Dictionary<string, double> before, Dictionary<string, double> after, Func<string, bool>? show = null)
    {
        if (before.ContainsKey(Unavailable) || after.ContainsKey(Unavailable))
        {
            return "unavailable: /metrics did not answer within 10 s (the server was saturated)";
        }

        IEnumerable<string> changed = after
            .Select(kv => (kv.Key, Delta: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(d => d.Delta != 0 && (show is null || show(d.Key)))
            .OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Key.Replace("engine_", "", StringComparison.Ordinal).Replace("_total", "", StringComparison.Ordinal)} +{d.Delta:N0}"));
        string list = string.Join(", ", changed);
        return list.Length == 0 ? "no change" : list;
    }
}
