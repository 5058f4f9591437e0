namespace Engine.Cluster;

/// <summary>
/// Cluster settings, bound from the <c>Engine:Nats</c> configuration section (command line
/// <c>--Engine:Nats:Url=nats://127.0.0.1:4222</c>, environment <c>Engine__Nats__Url</c>, or
/// appsettings.json). With no <see cref="Url"/> the instance is a cluster of one
/// (<see cref="InProcessClusterBus"/>); with one it joins the others over NATS (<see cref="NatsClusterBus"/>).
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Engine:Nats";

    /// <summary>The default <see cref="ClusterName"/>.</summary>
    public const string DefaultClusterName = "engine";

    /// <summary>
    /// The NATS server: one URL or several comma-separated (<c>nats://a:4222,nats://b:4222</c>; schemes
    /// nats, tls, ws, wss). Null or empty: no cluster, the in-process bus.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>
    /// The cluster's name and subject prefix: every subject is published as <c>&lt;ClusterName&gt;.&lt;subject&gt;</c>,
    /// so clusters with different names share one NATS without seeing each other. Letters, digits,
    /// '-' and '_' only (no '.', '*', '&gt;' or whitespace); at most 64 characters. Default <c>engine</c>.
    /// </summary>
    public string ClusterName { get; set; } = DefaultClusterName;

    /// <summary>User name for user/password authentication; needs <see cref="Password"/>.</summary>
    public string? User { get; set; }

    /// <summary>Password for user/password authentication; needs <see cref="User"/>.</summary>
    public string? Password { get; set; }

    /// <summary>Token authentication; exclusive of <see cref="User"/>.</summary>
    public string? Token { get; set; }

    /// <summary>A NATS credentials file (<c>.creds</c>: user JWT and NKey seed, decentralized auth).</summary>
    public string? CredentialsFile { get; set; }

    /// <summary>A file holding an NKey seed (<c>SU…</c>) for NKey authentication; exclusive of <see cref="CredentialsFile"/>.</summary>
    public string? NKeyFile { get; set; }

    /// <summary>PEM CA certificate that the server's certificate must chain to. Setting any Tls* option requires TLS.</summary>
    public string? TlsCaFile { get; set; }

    /// <summary>PEM client certificate for mutual TLS; needs <see cref="TlsKeyFile"/>.</summary>
    public string? TlsCertFile { get; set; }

    /// <summary>PEM private key of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>Accept any server certificate (testing only: no protection against a man in the middle). Default false.</summary>
    public bool TlsInsecure { get; set; }

    /// <summary>
    /// Messages waiting to be published, per instance. When full, <see cref="IClusterBus.Publish"/>
    /// drops the oldest queued message (counted in <see cref="NatsClusterBus.OutboundDropped"/>); it
    /// never blocks, also while NATS is unreachable. Default 10,000.
    /// </summary>
    public int OutboundQueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Messages received but not yet handled, per subscription. When full, new messages are dropped
    /// (counted in <see cref="NatsClusterBus.InboundDropped"/>). Default 10,000.
    /// </summary>
    public int InboundQueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Largest payload <see cref="IClusterBus.Publish"/> accepts, in bytes; a larger one is refused
    /// (false, counted in <see cref="NatsClusterBus.Refused"/>). The server's own max_payload (1 MiB by
    /// default) caps it further once connected. 1 B–64 MiB; default 1 MiB.
    /// </summary>
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>True when <see cref="Url"/> names a server (cluster mode).</summary>
    public bool IsClustered => !string.IsNullOrWhiteSpace(Url);

    /// <summary>Checks every value and throws one exception listing every problem.</summary>
    /// <exception cref="ArgumentException">A value is invalid (the message names each <c>Engine:Nats:*</c> key at fault).</exception>
    public void Validate()
    {
        var problems = new List<string>();
        void Check(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }

        Check(IsValidClusterName(ClusterName),
            $"Engine:Nats:ClusterName must be 1–64 characters of letters, digits, '-' or '_' (no '.', '*', '>' or whitespace; it is the subject prefix) (got \"{ClusterName}\").");
        if (IsClustered)
        {
            foreach (string url in Url!.Split(','))
            {
                Check(IsValidUrl(url.Trim()), $"Engine:Nats:Url must be nats://, tls://, ws:// or wss:// URLs separated by commas (\"{url.Trim()}\" is not).");
            }
        }

        Check(string.IsNullOrEmpty(User) == string.IsNullOrEmpty(Password), "Engine:Nats:User and Engine:Nats:Password go together.");
        int authModes = (string.IsNullOrEmpty(User) ? 0 : 1) + (string.IsNullOrEmpty(Token) ? 0 : 1)
            + (string.IsNullOrEmpty(CredentialsFile) ? 0 : 1) + (string.IsNullOrEmpty(NKeyFile) ? 0 : 1);
        Check(authModes <= 1, "Engine:Nats: set at most one of User/Password, Token, CredentialsFile and NKeyFile.");
        CheckFile(CredentialsFile, "CredentialsFile");
        CheckFile(NKeyFile, "NKeyFile");
        CheckFile(TlsCaFile, "TlsCaFile");
        CheckFile(TlsCertFile, "TlsCertFile");
        CheckFile(TlsKeyFile, "TlsKeyFile");
        Check(string.IsNullOrEmpty(TlsCertFile) == string.IsNullOrEmpty(TlsKeyFile), "Engine:Nats:TlsCertFile and Engine:Nats:TlsKeyFile go together.");
        Check(OutboundQueueCapacity is >= 1 and <= 10_000_000, $"Engine:Nats:OutboundQueueCapacity must be 1–10,000,000 (got {OutboundQueueCapacity}).");
        Check(InboundQueueCapacity is >= 1 and <= 10_000_000, $"Engine:Nats:InboundQueueCapacity must be 1–10,000,000 (got {InboundQueueCapacity}).");
        Check(MaxPayloadBytes is >= 1 and <= 64 * 1024 * 1024, $"Engine:Nats:MaxPayloadBytes must be 1 B–64 MiB (got {MaxPayloadBytes}).");
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid Engine:Nats configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems));
        }

        void CheckFile(string? path, string key) =>
            Check(string.IsNullOrEmpty(path) || File.Exists(path), $"Engine:Nats:{key} names a file that does not exist (\"{path}\").");
    }

    /// <summary>True when <paramref name="name"/> can be the cluster's subject prefix.</summary>
    internal static bool IsValidClusterName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidUrl(string url)
    {
        if (url.Length == 0)
        {
            return false;
        }

        // NATS.Client.Core accepts host:port without a scheme and reads it as nats://.
        string withScheme = url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url;
        return Uri.TryCreate(withScheme, UriKind.Absolute, out Uri? uri)
            && uri.Scheme is "nats" or "tls" or "ws" or "wss"
            && uri.Host.Length > 0;
    }
}
