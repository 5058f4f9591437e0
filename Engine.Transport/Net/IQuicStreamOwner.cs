using Engine.Transport.Quic;

namespace Engine.Transport.Net;

/// <summary>
/// What a <see cref="QuicStream"/> needs from whoever owns it: a QUIC connection of the Net API, or
/// a WebTransport session (whose application error codes live in a range of HTTP/3's).
/// </summary>
internal interface IQuicStreamOwner
{
    QuicConnectionCore Core { get; }

    /// <summary>Set once the owner closed; every later operation throws it.</summary>
    QuicException? CloseException { get; }

    /// <summary>Runs <paramref name="action"/> on the driver's thread, under its lock.</summary>
    T Invoke<T>(Func<TimeSpan, T> action);

    /// <summary>Throws <see cref="CloseException"/> when set.</summary>
    void ThrowIfClosed();

    /// <summary>Both directions of the stream are over: stop tracking it.</summary>
    void Forget(long streamId);

    /// <summary>The code put on the wire for an application error code given to <see cref="QuicStream.Abort"/>.</summary>
    ulong ToWireErrorCode(long applicationErrorCode);
}
