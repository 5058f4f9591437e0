namespace Engine.Cluster;

/// <summary>NATS subject matching: tokens split by '.', <c>*</c> matches one token, a final <c>&gt;</c> one or more.</summary>
internal static class SubjectPattern
{
    public static bool Matches(string pattern, string subject)
    {
        ReadOnlySpan<char> p = pattern;
        ReadOnlySpan<char> s = subject;
        while (true)
        {
            ReadOnlySpan<char> pToken = NextToken(ref p, out bool pMore);
            if (pToken is ">")
            {
                return s.Length > 0;
            }

            if (s.Length == 0 && !pMore && pToken.Length == 0)
            {
                return true;
            }

            ReadOnlySpan<char> sToken = NextToken(ref s, out bool sMore);
            if (!(pToken is "*" || pToken.SequenceEqual(sToken)))
            {
                return false;
            }

            if (!pMore || !sMore)
            {
                return pMore == sMore;
            }
        }
    }

    private static ReadOnlySpan<char> NextToken(ref ReadOnlySpan<char> rest, out bool more)
    {
        int dot = rest.IndexOf('.');
        ReadOnlySpan<char> token;
        if (dot < 0)
        {
            token = rest;
            rest = [];
            more = false;
        }
        else
        {
            token = rest[..dot];
            rest = rest[(dot + 1)..];
            more = true;
        }

        return token;
    }
}
