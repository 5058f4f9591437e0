using Engine.Transport.Quic;

namespace Engine.Transport.Http3;

/// <summary>
/// A protocol layered on one HTTP/3 server connection (WebTransport) that takes over the streams
/// HTTP/3 hands it: extended CONNECT requests it serves, client streams that start with a
/// WebTransport signal, and every event and datagram of those streams from then on. Called on the
/// connection's thread; implementations never throw for peer bytes.
/// </summary>
internal interface IHttp3ServerExtension
{
    /// <summary>True when this extension serves an extended CONNECT with <paramref name="protocol"/> (":protocol").</summary>
    bool ServesProtocol(string protocol);

    /// <summary>
    /// An extended CONNECT the extension serves has its head. Returns a refusal for HTTP/3 to send
    /// (the stream then stays HTTP/3's), or null when the extension accepted: it answered through
    /// <paramref name="request"/> and owns the stream from now on; <paramref name="leftover"/> is
    /// what followed the HEADERS frame in the same read.
    /// </summary>
    Http3Response? OnExtendedConnect(Http3ServerRequest request, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now);

    /// <summary>A client bidirectional stream began with WEBTRANSPORT_STREAM (0x41) and <paramref name="sessionId"/>; <paramref name="leftover"/> is its first data.</summary>
    void OnBidirectionalStream(long streamId, long sessionId, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now);

    /// <summary>A client unidirectional stream has type 0x54; <paramref name="leftover"/> follows the type (the session ID comes first).</summary>
    void OnUnidirectionalStream(long streamId, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now);

    /// <summary>True for streams handed over earlier (their events go to <see cref="OnStreamEvent"/>).</summary>
    bool Owns(long streamId);

    /// <summary>An event of a stream the extension owns.</summary>
    void OnStreamEvent(in QuicConnectionEvent e, TimeSpan now);

    /// <summary>The connection has received datagrams; the extension drains the core's queue.</summary>
    void OnDatagramsReceived(TimeSpan now);

    /// <summary>Stream credit rose after an open was refused.</summary>
    void OnStreamsAvailable(TimeSpan now);

    /// <summary>The server began a graceful shutdown (GOAWAY sent).</summary>
    void OnShutdown(TimeSpan now);

    /// <summary>The connection is closing: every session ends now.</summary>
    void OnConnectionClosing();

    /// <summary>Runs after each round of events: expires buffered streams and datagrams.</summary>
    void OnProcessed(TimeSpan now);

    /// <summary>Sessions still open (a graceful shutdown waits for them).</summary>
    int ActiveSessions { get; }
}
