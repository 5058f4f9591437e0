namespace Engine.Transport.WebTransport;

/// <summary>Why a datagram was not sent or not delivered.</summary>
public enum DatagramDropReason
{
    /// <summary>A message needed more than <see cref="MessageDatagrams.MaxFragments"/> datagrams, or the peer takes none.</summary>
    TooLarge,

    /// <summary>QUIC refused it (the session or connection closing).</summary>
    Refused,

    /// <summary>From the peer: not a whole-message datagram, or larger than the message limit.</summary>
    Malformed,

    /// <summary>From the peer: the application's receive queue was full.</summary>
    ReceiveQueueFull,
}

/// <summary>Counts one transport session's datagrams as they happen (the host's metrics); calls must be cheap and never throw.</summary>
public interface IDatagramMeter
{
    void Sent(int bytes, bool fragment);

    void Received(int bytes);

    void Dropped(DatagramDropReason reason);
}
