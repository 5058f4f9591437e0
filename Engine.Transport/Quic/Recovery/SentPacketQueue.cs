namespace Engine.Transport.Quic.Recovery;

/// <summary>
/// One packet-number space's sent packets in packet-number order: a power-of-two ring of slots
/// with a head index. Packets are appended with increasing numbers; acknowledging or losing one
/// empties its slot (remembering whether it was acknowledged, which persistent-congestion
/// detection needs), and empty slots at the head are dropped by <see cref="TrimHead"/>.
/// Growing the ring is the only allocation, and only while the window grows.
/// </summary>
internal sealed class SentPacketQueue
{
    private Slot[] _slots = new Slot[32];
    private int _head;
    private int _count;

    /// <summary>Slots between the head and the tail, empty ones included.</summary>
    public int Count => _count;

    /// <summary>The slot at <paramref name="index"/> from the head (0 &lt;= index &lt; <see cref="Count"/>).</summary>
    public ref Slot this[int index] => ref _slots[(_head + index) & (_slots.Length - 1)];

    /// <summary>The most recently appended packet if its slot is still occupied.</summary>
    public SentPacket? Last => _count == 0 ? null : this[_count - 1].Packet;

    public void Add(SentPacket packet)
    {
        if (_count == _slots.Length)
        {
            Grow();
        }

        this[_count] = new Slot { PacketNumber = packet.PacketNumber, Packet = packet };
        _count++;
    }

    /// <summary>Index of the first slot whose packet number is at least <paramref name="packetNumber"/> (Count if none).</summary>
    public int LowerBound(long packetNumber)
    {
        int low = 0;
        int high = _count;
        while (low < high)
        {
            int middle = low + ((high - low) / 2);
            if (this[middle].PacketNumber < packetNumber)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>Drops empty slots at the head.</summary>
    public void TrimHead()
    {
        while (_count > 0 && this[0].Packet is null)
        {
            this[0] = default;
            _head = (_head + 1) & (_slots.Length - 1);
            _count--;
        }
    }

    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            this[i] = default;
        }

        _head = 0;
        _count = 0;
    }

    private void Grow()
    {
        var larger = new Slot[_slots.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            larger[i] = this[i];
        }

        _slots = larger;
        _head = 0;
    }

    internal struct Slot
    {
        public long PacketNumber;

        /// <summary>Null once acknowledged, lost or superseded.</summary>
        public SentPacket? Packet;

        /// <summary>The packet was acknowledged (not lost or dropped).</summary>
        public bool Acked;
    }
}
