namespace Engine.Transport.Abstractions;

/// <summary>Receives one unreliable message on the transport's I/O thread; the span is valid only during the call.</summary>
public delegate void UnreliableMessageHandler(ReadOnlySpan<byte> message);

/// <summary>
/// A transport that can hand unreliable messages (inputs) to the host on its I/O thread as they
/// arrive, instead of through <see cref="ITransportSession.ReceiveAsync"/>: no thread hop and no
/// wake-up per message. WebTransport offers it; WebSocket has no unreliable inbound path.
/// </summary>
public interface IUnreliableMessageSource
{
    /// <summary>
    /// Sets the handler (null returns to queuing). It runs on the I/O thread: quick, never blocking,
    /// never throwing. Messages that arrived before it was set may still come through ReceiveAsync.
    /// </summary>
    void SetUnreliableHandler(UnreliableMessageHandler? handler);
}
