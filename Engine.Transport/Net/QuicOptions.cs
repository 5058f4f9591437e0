using System.Net;
using System.Security.Cryptography.X509Certificates;
using CoreConnectionOptions = Engine.Transport.Quic.QuicTransportOptions;
using CoreStreamOptions = Engine.Transport.Quic.Streams.StreamManagerOptions;

namespace Engine.Transport.Net;

/// <summary>
/// Settings both roles share. Every default suits a game session; <c>Validate</c> runs when the
/// options are used and lists every problem in one <see cref="ArgumentException"/>.
/// </summary>
public abstract class QuicConnectionOptions
{
    /// <summary>ALPN names in preference order (required, e.g. "h3").</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; init; } = [];

    /// <summary>Close after this long without hearing from the peer (the smaller of both sides wins). Default 30 s; zero disables.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Send a PING after this long without sending, so a quiet but healthy connection stays open. Default 15 s; null disables.</summary>
    public TimeSpan? KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Bidirectional streams the peer may have open at once. Default 100.</summary>
    public int MaxInboundBidirectionalStreams { get; init; } = 100;

    /// <summary>Unidirectional streams the peer may have open at once. Default 100.</summary>
    public int MaxInboundUnidirectionalStreams { get; init; } = 100;

    /// <summary>Largest datagram payload accepted from the peer (RFC 9221); 0 refuses datagrams. Default 65536.</summary>
    public int MaxDatagramReceiveSize { get; init; } = 65536;

    /// <summary>How long a handshake may take before the connection attempt fails. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal void CheckCommon(List<string> problems)
    {
        if (ApplicationProtocols is null || ApplicationProtocols.Count == 0)
        {
            problems.Add("ApplicationProtocols needs at least one ALPN name (for example \"h3\").");
        }
        else if (ApplicationProtocols.Any(p => string.IsNullOrEmpty(p) || p.Length > 255 || !System.Text.Ascii.IsValid(p)))
        {
            problems.Add("Each ApplicationProtocols name must be 1–255 ASCII characters.");
        }

        if (IdleTimeout < TimeSpan.Zero)
        {
            problems.Add($"IdleTimeout must not be negative (got {IdleTimeout}).");
        }

        if (KeepAliveInterval is { } keepAlive && keepAlive <= TimeSpan.Zero)
        {
            problems.Add($"KeepAliveInterval must be positive, or null to disable it (got {keepAlive}).");
        }

        if (MaxInboundBidirectionalStreams is < 0 or > 1 << 20)
        {
            problems.Add($"MaxInboundBidirectionalStreams must be 0–1048576 (got {MaxInboundBidirectionalStreams}).");
        }

        if (MaxInboundUnidirectionalStreams is < 0 or > 1 << 20)
        {
            problems.Add($"MaxInboundUnidirectionalStreams must be 0–1048576 (got {MaxInboundUnidirectionalStreams}).");
        }

        if (MaxDatagramReceiveSize is < 0 or > 65536)
        {
            problems.Add($"MaxDatagramReceiveSize must be 0–65536 (got {MaxDatagramReceiveSize}).");
        }

        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            problems.Add($"HandshakeTimeout must be positive (got {HandshakeTimeout}).");
        }
    }

    internal static void ThrowIfAny(List<string> problems, string what)
    {
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid {what}:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems));
        }
    }

    internal CoreConnectionOptions ToCore(int connectionIdLength) => new()
    {
        IdleTimeout = IdleTimeout,
        KeepAliveInterval = KeepAliveInterval,
        MaxDatagramFrameSize = MaxDatagramReceiveSize,
        ConnectionIdLength = connectionIdLength,
        Streams = new CoreStreamOptions
        {
            MaxStreamsBidi = (ulong)MaxInboundBidirectionalStreams,
            MaxStreamsUni = (ulong)MaxInboundUnidirectionalStreams,
        },
    };
}

/// <summary>What <see cref="QuicListener.ListenAsync"/> binds and how its connections are set up.</summary>
public sealed class QuicListenerOptions : QuicConnectionOptions
{
    /// <summary>Where to listen (required). <see cref="IPAddress.IPv6Any"/> also serves IPv4; port 0 picks a free port.</summary>
    public IPEndPoint? ListenEndPoint { get; init; }

    /// <summary>The server certificate with its private key (required): ECDSA P-256, or RSA of at least 2048 bits.</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>Handshaken connections waiting for <see cref="QuicListener.AcceptConnectionAsync"/>; beyond it new ones are refused (closed). Default 512.</summary>
    public int ListenBacklog { get; init; } = 512;

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        CheckCommon(problems);
        if (ListenEndPoint is null)
        {
            problems.Add("ListenEndPoint is required (for example new IPEndPoint(IPAddress.Loopback, 0)).");
        }

        if (ServerCertificate is null)
        {
            problems.Add("ServerCertificate is required.");
        }
        else if (!ServerCertificate.HasPrivateKey)
        {
            problems.Add("ServerCertificate must include its private key.");
        }

        if (ListenBacklog is < 1 or > 65536)
        {
            problems.Add($"ListenBacklog must be 1–65536 (got {ListenBacklog}).");
        }

        ThrowIfAny(problems, nameof(QuicListenerOptions));
    }
}

/// <summary>Where <see cref="QuicConnection.ConnectAsync"/> connects and how it trusts the server.</summary>
public sealed class QuicClientConnectionOptions : QuicConnectionOptions
{
    /// <summary>The server's address (required).</summary>
    public IPEndPoint? RemoteEndPoint { get; init; }

    /// <summary>The server's name: sent as SNI and checked against its certificate (unless pinned by hash).</summary>
    public string? TargetHost { get; init; }

    /// <summary>
    /// SHA-256 hashes of acceptable server certificates, as WebTransport's serverCertificateHashes:
    /// when set they replace chain and name checks (the certificate must then be valid for at most 14 days and not RSA).
    /// </summary>
    public IReadOnlyList<byte[]> ServerCertificateHashes { get; init; } = [];

    /// <summary>Roots to trust instead of the system store (chain validation only).</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        CheckCommon(problems);
        if (RemoteEndPoint is null)
        {
            problems.Add("RemoteEndPoint is required.");
        }

        if (ServerCertificateHashes is null || ServerCertificateHashes.Any(h => h is null || h.Length != 32))
        {
            problems.Add("Each ServerCertificateHashes entry must be a 32-byte SHA-256.");
        }

        if (ServerCertificateHashes is { Count: 0 } && string.IsNullOrEmpty(TargetHost))
        {
            problems.Add("TargetHost is required to check the server's certificate (or pin it with ServerCertificateHashes).");
        }

        ThrowIfAny(problems, nameof(QuicClientConnectionOptions));
    }
}
