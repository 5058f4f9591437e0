using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Engine.Transport.Tls;

/// <summary>
/// Decides whether the client accepts the server's certificate: by pinned SHA-256 hashes
/// (WebTransport serverCertificateHashes rules) or by X.509 chain building plus a host-name
/// check. Alerts: bad_certificate (42) for a hash mismatch, over-long pinned validity or a
/// chain that does not verify; unsupported_certificate (43) for an RSA key under pinning;
/// certificate_expired (45) outside the validity period; unknown_ca (48) for an untrusted root;
/// certificate_unknown (46) for a host-name mismatch or wrong key usage. Any exception while
/// judging the certificate (a malformed extension that chain building or host-name matching
/// cannot parse) is bad_certificate too, never internal_error: the fault is in the peer's bytes.
/// </summary>
internal static class ServerCertificateValidator
{
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>
    /// Judges <paramref name="leaf"/> (with <paramref name="intermediates"/> for chain building);
    /// <paramref name="leafScheme"/> is its <see cref="TlsSignatures.SchemeFor"/>, computed once by the caller.
    /// Returns NoError, or the alert's error with <paramref name="reason"/> set.
    /// </summary>
    public static TlsError Validate(
        TlsClientOptions options, X509Certificate2 leaf, ushort? leafScheme, IReadOnlyList<X509Certificate2> intermediates, out string reason)
    {
        DateTimeOffset now = options.TimeProvider.GetUtcNow();
        try
        {
            return options.ServerCertificateHashes.Count > 0
                ? ValidatePinned(options, leaf, leafScheme, now, out reason)
                : ValidateChain(options, leaf, intermediates, now, out reason);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return RejectFault(exception, out reason);
        }
    }

    /// <summary>The answer to an exception thrown while judging the peer's certificate: bad_certificate.</summary>
    internal static TlsError RejectFault(Exception exception, out string reason) =>
        TlsAlerts.Reject(TlsAlert.BadCertificate, $"certificate could not be checked ({exception.GetType().Name}: {exception.Message})", out reason);

    private static TlsError ValidatePinned(TlsClientOptions options, X509Certificate2 leaf, ushort? leafScheme, DateTimeOffset now, out string reason)
    {
        byte[] hash = SHA256.HashData(leaf.RawData);
        if (!options.ServerCertificateHashes.Any(pinned => CryptographicOperations.FixedTimeEquals(pinned, hash)))
        {
            return TlsAlerts.Reject(TlsAlert.BadCertificate, $"certificate hash {Convert.ToHexString(hash)} matches no pinned hash", out reason);
        }

        DateTime notBefore = leaf.NotBefore.ToUniversalTime();
        DateTime notAfter = leaf.NotAfter.ToUniversalTime();
        if (notAfter - notBefore > TlsClientOptions.MaxPinnedCertificateValidity)
        {
            return TlsAlerts.Reject(TlsAlert.BadCertificate, $"pinned certificate is valid for {(notAfter - notBefore).TotalDays:0.#} days, more than 14", out reason);
        }

        if (now.UtcDateTime < notBefore || now.UtcDateTime > notAfter)
        {
            return TlsAlerts.Reject(TlsAlert.CertificateExpired, $"pinned certificate is valid {notBefore:u} to {notAfter:u}, not now ({now:u})", out reason);
        }

        if (leafScheme != TlsSignatures.EcdsaSecp256r1Sha256)
        {
            return TlsAlerts.Reject(TlsAlert.UnsupportedCertificate, "pinned certificate must have an ECDSA P-256 key (RSA is not allowed)", out reason);
        }

        return TlsAlerts.Accept(out reason);
    }

    private static TlsError ValidateChain(
        TlsClientOptions options, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, DateTimeOffset now, out string reason)
    {
        using var chain = new X509Chain();
        X509ChainPolicy policy = chain.ChainPolicy;
        policy.RevocationMode = options.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        policy.VerificationTime = now.UtcDateTime;
        policy.ApplicationPolicy.Add(new Oid(ServerAuthenticationOid));
        foreach (X509Certificate2 intermediate in intermediates)
        {
            policy.ExtraStore.Add(intermediate);
        }

        if (options.TrustedRoots is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(options.TrustedRoots);
        }

        try
        {
            bool valid = chain.Build(leaf);
            X509ChainStatusFlags flags = X509ChainStatusFlags.NoError;
            foreach (X509ChainStatus status in chain.ChainStatus)
            {
                flags |= status.Status;
            }

            if (!valid || flags != X509ChainStatusFlags.NoError)
            {
                return TlsAlerts.Reject(AlertFor(flags), $"certificate chain does not verify: {flags}", out reason);
            }
        }
        finally
        {
            foreach (X509ChainElement element in chain.ChainElements)
            {
                // Certificates passed in are owned elsewhere; only the chain's own copies go here.
                X509Certificate2 certificate = element.Certificate;
                if (!ReferenceEquals(certificate, leaf)
                    && !intermediates.Any(c => ReferenceEquals(c, certificate))
                    && options.TrustedRoots?.Any(c => ReferenceEquals(c, certificate)) != true)
                {
                    certificate.Dispose();
                }
            }
        }

        if (options.ServerName is not null && !leaf.MatchesHostname(options.ServerName))
        {
            return TlsAlerts.Reject(TlsAlert.CertificateUnknown, $"certificate does not match host name '{options.ServerName}'", out reason);
        }

        return TlsAlerts.Accept(out reason);
    }

    private static TlsAlert AlertFor(X509ChainStatusFlags flags)
    {
        if ((flags & (X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested)) != 0)
        {
            return TlsAlert.CertificateExpired;
        }

        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
        {
            return TlsAlert.UnknownCa;
        }

        if ((flags & (X509ChainStatusFlags.NotValidForUsage | X509ChainStatusFlags.InvalidExtension)) != 0)
        {
            return TlsAlert.CertificateUnknown;
        }

        return TlsAlert.BadCertificate;
    }
}
