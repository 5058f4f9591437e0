namespace Engine.Transport.Quic.Recovery;

/// <summary>
/// What loss recovery remembers of a sent packet (RFC 9002 Appendix A.1.1). Instances are
/// reused: the tracker returns them to its pool once acknowledged, lost or discarded, so
/// nothing is allocated per packet in steady state.
/// </summary>
internal sealed class SentPacket
{
    public long PacketNumber { get; set; }

    public TimeSpan TimeSent { get; set; }

    /// <summary>Bytes of the packet on the wire (counted toward bytes in flight when <see cref="InFlight"/>).</summary>
    public int Size { get; set; }

    public bool AckEliciting { get; set; }

    public bool InFlight { get; set; }

    /// <summary>The frames it carried, for the owner's acked/lost callbacks.</summary>
    public List<SentFrame> Frames { get; } = new(8);

    public void Reset()
    {
        PacketNumber = 0;
        TimeSent = default;
        Size = 0;
        AckEliciting = false;
        InFlight = false;
        Frames.Clear();
    }
}
