using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Hosting;
using Microsoft.Extensions.Logging;

namespace Engine.Tests.Hosting;

public sealed class DevelopmentCertificateTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Create_Always_HasP256EcdsaKeyAndSha256Signature()
    {
        using X509Certificate2 certificate = DevelopmentCertificate.Create(Start);

        using ECDsa? publicKey = certificate.GetECDsaPublicKey();
        Assert.NotNull(publicKey);
        Assert.Equal(256, publicKey.KeySize);
        Assert.Equal(ECCurve.NamedCurves.nistP256.Oid.Value, publicKey.ExportParameters(false).Curve.Oid.Value);
        Assert.Equal("1.2.840.10045.4.3.2", certificate.SignatureAlgorithm.Value); // ecdsa-with-SHA256
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal("CN=localhost", certificate.Subject);
    }

    [Fact]
    public void Create_Always_HasLocalhostAndLoopbackSubjectAlternativeNames()
    {
        using X509Certificate2 certificate = DevelopmentCertificate.Create(Start);

        X509SubjectAlternativeNameExtension names = Assert.Single(certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["localhost"], names.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], names.EnumerateIPAddresses());
    }

    [Fact]
    public void Create_Always_ValidForThirteenDaysFromOneMinuteAgo()
    {
        using X509Certificate2 certificate = DevelopmentCertificate.Create(Start.AddMilliseconds(700));

        DateTimeOffset notBefore = new(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        DateTimeOffset notAfter = new(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        Assert.Equal(Start - TimeSpan.FromMinutes(1), notBefore);
        Assert.Equal(TimeSpan.FromDays(13), notAfter - notBefore);
        Assert.True(notAfter - notBefore <= TimeSpan.FromDays(14));
    }

    [Fact]
    public void Create_Always_IsServerAuthLeafWithDigitalSignatureUsage()
    {
        using X509Certificate2 certificate = DevelopmentCertificate.Create(Start);

        X509EnhancedKeyUsageExtension enhancedUsage = Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal(["1.3.6.1.5.5.7.3.1"], enhancedUsage.EnhancedKeyUsages.Cast<Oid>().Select(oid => oid.Value));
        X509KeyUsageExtension usage = Assert.Single(certificate.Extensions.OfType<X509KeyUsageExtension>());
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        X509BasicConstraintsExtension constraints = Assert.Single(certificate.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.False(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
    }

    [Fact]
    public void LoadOrCreate_MissingDirectory_CreatesItWithBothPemFiles()
    {
        string dataDirectory = _directory.Combine("nested", "data");

        using X509Certificate2 certificate = DevelopmentCertificate.LoadOrCreate(dataDirectory, new ManualTimeProvider(Start));

        string certificatePem = File.ReadAllText(Path.Combine(dataDirectory, DevelopmentCertificate.CertificateFileName));
        string keyPem = File.ReadAllText(Path.Combine(dataDirectory, DevelopmentCertificate.KeyFileName));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", certificatePem, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", keyPem, StringComparison.Ordinal);
        Assert.True(certificate.HasPrivateKey);
    }

    [Fact]
    public void LoadOrCreate_OnUnix_KeyFileIsOwnerReadWriteOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only.");
            return;
        }

        using X509Certificate2 certificate = DevelopmentCertificate.LoadOrCreate(_directory.Path, new ManualTimeProvider(Start));

        UnixFileMode mode = File.GetUnixFileMode(_directory.Combine(DevelopmentCertificate.KeyFileName));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public void LoadOrCreate_SecondCall_LoadsSameCertificateFromDisk()
    {
        var time = new ManualTimeProvider(Start);
        using X509Certificate2 first = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);
        time.Advance(TimeSpan.FromHours(1));

        using X509Certificate2 second = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);

        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.True(second.HasPrivateKey);
    }

    [Fact]
    public void LoadOrCreate_MoreThanMarginLeft_KeepsCertificate()
    {
        var time = new ManualTimeProvider(Start);
        using X509Certificate2 first = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);
        time.Advance(TimeSpan.FromDays(9)); // 13 days − 1 minute − 9 days: just under 4 days left

        using X509Certificate2 second = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);

        Assert.Equal(first.Thumbprint, second.Thumbprint);
    }

    [Fact]
    public void LoadOrCreate_WithinRenewalMargin_GeneratesNewCertificate()
    {
        var time = new ManualTimeProvider(Start);
        using X509Certificate2 first = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);
        time.Advance(TimeSpan.FromDays(10)); // just under 3 days left

        using X509Certificate2 second = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
        Assert.Equal(time.GetUtcNow() - TimeSpan.FromMinutes(1), new DateTimeOffset(second.NotBefore.ToUniversalTime(), TimeSpan.Zero));
        using X509Certificate2 onDisk = X509Certificate2.CreateFromPemFile(
            _directory.Combine(DevelopmentCertificate.CertificateFileName), _directory.Combine(DevelopmentCertificate.KeyFileName));
        Assert.Equal(second.Thumbprint, onDisk.Thumbprint);
    }

    [Fact]
    public void LoadOrCreate_ExactlyMarginLeft_GeneratesNewCertificate()
    {
        var time = new ManualTimeProvider(Start);
        using X509Certificate2 first = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);
        time.Advance(TimeSpan.FromDays(10) - TimeSpan.FromMinutes(1)); // exactly 3 days left

        using X509Certificate2 second = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
    }

    [Fact]
    public void LoadOrCreate_Expired_GeneratesNewCertificate()
    {
        var time = new ManualTimeProvider(Start);
        using X509Certificate2 first = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);
        time.Advance(TimeSpan.FromDays(30));

        using X509Certificate2 second = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
        Assert.True(second.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime);
    }

    [Fact]
    public void LoadOrCreate_CustomMargin_RenewsOnlyInsideIt()
    {
        var time = new ManualTimeProvider(Start);
        TimeSpan margin = TimeSpan.FromDays(1);
        using X509Certificate2 first = DevelopmentCertificate.LoadOrCreate(_directory.Path, time, margin);
        time.Advance(TimeSpan.FromDays(11));
        using X509Certificate2 kept = DevelopmentCertificate.LoadOrCreate(_directory.Path, time, margin);
        time.Advance(TimeSpan.FromDays(1));

        using X509Certificate2 renewed = DevelopmentCertificate.LoadOrCreate(_directory.Path, time, margin);

        Assert.Equal(first.Thumbprint, kept.Thumbprint);
        Assert.NotEqual(first.Thumbprint, renewed.Thumbprint);
    }

    [Fact]
    public void LoadOrCreate_CorruptFiles_GeneratesNewCertificate()
    {
        File.WriteAllText(_directory.Combine(DevelopmentCertificate.CertificateFileName), "not a certificate");
        File.WriteAllText(_directory.Combine(DevelopmentCertificate.KeyFileName), "not a key");
        var logger = new CollectingLogger<DevelopmentCertificateTests>();

        using X509Certificate2 certificate = DevelopmentCertificate.LoadOrCreate(_directory.Path, new ManualTimeProvider(Start), logger: logger);

        Assert.True(certificate.HasPrivateKey);
        Assert.Contains(logger.Entries, entry => entry.EventId.Id == 1101 && entry.Message.Contains("could not be loaded", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadOrCreate_KeyOfAnotherCertificate_GeneratesNewCertificate()
    {
        var time = new ManualTimeProvider(Start);
        using X509Certificate2 first = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);
        using X509Certificate2 other = DevelopmentCertificate.Create(Start);
        using ECDsa otherKey = other.GetECDsaPrivateKey()!;
        File.WriteAllText(_directory.Combine(DevelopmentCertificate.KeyFileName), otherKey.ExportPkcs8PrivateKeyPem());

        using X509Certificate2 second = DevelopmentCertificate.LoadOrCreate(_directory.Path, time);

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
        Assert.NotEqual(other.Thumbprint, second.Thumbprint);
    }

    [Fact]
    public void LoadOrCreate_GenerateThenRenew_LogsEachOnce()
    {
        var time = new ManualTimeProvider(Start);
        var logger = new CollectingLogger<DevelopmentCertificateTests>();
        using X509Certificate2 first = DevelopmentCertificate.LoadOrCreate(_directory.Path, time, logger: logger);
        using X509Certificate2 loaded = DevelopmentCertificate.LoadOrCreate(_directory.Path, time, logger: logger);
        time.Advance(TimeSpan.FromDays(12));

        using X509Certificate2 renewed = DevelopmentCertificate.LoadOrCreate(_directory.Path, time, logger: logger);

        (EventId EventId, LogLevel Level, string Message)[] important = [.. logger.Entries.Where(entry => entry.Level >= LogLevel.Information)];
        Assert.Equal([1100, 1101], important.Select(entry => entry.EventId.Id));
        Assert.Contains(first.Thumbprint, important[0].Message, StringComparison.Ordinal);
        Assert.Contains(renewed.Thumbprint, important[1].Message, StringComparison.Ordinal);
        Assert.Contains("within the renewal margin", important[1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(13.0)]
    [InlineData(20.0)]
    public void LoadOrCreate_MarginNotShorterThanValidity_Throws(double marginDays)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            DevelopmentCertificate.LoadOrCreate(_directory.Path, new ManualTimeProvider(Start), TimeSpan.FromDays(marginDays)));
    }
}
