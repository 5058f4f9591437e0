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
    /// <summary><paramref name="datagrams"/> datagrams of one message went out; <paramref name="fragments"/> when they were its fragments.</summary>
    void Sent(int datagrams, bool fragments);

    void Received(int bytes);

    void Dropped(DatagramDropReason reason, int datagrams = 1);
}
