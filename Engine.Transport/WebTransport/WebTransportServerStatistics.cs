using Engine.Transport.WebTransport.Protocol;

namespace Engine.Transport.WebTransport;

/// <summary>What an HTTP/3 server's WebTransport layer counted, over every connection so far.</summary>
public sealed class WebTransportServerStatistics
{
    private readonly Dictionary<int, long> _refusedByStatus = [];

    public long SessionsOpened { get; private set; }

    public long SessionsClosed { get; private set; }

    /// <summary>CONNECTs refused, by HTTP status (403, 404, 429, 503 …).</summary>
    public IReadOnlyDictionary<int, long> SessionsRefusedByStatus => _refusedByStatus;

    /// <summary>Streams refused: unknown or closed session, a full buffer, over a session's limit, or waited too long.</summary>
    public long StreamsRefused { get; private set; }

    /// <summary>Streams held until their session was established.</summary>
    public long StreamsBuffered { get; private set; }

    public long DatagramsReceived { get; private set; }

    /// <summary>Datagrams held until their session was established.</summary>
    public long DatagramsBuffered { get; private set; }

    /// <summary>Datagrams dropped: malformed, for a closed or impossible session, or expired before their session.</summary>
    public long DatagramsDropped { get; private set; }

    /// <summary>Sessions ended because their CONNECT stream carried a malformed capsule.</summary>
    public long MalformedCapsules { get; private set; }

    internal WebTransportServerStatistics Clone()
    {
        var copy = new WebTransportServerStatistics
        {
            SessionsOpened = SessionsOpened,
            SessionsClosed = SessionsClosed,
            StreamsRefused = StreamsRefused,
            StreamsBuffered = StreamsBuffered,
            DatagramsReceived = DatagramsReceived,
            DatagramsBuffered = DatagramsBuffered,
            DatagramsDropped = DatagramsDropped,
            MalformedCapsules = MalformedCapsules,
        };
        foreach ((int status, long count) in _refusedByStatus)
        {
            copy._refusedByStatus[status] = count;
        }

        return copy;
    }

    internal void Add(WebTransportServerExtension extension)
    {
        WebTransportCounters counters = extension.State.Counters;
        SessionsOpened += counters.SessionsOpened;
        SessionsClosed += counters.SessionsClosed;
        StreamsRefused += counters.StreamsRefused;
        StreamsBuffered += counters.StreamsBuffered;
        DatagramsReceived += counters.DatagramsReceived;
        DatagramsBuffered += counters.DatagramsBuffered;
        DatagramsDropped += counters.DatagramsDropped;
        MalformedCapsules += counters.MalformedCapsules;
        foreach ((int status, long count) in extension.Refusals)
        {
            _refusedByStatus[status] = _refusedByStatus.GetValueOrDefault(status) + count;
        }
    }
}
