using System.Globalization;
using System.Text;

namespace Engine.Telemetry;

/// <summary>The lexical rules of the Prometheus text exposition format 0.0.4.</summary>
internal static class PrometheusText
{
    /// <summary>
    /// Metric names allow <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>; anything else (dots, dashes) becomes an
    /// underscore, and a leading digit gets an underscore in front.
    /// </summary>
    public static string SanitizeMetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>Label names allow <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    public static string SanitizeLabelName(string name) => Sanitize(name, allowColon: false);

    /// <summary>
    /// The Prometheus unit word for a UCUM unit as .NET instruments use them ("ms", "s", "By"),
    /// or null for annotations like "{connection}" and dimensionless "1", which add no suffix.
    /// </summary>
    public static string? UnitSuffix(string? unit) => unit switch
    {
        null or "" or "1" => null,
        _ when unit.StartsWith('{') => null,
        "ms" => "milliseconds",
        "us" or "μs" => "microseconds",
        "ns" => "nanoseconds",
        "s" => "seconds",
        "min" => "minutes",
        "h" => "hours",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "bit" => "bits",
        "%" => "percent",
        _ => SanitizeLabelName(unit),
    };

    public static string FormatLabelValue(object? value) => value switch
    {
        null => "",
        string text => text,
        bool flag => flag ? "true" : "false",
        double number => FormatDouble(number),
        float number => FormatDouble(number),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Appends <c>name="value"</c> with backslash, double quote and newline escaped.</summary>
    public static void AppendLabel(StringBuilder builder, string name, string value)
    {
        builder.Append(name).Append("=\"");
        foreach (char c in value)
        {
            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '"' => builder.Append("\\\""),
                '\n' => builder.Append(@"\n"),
                _ => builder.Append(c),
            };
        }

        builder.Append('"');
    }

    /// <summary>HELP text escapes backslash and newline only.</summary>
    public static string EscapeHelp(string help) =>
        help.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>Shortest round-trip form, with Prometheus's spellings of the infinities and NaN.</summary>
    public static string FormatDouble(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string Sanitize(string name, bool allowColon)
    {
        if (name.Length == 0)
        {
            return "_";
        }

        var builder = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            builder.Append('_');
        }

        foreach (char c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }

        return builder.ToString();
    }
}
