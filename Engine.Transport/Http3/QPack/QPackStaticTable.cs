using System.Text;

namespace Engine.Transport.Http3.QPack;

/// <summary>The QPACK static table (RFC 9204 Appendix A): 99 entries, zero-based indices.</summary>
internal static class QPackStaticTable
{
    public const int Count = 99;

    // RFC 9204 Appendix A, in index order.
    private static readonly (string Name, string Value)[] s_entries =
    [
        (":authority", ""),                                          // 0
        (":path", "/"),
        ("age", "0"),
        ("content-disposition", ""),
        ("content-length", "0"),
        ("cookie", ""),
        ("date", ""),
        ("etag", ""),
        ("if-modified-since", ""),
        ("if-none-match", ""),
        ("last-modified", ""),                                       // 10
        ("link", ""),
        ("location", ""),
        ("referer", ""),
        ("set-cookie", ""),
        (":method", "CONNECT"),
        (":method", "DELETE"),
        (":method", "GET"),
        (":method", "HEAD"),
        (":method", "OPTIONS"),
        (":method", "POST"),                                         // 20
        (":method", "PUT"),
        (":scheme", "http"),
        (":scheme", "https"),
        (":status", "103"),
        (":status", "200"),
        (":status", "304"),
        (":status", "404"),
        (":status", "503"),
        ("accept", "*/*"),
        ("accept", "application/dns-message"),                       // 30
        ("accept-encoding", "gzip, deflate, br"),
        ("accept-ranges", "bytes"),
        ("access-control-allow-headers", "cache-control"),
        ("access-control-allow-headers", "content-type"),
        ("access-control-allow-origin", "*"),
        ("cache-control", "max-age=0"),
        ("cache-control", "max-age=2592000"),
        ("cache-control", "max-age=604800"),
        ("cache-control", "no-cache"),
        ("cache-control", "no-store"),                               // 40
        ("cache-control", "public, max-age=31536000"),
        ("content-encoding", "br"),
        ("content-encoding", "gzip"),
        ("content-type", "application/dns-message"),
        ("content-type", "application/javascript"),
        ("content-type", "application/json"),
        ("content-type", "application/x-www-form-urlencoded"),
        ("content-type", "image/gif"),
        ("content-type", "image/jpeg"),
        ("content-type", "image/png"),                               // 50
        ("content-type", "text/css"),
        ("content-type", "text/html; charset=utf-8"),
        ("content-type", "text/plain"),
        ("content-type", "text/plain;charset=utf-8"),
        ("range", "bytes=0-"),
        ("strict-transport-security", "max-age=31536000"),
        ("strict-transport-security", "max-age=31536000; includesubdomains"),
        ("strict-transport-security", "max-age=31536000; includesubdomains; preload"),
        ("vary", "accept-encoding"),
        ("vary", "origin"),                                          // 60
        ("x-content-type-options", "nosniff"),
        ("x-xss-protection", "1; mode=block"),
        (":status", "100"),
        (":status", "204"),
        (":status", "206"),
        (":status", "302"),
        (":status", "400"),
        (":status", "403"),
        (":status", "421"),
        (":status", "425"),                                          // 70
        (":status", "500"),
        ("accept-language", ""),
        ("access-control-allow-credentials", "FALSE"),
        ("access-control-allow-credentials", "TRUE"),
        ("access-control-allow-headers", "*"),
        ("access-control-allow-methods", "get"),
        ("access-control-allow-methods", "get, post, options"),
        ("access-control-allow-methods", "options"),
        ("access-control-expose-headers", "content-length"),
        ("access-control-request-headers", "content-type"),          // 80
        ("access-control-request-method", "get"),
        ("access-control-request-method", "post"),
        ("alt-svc", "clear"),
        ("authorization", ""),
        ("content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'"),
        ("early-data", "1"),
        ("expect-ct", ""),
        ("forwarded", ""),
        ("if-range", ""),
        ("origin", ""),                                              // 90
        ("purpose", "prefetch"),
        ("server", ""),
        ("timing-allow-origin", "*"),
        ("upgrade-insecure-requests", "1"),
        ("user-agent", ""),
        ("x-forwarded-for", ""),
        ("x-frame-options", "deny"),
        ("x-frame-options", "sameorigin"),
    ];

    private static readonly byte[][] s_names = Array.ConvertAll(s_entries, e => Encoding.ASCII.GetBytes(e.Name));
    private static readonly byte[][] s_values = Array.ConvertAll(s_entries, e => Encoding.ASCII.GetBytes(e.Value));

    // Encoder lookup without allocating: distinct names bucketed by length, each with the indices that carry it.
    private static readonly NameGroup[][] s_groupsByNameLength = BuildNameGroups();

    private sealed record NameGroup(byte[] Name, int[] Indices);

    public static ReadOnlySpan<byte> GetName(int index) => s_names[CheckIndex(index)];

    public static ReadOnlySpan<byte> GetValue(int index) => s_values[CheckIndex(index)];

    /// <summary>Index of the entry with exactly this name and value, or -1.</summary>
    public static int FindExact(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        NameGroup? group = FindGroup(name);
        if (group is null)
        {
            return -1;
        }

        foreach (int index in group.Indices)
        {
            if (value.SequenceEqual(s_values[index]))
            {
                return index;
            }
        }

        return -1;
    }

    /// <summary>Lowest index of an entry with this name, or -1.</summary>
    public static int FindName(ReadOnlySpan<byte> name) => FindGroup(name)?.Indices[0] ?? -1;

    /// <summary>Exact match if there is one (<paramref name="exact"/> true), else a name match, else -1.</summary>
    public static int Find(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, out bool exact)
    {
        exact = false;
        NameGroup? group = FindGroup(name);
        if (group is null)
        {
            return -1;
        }

        foreach (int index in group.Indices)
        {
            if (value.SequenceEqual(s_values[index]))
            {
                exact = true;
                return index;
            }
        }

        return group.Indices[0];
    }

    private static NameGroup? FindGroup(ReadOnlySpan<byte> name)
    {
        if (name.Length >= s_groupsByNameLength.Length)
        {
            return null;
        }

        foreach (NameGroup group in s_groupsByNameLength[name.Length])
        {
            if (name.SequenceEqual(group.Name))
            {
                return group;
            }
        }

        return null;
    }

    private static int CheckIndex(int index) =>
        (uint)index < Count ? index : throw new ArgumentOutOfRangeException(nameof(index));

    private static NameGroup[][] BuildNameGroups()
    {
        int maxLength = s_entries.Max(e => e.Name.Length);
        var buckets = new NameGroup[maxLength + 1][];
        for (int length = 0; length <= maxLength; length++)
        {
            buckets[length] = s_entries
                .Select((entry, index) => (entry.Name, index))
                .Where(e => e.Name.Length == length)
                .GroupBy(e => e.Name, StringComparer.Ordinal)
                .Select(g => new NameGroup(Encoding.ASCII.GetBytes(g.Key), g.Select(e => e.index).ToArray()))
                .ToArray();
        }

        return buckets;
    }
}
