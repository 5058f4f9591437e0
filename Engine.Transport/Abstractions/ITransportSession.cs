using System.Net;

namespace Engine.Transport.Abstractions;

/// <summary>
/// One connected client, whatever carries it (WebSocket today, WebTransport later): reliable
/// ordered messages, unreliable latest-wins datagrams, close with a reason, and an RTT estimate.
/// Rooms talk to players only through this seam and never learn which transport is underneath.
/// </summary>
/// <remarks>
/// Sends never block the caller (a tick loop): they copy the bytes into a bounded queue. The
/// reliable queue's policy when full is to close the session with
/// <see cref="SessionCloseCode.SlowConsumer"/>; an unreliable channel holds at most one pending
/// datagram, which a newer one replaces.
/// </remarks>
public interface ITransportSession : IAsyncDisposable
{
    /// <summary>A unique id for logs and metrics.</summary>
    string Id { get; }

    /// <summary>The transport's name, e.g. "websocket" or "webtransport".</summary>
    string TransportName { get; }

    /// <summary>The peer's address, when known.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// The largest unreliable message that goes out whole, as one datagram, right now (on WebTransport
    /// the path's datagram payload less the message framing; on WebSocket the session's send limit).
    /// Larger messages are split over several datagrams and lost whole when any piece is.
    /// </summary>
    int MaxUnreliableMessageBytes { get; }

    /// <summary>Smoothed round-trip time; null until the first sample.</summary>
    TimeSpan? RoundTripTime { get; }

    /// <summary>How the session closed; null while open.</summary>
    SessionCloseInfo? CloseInfo { get; }

    /// <summary>Cancelled when the session closes, from either side.</summary>
    CancellationToken Closed { get; }

    /// <summary>
    /// Feeds an RTT sample measured above the transport (the engine's ping/pong), for transports
    /// that cannot measure RTT themselves. Smoothed as in RFC 6298.
    /// </summary>
    void ObserveRoundTrip(TimeSpan sample);

    /// <summary>Queues a reliable, ordered message (copied). Never blocks.</summary>
    /// <returns>
    /// False when the session is closed, or when the send queue was full, in which case the session
    /// is closed with <see cref="SessionCloseCode.SlowConsumer"/>.
    /// </returns>
    bool TrySendReliable(ReadOnlySpan<byte> message);

    /// <summary>
    /// Offers an unreliable datagram (copied) on <paramref name="channel"/>. Latest wins: a datagram
    /// not yet sent is replaced, so the channel never queues behind reliable traffic. Never blocks.
    /// </summary>
    /// <returns>False when the session is closed.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The channel is not one the transport offers.</exception>
    bool SendUnreliable(int channel, ReadOnlySpan<byte> datagram);

    /// <summary>
    /// Waits for the next message from the peer. The payload is valid until the next call.
    /// A result with <see cref="TransportReceiveResult.IsClosed"/> set means the session has closed.
    /// </summary>
    ValueTask<TransportReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Closes the session with a code and a human-readable reason. Reliable messages already queued
    /// are flushed first, within the transport's close timeout. Idempotent: the first close wins.
    /// </summary>
    ValueTask CloseAsync(SessionCloseCode code, string reason, CancellationToken cancellationToken = default);
}
