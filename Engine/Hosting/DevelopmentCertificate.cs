using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Engine.Hosting;

/// <summary>
/// The self-signed development certificate for localhost, shaped so Chrome accepts it through
/// WebTransport's <c>serverCertificateHashes</c>: ECDSA P-256, at most 14 days of validity.
/// </summary>
/// <remarks>
/// It lives in the data directory as two PEM files, <see cref="CertificateFileName"/> and
/// <see cref="KeyFileName"/> (unencrypted PKCS#8, owner-only on Unix), so openssl and curl can read
/// them. PEM was chosen over one PFX because it is the format those tools and Kestrel both take
/// without a password. Each file is written to a temporary name and renamed into place; a pair
/// that does not load or match (e.g. another process was mid-write) is simply regenerated.
/// </remarks>
public static partial class DevelopmentCertificate
{
    /// <summary>The certificate file in the data directory.</summary>
    public const string CertificateFileName = "dev-cert.pem";

    /// <summary>The private key file in the data directory.</summary>
    public const string KeyFileName = "dev-key.pem";

    /// <summary>Total validity of a generated certificate: 13 days, inside Chrome's 14-day limit.</summary>
    public static TimeSpan Validity { get; } = TimeSpan.FromDays(13);

    /// <summary>The longest validity Chrome accepts for <c>serverCertificateHashes</c>.</summary>
    public static TimeSpan MaximumValidity { get; } = TimeSpan.FromDays(14);

    /// <summary>A certificate with less than this left is replaced: 3 days.</summary>
    public static TimeSpan DefaultRenewalMargin { get; } = TimeSpan.FromDays(3);

    /// <summary>How far NotBefore is backdated, so slightly slow client clocks still accept it.</summary>
    public static TimeSpan Backdate { get; } = TimeSpan.FromMinutes(1);

    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>
    /// Loads the certificate from <paramref name="dataDirectory"/> when it is usable for longer than
    /// <paramref name="renewalMargin"/>; otherwise generates a new one and writes it there
    /// (creating the directory).
    /// </summary>
    /// <param name="dataDirectory">Where <see cref="CertificateFileName"/> and <see cref="KeyFileName"/> live.</param>
    /// <param name="timeProvider">The clock deciding validity and stamping new certificates.</param>
    /// <param name="renewalMargin">Defaults to <see cref="DefaultRenewalMargin"/>; must be below <see cref="Validity"/>.</param>
    /// <param name="logger">Told when a certificate is generated or renewed.</param>
    /// <returns>A certificate with a private key Kestrel can use.</returns>
    /// <exception cref="IOException">The new certificate could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The data directory is not writable.</exception>
    public static X509Certificate2 LoadOrCreate(
        string dataDirectory,
        TimeProvider timeProvider,
        TimeSpan? renewalMargin = null,
        ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        TimeSpan margin = ValidateRenewalMargin(renewalMargin ?? DefaultRenewalMargin);
        logger ??= NullLogger.Instance;

        string certificatePath = Path.Combine(dataDirectory, CertificateFileName);
        string keyPath = Path.Combine(dataDirectory, KeyFileName);
        DateTimeOffset now = timeProvider.GetUtcNow();

        string? replaceReason = null;
        if (File.Exists(certificatePath) || File.Exists(keyPath))
        {
            X509Certificate2? existing = TryLoad(certificatePath, keyPath, out replaceReason);
            if (existing is not null)
            {
                replaceReason = UnusableReason(existing, now, margin);
                if (replaceReason is null)
                {
                    DateTimeOffset existingNotAfter = NotAfterUtc(existing);
                    LogLoaded(logger, existing.Thumbprint, existingNotAfter, certificatePath);
                    return existing;
                }

                existing.Dispose();
            }
        }

        X509Certificate2 created = Generate(now, out string privateKeyPem);
        Directory.CreateDirectory(dataDirectory);
        WriteAtomically(keyPath, privateKeyPem, ownerOnly: true);
        WriteAtomically(certificatePath, created.ExportCertificatePem(), ownerOnly: false);

        DateTimeOffset createdNotAfter = NotAfterUtc(created);
        if (replaceReason is null)
        {
            LogGenerated(logger, created.Thumbprint, createdNotAfter, certificatePath);
        }
        else
        {
            LogRenewed(logger, replaceReason, created.Thumbprint, createdNotAfter, certificatePath);
        }

        return created;
    }

    /// <summary>
    /// Generates a certificate valid from <paramref name="now"/> minus <see cref="Backdate"/> for
    /// <see cref="Validity"/>: CN=localhost, SAN localhost/127.0.0.1/::1, serverAuth, P-256, SHA-256.
    /// Nothing is written to disk.
    /// </summary>
    public static X509Certificate2 Create(DateTimeOffset now) => Generate(now, out _);

    /// <summary><see cref="Create"/>, also handing back the private key as PKCS#8 PEM for the key file.</summary>
    private static X509Certificate2 Generate(DateTimeOffset now, out string privateKeyPem)
    {
        // X.509 times have whole-second precision; truncating first keeps NotAfter − NotBefore exact.
        var notBefore = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero) - Backdate;
        DateTimeOffset notAfter = notBefore + Validity;

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);

        var subjectAlternativeNames = new SubjectAlternativeNameBuilder();
        subjectAlternativeNames.AddDnsName("localhost");
        subjectAlternativeNames.AddIpAddress(IPAddress.Loopback);
        subjectAlternativeNames.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(subjectAlternativeNames.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(
            certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(ServerAuthenticationOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

        using X509Certificate2 selfSigned = request.CreateSelfSigned(notBefore, notAfter);
        // Exported from the original key: the re-imported one need not be exportable (Windows).
        privateKeyPem = key.ExportPkcs8PrivateKeyPem();
        return WithPersistedKey(selfSigned);
    }

    /// <summary>
    /// Why <paramref name="certificate"/> should not be served at <paramref name="now"/>, or null
    /// when it is fine for longer than <paramref name="renewalMargin"/>.
    /// </summary>
    internal static string? UnusableReason(X509Certificate2 certificate, DateTimeOffset now, TimeSpan renewalMargin)
    {
        DateTimeOffset notBefore = NotBeforeUtc(certificate);
        DateTimeOffset notAfter = NotAfterUtc(certificate);
        if (!certificate.HasPrivateKey)
        {
            return "it has no private key";
        }

        if (certificate.GetKeyAlgorithm() != "1.2.840.10045.2.1")
        {
            return "its key is not ECDSA";
        }

        if (notAfter - notBefore > MaximumValidity)
        {
            return string.Create(CultureInfo.InvariantCulture, $"its validity of {(notAfter - notBefore).TotalDays:0.##} days exceeds Chrome's 14-day limit");
        }

        if (now < notBefore)
        {
            return string.Create(CultureInfo.InvariantCulture, $"it is not valid before {notBefore:O}");
        }

        if (notAfter <= now)
        {
            return string.Create(CultureInfo.InvariantCulture, $"it expired at {notAfter:O}");
        }

        // "Exactly the margin left" renews too, so this agrees with the provider's renew-at instant.
        if (notAfter - now <= renewalMargin)
        {
            return string.Create(CultureInfo.InvariantCulture, $"it expires at {notAfter:O}, within the renewal margin of {renewalMargin}");
        }

        return null;
    }

    internal static DateTimeOffset NotBeforeUtc(X509Certificate2 certificate) =>
        new(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    internal static DateTimeOffset NotAfterUtc(X509Certificate2 certificate) =>
        new(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    internal static TimeSpan ValidateRenewalMargin(TimeSpan renewalMargin)
    {
        // A margin as long as the validity would regenerate on every call.
        if (renewalMargin < TimeSpan.Zero || renewalMargin >= Validity)
        {
            throw new ArgumentOutOfRangeException(nameof(renewalMargin), renewalMargin,
                "The renewal margin must be at least zero and shorter than the 13-day certificate validity.");
        }

        return renewalMargin;
    }

    /// <summary>
    /// Round-trips through PKCS#12 so the private key is a normal persisted key rather than the
    /// ephemeral one CreateSelfSigned and CreateFromPem attach, which Windows TLS cannot use.
    /// </summary>
    internal static X509Certificate2 WithPersistedKey(X509Certificate2 certificate)
    {
        byte[] pkcs12 = certificate.Export(X509ContentType.Pkcs12);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pkcs12, password: null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs12);
        }
    }

    private static X509Certificate2? TryLoad(string certificatePath, string keyPath, out string? failure)
    {
        try
        {
            using X509Certificate2 loaded = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            failure = null;
            return WithPersistedKey(loaded);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            failure = $"the files in {Path.GetDirectoryName(certificatePath)} could not be loaded ({exception.Message})";
            return null;
        }
    }

    private static void WriteAtomically(string path, string contents, bool ownerOnly)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            // Set at creation, so the key is never readable by others, not even briefly.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        string temporaryPath = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var writer = new StreamWriter(temporaryPath, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options))
            {
                writer.Write(contents);
                writer.Write('\n');
            }

            File.Move(temporaryPath, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporaryPath);
            throw;
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information,
        Message = "Generated development certificate {Thumbprint} for localhost, valid until {NotAfter:O}, at {CertificatePath}")]
    private static partial void LogGenerated(ILogger logger, string thumbprint, DateTimeOffset notAfter, string certificatePath);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information,
        Message = "Renewed development certificate because {Reason}; new certificate {Thumbprint} is valid until {NotAfter:O}, at {CertificatePath}")]
    private static partial void LogRenewed(ILogger logger, string reason, string thumbprint, DateTimeOffset notAfter, string certificatePath);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug,
        Message = "Loaded development certificate {Thumbprint}, valid until {NotAfter:O}, from {CertificatePath}")]
    private static partial void LogLoaded(ILogger logger, string thumbprint, DateTimeOffset notAfter, string certificatePath);
}
