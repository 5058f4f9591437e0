using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Engine.Transport.Tls;

/// <summary>How a <see cref="TlsClientHandshake"/> checks the server and what it offers.</summary>
internal sealed record TlsClientOptions
{
    /// <summary>The server's name: sent as SNI when it is a DNS name, and checked against the certificate.</summary>
    public string? ServerName { get; init; }

    /// <summary>ALPN names offered, in preference order.</summary>
    public required IReadOnlyList<string> ApplicationProtocols { get; init; }

    /// <summary>
    /// SHA-256 hashes of acceptable DER leaf certificates. When non-empty they replace chain and
    /// host-name checks, as WebTransport's serverCertificateHashes do: the leaf must match one,
    /// be valid now for at most 14 days, and not have an RSA key.
    /// </summary>
    public IReadOnlyList<byte[]> ServerCertificateHashes { get; init; } = [];

    /// <summary>Roots to trust instead of the system store.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>Online revocation checking for the chain; off by default.</summary>
    public bool CheckCertificateRevocation { get; init; }

    /// <summary>The clock for certificate validity.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Groups with a key share in the first ClientHello; supported_groups always lists x25519 and secp256r1.</summary>
    public IReadOnlyList<ushort> KeyShareGroups { get; init; } = [TlsConstants.X25519];

    /// <summary>The longest validity period a pinned certificate may have.</summary>
    public static TimeSpan MaxPinnedCertificateValidity { get; } = TimeSpan.FromDays(14);

    /// <summary>True when <see cref="ServerName"/> should go in server_name (a DNS name, not an IP literal).</summary>
    public bool SendsServerName => !string.IsNullOrEmpty(ServerName) && !IPAddress.TryParse(ServerName, out _);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first problem.</summary>
    public void Validate()
    {
        if (ServerName is not null && (ServerName.Length == 0 || ServerName.Length > 255 || !System.Text.Ascii.IsValid(ServerName)))
        {
            throw new ArgumentException("ServerName must be 1..255 ASCII characters (use punycode for IDNs).", nameof(ServerName));
        }

        TlsOptionChecks.CheckApplicationProtocols(ApplicationProtocols, nameof(ApplicationProtocols));
        ArgumentNullException.ThrowIfNull(ServerCertificateHashes);
        foreach (byte[] hash in ServerCertificateHashes)
        {
            if (hash is null || hash.Length != 32)
            {
                throw new ArgumentException("Each server certificate hash must be a 32-byte SHA-256.", nameof(ServerCertificateHashes));
            }
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
        TlsOptionChecks.CheckGroups(KeyShareGroups, nameof(KeyShareGroups), allowEmpty: true);
    }
}
