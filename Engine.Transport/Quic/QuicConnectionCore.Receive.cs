using System.Buffers;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    /// <summary>
    /// Processes one received UDP payload (possibly several coalesced packets). Never throws for
    /// peer bytes: a packet that cannot be authenticated is dropped; a protocol violation inside
    /// an authenticated packet closes the connection with its transport error code.
    /// </summary>
    public void HandleDatagram(ReadOnlySpan<byte> datagram, TimeSpan now)
    {
        if (_state is ConnectionState.Draining or ConnectionState.Closed)
        {
            return;
        }

        Statistics.DatagramsReceived++;
        Statistics.BytesReceived += datagram.Length;
        _path.OnDatagramReceived(datagram.Length);
        if (_state == ConnectionState.Closing)
        {
            // RFC 9000 §10.2.1: answer (a bounded number of) packets with the close again.
            _close.FramePending = true;
            return;
        }

        if (IsServer && datagram.Length < MinInitialDatagramSize && ContainsInitial(datagram))
        {
            Statistics.PacketsDropped++;
            return; // RFC 9000 §14.1: a server drops Initial datagrams under 1200 bytes.
        }

        byte[] scratch = ArrayPool<byte>.Shared.Rent(datagram.Length);
        try
        {
            Span<byte> buffer = scratch.AsSpan(0, datagram.Length);
            datagram.CopyTo(buffer);
            int offset = 0;
            while (offset < buffer.Length && _state < ConnectionState.Closing)
            {
                Span<byte> rest = buffer[offset..];
                QuicHeaderStatus status = QuicPacketHeaderParser.TryParse(rest, _connectionIds.Local.Length, out QuicPacketHeader header);
                if (status != QuicHeaderStatus.Valid)
                {
                    Statistics.PacketsDropped++;
                    break; // the rest of the datagram cannot be delimited
                }

                int packetLength = header.PacketLength;
                ProcessPacket(rest[..packetLength], header, now);
                offset += packetLength;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static bool ContainsInitial(ReadOnlySpan<byte> datagram) =>
        datagram.Length > 0 && (datagram[0] & 0x80) != 0 && ((datagram[0] >> 4) & 0x03) == (int)QuicPacketType.Initial;

    private void ProcessPacket(Span<byte> packet, QuicPacketHeader header, TimeSpan now)
    {
        switch (header.Type)
        {
            case QuicPacketType.VersionNegotiation:
                HandleVersionNegotiation(header);
                return;
            case QuicPacketType.Retry or QuicPacketType.ZeroRtt:
                Statistics.PacketsDropped++; // no Retry support yet; 0-RTT is never accepted
                return;
        }

        if (header.Type != QuicPacketType.OneRtt && header.Version != QuicVersion.V1)
        {
            Statistics.PacketsDropped++;
            return;
        }

        if (!_connectionIds.IsOurs(header.DestinationConnectionId, header.Type))
        {
            Statistics.PacketsDropped++;
            return;
        }

        QuicPacketSpace spaceId = header.Type switch
        {
            QuicPacketType.Initial => QuicPacketSpace.Initial,
            QuicPacketType.Handshake => QuicPacketSpace.Handshake,
            _ => QuicPacketSpace.ApplicationData,
        };
        PacketSpaceState space = Space(spaceId);
        if (!space.CanReceive)
        {
            Statistics.PacketsDropped++;
            return;
        }

        if (!_spaces.TryUnprotect(space, packet, header.PacketNumberOffset, IsHandshakeConfirmed, out UnprotectedPacket unprotected))
        {
            Statistics.PacketsDropped++;
            return;
        }

        Statistics.PacketsReceived++;
        if (space.Received.IsDuplicate(unprotected.PacketNumber))
        {
            Statistics.DuplicatePackets++;
            return;
        }

        // Reserved bits are checked only after authentication (RFC 9000 §17.2, §17.3.1).
        byte reservedMask = header.Type == QuicPacketType.OneRtt ? (byte)0x18 : (byte)0x0c;
        if ((packet[0] & reservedMask) != 0)
        {
            CloseWithTransportError(QuicTransportErrorCode.ProtocolViolation, 0, "reserved header bits set", now);
            return;
        }

        if (spaceId == QuicPacketSpace.Initial)
        {
            _connectionIds.OnInitialPacket(header.SourceConnectionId);
        }

        ReadOnlySpan<byte> payload = packet.Slice(unprotected.HeaderLength, unprotected.PayloadLength);
        var visitor = new FrameDispatcher(this, spaceId, now);
        QuicTransportErrorCode error = QuicFrameParser.Parse(payload, header.Type, ref visitor, out QuicPayloadSummary summary);
        if (error != QuicTransportErrorCode.NoError)
        {
            CloseWithTransportError(error, summary.ErrorFrameType, visitor.ErrorReason ?? $"invalid frame 0x{summary.ErrorFrameType:x} in {header.Type} packet", now);
            return;
        }

        space.Received.OnPacketReceived(unprotected.PacketNumber, summary.IsAckEliciting, now);
        OnPacketAuthenticated(spaceId, now);
    }

    private void OnPacketAuthenticated(QuicPacketSpace space, TimeSpan now)
    {
        if (_state >= ConnectionState.Closing)
        {
            return;
        }

        _idleDeadline = now + IdleTimeoutWithFloor();
        _ackElicitingSentSinceReceive = false;
        if (IsServer && space == QuicPacketSpace.Handshake)
        {
            // A Handshake packet proves the client owns its address (RFC 9000 §8.1) and lets the
            // server drop Initial keys (RFC 9001 §4.9.1).
            _path.OnValidated();
            DiscardSpace(QuicPacketSpace.Initial);
        }
    }

    private void HandleVersionNegotiation(QuicPacketHeader header)
    {
        // Only a client acts on Version Negotiation, and only before it has received anything else (RFC 9000 §6.2).
        if (IsServer || _connectionIds.RemoteConfirmed || !header.DestinationConnectionId.SequenceEqual(_connectionIds.Local))
        {
            Statistics.PacketsDropped++;
            return;
        }

        if (QuicVersionNegotiation.Contains(header.SupportedVersions, QuicVersion.V1))
        {
            Statistics.PacketsDropped++; // it lists our version: a forgery or a mistake, ignore it
            return;
        }

        CloseInfo = new QuicCloseInfo(QuicCloseOrigin.VersionMismatch, 0, 0, "the server supports no version we speak");
        _state = ConnectionState.Closed;
        Emit(QuicConnectionEventKind.Closed);
    }
}
