using System.Net;
using Engine.Transport.WebTransport.Protocol;

namespace Engine.Transport.WebTransport;

/// <summary>A WebTransport CONNECT as the server received it, for <see cref="WebTransportServerOptions.Authorize"/>.</summary>
/// <param name="Path">The :path, with its query.</param>
/// <param name="Authority">The :authority.</param>
/// <param name="Origin">The page's origin (the <c>origin</c> field), when sent.</param>
/// <param name="Headers">Every regular field, names lowercase.</param>
/// <param name="RemoteEndPoint">The client's address.</param>
/// <param name="ConnectionId">The QUIC connection's process-unique number (sessions of one connection share it).</param>
public sealed record WebTransportConnectRequest(
    string Path,
    string Authority,
    string? Origin,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IPEndPoint RemoteEndPoint,
    long ConnectionId);

/// <summary>The answer to a CONNECT: 2xx accepts; anything else refuses with that status.</summary>
/// <param name="Status">The HTTP status (200 accepts).</param>
/// <param name="Message">A short text body for a refusal.</param>
/// <param name="RetryAfterSeconds">Sent as retry-after with a refusal (429, 503).</param>
public readonly record struct WebTransportConnectResult(int Status, string? Message = null, int? RetryAfterSeconds = null)
{
    public static WebTransportConnectResult Accept => new(200);

    public bool IsAccepted => Status is >= 200 and <= 299;
}

/// <summary>WebTransport (draft-02) on an <see cref="Io.Http3Server"/>: where it listens, what it bounds, and who gets the sessions.</summary>
public sealed record WebTransportServerOptions
{
    /// <summary>The CONNECT path; other paths get 404. Default "/wt".</summary>
    public string Path { get; init; } = "/wt";

    /// <summary>Sessions at once on one QUIC connection; more get 429. Default 4.</summary>
    public int MaxSessionsPerConnection { get; init; } = 4;

    /// <summary>Peer-opened streams a session holds at once; more are refused with H3_EXCESSIVE_LOAD. Default 64.</summary>
    public int MaxIncomingStreamsPerSession { get; init; } = 64;

    /// <summary>Streams that arrive before their session, held per connection; more are refused (WEBTRANSPORT_BUFFERED_STREAM_REJECTED). Default 16.</summary>
    public int MaxBufferedStreams { get; init; } = 16;

    /// <summary>Datagrams that arrive before their session, held per connection; more drop the oldest. Default 32.</summary>
    public int MaxBufferedDatagrams { get; init; } = 32;

    /// <summary>Bytes held for early streams and datagrams together, per connection. Default 64 KiB.</summary>
    public int MaxBufferedBytes { get; init; } = 64 * 1024;

    /// <summary>How long an early stream or datagram waits for its session. Default 2 s.</summary>
    public TimeSpan BufferedLifetime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Received datagrams queued per session until the application reads them; a full queue drops the oldest. Default 128.</summary>
    public int DatagramReceiveQueue { get; init; } = 128;

    /// <summary>Decides each CONNECT on the driver's thread (must not block). Null accepts every CONNECT on <see cref="Path"/>.</summary>
    public Func<WebTransportConnectRequest, WebTransportConnectResult>? Authorize { get; init; }

    /// <summary>Told (on the driver's thread) of each CONNECT the transport refused itself: 404 off <see cref="Path"/>, 429 over <see cref="MaxSessionsPerConnection"/>.</summary>
    public Action<WebTransportConnectRequest, int>? Refused { get; init; }

    /// <summary>Receives each established session, on the driver's thread: hand it off (e.g. to a task) and return.</summary>
    public Action<WebTransportSession>? SessionEstablished { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Path) || Path[0] != '/' || Path.Contains('?', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Path must start with '/' and have no query (got \"{Path}\").", nameof(Path));
        }

        if (SessionEstablished is null)
        {
            throw new ArgumentException("SessionEstablished must be set: someone has to take the sessions.", nameof(SessionEstablished));
        }

        ToLimits().Validate();
    }

    internal WebTransportLimits ToLimits() => new()
    {
        MaxSessionsPerConnection = MaxSessionsPerConnection,
        MaxIncomingStreamsPerSession = MaxIncomingStreamsPerSession,
        MaxBufferedStreams = MaxBufferedStreams,
        MaxBufferedDatagrams = MaxBufferedDatagrams,
        MaxBufferedBytes = MaxBufferedBytes,
        BufferedLifetime = BufferedLifetime,
        DatagramReceiveQueue = DatagramReceiveQueue,
    };
}
