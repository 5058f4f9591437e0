using Engine.Transport.Quic;

namespace Engine.Transport.WebTransport.Protocol;

/// <summary>How a session ended: the application code and reason, and whether the peer ended it.</summary>
internal readonly record struct WebTransportCloseRecord(uint Code, string Reason, bool ByPeer);

/// <summary>
/// Receives one session's events on the connection's thread (the async session object of the
/// public API, or a test). Implementations must not block or throw.
/// </summary>
internal interface IWebTransportSessionSink
{
    /// <summary>The peer opened a stream of this session; its header is consumed and <paramref name="prefetched"/> is its first data.</summary>
    void OnIncomingStream(long streamId, bool bidirectional, ReadOnlySpan<byte> prefetched, bool finished);

    /// <summary>An event of one of this session's streams (readable, writable, reset, stop sending, finished).</summary>
    void OnStreamEvent(in QuicConnectionEvent e);

    /// <summary>A datagram's application bytes (the prefix removed); valid only during the call.</summary>
    void OnDatagram(ReadOnlySpan<byte> payload);

    /// <summary>Stream credit rose: a refused open may be retried.</summary>
    void OnStreamsAvailable();

    /// <summary>The peer asked to wind the session down (DRAIN_WEBTRANSPORT_SESSION).</summary>
    void OnDraining();

    /// <summary>The session ended (once); its streams were reset and stopped with H3_CONNECT_ERROR.</summary>
    void OnClosed(WebTransportCloseRecord close);
}
