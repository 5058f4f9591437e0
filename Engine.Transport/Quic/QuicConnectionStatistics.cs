namespace Engine.Transport.Quic;

/// <summary>Counters a connection keeps for tests, logs and metrics.</summary>
internal sealed class QuicConnectionStatistics
{
    public long DatagramsReceived { get; internal set; }

    public long PacketsReceived { get; internal set; }

    /// <summary>Packets dropped before processing: undecryptable, unknown keys, bad header, wrong connection ID.</summary>
    public long PacketsDropped { get; internal set; }

    /// <summary>Packets whose packet number was already processed.</summary>
    public long DuplicatePackets { get; internal set; }

    /// <summary>CRYPTO frames that carried no byte not already received (a peer's retransmission).</summary>
    public long DuplicateCryptoFrames { get; internal set; }

    public long DatagramsSent { get; internal set; }

    public long PacketsSent { get; internal set; }

    public long BytesSent { get; internal set; }

    public long BytesReceived { get; internal set; }

    /// <summary>Received DATAGRAM frames dropped because the application had not taken older ones.</summary>
    public long DatagramFramesDropped { get; internal set; }
}
