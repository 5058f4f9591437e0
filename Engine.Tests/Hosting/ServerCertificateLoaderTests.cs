using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Hosting;

namespace Engine.Tests.Hosting;

public sealed class ServerCertificateLoaderTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly X509Certificate2 _source = DevelopmentCertificate.Create(DateTimeOffset.UtcNow);

    public void Dispose()
    {
        _source.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Load_PemWithSeparateKeyFile_ReturnsCertificateWithKey()
    {
        (string certificatePath, string keyPath) = WritePem();

        using X509Certificate2 loaded = ServerCertificateLoader.Load(certificatePath, keyPath);

        Assert.Equal(_source.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
    }

    [Fact]
    public void Load_PemWithKeyInSameFile_ReturnsCertificateWithKey()
    {
        (string certificatePath, string keyPath) = WritePem();
        string combinedPath = _directory.Combine("combined.pem");
        File.WriteAllText(combinedPath, File.ReadAllText(certificatePath) + "\n" + File.ReadAllText(keyPath));

        using X509Certificate2 loaded = ServerCertificateLoader.Load(combinedPath);

        Assert.Equal(_source.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
    }

    [Fact]
    public void Load_PfxWithPassword_ReturnsCertificateWithKey()
    {
        string pfxPath = _directory.Combine("server.bin"); // no telling extension: the format is sniffed
        File.WriteAllBytes(pfxPath, _source.Export(X509ContentType.Pkcs12, "secret"));

        using X509Certificate2 loaded = ServerCertificateLoader.Load(pfxPath, password: "secret");

        Assert.Equal(_source.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
    }

    [Fact]
    public void Load_MissingCertificateFile_ThrowsNamingPath()
    {
        string missing = _directory.Combine("absent", "server.pem");

        CertificateLoadException exception = Assert.Throws<CertificateLoadException>(() => ServerCertificateLoader.Load(missing));

        Assert.Equal(missing, exception.FilePath);
        Assert.Contains($"'{missing}'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", exception.Message, StringComparison.Ordinal);
        Assert.Contains("CertificatePath", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingKeyFile_ThrowsNamingKeyPath()
    {
        (string certificatePath, _) = WritePem();
        string missingKey = _directory.Combine("absent-key.pem");

        CertificateLoadException exception = Assert.Throws<CertificateLoadException>(() => ServerCertificateLoader.Load(certificatePath, missingKey));

        Assert.Equal(missingKey, exception.FilePath);
        Assert.Contains($"'{missingKey}'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("CertificateKeyPath", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PemWithoutKey_ThrowsSuggestingKeyPath()
    {
        (string certificatePath, _) = WritePem();

        CertificateLoadException exception = Assert.Throws<CertificateLoadException>(() => ServerCertificateLoader.Load(certificatePath));

        Assert.Contains($"'{certificatePath}'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("CertificateKeyPath", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_KeyOfAnotherCertificate_ThrowsNamingKeyPath()
    {
        (string certificatePath, _) = WritePem();
        using X509Certificate2 other = DevelopmentCertificate.Create(DateTimeOffset.UtcNow);
        using ECDsa otherKey = other.GetECDsaPrivateKey()!;
        string otherKeyPath = _directory.Combine("other-key.pem");
        File.WriteAllText(otherKeyPath, otherKey.ExportPkcs8PrivateKeyPem());

        CertificateLoadException exception = Assert.Throws<CertificateLoadException>(() => ServerCertificateLoader.Load(certificatePath, otherKeyPath));

        Assert.Equal(otherKeyPath, exception.FilePath);
        Assert.Contains($"'{otherKeyPath}'", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"'{certificatePath}'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_GarbageFile_ThrowsNamingPath()
    {
        string garbagePath = _directory.Combine("garbage.pfx");
        File.WriteAllBytes(garbagePath, [1, 2, 3, 4, 5]);

        CertificateLoadException exception = Assert.Throws<CertificateLoadException>(() => ServerCertificateLoader.Load(garbagePath));

        Assert.Equal(garbagePath, exception.FilePath);
        Assert.Contains($"'{garbagePath}'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PemWithoutCertificateBlock_ThrowsNamingCertificatePath()
    {
        (_, string keyPath) = WritePem();

        CertificateLoadException exception = Assert.Throws<CertificateLoadException>(() => ServerCertificateLoader.Load(keyPath, keyPath));

        Assert.Equal(keyPath, exception.FilePath);
        Assert.Contains("no valid PEM certificate", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PfxWithKeyPath_ThrowsNamingKeyPath()
    {
        string pfxPath = _directory.Combine("server.pfx");
        File.WriteAllBytes(pfxPath, _source.Export(X509ContentType.Pkcs12));
        (_, string keyPath) = WritePem();

        CertificateLoadException exception = Assert.Throws<CertificateLoadException>(() => ServerCertificateLoader.Load(pfxPath, keyPath));

        Assert.Equal(keyPath, exception.FilePath);
    }

    private (string CertificatePath, string KeyPath) WritePem()
    {
        string certificatePath = _directory.Combine("server.pem");
        string keyPath = _directory.Combine("server-key.pem");
        using ECDsa key = _source.GetECDsaPrivateKey()!;
        File.WriteAllText(certificatePath, _source.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
