namespace Engine.Hosting;

/// <summary>
/// Engine's settings, bound from the <c>Engine</c> configuration section (command line
/// <c>--Engine:Port=5000</c>, environment <c>Engine__Port=5000</c>, or appsettings.json).
/// Every default works with no configuration at all.
/// </summary>
public sealed class EngineOptions
{
    public const string SectionName = "Engine";

    /// <summary>The port: HTTPS on TCP, and HTTP/3 (QUIC) on UDP with the same number. Default 4433.</summary>
    public int Port { get; set; } = 4433;

    /// <summary>
    /// Serve HTTP/3 on UDP at <see cref="Port"/> too (the same content as HTTPS; HTTPS responses then
    /// carry <c>Alt-Svc: h3=":port"</c>). Default true.
    /// </summary>
    public bool Http3 { get; set; } = true;

    /// <summary>
    /// The path of WebTransport sessions (extended CONNECT over HTTP/3, on the UDP port). Default
    /// <c>/wt</c>. WebTransport needs <see cref="Http3"/>; the browser falls back to <c>/ws</c> without it.
    /// </summary>
    public string WebTransportPath { get; set; } = "/wt";

    /// <summary>"localhost" (IPv4 and IPv6 loopback, the default), "any" (every interface), or one IP address.</summary>
    public string Host { get; set; } = "localhost";

    /// <summary>Static files served at <c>/</c>; default: the browser sample copied next to the binary.</summary>
    public string? ContentRoot { get; set; }

    /// <summary>A production certificate (PEM or PFX). Without it a development certificate is generated.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key for <see cref="CertificatePath"/>, when it is not inside that file.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>Where Engine keeps its files (the development certificate). Default: ~/.local/share/engine.</summary>
    public string? DataDir { get; set; }

    /// <summary>Simulation ticks (and snapshots) per second, 1–128. Default 30.</summary>
    public int TickRate { get; set; } = 30;

    /// <summary>When set, joins need a token signed with this secret (see docs/protocol.md). Unset: anonymous joins.</summary>
    public string? TokenSecret { get; set; }

    /// <summary>Origins allowed to open WebSockets; empty allows any (development).</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Concurrent connections per instance; beyond it, 503 with Retry-After. Default 10,000.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Largest message a client may send, in bytes; larger closes with 1009. Default 16 KiB.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Most bytes one entity snapshot message may take, on every transport; on WebTransport one
    /// datagram's current payload limits it further (about 1,150 bytes). Changes that do not fit wait
    /// for a later tick, most important first. Default 16 KiB.
    /// </summary>
    public int MaxSnapshotBytes { get; set; } = 16 * 1024;

    /// <summary>Reliable messages queued per connection before it is dropped as a slow consumer. Default 256.</summary>
    public int SendQueueCapacity { get; set; } = 256;

    /// <summary>Players per room. Default 32.</summary>
    public int RoomCapacity { get; set; } = 32;

    /// <summary>Rooms per instance. Default 1,000.</summary>
    public int MaxRooms { get; set; } = 1_000;

    /// <summary>Longest chat line, in characters. Default 500.</summary>
    public int MaxChatLength { get; set; } = 500;

    /// <summary>Room events kept for reconnect replay and SSE resume. Default 1,024.</summary>
    public int ReplayBufferSize { get; set; } = 1_024;

    /// <summary>How often clients must send a heartbeat (ping). Default 30 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Grace beyond the interval before a silent client is dropped. Default 10 s.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A typing indicator without renewal expires after this. Default 3 s.</summary>
    public TimeSpan TypingTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a disconnected player's seat (and resume token) is held. Default 30 s.</summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Sustained inputs per second per connection; excess is dropped. Default 120 (burst 240).</summary>
    public double InputRatePerSecond { get; set; } = 120;

    /// <summary>Chat lines per second per connection; excess is dropped. Default 2 (burst 5).</summary>
    public double ChatRatePerSecond { get; set; } = 2;

    /// <summary>Room-document writes (set, remove, increment) per second per connection; excess is dropped. Default 10 (burst 20).</summary>
    public double DocumentRatePerSecond { get; set; } = 10;

    /// <summary>Dropped messages a connection may accumulate (refilled at a tenth per second) before it is closed with 1008. Default 50.</summary>
    public int AbuseAllowance { get; set; } = 50;

    /// <summary>Checks every value and throws one exception listing every problem.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
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

        Check(Port is >= 0 and <= 65535, $"Engine:Port must be 0–65535 (got {Port}; 0 picks a free port).");
        Check(Host is "localhost" or "any" || System.Net.IPAddress.TryParse(Host, out _), $"Engine:Host must be \"localhost\", \"any\" or an IP address (got \"{Host}\").");
        Check(Port != 0 || Host is not "localhost", "Engine:Port 0 needs an IP address in Engine:Host (Kestrel cannot pick one free port for both loopbacks).");
        Check(WebTransportPath is ['/', ..] && !WebTransportPath.Contains('?', StringComparison.Ordinal) && WebTransportPath != "/ws",
            $"Engine:WebTransportPath must start with '/', have no query and differ from /ws (got \"{WebTransportPath}\").");
        Check(TickRate is >= 1 and <= 128, $"Engine:TickRate must be 1–128 (got {TickRate}).");
        Check(MaxConnections >= 1, $"Engine:MaxConnections must be at least 1 (got {MaxConnections}).");
        Check(MaxMessageBytes is >= 256 and <= 16 * 1024 * 1024, $"Engine:MaxMessageBytes must be 256 B–16 MiB (got {MaxMessageBytes}).");
        Check(MaxSnapshotBytes is >= 64 and <= 1024 * 1024, $"Engine:MaxSnapshotBytes must be 64 B–1 MiB (got {MaxSnapshotBytes}).");
        Check(SendQueueCapacity >= 8, $"Engine:SendQueueCapacity must be at least 8 (got {SendQueueCapacity}).");
        Check(RoomCapacity >= 1, $"Engine:RoomCapacity must be at least 1 (got {RoomCapacity}).");
        Check(MaxRooms >= 1, $"Engine:MaxRooms must be at least 1 (got {MaxRooms}).");
        Check(MaxChatLength >= 1, $"Engine:MaxChatLength must be at least 1 (got {MaxChatLength}).");
        Check(ReplayBufferSize >= 16, $"Engine:ReplayBufferSize must be at least 16 (got {ReplayBufferSize}).");
        Check(HeartbeatInterval > TimeSpan.Zero, "Engine:HeartbeatInterval must be positive.");
        Check(HeartbeatTimeout > TimeSpan.Zero, "Engine:HeartbeatTimeout must be positive.");
        Check(TypingTimeout > TimeSpan.Zero, "Engine:TypingTimeout must be positive.");
        Check(ReconnectGrace >= TimeSpan.Zero, "Engine:ReconnectGrace cannot be negative.");
        Check(InputRatePerSecond > 0, "Engine:InputRatePerSecond must be positive.");
        Check(ChatRatePerSecond > 0, "Engine:ChatRatePerSecond must be positive.");
        Check(DocumentRatePerSecond > 0, "Engine:DocumentRatePerSecond must be positive.");
        Check(AbuseAllowance >= 1, "Engine:AbuseAllowance must be at least 1.");
        Check(TokenSecret is null || TokenSecret.Length >= 16, "Engine:TokenSecret must be at least 16 characters.");
        Check(CertificateKeyPath is null || CertificatePath is not null, "Engine:CertificateKeyPath needs Engine:CertificatePath.");
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid Engine configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems));
        }
    }

    /// <summary>The data directory, defaulted.</summary>
    public string ResolveDataDir() =>
        DataDir ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "engine");

    /// <summary>The content root, defaulted to the sample copied beside the binary.</summary>
    public string ResolveContentRoot() => ContentRoot ?? Path.Combine(AppContext.BaseDirectory, "wwwroot");
}
