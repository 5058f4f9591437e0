using System.Text;

namespace Engine.Transport.Tls;

/// <summary>Checks shared by <see cref="TlsServerOptions"/> and <see cref="TlsClientOptions"/>.</summary>
internal static class TlsOptionChecks
{
    /// <summary>ALPN names: at least one, each 1..255 ASCII bytes (RFC 7301 §3.1), no repeats.</summary>
    public static void CheckApplicationProtocols(IReadOnlyList<string> protocols, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(protocols, parameterName);
        if (protocols.Count == 0)
        {
            throw new ArgumentException("At least one ALPN protocol is needed (QUIC requires ALPN).", parameterName);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string protocol in protocols)
        {
            if (string.IsNullOrEmpty(protocol) || protocol.Length > 255 || !Ascii.IsValid(protocol))
            {
                throw new ArgumentException($"ALPN protocol '{protocol}' must be 1..255 ASCII characters.", parameterName);
            }

            if (!seen.Add(protocol))
            {
                throw new ArgumentException($"ALPN protocol '{protocol}' is listed twice.", parameterName);
            }
        }
    }

    /// <summary>Groups: each x25519 or secp256r1, no repeats.</summary>
    public static void CheckGroups(IReadOnlyList<ushort> groups, string parameterName, bool allowEmpty)
    {
        ArgumentNullException.ThrowIfNull(groups, parameterName);
        if (!allowEmpty && groups.Count == 0)
        {
            throw new ArgumentException("At least one key exchange group is needed.", parameterName);
        }

        var seen = new HashSet<ushort>();
        foreach (ushort group in groups)
        {
            if (!TlsKeyExchange.IsSupported(group))
            {
                throw new ArgumentException($"Group 0x{group:x4} is not supported (x25519 0x001d, secp256r1 0x0017).", parameterName);
            }

            if (!seen.Add(group))
            {
                throw new ArgumentException($"Group 0x{group:x4} is listed twice.", parameterName);
            }
        }
    }
}
