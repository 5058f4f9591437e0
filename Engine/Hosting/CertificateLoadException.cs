namespace Engine.Hosting;

/// <summary>A TLS certificate or key file is missing, unreadable or does not hold what it should.</summary>
public sealed class CertificateLoadException : Exception
{
    public CertificateLoadException(string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = path;
    }

    public CertificateLoadException()
    {
    }

    public CertificateLoadException(string message)
        : base(message)
    {
    }

    public CertificateLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The file that could not be used.</summary>
    public string? FilePath { get; }
}
