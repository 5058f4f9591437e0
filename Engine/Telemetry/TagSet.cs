using System.Text;

namespace Engine.Telemetry;

/// <summary>
/// The tags of one series, kept in key order with their Prometheus label text rendered once, when
/// the series is created. Compared with the measurement's tag span directly (see
/// <see cref="TagSetComparer"/>), so finding an existing series builds nothing.
/// </summary>
internal sealed class TagSet
{
    private TagSet(string[] keys, object?[] values, string labels)
    {
        Keys = keys;
        Values = values;
        Labels = labels;
    }

    public static TagSet Empty { get; } = new([], [], "");

    /// <summary>The series every tag combination beyond the cap is folded into.</summary>
    public static TagSet Overflow { get; } = new(["overflow"], ["true"], "overflow=\"true\"");

    /// <summary>Tag keys, sorted ordinally.</summary>
    public string[] Keys { get; }

    /// <summary>Tag values, matching <see cref="Keys"/>; compared with <see cref="object.Equals(object, object)"/>.</summary>
    public object?[] Values { get; }

    /// <summary>Rendered labels without braces, e.g. <c>room="a",transport="ws"</c>; empty for no tags.</summary>
    public string Labels { get; }

    public static TagSet Create(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return Empty;
        }

        var keys = new string[tags.Length];
        var values = new object?[tags.Length];
        for (int i = 0; i < tags.Length; i++)
        {
            keys[i] = tags[i].Key;
            values[i] = tags[i].Value;
        }

        Array.Sort(keys, values, StringComparer.Ordinal);

        var labels = new StringBuilder();
        for (int i = 0; i < keys.Length; i++)
        {
            if (i > 0)
            {
                labels.Append(',');
            }

            PrometheusText.AppendLabel(labels, PrometheusText.SanitizeLabelName(keys[i]), PrometheusText.FormatLabelValue(values[i]));
        }

        return new TagSet(keys, values, labels.ToString());
    }

    /// <summary>Order-independent, so the same tags given in another order land on the same series.</summary>
    public static int HashOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        int hash = tags.Length;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            hash += HashOf(tag.Key, tag.Value);
        }

        return hash;
    }

    public int HashOf()
    {
        int hash = Keys.Length;
        for (int i = 0; i < Keys.Length; i++)
        {
            hash += HashOf(Keys[i], Values[i]);
        }

        return hash;
    }

    public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length != Keys.Length)
        {
            return false;
        }

        for (int i = 0; i < tags.Length; i++)
        {
            // Callers usually pass tags in the same order every time; fall back to a search otherwise.
            int index = string.Equals(Keys[i], tags[i].Key, StringComparison.Ordinal)
                ? i
                : Array.BinarySearch(Keys, tags[i].Key, StringComparer.Ordinal);
            if (index < 0 || !Equals(Values[index], tags[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    private static int HashOf(string key, object? value) =>
        HashCode.Combine(StringComparer.Ordinal.GetHashCode(key), value?.GetHashCode() ?? 0);
}

/// <summary>
/// Lets the series dictionary be searched with the measurement's tag span as the key
/// (<see cref="IAlternateEqualityComparer{TAlternate, T}"/>), avoiding a key object per lookup.
/// </summary>
internal sealed class TagSetComparer : IEqualityComparer<TagSet>, IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, object?>>, TagSet>
{
    public static TagSetComparer Instance { get; } = new();

    public bool Equals(TagSet? x, TagSet? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null || x.Keys.Length != y.Keys.Length)
        {
            return false;
        }

        for (int i = 0; i < x.Keys.Length; i++)
        {
            if (!string.Equals(x.Keys[i], y.Keys[i], StringComparison.Ordinal) || !Equals(x.Values[i], y.Values[i]))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(TagSet obj) => obj.HashOf();

    public bool Equals(ReadOnlySpan<KeyValuePair<string, object?>> alternate, TagSet other) => other.Matches(alternate);

    public int GetHashCode(ReadOnlySpan<KeyValuePair<string, object?>> alternate) => TagSet.HashOf(alternate);

    public TagSet Create(ReadOnlySpan<KeyValuePair<string, object?>> alternate) => TagSet.Create(alternate);
}
