using Engine.Transport.Coding;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Quic.Connection;

/// <summary>
/// Assembles one UDP datagram of up to three coalesced packets (Initial, Handshake, 1-RTT):
/// lays out each packet's header room and hands the connection a writer for its frames, keeps
/// the minimum payload header protection needs, pads datagrams carrying Initial packets
/// (RFC 9000 §14.1), then writes headers and applies packet protection. The connection chooses
/// the frames and records what was sent. Reused for every datagram: it allocates nothing.
/// </summary>
internal sealed class PacketBuilder
{
    /// <summary>The AEAD tag every packet ends with.</summary>
    public const int TagLength = QuicCipherSuites.TagLength;

    /// <summary>A packet is started only when at least this much payload fits; less is not worth a packet number's header.</summary>
    private const int MinPayloadRoom = 32;

    private readonly PendingPacket[] _packets = new PendingPacket[3];
    private int _count;
    private int _datagramLength;
    private PendingPacket _current;

    /// <summary>The frames of the packet being built, for loss recovery; cleared when a packet starts.</summary>
    public List<SentFrame> Frames { get; } = new(16);

    /// <summary>Packets finished in the current datagram.</summary>
    public int PacketCount => _count;

    /// <summary>Bytes of the current datagram used by finished packets (and padding).</summary>
    public int DatagramLength => _datagramLength;

    /// <summary>A finished packet of the current datagram, in order.</summary>
    public ref PendingPacket this[int index] => ref _packets[index];

    /// <summary>Length of a packet header of <paramref name="space"/>: a long header without token outside 1-RTT, else a short one.</summary>
    public static int GetHeaderLength(QuicPacketSpace space, int destinationConnectionIdLength, int sourceConnectionIdLength, int packetNumberLength) =>
        space == QuicPacketSpace.ApplicationData
            ? 1 + destinationConnectionIdLength + packetNumberLength
            : QuicPacketHeaderWriter.GetLongHeaderLength(PacketType(space), destinationConnectionIdLength, sourceConnectionIdLength, 0, packetNumberLength);

    /// <summary>
    /// Writes the header of a packet of <paramref name="space"/> whose payload (without tag) is
    /// <paramref name="payloadLength"/> bytes; returns the packet number's offset, which packet
    /// protection needs.
    /// </summary>
    public static int WriteHeader(
        ref SpanWriter writer,
        QuicPacketSpace space,
        ReadOnlySpan<byte> destinationConnectionId,
        ReadOnlySpan<byte> sourceConnectionId,
        long packetNumber,
        int packetNumberLength,
        int payloadLength,
        bool keyPhase) =>
        space == QuicPacketSpace.ApplicationData
            ? QuicPacketHeaderWriter.WriteShortHeader(ref writer, destinationConnectionId, packetNumber, packetNumberLength, keyPhase: keyPhase)
            : QuicPacketHeaderWriter.WriteLongHeader(
                ref writer,
                PacketType(space),
                QuicVersion.V1,
                destinationConnectionId,
                sourceConnectionId,
                [],
                packetNumber,
                packetNumberLength,
                payloadLength + TagLength);

    /// <summary>Forgets the previous datagram's packets.</summary>
    public void StartDatagram()
    {
        _count = 0;
        _datagramLength = 0;
    }

    /// <summary>
    /// Lays out a packet of <paramref name="space"/> after the packets already in
    /// <paramref name="datagram"/>. False when too little room is left; otherwise
    /// <paramref name="payload"/> writes its frames (the tag's room is kept back) and
    /// <see cref="Frames"/> is empty, ready to record them.
    /// </summary>
    public bool TryStartPacket(
        Span<byte> datagram,
        QuicPacketSpace space,
        long packetNumber,
        long largestAcknowledged,
        int destinationConnectionIdLength,
        int sourceConnectionIdLength,
        out SpanWriter payload)
    {
        int packetNumberLength = QuicPacketNumber.GetEncodedLength(packetNumber, largestAcknowledged);
        int headerLength = GetHeaderLength(space, destinationConnectionIdLength, sourceConnectionIdLength, packetNumberLength);
        int maxPayload = datagram.Length - _datagramLength - headerLength - TagLength;
        if (maxPayload < MinPayloadRoom)
        {
            payload = default;
            return false;
        }

        Frames.Clear();
        payload = new SpanWriter(datagram.Slice(_datagramLength + headerLength, maxPayload));
        _current = new PendingPacket
        {
            Space = space,
            Start = _datagramLength,
            HeaderLength = headerLength,
            PacketNumberLength = packetNumberLength,
            PacketNumber = packetNumber,
        };
        return true;
    }

    /// <summary>
    /// Ends the packet whose frames <paramref name="payload"/> wrote. False (the packet is
    /// abandoned) when it holds nothing; otherwise its sent-packet record is rented from
    /// <paramref name="recovery"/> with <see cref="Frames"/> and it joins the datagram.
    /// </summary>
    public bool TryFinishPacket(ref SpanWriter payload, bool ackEliciting, LossRecovery recovery)
    {
        int payloadLength = payload.Position;
        if (payloadLength == 0)
        {
            return false;
        }

        // Header protection samples 16 bytes starting 4 after the packet number's start.
        int minimumPayload = 4 - _current.PacketNumberLength;
        if (payloadLength < minimumPayload)
        {
            payload.WriteZeros(minimumPayload - payloadLength);
            payloadLength = minimumPayload;
        }

        SentPacket record = recovery.RentPacket();
        record.PacketNumber = _current.PacketNumber;
        record.AckEliciting = ackEliciting;
        record.Frames.AddRange(Frames);
        _current.PayloadLength = payloadLength;
        _current.Length = _current.HeaderLength + payloadLength + TagLength;
        _current.AckEliciting = ackEliciting;
        _current.Record = record;
        _packets[_count++] = _current;
        _datagramLength += _current.Length;
        return true;
    }

    /// <summary>
    /// RFC 9000 §14.1: a client pads every datagram carrying an Initial packet, a server every
    /// datagram carrying an ack-eliciting Initial, to at least 1200 bytes. PADDING frames (zeros)
    /// extend the last packet's payload into where its tag was to go.
    /// </summary>
    public void PadInitialDatagram(Span<byte> datagram, bool isServer)
    {
        if (_count == 0)
        {
            return;
        }

        ref PendingPacket first = ref _packets[0];
        if (first.Space != QuicPacketSpace.Initial || (isServer && !first.AckEliciting) || _datagramLength >= QuicConnectionCore.MinInitialDatagramSize)
        {
            return;
        }

        ref PendingPacket last = ref _packets[_count - 1];
        int padding = Math.Min(QuicConnectionCore.MinInitialDatagramSize, datagram.Length) - _datagramLength;
        datagram.Slice(last.Start + last.HeaderLength + last.PayloadLength, padding).Clear();
        last.PayloadLength += padding;
        last.Length += padding;
        last.Padded = true;
        _datagramLength += padding;
    }

    /// <summary>
    /// Writes the header of finished packet <paramref name="index"/> and protects it with
    /// <paramref name="keys"/>; its record gets the send time, size and in-flight status. Returns
    /// the packet, for the connection to hand its record to loss recovery.
    /// </summary>
    public ref PendingPacket Seal(
        Span<byte> datagram,
        int index,
        PacketProtection keys,
        ReadOnlySpan<byte> destinationConnectionId,
        ReadOnlySpan<byte> sourceConnectionId,
        bool keyPhase,
        TimeSpan now)
    {
        ref PendingPacket packet = ref _packets[index];
        Span<byte> bytes = datagram.Slice(packet.Start, packet.Length);
        var writer = new SpanWriter(bytes);
        int packetNumberOffset = WriteHeader(
            ref writer, packet.Space, destinationConnectionId, sourceConnectionId, packet.PacketNumber, packet.PacketNumberLength, packet.PayloadLength, keyPhase);
        keys.Protect(bytes, packetNumberOffset, packet.PayloadLength, packet.PacketNumber);

        SentPacket record = packet.Record;
        record.TimeSent = now;
        record.Size = packet.Length;
        record.AckEliciting = packet.AckEliciting;
        record.InFlight = packet.AckEliciting || packet.Padded; // RFC 9002 §2: PADDING counts toward bytes in flight
        return ref packet;
    }

    private static QuicPacketType PacketType(QuicPacketSpace space) => space switch
    {
        QuicPacketSpace.Initial => QuicPacketType.Initial,
        QuicPacketSpace.Handshake => QuicPacketType.Handshake,
        _ => QuicPacketType.OneRtt,
    };
}

/// <summary>A packet written into the datagram in the clear, waiting for its header and protection.</summary>
internal struct PendingPacket
{
    public QuicPacketSpace Space;
    public int Start;
    public int HeaderLength;
    public int PacketNumberLength;
    public long PacketNumber;
    public int PayloadLength;
    public int Length;
    public bool AckEliciting;
    public bool Padded;
    public SentPacket Record;
}
