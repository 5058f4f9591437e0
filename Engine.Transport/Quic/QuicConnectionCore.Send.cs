using Engine.Transport.Coding;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    private const int TagLength = QuicCipherSuites.TagLength;

    private readonly PendingPacket[] _pendingPackets = new PendingPacket[3];
    private readonly List<SentFrame> _frameScratch = new(16);

    /// <summary>
    /// Builds the next UDP payload into <paramref name="buffer"/>, coalescing Initial, Handshake and
    /// 1-RTT packets as needed. Returns its length, or 0 when there is nothing to send now (the
    /// congestion window, the anti-amplification limit or an empty queue). Call until it returns 0.
    /// </summary>
    public int PollTransmit(TimeSpan now, Span<byte> buffer)
    {
        if (_state is ConnectionState.Draining or ConnectionState.Closed)
        {
            return 0;
        }

        // RFC 9002 §6.2.2.1: a server blocked by the amplification limit arms no PTO.
        _recovery.AtAntiAmplificationLimit = _path.AmplificationBudget < _options.MaxDatagramSize;
        long budget = Math.Min(Math.Min(buffer.Length, _path.MaxDatagramSize), _path.AmplificationBudget);
        if (budget < 64)
        {
            return 0;
        }

        CollectProbes();
        Span<byte> datagram = buffer[..(int)budget];
        Span<PendingPacket> packets = _pendingPackets;
        int packetCount = 0;
        int offset = 0;
        bool closing = _state == ConnectionState.Closing;
        if (closing && !_closeFramePending)
        {
            return 0;
        }

        ReadOnlySpan<PacketSpaceState> spaces = _spaces.All;
        for (int i = 0; i < spaces.Length; i++)
        {
            PacketSpaceState space = spaces[i];
            if (!space.CanSend)
            {
                continue;
            }

            if (closing && i < 2 && IsHandshakeConfirmed)
            {
                continue;
            }

            if (TryBuildPacket(space, now, datagram[offset..], closing, out PendingPacket packet))
            {
                packet.Start = offset;
                packets[packetCount++] = packet;
                offset += packet.Length;
            }
        }

        if (packetCount == 0)
        {
            return 0;
        }

        // RFC 9000 §14.1: a client pads every datagram carrying an Initial packet, a server every
        // datagram carrying an ack-eliciting Initial, to at least 1200 bytes.
        bool hasInitial = packets[0].Space == QuicPacketSpace.Initial;
        if (hasInitial && (!IsServer || packets[0].AckEliciting) && offset < MinInitialDatagramSize)
        {
            ref PendingPacket last = ref packets[packetCount - 1];
            int padding = Math.Min(MinInitialDatagramSize, datagram.Length) - offset;
            // PADDING frames (zeros) extend the last packet's payload into where its tag was to go.
            datagram.Slice(last.Start + last.HeaderLength + last.PayloadLength, padding).Clear();
            last.PayloadLength += padding;
            last.Length += padding;
            last.Padded = true;
            offset += padding;
        }

        for (int i = 0; i < packetCount; i++)
        {
            SealPacket(datagram, ref packets[i], now);
        }

        if (closing)
        {
            _closeFramePending = false;
        }

        Statistics.DatagramsSent++;
        Statistics.BytesSent += offset;
        _path.OnDatagramSent(offset);
        return offset;
    }

    private void CollectProbes()
    {
        while (_recovery.TryTakeProbe(out QuicPacketSpace probeSpace))
        {
            Space(probeSpace).OnProbeRequested();
        }
    }

    /// <summary>A packet written into the datagram in the clear, waiting for its header and protection.</summary>
    private struct PendingPacket
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

    private bool TryBuildPacket(PacketSpaceState space, TimeSpan now, Span<byte> room, bool closing, out PendingPacket packet)
    {
        packet = default;
        QuicPacketSpace spaceId = space.Space;
        bool ackDue = space.AckDue(now);
        bool probe = space.ProbesPending > 0;
        bool congestionBlocked = !probe && !_recovery.CongestionController.CanSend(_options.MaxDatagramSize);
        bool wantsData = !closing && !congestionBlocked && HasAckElicitingDataFor(space);
        if (!closing && !ackDue && !wantsData && !probe)
        {
            return false;
        }

        long packetNumber = _recovery.NextPacketNumber(spaceId);
        int packetNumberLength = QuicPacketNumber.GetEncodedLength(packetNumber, _recovery.LargestAcked(spaceId));
        QuicPacketType type = spaceId switch
        {
            QuicPacketSpace.Initial => QuicPacketType.Initial,
            QuicPacketSpace.Handshake => QuicPacketType.Handshake,
            _ => QuicPacketType.OneRtt,
        };
        int headerLength = type == QuicPacketType.OneRtt
            ? 1 + _connectionIds.Remote.Length + packetNumberLength
            : QuicPacketHeaderWriter.GetLongHeaderLength(type, _connectionIds.Remote.Length, _connectionIds.Local.Length, 0, packetNumberLength);
        int maxPayload = room.Length - headerLength - TagLength;
        if (maxPayload < 32)
        {
            return false;
        }

        List<SentFrame> frames = _frameScratch;
        frames.Clear();
        var writer = new SpanWriter(room.Slice(headerLength, maxPayload));
        bool ackEliciting = false;
        bool haveAck = space.Received.HasRanges && (ackDue || wantsData || probe || closing);
        int ackLength = haveAck ? space.Received.GetAckFrameLength(now, AckDelayExponent) : 0;
        if (closing)
        {
            if (haveAck && ackLength <= writer.Remaining - 64)
            {
                space.WriteAck(ref writer, frames, now, AckDelayExponent);
            }

            WriteConnectionClose(ref writer, spaceId);
        }
        else
        {
            if (wantsData || probe)
            {
                ackEliciting = WriteAckElicitingFrames(space, ref writer, frames, congestionBlocked, ackLength);
                if (probe && !ackEliciting && writer.Remaining > 0)
                {
                    writer.WriteByte((byte)QuicFrameType.Ping);
                    frames.Add(SentFrame.Simple(SentFrameKind.Ping));
                    ackEliciting = true;
                }

                if (probe && ackEliciting)
                {
                    space.ProbesPending--;
                }
            }

            // The ACK goes last, in the room kept for it; alone only when one is due.
            if (haveAck && (ackEliciting || ackDue) && ackLength <= writer.Remaining)
            {
                space.WriteAck(ref writer, frames, now, AckDelayExponent);
            }
        }

        int payloadLength = writer.Position;
        if (payloadLength == 0)
        {
            return false;
        }

        // Header protection samples 16 bytes starting 4 after the packet number's start.
        int minimumPayload = 4 - packetNumberLength;
        if (payloadLength < minimumPayload)
        {
            writer.WriteZeros(minimumPayload - payloadLength);
            payloadLength = minimumPayload;
        }

        SentPacket record = _recovery.RentPacket();
        record.PacketNumber = packetNumber;
        record.AckEliciting = ackEliciting;
        record.Frames.AddRange(frames);
        packet = new PendingPacket
        {
            Space = spaceId,
            HeaderLength = headerLength,
            PacketNumberLength = packetNumberLength,
            PacketNumber = packetNumber,
            PayloadLength = payloadLength,
            Length = headerLength + payloadLength + TagLength,
            AckEliciting = ackEliciting,
            Record = record,
        };
        return true;
    }

    private bool HasAckElicitingDataFor(PacketSpaceState space)
    {
        if (space.CryptoSend.HasDataToSend)
        {
            return true;
        }

        if (space.Space != QuicPacketSpace.ApplicationData || !_tls.IsHandshakeComplete)
        {
            return false;
        }

        return _handshakeDonePending || _path.HasPathResponse || _keepAlivePending || _datagrams.PendingSendCount > 0 || _streams.HasDataToSend;
    }

    /// <summary>Writes CRYPTO, control, DATAGRAM and STREAM frames, leaving <paramref name="ackReserve"/> bytes for an ACK (datagrams may use it: they cannot be split).</summary>
    private bool WriteAckElicitingFrames(PacketSpaceState space, ref SpanWriter writer, List<SentFrame> frames, bool congestionBlocked, int ackReserve)
    {
        int start = writer.Position;
        space.WriteCryptoFrames(ref writer, frames, ackReserve);

        if (space.Space == QuicPacketSpace.ApplicationData && !congestionBlocked && _tls.IsHandshakeComplete)
        {
            if (_handshakeDonePending && writer.Remaining >= 1)
            {
                writer.WriteByte((byte)QuicFrameType.HandshakeDone);
                frames.Add(SentFrame.Simple(SentFrameKind.HandshakeDone));
                _handshakeDonePending = false;
            }

            _path.WritePathResponse(ref writer, frames);

            if (_keepAlivePending && writer.Remaining >= 1)
            {
                writer.WriteByte((byte)QuicFrameType.Ping);
                frames.Add(SentFrame.Simple(SentFrameKind.Ping));
                _keepAlivePending = false;
            }

            _datagrams.WriteFrames(ref writer, frames, MaxDatagramPayloadSize);
            int streamRoom = writer.Remaining - ackReserve;
            if (streamRoom > 0)
            {
                var streamWriter = new SpanWriter(writer.Buffer.Slice(writer.Position, streamRoom));
                _streams.WriteFrames(ref streamWriter, frames);
                writer.Advance(streamWriter.Position);
            }
        }

        return writer.Position > start;
    }

    private void SealPacket(Span<byte> datagram, ref PendingPacket packet, TimeSpan now)
    {
        Span<byte> bytes = datagram.Slice(packet.Start, packet.Length);
        var writer = new SpanWriter(bytes);
        int packetNumberOffset = packet.Space == QuicPacketSpace.ApplicationData
            ? QuicPacketHeaderWriter.WriteShortHeader(ref writer, _connectionIds.Remote, packet.PacketNumber, packet.PacketNumberLength, keyPhase: _spaces.KeyPhase)
            : QuicPacketHeaderWriter.WriteLongHeader(
                ref writer,
                packet.Space == QuicPacketSpace.Initial ? QuicPacketType.Initial : QuicPacketType.Handshake,
                QuicVersion.V1,
                _connectionIds.Remote,
                _connectionIds.Local,
                [],
                packet.PacketNumber,
                packet.PacketNumberLength,
                packet.PayloadLength + TagLength);
        PacketProtection keys = Space(packet.Space).WriteKeys!;
        keys.Protect(bytes, packetNumberOffset, packet.PayloadLength, packet.PacketNumber);

        SentPacket record = packet.Record;
        record.TimeSent = now;
        record.Size = packet.Length;
        record.AckEliciting = packet.AckEliciting;
        record.InFlight = packet.AckEliciting || packet.Padded; // RFC 9002 §2: PADDING counts toward bytes in flight
        _recovery.OnPacketSent(packet.Space, record);
        Statistics.PacketsSent++;
        if (packet.AckEliciting)
        {
            _lastAckElicitingSent = now;
        }

        if (packet.AckEliciting && !_ackElicitingSentSinceReceive)
        {
            // RFC 9000 §10.1: sending the first ack-eliciting packet after receiving restarts the idle timer.
            _ackElicitingSentSinceReceive = true;
            _idleDeadline = now + IdleTimeoutWithFloor();
        }

        if (!IsServer && packet.Space == QuicPacketSpace.Handshake)
        {
            DiscardSpace(QuicPacketSpace.Initial); // RFC 9001 §4.9.1: a client drops Initial keys on first Handshake send
        }
    }
}
