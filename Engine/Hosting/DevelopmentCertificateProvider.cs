using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Engine.Hosting;

/// <summary>
/// Serves the current development certificate and renews it in place, so a long-running host
/// never presents an expired one. Cheap enough to ask on every TLS handshake: the common path is
/// one volatile read and one clock read. Safe from any thread.
/// </summary>
/// <remarks>
/// Renewal happens on the first request after the certificate enters the renewal margin, under a
/// lock, through <see cref="DevelopmentCertificate.LoadOrCreate"/> (so a certificate another
/// process already renewed on disk is picked up). A replaced certificate is not disposed, since a
/// handshake may still be using it; the garbage collector reclaims it. If renewal fails while the
/// current certificate has not expired yet, the failure is logged, the current one keeps being
/// served and renewal is retried after <see cref="RenewalRetryDelay"/>.
/// </remarks>
public sealed partial class DevelopmentCertificateProvider : IDisposable
{
    private readonly string _dataDirectory;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _renewalMargin;
    private readonly ILogger _logger;
    private readonly Lock _renewLock = new();
    private volatile Issued? _current;
    private bool _disposed;

    /// <param name="dataDirectory">Where the PEM files are kept (see <see cref="DevelopmentCertificate"/>).</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Told about generation, renewal and renewal failures.</param>
    /// <param name="renewalMargin">Defaults to <see cref="DevelopmentCertificate.DefaultRenewalMargin"/>.</param>
    public DevelopmentCertificateProvider(
        string dataDirectory,
        TimeProvider? timeProvider = null,
        ILogger<DevelopmentCertificateProvider>? logger = null,
        TimeSpan? renewalMargin = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        _dataDirectory = dataDirectory;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _renewalMargin = DevelopmentCertificate.ValidateRenewalMargin(renewalMargin ?? DevelopmentCertificate.DefaultRenewalMargin);
    }

    /// <summary>How long to wait before retrying a failed renewal: 1 minute.</summary>
    public static TimeSpan RenewalRetryDelay { get; } = TimeSpan.FromMinutes(1);

    /// <summary>The certificate to present now, loading, generating or renewing it when needed.</summary>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    public X509Certificate2 GetCertificate() => Current().Certificate;

    /// <summary>The hashes of the certificate <see cref="GetCertificate"/> returns now.</summary>
    public CertificateHashes GetHashes() => Current().Hashes;

    /// <summary>
    /// Matches Kestrel's <c>HttpsConnectionAdapterOptions.ServerCertificateSelector</c>; the
    /// certificate is the same for every connection and host name.
    /// </summary>
    public X509Certificate2? SelectCertificate(ConnectionContext? connection, string? hostName) => GetCertificate();

    public void Dispose()
    {
        lock (_renewLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _current?.Certificate.Dispose();
            _current = null;
        }
    }

    private Issued Current()
    {
        Issued? issued = _current;
        if (issued is not null && _timeProvider.GetUtcNow() < issued.RenewAt)
        {
            return issued;
        }

        return Renew();
    }

    private Issued Renew()
    {
        lock (_renewLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            DateTimeOffset now = _timeProvider.GetUtcNow();
            Issued? previous = _current;
            if (previous is not null && now < previous.RenewAt)
            {
                return previous; // another thread renewed while this one waited
            }

            X509Certificate2 certificate;
            try
            {
                certificate = DevelopmentCertificate.LoadOrCreate(_dataDirectory, _timeProvider, _renewalMargin, _logger);
            }
            catch (Exception exception) when (previous is not null && now < previous.NotAfter)
            {
                LogRenewalFailed(_logger, exception, previous.Certificate.Thumbprint, previous.NotAfter, RenewalRetryDelay);
                Issued retryLater = previous with { RenewAt = now + RenewalRetryDelay };
                _current = retryLater;
                return retryLater;
            }

            DateTimeOffset notAfter = DevelopmentCertificate.NotAfterUtc(certificate);
            var renewed = new Issued(certificate, CertificateHashes.Compute(certificate), notAfter - _renewalMargin, notAfter);
            _current = renewed;
            return renewed;
        }
    }

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error,
        Message = "Could not renew the development certificate; still serving {Thumbprint} (valid until {NotAfter:O}) and retrying in {RetryDelay}")]
    private static partial void LogRenewalFailed(ILogger logger, Exception exception, string thumbprint, DateTimeOffset notAfter, TimeSpan retryDelay);

    /// <summary>One certificate with everything the fast path needs, swapped as a unit.</summary>
    private sealed record Issued(X509Certificate2 Certificate, CertificateHashes Hashes, DateTimeOffset RenewAt, DateTimeOffset NotAfter);
}
