using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>
/// The certificate Kestrel presents: the configured production certificate, or else the
/// development certificate kept (and renewed) in the data directory.
/// </summary>
internal sealed class ServerCertificateSource : IDisposable
{
    private readonly X509Certificate2? _production;
    private readonly DevelopmentCertificateProvider? _development;

    public ServerCertificateSource(EngineOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        if (options.CertificatePath is { } path)
        {
            _production = ServerCertificateLoader.Load(path, options.CertificateKeyPath);
        }
        else
        {
            _development = new DevelopmentCertificateProvider(options.ResolveDataDir(), time, loggers.CreateLogger<DevelopmentCertificateProvider>());
        }
    }

    /// <summary>Whether the certificate is the generated development one (then /cert-hash is served).</summary>
    public bool IsDevelopment => _development is not null;

    public X509Certificate2 Current => _production ?? _development!.GetCertificate();

    /// <summary>The development certificate's hashes; null with a production certificate.</summary>
    public CertificateHashes? DevelopmentHashes => _development?.GetHashes();

    public X509Certificate2? Select(ConnectionContext? connection, string? hostName) => Current;

    public void Dispose()
    {
        _production?.Dispose();
        _development?.Dispose();
    }
}
