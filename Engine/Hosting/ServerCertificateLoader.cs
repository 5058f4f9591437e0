using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Engine.Hosting;

/// <summary>
/// Loads a production TLS certificate from the <c>CertificatePath</c> / <c>CertificateKeyPath</c>
/// settings. The format is detected from the content, not the extension: a file containing
/// <c>-----BEGIN</c> is PEM, anything else is PKCS#12 (PFX).
/// </summary>
/// <remarks>
/// PEM: the key comes from <c>CertificateKeyPath</c> or, when that is not set, from the
/// certificate file itself; with a password the key is read as encrypted PKCS#8. Only the first
/// certificate of a PEM file is loaded (intermediates of a full-chain file are not attached).
/// PFX: the key is inside, so <c>CertificateKeyPath</c> must not be set.
/// Every failure is a <see cref="CertificateLoadException"/> whose message names the file.
/// </remarks>
public static class ServerCertificateLoader
{
    /// <summary>Loads the certificate and its private key.</summary>
    /// <param name="certificatePath">A PEM or PFX file.</param>
    /// <param name="certificateKeyPath">A PEM private key file, for a PEM certificate only.</param>
    /// <param name="password">The PFX password, or the password of an encrypted PEM key.</param>
    /// <returns>A certificate with a private key Kestrel can use.</returns>
    /// <exception cref="CertificateLoadException">A file is missing, unreadable, malformed, or the key is missing or does not match.</exception>
    public static X509Certificate2 Load(string certificatePath, string? certificateKeyPath = null, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        byte[] certificateBytes = ReadFile(certificatePath, "certificate", "CertificatePath");
        X509Certificate2 certificate = IsPem(certificateBytes)
            ? LoadPem(certificatePath, certificateBytes, certificateKeyPath, password)
            : LoadPkcs12(certificatePath, certificateBytes, certificateKeyPath, password);

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new CertificateLoadException(certificatePath,
                $"TLS certificate '{certificatePath}' has no private key; set CertificateKeyPath to its PEM key file or use a PFX that includes the key.");
        }

        return certificate;
    }

    private static X509Certificate2 LoadPem(string certificatePath, byte[] certificateBytes, string? keyPath, string? password)
    {
        string certificatePem = Encoding.UTF8.GetString(certificateBytes);
        string keyPem = keyPath is null
            ? certificatePem
            : Encoding.UTF8.GetString(ReadFile(keyPath, "private key", "CertificateKeyPath"));
        string keySource = keyPath ?? certificatePath;

        if (!keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new CertificateLoadException(keySource, keyPath is null
                ? $"TLS certificate '{certificatePath}' contains no private key; set CertificateKeyPath to its PEM key file."
                : $"TLS private key file '{keyPath}' contains no PEM private key.");
        }

        try
        {
            // Parsed alone first, so a bad certificate is not blamed on the key file.
            using X509Certificate2 certificateOnly = X509Certificate2.CreateFromPem(certificatePem);
        }
        catch (Exception exception) when (exception is CryptographicException or ArgumentException)
        {
            throw new CertificateLoadException(certificatePath,
                $"TLS certificate file '{certificatePath}' contains no valid PEM certificate: {exception.Message}", exception);
        }

        try
        {
            using X509Certificate2 loaded = password is null
                ? X509Certificate2.CreateFromPem(certificatePem, keyPem)
                : X509Certificate2.CreateFromEncryptedPem(certificatePem, keyPem, password);
            return DevelopmentCertificate.WithPersistedKey(loaded);
        }
        catch (Exception exception) when (exception is CryptographicException or ArgumentException)
        {
            // Mismatched keys surface as ArgumentException, unreadable or wrongly encrypted keys as CryptographicException.
            throw new CertificateLoadException(keySource,
                $"Cannot use private key '{keySource}' with TLS certificate '{certificatePath}': {exception.Message}", exception);
        }
    }

    private static X509Certificate2 LoadPkcs12(string certificatePath, byte[] certificateBytes, string? keyPath, string? password)
    {
        if (keyPath is not null)
        {
            throw new CertificateLoadException(keyPath,
                $"CertificateKeyPath '{keyPath}' is set, but certificate '{certificatePath}' is a PFX file, which carries its own key; remove CertificateKeyPath.");
        }

        try
        {
            return X509CertificateLoader.LoadPkcs12(certificateBytes, password);
        }
        catch (CryptographicException exception)
        {
            throw new CertificateLoadException(certificatePath,
                $"Cannot load TLS certificate '{certificatePath}' as PFX (wrong password, or neither PFX nor PEM): {exception.Message}", exception);
        }
    }

    private static byte[] ReadFile(string path, string what, string setting)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CertificateLoadException(path,
                $"TLS {what} file '{path}' ({setting}) does not exist.", exception);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException(path,
                $"TLS {what} file '{path}' ({setting}) cannot be read: {exception.Message}", exception);
        }
    }

    private static bool IsPem(byte[] content) => content.AsSpan().IndexOf("-----BEGIN"u8) >= 0;
}
