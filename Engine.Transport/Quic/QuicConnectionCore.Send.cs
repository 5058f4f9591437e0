using Engine.Transport.Coding;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    private readonly PacketBuilder _builder = new();

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
        _builder.StartDatagram();
        Span<byte> datagram = buffer[..(int)budget];
        bool closing = _state == ConnectionState.Closing;
        if (closing && !_close.FramePending)
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

            TryBuildPacket(space, now, datagram, closing);
        }

        int packetCount = _builder.PacketCount;
        if (packetCount == 0)
        {
            return 0;
        }

        _builder.PadInitialDatagram(datagram, IsServer);
        for (int i = 0; i < packetCount; i++)
        {
            ref PendingPacket packet = ref _builder.Seal(
                datagram, i, Space(_builder[i].Space).WriteKeys!, _connectionIds.Remote, _connectionIds.Local, _spaces.KeyPhase, now);
            OnPacketSent(in packet, now);
        }

        int offset = _builder.DatagramLength;
        if (closing)
        {
            _close.FramePending = false;
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

    /// <summary>Chooses the frames of the next packet of <paramref name="space"/>, if it has anything to send, and adds it to the datagram.</summary>
    private void TryBuildPacket(PacketSpaceState space, TimeSpan now, Span<byte> datagram, bool closing)
    {
        QuicPacketSpace spaceId = space.Space;
        bool ackDue = space.AckDue(now);
        bool probe = space.ProbesPending > 0;
        bool congestionBlocked = !probe && !_recovery.CongestionController.CanSend(_options.MaxDatagramSize);
        bool wantsData = !closing && !congestionBlocked && HasAckElicitingDataFor(space);
        if (!closing && !ackDue && !wantsData && !probe)
        {
            return;
        }

        long packetNumber = _recovery.NextPacketNumber(spaceId);
        if (!_builder.TryStartPacket(
            datagram, spaceId, packetNumber, _recovery.LargestAcked(spaceId), _connectionIds.Remote.Length, _connectionIds.Local.Length, out SpanWriter writer))
        {
            return;
        }

        List<SentFrame> frames = _builder.Frames;
        bool ackEliciting = false;
        bool haveAck = space.Received.HasRanges && (ackDue || wantsData || probe || closing);
        int ackLength = haveAck ? space.Received.GetAckFrameLength(now, AckDelayExponent) : 0;
        if (closing)
        {
            if (haveAck && ackLength <= writer.Remaining - 64)
            {
                space.WriteAck(ref writer, frames, now, AckDelayExponent);
            }

            _close.WriteFrame(ref writer, spaceId);
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

        _builder.TryFinishPacket(ref writer, ackEliciting, _recovery);
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

    /// <summary>A sealed packet goes to loss recovery; the idle timer and Initial keys may follow.</summary>
    private void OnPacketSent(in PendingPacket packet, TimeSpan now)
    {
        _recovery.OnPacketSent(packet.Space, packet.Record);
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
