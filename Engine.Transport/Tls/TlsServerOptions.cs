using System.Security.Cryptography.X509Certificates;

namespace Engine.Transport.Tls;

/// <summary>How a <see cref="TlsServerHandshake"/> authenticates itself and what it negotiates.</summary>
internal sealed record TlsServerOptions
{
    /// <summary>The leaf, with its private key: ECDSA P-256 (signs ecdsa_secp256r1_sha256) or RSA ≥ 2048 (rsa_pss_rsae_sha256).</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>Intermediates sent after the leaf, in order; no private keys needed.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; init; } = [];

    /// <summary>ALPN names in server preference order; no overlap with the client is no_application_protocol.</summary>
    public required IReadOnlyList<string> ApplicationProtocols { get; init; }

    /// <summary>
    /// Key exchange groups in preference order (x25519, secp256r1). The first one the client sent
    /// a share for wins; failing that, a HelloRetryRequest asks for the first one it supports.
    /// </summary>
    public IReadOnlyList<ushort> KeyExchangeGroups { get; init; } = [TlsConstants.X25519, TlsConstants.Secp256r1];

    /// <summary>Cipher suites in server preference order; the first the client also offers is used.</summary>
    public IReadOnlyList<TlsCipherSuite> CipherSuites { get; init; } = [TlsCipherSuite.Aes128GcmSha256, TlsCipherSuite.Aes256GcmSha384];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first problem.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Certificate);
        if (!Certificate.HasPrivateKey)
        {
            throw new ArgumentException("The server certificate has no private key.", nameof(Certificate));
        }

        if (TlsSignatures.SchemeFor(Certificate) is null)
        {
            throw new ArgumentException("The server certificate's key must be ECDSA P-256 or RSA of at least 2048 bits.", nameof(Certificate));
        }

        ArgumentNullException.ThrowIfNull(Chain);
        TlsOptionChecks.CheckApplicationProtocols(ApplicationProtocols, nameof(ApplicationProtocols));
        TlsOptionChecks.CheckGroups(KeyExchangeGroups, nameof(KeyExchangeGroups), allowEmpty: false);
        ArgumentNullException.ThrowIfNull(CipherSuites);
        if (CipherSuites.Count == 0)
        {
            throw new ArgumentException("At least one cipher suite is needed.", nameof(CipherSuites));
        }

        foreach (TlsCipherSuite suite in CipherSuites)
        {
            if (!TlsCipherSuites.IsSupported(suite))
            {
                throw new ArgumentException($"Cipher suite {suite} is not supported.", nameof(CipherSuites));
            }
        }
    }
}
